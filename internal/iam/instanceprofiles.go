package iam

import (
	"context"
	"github.com/mantle-iam/mantle/internal/awsproto"
	"time"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// InstanceProfile is AWS's InstanceProfile shape.
type InstanceProfile struct {
	Path                string             `xml:"Path"`
	InstanceProfileName string             `xml:"InstanceProfileName"`
	InstanceProfileId   string             `xml:"InstanceProfileId"`
	Arn                 string             `xml:"Arn"`
	CreateDate          time.Time          `xml:"CreateDate"`
	Roles               []Role             `xml:"Roles>member"`
	Tags                awsproto.List[Tag] `xml:"Tags,omitempty"`
}

func ipARNOf(p *store.InstanceProfile) string {
	return iamARN(p.AccountID, "instance-profile", p.Path, p.Name)
}

func noSuchIP(name string) *awserr.Error {
	return awserr.NoSuchEntity("Instance Profile %s cannot be found.", name)
}

// ipOut renders a profile with its role, looked up in r.
func ipOut(ctx context.Context, r store.Repos, p *store.InstanceProfile, tags bool) (InstanceProfile, error) {
	out := InstanceProfile{Path: p.Path, InstanceProfileName: p.Name, InstanceProfileId: p.ID, Arn: ipARNOf(p), CreateDate: p.CreatedAt, Roles: []Role{}}
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

type CreateInstanceProfileInput struct {
	InstanceProfileName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	Path                string `aws:"min=1,max=512" pattern:"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"`
	Tags                []Tag  `aws:"max=50"`
}

type CreateInstanceProfileOutput struct {
	InstanceProfile InstanceProfile `xml:"InstanceProfile"`
}

func (s *Service) CreateInstanceProfile(ctx context.Context, c *auth.Caller, in *CreateInstanceProfileInput) (*CreateInstanceProfileOutput, error) {
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
		if n, err := tx.InstanceProfiles().Count(ctx, c.AccountID); err != nil {
			return err
		} else if n >= quotaInstanceProfiles {
			return awserr.LimitExceeded("Cannot exceed quota for InstanceProfilesPerAccount: %d", quotaInstanceProfiles)
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
	return &CreateInstanceProfileOutput{InstanceProfile: out}, nil
}

type GetInstanceProfileInput struct {
	InstanceProfileName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
}

type GetInstanceProfileOutput struct {
	InstanceProfile InstanceProfile `xml:"InstanceProfile"`
}

func (s *Service) GetInstanceProfile(ctx context.Context, c *auth.Caller, in *GetInstanceProfileInput) (*GetInstanceProfileOutput, error) {
	p, err := s.ipTarget(ctx, c, "GetInstanceProfile", in.InstanceProfileName)
	if err != nil {
		return nil, err
	}
	out, err := ipOut(ctx, s.store, p, true)
	if err != nil {
		return nil, err
	}
	return &GetInstanceProfileOutput{InstanceProfile: out}, nil
}

type DeleteInstanceProfileInput struct {
	InstanceProfileName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
}

type DeleteInstanceProfileOutput struct{}

func (s *Service) DeleteInstanceProfile(ctx context.Context, c *auth.Caller, in *DeleteInstanceProfileInput) (*DeleteInstanceProfileOutput, error) {
	p, err := s.ipTarget(ctx, c, "DeleteInstanceProfile", in.InstanceProfileName)
	if err != nil {
		return nil, err
	}
	return result[DeleteInstanceProfileOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
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

type ListInstanceProfilesInput struct {
	PathPrefix string `aws:"min=1,max=512" pattern:"\u002F[\u0021-\u007F]*"`
	Marker     string `aws:"min=1,max=320" pattern:"[\u0020-\u00FF]+"`
	MaxItems   *int   `aws:"min=1,max=1000"`
}

type ListInstanceProfilesOutput struct {
	InstanceProfiles []InstanceProfile `xml:"InstanceProfiles>member"`
	IsTruncated      bool              `xml:"IsTruncated"`
	Marker           string            `xml:"Marker,omitempty"`
}

func (s *Service) ListInstanceProfiles(ctx context.Context, c *auth.Caller, in *ListInstanceProfilesInput) (*ListInstanceProfilesOutput, error) {
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

type AddRoleToInstanceProfileInput struct {
	InstanceProfileName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	RoleName            string `aws:"required,min=1,max=64" pattern:"[\\w+=,.@-]+"`
}

type AddRoleToInstanceProfileOutput struct{}

func (s *Service) AddRoleToInstanceProfile(ctx context.Context, c *auth.Caller, in *AddRoleToInstanceProfileInput) (*AddRoleToInstanceProfileOutput, error) {
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
	return result[AddRoleToInstanceProfileOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
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

type RemoveRoleFromInstanceProfileInput struct {
	InstanceProfileName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	RoleName            string `aws:"required,min=1,max=64" pattern:"[\\w+=,.@-]+"`
}

type RemoveRoleFromInstanceProfileOutput struct{}

func (s *Service) RemoveRoleFromInstanceProfile(ctx context.Context, c *auth.Caller, in *RemoveRoleFromInstanceProfileInput) (*RemoveRoleFromInstanceProfileOutput, error) {
	return result[RemoveRoleFromInstanceProfileOutput](s.updateIP(ctx, c, "RemoveRoleFromInstanceProfile", in.InstanceProfileName, func(tx store.Repos, p *store.InstanceProfile) error {
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

type ListInstanceProfilesForRoleInput struct {
	RoleName string `aws:"required,min=1,max=64" pattern:"[\\w+=,.@-]+"`
	Marker   string `aws:"min=1,max=320" pattern:"[\u0020-\u00FF]+"`
	MaxItems *int   `aws:"min=1,max=1000"`
}

type ListInstanceProfilesForRoleOutput = ListInstanceProfilesOutput

func (s *Service) ListInstanceProfilesForRole(ctx context.Context, c *auth.Caller, in *ListInstanceProfilesForRoleInput) (*ListInstanceProfilesForRoleOutput, error) {
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
	return s.instanceProfilesPage(ctx, ps, trunc, m)
}

type TagInstanceProfileInput struct {
	InstanceProfileName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	Tags                []Tag  `aws:"required,max=50"`
}

type TagInstanceProfileOutput struct{}

func (s *Service) TagInstanceProfile(ctx context.Context, c *auth.Caller, in *TagInstanceProfileInput) (*TagInstanceProfileOutput, error) {
	return result[TagInstanceProfileOutput](s.ipTags().tag(ctx, c, "TagInstanceProfile", in.InstanceProfileName, in.Tags))
}

type UntagInstanceProfileInput struct {
	InstanceProfileName string   `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	TagKeys             []string `aws:"required,max=50"`
}

type UntagInstanceProfileOutput struct{}

func (s *Service) UntagInstanceProfile(ctx context.Context, c *auth.Caller, in *UntagInstanceProfileInput) (*UntagInstanceProfileOutput, error) {
	return result[UntagInstanceProfileOutput](s.ipTags().untag(ctx, c, "UntagInstanceProfile", in.InstanceProfileName, in.TagKeys))
}

type ListInstanceProfileTagsInput struct {
	InstanceProfileName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	Marker              string `aws:"min=1,max=320" pattern:"[\u0020-\u00FF]+"`
	MaxItems            *int   `aws:"min=1,max=1000"`
}

type ListInstanceProfileTagsOutput = ListTagsOutput

func (s *Service) ListInstanceProfileTags(ctx context.Context, c *auth.Caller, in *ListInstanceProfileTagsInput) (*ListInstanceProfileTagsOutput, error) {
	return s.ipTags().list(ctx, c, "ListInstanceProfileTags", in.InstanceProfileName, in.Marker, in.MaxItems)
}

// instanceProfilesPage is the output of both instance-profile list actions.
func (s *Service) instanceProfilesPage(ctx context.Context, ps []*store.InstanceProfile, trunc bool, marker string) (*ListInstanceProfilesOutput, error) {
	out := &ListInstanceProfilesOutput{InstanceProfiles: []InstanceProfile{}, IsTruncated: trunc, Marker: marker}
	for _, p := range ps {
		ip, err := ipOut(ctx, s.store, p, false)
		if err != nil {
			return nil, err
		}
		out.InstanceProfiles = append(out.InstanceProfiles, ip)
	}
	return out, nil
}
