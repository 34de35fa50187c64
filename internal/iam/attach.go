package iam

import (
	"context"
	"net/http"
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

// ListEntitiesForPolicy lists attachments (PermissionsPolicy). Boundary use
// is only counted by the store, not indexed, so PermissionsBoundary usage
// scans the account's users and roles.
func (s *Service) ListEntitiesForPolicy(ctx context.Context, c *auth.Caller, in *iamapi.ListEntitiesForPolicyInput) (*iamapi.ListEntitiesForPolicyOutput, error) {
	mp, err := s.policyTarget(ctx, c, "ListEntitiesForPolicy", in.PolicyArn)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	type ent struct {
		typ  store.EntityType
		id   string
		name string
		path string
	}
	want := func(t store.EntityType) bool { return in.EntityFilter == "" || in.EntityFilter == string(t) }
	var ents []ent
	add := func(t store.EntityType, id string) error {
		if !want(t) {
			return nil
		}
		switch t {
		case store.EntityUser:
			u, err := s.store.Users().GetByID(ctx, id)
			if err != nil {
				return ignoreNotFound(err)
			}
			ents = append(ents, ent{t, u.ID, u.Name, u.Path})
		case store.EntityGroup:
			g, err := s.store.Groups().GetByID(ctx, id)
			if err != nil {
				return ignoreNotFound(err)
			}
			ents = append(ents, ent{t, g.ID, g.Name, g.Path})
		case store.EntityRole:
			r, err := s.store.Roles().GetByID(ctx, id)
			if err != nil {
				return ignoreNotFound(err)
			}
			ents = append(ents, ent{t, r.ID, r.Name, r.Path})
		}
		return nil
	}
	if in.PolicyUsageFilter != "PermissionsBoundary" {
		atts, err := s.store.Attachments().ListForPolicy(ctx, mp.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range atts {
			if err := add(a.EntityType, a.EntityID); err != nil {
				return nil, err
			}
		}
	}
	if in.PolicyUsageFilter != "PermissionsPolicy" && mp.PermissionsBoundaryUsageCount > 0 {
		arn := policyARNOf(mp)
		if want(store.EntityUser) {
			us, err := s.store.Users().List(ctx, c.AccountID, store.ListOptions{})
			if err != nil {
				return nil, err
			}
			for _, u := range us {
				if u.PermissionsBoundary == arn {
					ents = append(ents, ent{store.EntityUser, u.ID, u.Name, u.Path})
				}
			}
		}
		if want(store.EntityRole) {
			rs, err := s.store.Roles().List(ctx, c.AccountID, store.ListOptions{})
			if err != nil {
				return nil, err
			}
			for _, r := range rs {
				if r.PermissionsBoundary == arn {
					ents = append(ents, ent{store.EntityRole, r.ID, r.Name, r.Path})
				}
			}
		}
	}
	// Entities of other accounts attached to an AWS managed policy stay
	// invisible; so do entities outside PathPrefix. Order: type, then name.
	var kept []ent
	seen := map[string]bool{}
	for _, e := range ents {
		if seen[e.id] || (in.PathPrefix != "" && !hasPrefix(e.path, in.PathPrefix)) {
			continue
		}
		if !s.inAccount(ctx, e.typ, e.id, c.AccountID) {
			continue
		}
		seen[e.id] = true
		kept = append(kept, e)
	}
	sortBy(kept, func(e ent) string { return string(e.typ) + "|" + lower(e.name) })
	kept, trunc, m, _ := cutSlice(pg, kept, func(e ent) string { return string(e.typ) + "|" + lower(e.name) })
	out := &iamapi.ListEntitiesForPolicyOutput{PolicyGroups: []iamapi.PolicyGroup{}, PolicyUsers: []iamapi.PolicyUser{}, PolicyRoles: []iamapi.PolicyRole{}, IsTruncated: ptr(trunc), Marker: m}
	for _, e := range kept {
		switch e.typ {
		case store.EntityUser:
			out.PolicyUsers = append(out.PolicyUsers, iamapi.PolicyUser{UserName: e.name, UserId: e.id})
		case store.EntityGroup:
			out.PolicyGroups = append(out.PolicyGroups, iamapi.PolicyGroup{GroupName: e.name, GroupId: e.id})
		case store.EntityRole:
			out.PolicyRoles = append(out.PolicyRoles, iamapi.PolicyRole{RoleName: e.name, RoleId: e.id})
		}
	}
	return out, nil
}

// inAccount reports whether an entity belongs to the account; AWS managed
// policies are attached across accounts and each sees only its own.
func (s *Service) inAccount(ctx context.Context, t store.EntityType, id, account string) bool {
	switch t {
	case store.EntityUser:
		u, err := s.store.Users().GetByID(ctx, id)
		return err == nil && u.AccountID == account
	case store.EntityGroup:
		g, err := s.store.Groups().GetByID(ctx, id)
		return err == nil && g.AccountID == account
	}
	r, err := s.store.Roles().GetByID(ctx, id)
	return err == nil && r.AccountID == account
}

func ignoreNotFound(err error) error {
	if isNotFound(err) {
		return nil
	}
	return err
}
