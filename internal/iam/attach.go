package iam

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// principal is a user, group or role as the attachment and inline-policy
// actions see it: one code path serves all three.
type principal struct {
	typ  store.EntityType
	id   string
	name string
	// linked marks a service-linked role, whose policies only its service
	// may change.
	linked bool
}

// modifiable refuses changes to a service-linked role's policies.
func (p principal) modifiable() error {
	if p.linked {
		return unmodifiable(p.name)
	}
	return nil
}

// noun is how AWS names the entity type in messages ("user", "group", "role").
func (p principal) noun() string {
	switch p.typ {
	case store.EntityUser:
		return "user"
	case store.EntityGroup:
		return "group"
	}
	return "role"
}

// target loads and authorizes the named principal of type t.
func (s *Service) target(ctx context.Context, c *auth.Caller, t store.EntityType, action, name string, keys ...auth.Key) (principal, error) {
	switch t {
	case store.EntityUser:
		u, err := s.userTarget(ctx, c, action, name, keys...)
		if err != nil {
			return principal{}, err
		}
		return principal{typ: t, id: u.ID, name: u.Name}, nil
	case store.EntityGroup:
		g, err := s.groupTarget(ctx, c, action, name, keys...)
		if err != nil {
			return principal{}, err
		}
		return principal{typ: t, id: g.ID, name: g.Name}, nil
	}
	r, err := s.roleTarget(ctx, c, action, name, keys...)
	if err != nil {
		return principal{}, err
	}
	return principal{typ: t, id: r.ID, name: r.Name, linked: isServiceLinked(r)}, nil
}

// exists re-checks inside a transaction that the principal was not deleted
// since it was authorized.
func (p principal) exists(ctx context.Context, tx store.Repos) error {
	var err error
	switch p.typ {
	case store.EntityUser:
		_, err = reloadUser(ctx, tx, p.id, p.name)
	case store.EntityGroup:
		_, err = reloadGroup(ctx, tx, p.id, p.name)
	default:
		_, err = reloadRole(ctx, tx, p.id, p.name)
	}
	return err
}

// policiesConflict refuses to delete a user, group or role that still has
// inline or attached policies, inline first as AWS checks them.
func policiesConflict(ctx context.Context, tx store.Repos, t store.EntityType, id string) error {
	if pols, err := tx.InlinePolicies().List(ctx, t, id); err != nil {
		return err
	} else if len(pols) > 0 {
		return awserr.DeleteConflict("Cannot delete entity, must delete policies first.")
	}
	if att, err := tx.Attachments().ListForEntity(ctx, t, id); err != nil {
		return err
	} else if len(att) > 0 {
		return awserr.DeleteConflict("Cannot delete entity, must detach all policies first.")
	}
	return nil
}

func policyKey(arn string) auth.Key { return auth.Key{Name: "iam:PolicyARN", Values: []string{arn}} }

func (s *Service) attach(ctx context.Context, c *auth.Caller, t store.EntityType, action, name, arn string) error {
	p, err := s.target(ctx, c, t, action, name, policyKey(arn))
	if err != nil {
		return err
	}
	if err := p.modifiable(); err != nil {
		return err
	}
	mp, err := policyByARN(ctx, s.store, c.AccountID, arn)
	if err != nil {
		return err
	}
	if err := attachable(mp); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := p.exists(ctx, tx); err != nil {
			return err
		}
		if err := materialize(ctx, tx, mp); err != nil {
			return err
		}
		mp, err := reloadPolicy(ctx, tx, mp)
		if err != nil {
			return err
		}
		cur, err := tx.Attachments().ListForEntity(ctx, t, p.id)
		if err != nil {
			return err
		}
		for _, q := range cur {
			if q.ID == mp.ID {
				return nil // attaching twice is a no-op, as in AWS
			}
		}
		if len(cur) >= quotaAttachedPolicies {
			return awserr.LimitExceeded("Cannot exceed quota for PoliciesPer%s: %d", t, quotaAttachedPolicies)
		}
		if err := tx.Attachments().Attach(ctx, store.Attachment{PolicyID: mp.ID, EntityType: t, EntityID: p.id}); err != nil {
			return err
		}
		return countUse(ctx, tx, c.AccountID, mp, 1, 0)
	})
}

// attachable refuses the AWS managed policies of service-linked roles
// (path /aws-service-role/): only the service's own role has them, which
// CreateServiceLinkedRole attaches, so an Attach*Policy is refused with
// AWS's PolicyNotAttachable.
func attachable(mp *store.ManagedPolicy) error {
	if mp.AccountID == store.AWSAccount && strings.HasPrefix(mp.Path, "/aws-service-role/") {
		return awserr.New("PolicyNotAttachable", http.StatusBadRequest, "Cannot attach a Service Role Policy to a Customer Role.")
	}
	return nil
}

func (s *Service) detach(ctx context.Context, c *auth.Caller, t store.EntityType, action, name, arn string) error {
	p, err := s.target(ctx, c, t, action, name, policyKey(arn))
	if err != nil {
		return err
	}
	if err := p.modifiable(); err != nil {
		return err
	}
	if _, _, _, ok := parsePolicyARN(arn); !ok {
		return invalidARN(arn)
	}
	notAttached := awserr.NoSuchEntity("Policy %s was not found.", arn)
	mp, err := policyByARN(ctx, s.store, c.AccountID, arn)
	if err != nil {
		if awserr.HasCode(err, "NoSuchEntity") {
			return notAttached
		}
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := p.exists(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Policies().GetByID(ctx, mp.ID); isNotFound(err) && mp.AccountID == store.AWSAccount {
			return notAttached // an AWS managed policy nothing has used yet
		}
		mp, err := reloadPolicy(ctx, tx, mp)
		if err != nil {
			return err
		}
		if err := tx.Attachments().Detach(ctx, store.Attachment{PolicyID: mp.ID, EntityType: t, EntityID: p.id}); err != nil {
			return notFoundAs(err, notAttached)
		}
		return countUse(ctx, tx, c.AccountID, mp, -1, 0)
	})
}

func (s *Service) listAttached(ctx context.Context, c *auth.Caller, t store.EntityType, action, name, prefix, marker string, maxItems *int) (*iamapi.ListAttachedUserPoliciesOutput, error) {
	p, err := s.target(ctx, c, t, action, name)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf(marker, maxItems)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.Attachments().ListForEntity(ctx, t, p.id)
	if err != nil {
		return nil, err
	}
	var kept []*store.ManagedPolicy
	for _, mp := range ps {
		if prefix == "" || hasPrefix(mp.Path, prefix) {
			kept = append(kept, mp)
		}
	}
	kept, trunc, m, _ := cutSlice(pg, kept, func(mp *store.ManagedPolicy) string { return lower(mp.Name) + "|" + mp.AccountID })
	// The three ListAttached*Policies outputs are one shape; the group and
	// role actions convert this one.
	out := &iamapi.ListAttachedUserPoliciesOutput{AttachedPolicies: []iamapi.AttachedPolicy{}, IsTruncated: ptr(trunc), Marker: m}
	for _, mp := range kept {
		out.AttachedPolicies = append(out.AttachedPolicies, iamapi.AttachedPolicy{PolicyName: mp.Name, PolicyArn: policyARNOf(mp)})
	}
	return out, nil
}

func (s *Service) AttachUserPolicy(ctx context.Context, c *auth.Caller, in *iamapi.AttachUserPolicyInput) (*iamapi.AttachUserPolicyOutput, error) {
	return result[iamapi.AttachUserPolicyOutput](s.attach(ctx, c, store.EntityUser, "AttachUserPolicy", in.UserName, in.PolicyArn))
}

func (s *Service) DetachUserPolicy(ctx context.Context, c *auth.Caller, in *iamapi.DetachUserPolicyInput) (*iamapi.DetachUserPolicyOutput, error) {
	return result[iamapi.DetachUserPolicyOutput](s.detach(ctx, c, store.EntityUser, "DetachUserPolicy", in.UserName, in.PolicyArn))
}

func (s *Service) AttachGroupPolicy(ctx context.Context, c *auth.Caller, in *iamapi.AttachGroupPolicyInput) (*iamapi.AttachGroupPolicyOutput, error) {
	return result[iamapi.AttachGroupPolicyOutput](s.attach(ctx, c, store.EntityGroup, "AttachGroupPolicy", in.GroupName, in.PolicyArn))
}

func (s *Service) DetachGroupPolicy(ctx context.Context, c *auth.Caller, in *iamapi.DetachGroupPolicyInput) (*iamapi.DetachGroupPolicyOutput, error) {
	return result[iamapi.DetachGroupPolicyOutput](s.detach(ctx, c, store.EntityGroup, "DetachGroupPolicy", in.GroupName, in.PolicyArn))
}

func (s *Service) AttachRolePolicy(ctx context.Context, c *auth.Caller, in *iamapi.AttachRolePolicyInput) (*iamapi.AttachRolePolicyOutput, error) {
	return result[iamapi.AttachRolePolicyOutput](s.attach(ctx, c, store.EntityRole, "AttachRolePolicy", in.RoleName, in.PolicyArn))
}

func (s *Service) DetachRolePolicy(ctx context.Context, c *auth.Caller, in *iamapi.DetachRolePolicyInput) (*iamapi.DetachRolePolicyOutput, error) {
	return result[iamapi.DetachRolePolicyOutput](s.detach(ctx, c, store.EntityRole, "DetachRolePolicy", in.RoleName, in.PolicyArn))
}

func (s *Service) ListAttachedUserPolicies(ctx context.Context, c *auth.Caller, in *iamapi.ListAttachedUserPoliciesInput) (*iamapi.ListAttachedUserPoliciesOutput, error) {
	out, err := s.listAttached(ctx, c, store.EntityUser, "ListAttachedUserPolicies", in.UserName, in.PathPrefix, in.Marker, in.MaxItems)
	return out, err
}

func (s *Service) ListAttachedGroupPolicies(ctx context.Context, c *auth.Caller, in *iamapi.ListAttachedGroupPoliciesInput) (*iamapi.ListAttachedGroupPoliciesOutput, error) {
	out, err := s.listAttached(ctx, c, store.EntityGroup, "ListAttachedGroupPolicies", in.GroupName, in.PathPrefix, in.Marker, in.MaxItems)
	return (*iamapi.ListAttachedGroupPoliciesOutput)(out), err
}

func (s *Service) ListAttachedRolePolicies(ctx context.Context, c *auth.Caller, in *iamapi.ListAttachedRolePoliciesInput) (*iamapi.ListAttachedRolePoliciesOutput, error) {
	out, err := s.listAttached(ctx, c, store.EntityRole, "ListAttachedRolePolicies", in.RoleName, in.PathPrefix, in.Marker, in.MaxItems)
	return (*iamapi.ListAttachedRolePoliciesOutput)(out), err
}

// ListEntitiesForPolicy lists the account's entities the policy is attached
// to (PermissionsPolicy), then those it is the permissions boundary of
// (PermissionsBoundary; an entity with both uses is listed once), each in
// (type, ID) order through an index, so a page reads only what it returns.
// The marker is "<use>|<type>|<ID>" of the last entity served.
func (s *Service) ListEntitiesForPolicy(ctx context.Context, c *auth.Caller, in *iamapi.ListEntitiesForPolicyInput) (*iamapi.ListEntitiesForPolicyOutput, error) {
	mp, err := s.policyTarget(ctx, c, "ListEntitiesForPolicy", in.PolicyArn)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	use, after, err := parseUseCursor(pg.after)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListEntitiesForPolicyOutput{PolicyGroups: []iamapi.PolicyGroup{}, PolicyUsers: []iamapi.PolicyUser{}, PolicyRoles: []iamapi.PolicyRole{}, IsTruncated: ptr(false)}
	switch in.EntityFilter {
	case "", string(store.EntityUser), string(store.EntityGroup), string(store.EntityRole):
	default:
		return out, nil // a policy is used by no policy
	}
	type item struct {
		use int
		e   store.PolicyEntity
	}
	var items []item
	for ; use < 2 && len(items) <= pg.max; use, after = use+1, (store.PolicyEntity{}) {
		boundary := use == 1
		if (boundary && (in.PolicyUsageFilter == "PermissionsPolicy" || mp.PermissionsBoundaryUsageCount == 0)) ||
			(!boundary && in.PolicyUsageFilter == "PermissionsBoundary") {
			continue
		}
		opt := store.PolicyEntityOptions{AccountID: c.AccountID, PolicyID: mp.ID, Boundary: boundary, PolicyARN: policyARNOf(mp),
			Type: store.EntityType(in.EntityFilter), PathPrefix: in.PathPrefix, After: after, Limit: pg.max + 1 - len(items)}
		if boundary && in.PolicyUsageFilter == "" {
			opt.SkipAttached = true
		}
		es, err := s.store.PolicyUsage().Entities(ctx, opt)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			items = append(items, item{use, e})
		}
	}
	page, trunc, m := cut(pg, items, func(it item) string { return useCursor(it.use, it.e) })
	out.IsTruncated, out.Marker = ptr(trunc), m
	for _, it := range page {
		switch e := it.e; e.Type {
		case store.EntityUser:
			out.PolicyUsers = append(out.PolicyUsers, iamapi.PolicyUser{UserName: e.Name, UserId: e.ID})
		case store.EntityGroup:
			out.PolicyGroups = append(out.PolicyGroups, iamapi.PolicyGroup{GroupName: e.Name, GroupId: e.ID})
		case store.EntityRole:
			out.PolicyRoles = append(out.PolicyRoles, iamapi.PolicyRole{RoleName: e.Name, RoleId: e.ID})
		}
	}
	return out, nil
}

func useCursor(use int, e store.PolicyEntity) string {
	return strconv.Itoa(use) + "|" + string(e.Type) + "|" + e.ID
}

// parseUseCursor reads useCursor's form; anything else is AWS's "Invalid
// Marker.".
func parseUseCursor(after string) (int, store.PolicyEntity, error) {
	if after == "" {
		return 0, store.PolicyEntity{}, nil
	}
	parts := strings.Split(after, "|")
	if len(parts) != 3 || (parts[0] != "0" && parts[0] != "1") {
		return 0, store.PolicyEntity{}, awserr.ValidationError("Invalid Marker.")
	}
	return int(parts[0][0] - '0'), store.PolicyEntity{Type: store.EntityType(parts[1]), ID: parts[2]}, nil
}

func ignoreNotFound(err error) error {
	if isNotFound(err) {
		return nil
	}
	return err
}
