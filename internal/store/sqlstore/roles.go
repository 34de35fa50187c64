package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

type roles struct{ *Repos }

const roleCols = `id, account_id, name, path, trust_policy, description, max_session_duration,
	permissions_boundary, tags, created_at, last_used_at, last_used_region`

func scanRole(sc scanner) (*store.Role, error) {
	var r store.Role
	var created, tags string
	var lastUsed sql.NullString
	if err := sc.Scan(&r.ID, &r.AccountID, &r.Name, &r.Path, &r.TrustPolicy, &r.Description, &r.MaxSessionDuration,
		&r.PermissionsBoundary, &tags, &created, &lastUsed, &r.LastUsedRegion); err != nil {
		return nil, err
	}
	var err error
	if r.CreatedAt, err = decTime(created); err != nil {
		return nil, err
	}
	if r.Tags, err = decTags(tags); err != nil {
		return nil, err
	}
	if r.LastUsedAt, err = decTimePtr(lastUsed); err != nil {
		return nil, err
	}
	return &r, nil
}

func (r roles) Create(ctx context.Context, ro *store.Role) error {
	tags, err := encJSON(ro.Tags)
	if err != nil {
		return err
	}
	return exec(ctx, r.q, "create role "+ro.Name,
		`INSERT INTO roles (id, account_id, name, name_lower, path, trust_policy, description, max_session_duration,
			permissions_boundary, tags, created_at, last_used_at, last_used_region)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		ro.ID, ro.AccountID, ro.Name, lower(ro.Name), ro.Path, ro.TrustPolicy, ro.Description, ro.MaxSessionDuration,
		ro.PermissionsBoundary, tags, encTime(ro.CreatedAt), encTimePtr(ro.LastUsedAt), ro.LastUsedRegion)
}

func (r roles) Get(ctx context.Context, accountID, name string) (*store.Role, error) {
	return get(ctx, r.q, scanRole, "role "+name,
		`SELECT `+roleCols+` FROM roles WHERE account_id = $1 AND name_lower = $2`, accountID, lower(name))
}

func (r roles) GetByID(ctx context.Context, id string) (*store.Role, error) {
	return get(ctx, r.q, scanRole, "role "+id, `SELECT `+roleCols+` FROM roles WHERE id = $1`, id)
}

func (r roles) Update(ctx context.Context, ro *store.Role) error {
	tags, err := encJSON(ro.Tags)
	if err != nil {
		return err
	}
	return execOne(ctx, r.q, "update role "+ro.ID,
		`UPDATE roles SET name = $1, name_lower = $2, path = $3, trust_policy = $4, description = $5, max_session_duration = $6,
			permissions_boundary = $7, tags = $8, created_at = $9, last_used_at = $10, last_used_region = $11
		WHERE id = $12`,
		ro.Name, lower(ro.Name), ro.Path, ro.TrustPolicy, ro.Description, ro.MaxSessionDuration,
		ro.PermissionsBoundary, tags, encTime(ro.CreatedAt), encTimePtr(ro.LastUsedAt), ro.LastUsedRegion, ro.ID)
}

func (r roles) Delete(ctx context.Context, id string) error {
	return execOne(ctx, r.q, "delete role "+id, `DELETE FROM roles WHERE id = $1`, id)
}

func (r roles) List(ctx context.Context, accountID string, opt store.ListOptions) ([]*store.Role, error) {
	return list(ctx, r.q, scanRole, "roles",
		`SELECT `+roleCols+` FROM roles
		WHERE account_id = $1 AND substr(path, 1, length(CAST($2 AS TEXT))) = $2 AND name_lower > $3
		ORDER BY name_lower LIMIT $4`,
		accountID, pathPrefix(opt.PathPrefix), opt.After, limitArg(opt.Limit))
}

func (r roles) SetLastUsed(ctx context.Context, at time.Time, region string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, 0, 2+len(ids))
	args = append(args, encTime(at), region)
	var b strings.Builder
	b.WriteString(`UPDATE roles SET last_used_at = $1, last_used_region = $2 WHERE id IN (`)
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		args = append(args, id)
		b.WriteString("$" + strconv.Itoa(len(args)))
	}
	b.WriteString(")")
	return exec(ctx, r.q, "set role last use", b.String(), args...)
}

func (r roles) Count(ctx context.Context, accountID string) (int, error) {
	return count(ctx, r.q, "roles", `SELECT count(*) FROM roles WHERE account_id = $1`, accountID)
}
