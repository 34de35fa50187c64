package iam

import (
	"context"
	"regexp"
	"strings"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/sts"
	"github.com/mantle-iam/mantle/policy"
)

func roleARNOf(r *store.Role) string { return iamARN(r.AccountID, "role", r.Path, r.Name) }

// roleOut renders a role; full adds what GetRole reports and ListRoles
// leaves out (boundary, tags, last use).
func roleOut(r *store.Role, full bool) iamapi.Role {
	out := iamapi.Role{Path: r.Path, RoleName: r.Name, RoleId: r.ID, Arn: roleARNOf(r), CreateDate: r.CreatedAt,
		AssumeRolePolicyDocument: encodeDocument(r.TrustPolicy), Description: r.Description, MaxSessionDuration: optInt(r.MaxSessionDuration)}
	if full {
		out.PermissionsBoundary = boundaryOut(r.PermissionsBoundary)
		out.Tags = tagsOut(r.Tags)
		out.RoleLastUsed = &iamapi.RoleLastUsed{LastUsedDate: timeOf(r.LastUsedAt), Region: r.LastUsedRegion}
	}
	return out
}

func noSuchRole(name string) *awserr.Error {
	return awserr.NoSuchEntity("The role with name %s cannot be found.", name)
}

func reloadRole(ctx context.Context, tx store.Repos, id, name string) (*store.Role, error) {
	r, err := tx.Roles().GetByID(ctx, id)
	return r, notFoundAs(err, noSuchRole(name))
}

var principalARN = regexp.MustCompile(`^arn:aws:iam::(\d{12}):(user|role)(/.*)$`)

// checkTrustPolicy validates a trust policy and refuses AWS principals that
// name IAM users or roles which do not exist, as IAM does when it resolves
// them to unique IDs.
func (s *Service) checkTrustPolicy(ctx context.Context, doc string) error {
	if err := checkDocument(doc, policy.UseTrust); err != nil {
		return err
	}
	if err := policyErr(policy.CheckTrustPolicySize(doc, 0)); err != nil {
		return err
	}
	for _, p := range awsPrincipals(doc) {
		if !s.principalExists(ctx, p) {
			return awserr.MalformedPolicyDocument("Invalid principal in policy: \"AWS\":\"%s\"", p)
		}
	}
	return nil
}

var (
	accountIDRe   = regexp.MustCompile(`^\d{12}$`)
	rootARNRe     = regexp.MustCompile(`^arn:aws:iam::\d{12}:root$`)
	stsSessionRe  = regexp.MustCompile(`^arn:aws:sts::\d{12}:(assumed-role|federated-user)/[\w+=,.@/-]+$`)
	uniqueIDRe    = regexp.MustCompile(`^(AIDA|AROA)[A-Z2-7]{17}$`)
	principalPath = regexp.MustCompile(`^(/|/[\x21-\x7e]*/)?[\w+=,.@-]+$`)
)

func (s *Service) principalExists(ctx context.Context, p string) bool {
	switch {
	case p == "*", accountIDRe.MatchString(p), rootARNRe.MatchString(p), stsSessionRe.MatchString(p):
		return true
	case uniqueIDRe.MatchString(p):
		if strings.HasPrefix(p, prefixUser) {
			_, err := s.store.Users().GetByID(ctx, p)
			return err == nil
		}
		_, err := s.store.Roles().GetByID(ctx, p)
		return err == nil
	}
	m := principalARN.FindStringSubmatch(p)
	if m == nil || !principalPath.MatchString(m[3]) {
		return false
	}
	rest := m[3]
	i := strings.LastIndex(rest, "/")
	path, name := rest[:i+1], rest[i+1:]
	if m[2] == "user" {
		u, err := s.store.Users().Get(ctx, m[1], name)
		return err == nil && u.Path == path && u.Name == name
	}
	r, err := s.store.Roles().Get(ctx, m[1], name)
	return err == nil && r.Path == path && r.Name == name
}

func checkMaxSession(v *int) error {
	if v == nil {
		return nil
	}
	if *v < 3600 {
		return awserr.ValidationError("1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600", *v)
	}
	if *v > 43200 {
		return awserr.ValidationError("1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200", *v)
	}
	return nil
}

func (s *Service) CreateRole(ctx context.Context, c *auth.Caller, in *iamapi.CreateRoleInput) (*iamapi.CreateRoleOutput, error) {
	if err := checkPath(in.Path); err != nil {
		return nil, err
	}
	if err := checkRolePath(in.Path); err != nil {
		return nil, err
	}
	if err := checkMaxSession(in.MaxSessionDuration); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	path := pathOr(in.Path)
	keys := requestTagKeys(in.Tags)
	if in.PermissionsBoundary != "" {
		keys = append(keys, auth.Key{Name: "iam:PermissionsBoundary", Values: []string{in.PermissionsBoundary}})
	}
	if err := s.authorize(ctx, c, "CreateRole", iamARN(c.AccountID, "role", path, in.RoleName), keys...); err != nil {
		return nil, err
	}
	if err := s.checkTrustPolicy(ctx, in.AssumeRolePolicyDocument); err != nil {
		return nil, err
	}
	if in.PermissionsBoundary != "" {
		if _, err := s.boundaryPolicy(ctx, s.store, c.AccountID, in.PermissionsBoundary); err != nil {
			return nil, err
		}
	}
	id, err := s.newID(prefixRole)
	if err != nil {
		return nil, err
	}
	r := &store.Role{AccountID: c.AccountID, ID: id, Name: in.RoleName, Path: path, TrustPolicy: in.AssumeRolePolicyDocument,
		Description: in.Description, MaxSessionDuration: 3600, PermissionsBoundary: in.PermissionsBoundary,
		Tags: storeTags(in.Tags), CreatedAt: s.clock()}
	if in.MaxSessionDuration != nil {
		r.MaxSessionDuration = *in.MaxSessionDuration
	}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := createRole(ctx, tx, r, awserr.EntityAlreadyExists("Role with name %s already exists.", in.RoleName)); err != nil {
			return err
		}
		return s.countBoundary(ctx, tx, c.AccountID, "", r.PermissionsBoundary)
	})
	if err != nil {
		return nil, err
	}
	// CreateRole reports neither last use nor MaxSessionDuration, which
	// GetRole does (localstack's recorded AWS snapshots,
	// test_iam_roles.snapshot.json).
	out := roleOut(r, true)
	out.RoleLastUsed, out.MaxSessionDuration = nil, nil
	return &iamapi.CreateRoleOutput{Role: ptr(out)}, nil
}

// createRole stores a new role within the account's quota; taken is the
// error for a name already in use.
func createRole(ctx context.Context, tx store.Repos, r *store.Role, taken error) error {
	if n, err := tx.Roles().Count(ctx, r.AccountID); err != nil {
		return err
	} else if n >= quotaRoles {
		return awserr.LimitExceeded("Cannot exceed quota for RolesPerAccount: %d", quotaRoles)
	}
	if err := tx.Roles().Create(ctx, r); err != nil {
		if isExists(err) {
			return taken
		}
		return err
	}
	return nil
}

func (s *Service) GetRole(ctx context.Context, c *auth.Caller, in *iamapi.GetRoleInput) (*iamapi.GetRoleOutput, error) {
	r, err := s.roleTarget(ctx, c, "GetRole", in.RoleName)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetRoleOutput{Role: ptr(roleOut(r, true))}, nil
}

func (s *Service) UpdateRole(ctx context.Context, c *auth.Caller, in *iamapi.UpdateRoleInput) (*iamapi.UpdateRoleOutput, error) {
	if err := checkMaxSession(in.MaxSessionDuration); err != nil {
		return nil, err
	}
	return result[iamapi.UpdateRoleOutput](s.updateRole(ctx, c, "UpdateRole", in.RoleName, func(r *store.Role) error {
		if in.Description != "" || in.Sent("Description") {
			r.Description = in.Description
		}
		if in.MaxSessionDuration != nil {
			r.MaxSessionDuration = *in.MaxSessionDuration
		}
		return nil
	}))
}

// updateRole authorizes action on the role, then applies f to the current
// row inside a transaction.
func (s *Service) updateRole(ctx context.Context, c *auth.Caller, action, name string, f func(*store.Role) error, keys ...auth.Key) error {
	return roleKind.write(ctx, s, c, action, name, func(ctx context.Context, tx store.Repos, r *store.Role) error {
		old := r.PermissionsBoundary
		if err := f(r); err != nil {
			return err
		}
		if err := s.countBoundary(ctx, tx, r.AccountID, old, r.PermissionsBoundary); err != nil {
			return err
		}
		return tx.Roles().Update(ctx, r)
	}, keys...)
}

func (s *Service) UpdateRoleDescription(ctx context.Context, c *auth.Caller, in *iamapi.UpdateRoleDescriptionInput) (*iamapi.UpdateRoleDescriptionOutput, error) {
	var out *store.Role
	err := s.updateRole(ctx, c, "UpdateRoleDescription", in.RoleName, func(r *store.Role) error {
		r.Description = in.Description
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	ro := roleOut(out, true)
	ro.RoleLastUsed, ro.MaxSessionDuration = nil, nil // as CreateRole's
	return &iamapi.UpdateRoleDescriptionOutput{Role: ptr(ro)}, nil
}

func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, c *auth.Caller, in *iamapi.UpdateAssumeRolePolicyInput) (*iamapi.UpdateAssumeRolePolicyOutput, error) {
	if r, err := s.roleTarget(ctx, c, "UpdateAssumeRolePolicy", in.RoleName); err != nil {
		return nil, err
	} else if err := modifiableRole(r); err != nil {
		return nil, err
	}
	if err := s.checkTrustPolicy(ctx, in.PolicyDocument); err != nil {
		return nil, err
	}
	return result[iamapi.UpdateAssumeRolePolicyOutput](s.updateRole(ctx, c, "UpdateAssumeRolePolicy", in.RoleName, func(r *store.Role) error {
		r.TrustPolicy = in.PolicyDocument
		return nil
	}))
}

func (s *Service) DeleteRole(ctx context.Context, c *auth.Caller, in *iamapi.DeleteRoleInput) (*iamapi.DeleteRoleOutput, error) {
	return result[iamapi.DeleteRoleOutput](roleKind.write(ctx, s, c, "DeleteRole", in.RoleName, func(ctx context.Context, tx store.Repos, r *store.Role) error {
		if err := modifiableRole(r); err != nil {
			return err
		}
		if ips, err := tx.InstanceProfiles().ListForRole(ctx, r.ID); err != nil {
			return err
		} else if len(ips) > 0 {
			return awserr.DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		if err := policiesConflict(ctx, tx, store.EntityRole, r.ID); err != nil {
			return err
		}
		if err := s.countBoundary(ctx, tx, r.AccountID, r.PermissionsBoundary, ""); err != nil {
			return err
		}
		return tx.Roles().Delete(ctx, r.ID)
	}))
}

func (s *Service) ListRoles(ctx context.Context, c *auth.Caller, in *iamapi.ListRolesInput) (*iamapi.ListRolesOutput, error) {
	if err := s.authorize(ctx, c, "ListRoles", listARN(c.AccountID, "role")); err != nil {
		return nil, err
	}
	rs, trunc, m, err := listPage(in.Marker, in.MaxItems, in.PathPrefix,
		func(o store.ListOptions) ([]*store.Role, error) { return s.store.Roles().List(ctx, c.AccountID, o) },
		func(r *store.Role) string { return lower(r.Name) },
		func(r *store.Role) iamapi.Role { return roleOut(r, false) })
	if err != nil {
		return nil, err
	}
	return &iamapi.ListRolesOutput{Roles: rs, IsTruncated: ptr(trunc), Marker: m}, nil
}

func (s *Service) TagRole(ctx context.Context, c *auth.Caller, in *iamapi.TagRoleInput) (*iamapi.TagRoleOutput, error) {
	return result[iamapi.TagRoleOutput](s.roleTags().tag(ctx, c, "TagRole", in.RoleName, in.Tags))
}

func (s *Service) UntagRole(ctx context.Context, c *auth.Caller, in *iamapi.UntagRoleInput) (*iamapi.UntagRoleOutput, error) {
	return result[iamapi.UntagRoleOutput](s.roleTags().untag(ctx, c, "UntagRole", in.RoleName, in.TagKeys))
}

func (s *Service) ListRoleTags(ctx context.Context, c *auth.Caller, in *iamapi.ListRoleTagsInput) (*iamapi.ListRoleTagsOutput, error) {
	out, err := s.roleTags().list(ctx, c, "ListRoleTags", in.RoleName, in.Marker, in.MaxItems)
	return (*iamapi.ListRoleTagsOutput)(out), err
}

func (s *Service) PutRolePermissionsBoundary(ctx context.Context, c *auth.Caller, in *iamapi.PutRolePermissionsBoundaryInput) (*iamapi.PutRolePermissionsBoundaryOutput, error) {
	key := auth.Key{Name: "iam:PermissionsBoundary", Values: []string{in.PermissionsBoundary}}
	if r, err := s.roleTarget(ctx, c, "PutRolePermissionsBoundary", in.RoleName, key); err != nil {
		return nil, err
	} else if err := modifiableRole(r); err != nil {
		return nil, err
	}
	if _, err := s.boundaryPolicy(ctx, s.store, c.AccountID, in.PermissionsBoundary); err != nil {
		return nil, err
	}
	return result[iamapi.PutRolePermissionsBoundaryOutput](s.updateRole(ctx, c, "PutRolePermissionsBoundary", in.RoleName, func(r *store.Role) error {
		r.PermissionsBoundary = in.PermissionsBoundary
		return nil
	}, key))
}

func (s *Service) DeleteRolePermissionsBoundary(ctx context.Context, c *auth.Caller, in *iamapi.DeleteRolePermissionsBoundaryInput) (*iamapi.DeleteRolePermissionsBoundaryOutput, error) {
	return result[iamapi.DeleteRolePermissionsBoundaryOutput](s.updateRole(ctx, c, "DeleteRolePermissionsBoundary", in.RoleName, func(r *store.Role) error {
		if err := modifiableRole(r); err != nil {
			return err
		}
		if r.PermissionsBoundary == "" {
			return awserr.NoSuchEntity("The permissions boundary for role with name %s cannot be found.", in.RoleName)
		}
		r.PermissionsBoundary = ""
		return nil
	}))
}

// GetRoleByARN returns the role an STS AssumeRole* call names. The path in
// the ARN must match the role's.
func (s *Service) GetRoleByARN(ctx context.Context, arn string) (*store.Role, error) {
	m := principalARN.FindStringSubmatch(arn)
	if m == nil || m[2] != "role" {
		return nil, awserr.ValidationError("%s is not a valid role ARN", arn)
	}
	rest := m[3]
	i := strings.LastIndex(rest, "/")
	r, err := s.store.Roles().Get(ctx, m[1], rest[i+1:])
	if err != nil {
		return nil, notFoundAs(err, noSuchRole(rest[i+1:]))
	}
	if r.Path != rest[:i+1] || r.Name != rest[i+1:] {
		return nil, noSuchRole(rest[i+1:])
	}
	return r, nil
}

// GetRoleByID returns a role by its AROA… unique ID.
func (s *Service) GetRoleByID(ctx context.Context, id string) (*store.Role, error) {
	r, err := s.store.Roles().GetByID(ctx, id)
	return r, notFoundAs(err, awserr.NoSuchEntity("The role with id %s cannot be found.", id))
}

// RoleARN returns a role's ARN with its path.
func RoleARN(r *store.Role) string { return roleARNOf(r) }

// RecordRoleUse notes a successful AssumeRole* of the role, for GetRole's
// RoleLastUsed.
func (s *Service) RecordRoleUse(ctx context.Context, roleID, region string) error {
	return s.RecordRoleUses(ctx, []sts.RoleUse{{RoleID: roleID, Region: region}})
}

// RecordRoleUses notes successful AssumeRole* calls, one statement per
// region: STS batches them, once a minute per role, so the store writes
// what it is given without reading the roles first. It is bookkeeping
// (store.Tx), not a change.
func (s *Service) RecordRoleUses(ctx context.Context, uses []sts.RoleUse) error {
	now := s.clock()
	byRegion := map[string][]string{}
	for _, u := range uses {
		byRegion[u.Region] = append(byRegion[u.Region], u.RoleID)
	}
	return s.store.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		for region, ids := range byRegion {
			if err := tx.Roles().SetLastUsed(ctx, now, region, ids); err != nil {
				return err
			}
		}
		return nil
	})
}
