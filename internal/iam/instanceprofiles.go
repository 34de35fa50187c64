package iam

import (
	"context"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

func ipARNOf(p *store.InstanceProfile) string {
	return iamARN(p.AccountID, "instance-profile", p.Path, p.Name)
}

func noSuchIP(name string) *awserr.Error {
	return awserr.NoSuchEntity("Instance Profile %s cannot be found.", name)
}

// ipOut renders a profile with its role, looked up in r.
func ipOut(ctx context.Context, r store.Repos, p *store.InstanceProfile, tags bool) (iamapi.InstanceProfile, error) {
	out := iamapi.InstanceProfile{Path: p.Path, InstanceProfileName: p.Name, InstanceProfileId: p.ID, Arn: ipARNOf(p), CreateDate: p.CreatedAt, Roles: []iamapi.Role{}}
	if tags {
		out.Tags = tagsOut(p.Tags)
	}
	if p.RoleID != "" {
		role, err := r.Roles().GetByID(ctx, p.RoleID)
		if err != nil && !isNotFound(err) {
			return out, err
		}
		if role != nil {
			out.Roles = append(out.Roles, roleOut(role, false))
		}
	}
	return out, nil
}

// reloadIP re-reads a profile inside a transaction. The store finds profiles
// by name only, so the ID tells a profile recreated under the same name.
func reloadIP(ctx context.Context, tx store.Repos, p *store.InstanceProfile, _ string) (*store.InstanceProfile, error) {
	cur, err := tx.InstanceProfiles().Get(ctx, p.AccountID, p.Name)
	if err != nil || cur.ID != p.ID {
		return nil, notFoundAs(orNotFound(err), noSuchIP(p.Name))
	}
	return cur, nil
}

// updateIP authorizes action on the profile, then applies f to the current
// row inside a transaction.
func (s *Service) updateIP(ctx context.Context, c *auth.Caller, action, name string, f func(tx store.Repos, p *store.InstanceProfile) error, keys ...auth.Key) error {
	return ipKind.write(ctx, s, c, action, name, func(ctx context.Context, tx store.Repos, p *store.InstanceProfile) error {
		if err := f(tx, p); err != nil {
			return err
		}
		return tx.InstanceProfiles().Update(ctx, p)
	}, keys...)
}

func (s *Service) CreateInstanceProfile(ctx context.Context, c *auth.Caller, in *iamapi.CreateInstanceProfileInput) (*iamapi.CreateInstanceProfileOutput, error) {
	if err := checkPath(in.Path); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	path := pathOr(in.Path)
	if err := s.authorize(ctx, c, "CreateInstanceProfile", iamARN(c.AccountID, "instance-profile", path, in.InstanceProfileName), requestTagKeys(in.Tags)...); err != nil {
		return nil, err
	}
	id, err := s.newID(prefixInstanceProfile)
	if err != nil {
		return nil, err
	}
	p := &store.InstanceProfile{AccountID: c.AccountID, ID: id, Name: in.InstanceProfileName, Path: path, Tags: storeTags(in.Tags), CreatedAt: s.clock()}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := reserve(ctx, tx, store.CountInstanceProfiles, c.AccountID, p.ID); err != nil {
			return err
		}
		if err := tx.InstanceProfiles().Create(ctx, p); err != nil {
			if isExists(err) {
				return awserr.EntityAlreadyExists("Instance Profile %s already exists.", in.InstanceProfileName)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out, err := ipOut(ctx, s.store, p, true)
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateInstanceProfileOutput{InstanceProfile: ptr(out)}, nil
}

func (s *Service) GetInstanceProfile(ctx context.Context, c *auth.Caller, in *iamapi.GetInstanceProfileInput) (*iamapi.GetInstanceProfileOutput, error) {
	p, err := s.ipTarget(ctx, c, "GetInstanceProfile", in.InstanceProfileName)
	if err != nil {
		return nil, err
	}
	out, err := ipOut(ctx, s.store, p, true)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetInstanceProfileOutput{InstanceProfile: ptr(out)}, nil
}

func (s *Service) DeleteInstanceProfile(ctx context.Context, c *auth.Caller, in *iamapi.DeleteInstanceProfileInput) (*iamapi.DeleteInstanceProfileOutput, error) {
	p, err := s.ipTarget(ctx, c, "DeleteInstanceProfile", in.InstanceProfileName)
	if err != nil {
		return nil, err
	}
	return result[iamapi.DeleteInstanceProfileOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		cur, err := tx.InstanceProfiles().Get(ctx, p.AccountID, p.Name)
		if err != nil {
			return notFoundAs(err, noSuchIP(p.Name))
		}
		if cur.RoleID != "" {
			return awserr.DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		return tx.InstanceProfiles().Delete(ctx, cur.ID)
	}))
}

func (s *Service) ListInstanceProfiles(ctx context.Context, c *auth.Caller, in *iamapi.ListInstanceProfilesInput) (*iamapi.ListInstanceProfilesOutput, error) {
	if err := s.authorize(ctx, c, "ListInstanceProfiles", listARN(c.AccountID, "instance-profile")); err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.InstanceProfiles().List(ctx, c.AccountID, pg.opts(in.PathPrefix))
	if err != nil {
		return nil, err
	}
	ps, trunc, m := cut(pg, ps, func(p *store.InstanceProfile) string { return lower(p.Name) })
	return s.instanceProfilesPage(ctx, ps, trunc, m)
}

func (s *Service) AddRoleToInstanceProfile(ctx context.Context, c *auth.Caller, in *iamapi.AddRoleToInstanceProfileInput) (*iamapi.AddRoleToInstanceProfileOutput, error) {
	p, err := s.ipTarget(ctx, c, "AddRoleToInstanceProfile", in.InstanceProfileName)
	if err != nil {
		return nil, err
	}
	// The role is passed to EC2: the dependent iam:PassRole is checked on
	// its ARN (path "/" while it does not exist, so a denial does not
	// reveal whether it does), before the role's absence is reported.
	r, err := roleKind.get(ctx, s.store, c.AccountID, in.RoleName)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	roleARN := iamARN(c.AccountID, "role", "/", in.RoleName)
	if r != nil {
		roleARN = roleARNOf(r)
	}
	if err := s.passRole(ctx, c, roleARN, ec2Service, anyInstanceARN(c.AccountID)); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, noSuchRole(in.RoleName)
	}
	return result[iamapi.AddRoleToInstanceProfileOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		p, err := reloadIP(ctx, tx, p, in.InstanceProfileName)
		if err != nil {
			return err
		}
		// The role authorized above, not one recreated under its name
		// since (whose ARN the caller may not pass).
		cur, err := tx.Roles().Get(ctx, c.AccountID, in.RoleName)
		if err != nil || cur.ID != r.ID || roleARNOf(cur) != roleARN {
			return notFoundAs(orNotFound(err), noSuchRole(in.RoleName))
		}
		if p.RoleID != "" {
			return awserr.LimitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
		}
		p.RoleID = cur.ID
		return tx.InstanceProfiles().Update(ctx, p)
	}))
}

func (s *Service) RemoveRoleFromInstanceProfile(ctx context.Context, c *auth.Caller, in *iamapi.RemoveRoleFromInstanceProfileInput) (*iamapi.RemoveRoleFromInstanceProfileOutput, error) {
	return result[iamapi.RemoveRoleFromInstanceProfileOutput](s.updateIP(ctx, c, "RemoveRoleFromInstanceProfile", in.InstanceProfileName, func(tx store.Repos, p *store.InstanceProfile) error {
		r, err := tx.Roles().Get(ctx, c.AccountID, in.RoleName)
		if err != nil {
			return notFoundAs(err, noSuchRole(in.RoleName))
		}
		if p.RoleID != r.ID {
			return awserr.NoSuchEntity("The role with name %s cannot be found in instance profile %s.", in.RoleName, p.Name)
		}
		p.RoleID = ""
		return nil
	}))
}

func (s *Service) ListInstanceProfilesForRole(ctx context.Context, c *auth.Caller, in *iamapi.ListInstanceProfilesForRoleInput) (*iamapi.ListInstanceProfilesForRoleOutput, error) {
	r, err := s.roleTarget(ctx, c, "ListInstanceProfilesForRole", in.RoleName)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.InstanceProfiles().ListForRole(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	sortBy(ps, func(p *store.InstanceProfile) string { return lower(p.Name) })
	ps, trunc, m, _ := cutSlice(pg, ps, func(p *store.InstanceProfile) string { return lower(p.Name) })
	out, err := s.instanceProfilesPage(ctx, ps, trunc, m)
	return (*iamapi.ListInstanceProfilesForRoleOutput)(out), err
}

func (s *Service) TagInstanceProfile(ctx context.Context, c *auth.Caller, in *iamapi.TagInstanceProfileInput) (*iamapi.TagInstanceProfileOutput, error) {
	return result[iamapi.TagInstanceProfileOutput](s.ipTags().tag(ctx, c, "TagInstanceProfile", in.InstanceProfileName, in.Tags))
}

func (s *Service) UntagInstanceProfile(ctx context.Context, c *auth.Caller, in *iamapi.UntagInstanceProfileInput) (*iamapi.UntagInstanceProfileOutput, error) {
	return result[iamapi.UntagInstanceProfileOutput](s.ipTags().untag(ctx, c, "UntagInstanceProfile", in.InstanceProfileName, in.TagKeys))
}

func (s *Service) ListInstanceProfileTags(ctx context.Context, c *auth.Caller, in *iamapi.ListInstanceProfileTagsInput) (*iamapi.ListInstanceProfileTagsOutput, error) {
	out, err := s.ipTags().list(ctx, c, "ListInstanceProfileTags", in.InstanceProfileName, in.Marker, in.MaxItems)
	return (*iamapi.ListInstanceProfileTagsOutput)(out), err
}

// instanceProfilesPage is the output of both instance-profile list actions.
func (s *Service) instanceProfilesPage(ctx context.Context, ps []*store.InstanceProfile, trunc bool, marker string) (*iamapi.ListInstanceProfilesOutput, error) {
	out := &iamapi.ListInstanceProfilesOutput{InstanceProfiles: []iamapi.InstanceProfile{}, IsTruncated: ptr(trunc), Marker: marker}
	for _, p := range ps {
		ip, err := ipOut(ctx, s.store, p, false)
		if err != nil {
			return nil, err
		}
		out.InstanceProfiles = append(out.InstanceProfiles, ip)
	}
	return out, nil
}
