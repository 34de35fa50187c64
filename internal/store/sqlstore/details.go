package sqlstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/mantle-iam/mantle/internal/store"
)

type details struct{ *Repos }

func (r *Repos) Details() store.Details { return details{r} }

// inList returns "$first, …" for n values and the values as arguments.
func inList(first int, ids []string) (string, []any) {
	var b strings.Builder
	args := make([]any, len(ids))
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(first+i))
		args[i] = id
	}
	return b.String(), args
}

// byOwner runs query (its "IN (%s)" filled with ids from placeholder
// first on) and groups the rows by the ID the owner function reads.
func byOwner[T any](ctx context.Context, q conn, scan func(scanner) (*T, error), owner func(*T) string, what, query string, first int, lead []any, ids []string) (map[string][]*T, error) {
	out := make(map[string][]*T, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	in, args := inList(first, ids)
	rows, err := list(ctx, q, scan, what, strings.Replace(query, "%s", in, 1), append(lead, args...)...)
	if err != nil {
		return nil, err
	}
	for _, v := range rows {
		k := owner(v)
		out[k] = append(out[k], v)
	}
	return out, nil
}

// The joins below are CROSS JOINs, which SQLite reads in the order
// written (PostgreSQL plans them as inner joins): from the page's entities
// to the few rows each has. Driven from the other side, a policy attached
// to 100,000 entities or a group of 100,000 members would be read whole.

func (r details) InlinePolicies(ctx context.Context, t store.EntityType, ids []string) (map[string][]*store.InlinePolicy, error) {
	return byOwner(ctx, r.q, scanInline, func(p *store.InlinePolicy) string { return p.EntityID }, "inline policies",
		`SELECT entity_type, entity_id, name, document FROM inline_policies
		WHERE entity_type = $1 AND entity_id IN (%s) ORDER BY entity_id, name_lower`, 2, []any{string(t)}, ids)
}

type attachedPolicy struct {
	entity string
	p      *store.ManagedPolicy
}

func (r details) Attached(ctx context.Context, t store.EntityType, ids []string) (map[string][]*store.ManagedPolicy, error) {
	scan := func(sc scanner) (*attachedPolicy, error) {
		var a attachedPolicy
		var err error
		a.p, err = scanPolicy(prefixed{sc, &a.entity})
		return &a, err
	}
	got, err := byOwner(ctx, r.q, scan, func(a *attachedPolicy) string { return a.entity }, "attached policies",
		`SELECT a.entity_id, `+policyCols+` FROM attachments a CROSS JOIN policies p
		WHERE p.id = a.policy_id AND a.entity_type = $1 AND a.entity_id IN (%s) ORDER BY a.entity_id, p.name_lower, p.account_id`, 2, []any{string(t)}, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]*store.ManagedPolicy, len(got))
	for id, as := range got {
		for _, a := range as {
			out[id] = append(out[id], a.p)
		}
	}
	return out, nil
}

type memberGroup struct {
	user string
	g    *store.Group
}

func (r details) GroupsOf(ctx context.Context, userIDs []string) (map[string][]*store.Group, error) {
	scan := func(sc scanner) (*memberGroup, error) {
		var m memberGroup
		var err error
		m.g, err = scanGroup(prefixed{sc, &m.user})
		return &m, err
	}
	got, err := byOwner(ctx, r.q, scan, func(m *memberGroup) string { return m.user }, "groups of users",
		`SELECT m.user_id, `+groupCols+` FROM group_members m CROSS JOIN groups g
		WHERE g.id = m.group_id AND m.user_id IN (%s) ORDER BY m.user_id, g.name_lower`, 1, nil, userIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]*store.Group, len(got))
	for id, ms := range got {
		for _, m := range ms {
			out[id] = append(out[id], m.g)
		}
	}
	return out, nil
}

func (r details) InstanceProfilesOf(ctx context.Context, roleIDs []string) (map[string][]*store.InstanceProfile, error) {
	return byOwner(ctx, r.q, scanInstanceProfile, func(p *store.InstanceProfile) string { return p.RoleID }, "instance profiles of roles",
		`SELECT `+instanceProfileCols+` FROM instance_profiles WHERE role_ref IN (%s) ORDER BY role_ref, name_lower`, 1, nil, roleIDs)
}

func (r details) VersionsOf(ctx context.Context, policyIDs []string) (map[string][]*store.PolicyVersion, error) {
	return byOwner(ctx, r.q, scanVersion, func(v *store.PolicyVersion) string { return v.PolicyID }, "versions of policies",
		`SELECT policy_id, version_id, document, created_at FROM policy_versions WHERE policy_id IN (%s)
		ORDER BY policy_id, created_at DESC, length(version_id) DESC, version_id DESC`, 1, nil, policyIDs)
}

// prefixed scans one leading column into first, then the rest with the
// row scanner it wraps.
type prefixed struct {
	sc    scanner
	first *string
}

func (p prefixed) Scan(dest ...any) error {
	return p.sc.Scan(append([]any{p.first}, dest...)...)
}
