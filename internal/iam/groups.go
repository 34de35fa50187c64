package iam

import (
	"context"
	"time"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// Group is AWS's Group shape.
type Group struct {
	Path       string    `xml:"Path"`
	GroupName  string    `xml:"GroupName"`
	GroupId    string    `xml:"GroupId"`
	Arn        string    `xml:"Arn"`
	CreateDate time.Time `xml:"CreateDate"`
}

func groupARNOf(g *store.Group) string { return iamARN(g.AccountID, "group", g.Path, g.Name) }

func groupOut(g *store.Group) Group {
	return Group{Path: g.Path, GroupName: g.Name, GroupId: g.ID, Arn: groupARNOf(g), CreateDate: g.CreatedAt}
}

func noSuchGroup(name string) *awserr.Error {
	return awserr.NoSuchEntity("The group with name %s cannot be found.", name)
}

func reloadGroup(ctx context.Context, tx store.Repos, id, name string) (*store.Group, error) {
	g, err := tx.Groups().GetByID(ctx, id)
	return g, notFoundAs(err, noSuchGroup(name))
}

type CreateGroupInput struct {
	GroupName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	Path      string `aws:"min=1,max=512" pattern:"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"`
}

type CreateGroupOutput struct {
	Group Group `xml:"Group"`
}

func (s *Service) CreateGroup(ctx context.Context, c *auth.Caller, in *CreateGroupInput) (*CreateGroupOutput, error) {
	if err := checkPath(in.Path); err != nil {
		return nil, err
	}
	path := pathOr(in.Path)
	if err := s.authorize(ctx, c, "CreateGroup", iamARN(c.AccountID, "group", path, in.GroupName)); err != nil {
		return nil, err
	}
	id, err := s.newID(prefixGroup)
	if err != nil {
		return nil, err
	}
	g := &store.Group{AccountID: c.AccountID, ID: id, Name: in.GroupName, Path: path, CreatedAt: s.clock()}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if n, err := tx.Groups().Count(ctx, c.AccountID); err != nil {
			return err
		} else if n >= quotaGroups {
			return awserr.LimitExceeded("Cannot exceed quota for GroupsPerAccount: %d", quotaGroups)
		}
		if err := tx.Groups().Create(ctx, g); err != nil {
			if isExists(err) {
				return awserr.EntityAlreadyExists("Group with name %s already exists.", in.GroupName)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &CreateGroupOutput{Group: groupOut(g)}, nil
}

type GetGroupInput struct {
	GroupName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	Marker    string `aws:"min=1,max=320" pattern:"[\u0020-\u00FF]+"`
	MaxItems  *int   `aws:"min=1,max=1000"`
}

type GetGroupOutput struct {
	Group       Group  `xml:"Group"`
	Users       []User `xml:"Users>member"`
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

func (s *Service) GetGroup(ctx context.Context, c *auth.Caller, in *GetGroupInput) (*GetGroupOutput, error) {
	g, err := s.groupTarget(ctx, c, "GetGroup", in.GroupName)
	if err != nil {
		return nil, err
	}
	us, trunc, m, err := listPage(in.Marker, in.MaxItems, "",
		func(o store.ListOptions) ([]*store.User, error) { return s.store.Groups().ListMembers(ctx, g.ID, o) },
		userCursor,
		func(u *store.User) User { return userOut(u, false) })
	if err != nil {
		return nil, err
	}
	return &GetGroupOutput{Group: groupOut(g), Users: us, IsTruncated: trunc, Marker: m}, nil
}

type UpdateGroupInput struct {
	GroupName    string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	NewPath      string `aws:"min=1,max=512" pattern:"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"`
	NewGroupName string `aws:"min=1,max=128" pattern:"[\\w+=,.@-]+"`
}

type UpdateGroupOutput struct{}

func (s *Service) UpdateGroup(ctx context.Context, c *auth.Caller, in *UpdateGroupInput) (*UpdateGroupOutput, error) {
	if err := checkPath(in.NewPath); err != nil {
		return nil, err
	}
	return result[UpdateGroupOutput](groupKind.rename(ctx, s, c, "UpdateGroup", in.GroupName, in.NewGroupName, in.NewPath, func(ctx context.Context, tx store.Repos, g *store.Group) error {
		if in.NewGroupName != "" {
			g.Name = in.NewGroupName
		}
		if in.NewPath != "" {
			g.Path = in.NewPath
		}
		if err := tx.Groups().Update(ctx, g); err != nil {
			if isExists(err) {
				return awserr.EntityAlreadyExists("Group with name %s already exists.", in.NewGroupName)
			}
			return err
		}
		return nil
	}))
}

type DeleteGroupInput struct {
	GroupName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
}

type DeleteGroupOutput struct{}

func (s *Service) DeleteGroup(ctx context.Context, c *auth.Caller, in *DeleteGroupInput) (*DeleteGroupOutput, error) {
	return result[DeleteGroupOutput](groupKind.write(ctx, s, c, "DeleteGroup", in.GroupName, func(ctx context.Context, tx store.Repos, g *store.Group) error {
		if us, err := tx.Groups().ListMembers(ctx, g.ID, store.ListOptions{Limit: 1}); err != nil {
			return err
		} else if len(us) > 0 {
			return awserr.DeleteConflict("Cannot delete entity, must remove users from group first.")
		}
		if err := policiesConflict(ctx, tx, store.EntityGroup, g.ID); err != nil {
			return err
		}
		return tx.Groups().Delete(ctx, g.ID)
	}))
}

type ListGroupsInput struct {
	PathPrefix string `aws:"min=1,max=512" pattern:"\u002F[\u0021-\u007F]*"`
	Marker     string `aws:"min=1,max=320" pattern:"[\u0020-\u00FF]+"`
	MaxItems   *int   `aws:"min=1,max=1000"`
}

type ListGroupsOutput struct {
	Groups      []Group `xml:"Groups>member"`
	IsTruncated bool    `xml:"IsTruncated"`
	Marker      string  `xml:"Marker,omitempty"`
}

func (s *Service) ListGroups(ctx context.Context, c *auth.Caller, in *ListGroupsInput) (*ListGroupsOutput, error) {
	if err := s.authorize(ctx, c, "ListGroups", listARN(c.AccountID, "group")); err != nil {
		return nil, err
	}
	gs, trunc, m, err := listPage(in.Marker, in.MaxItems, in.PathPrefix,
		func(o store.ListOptions) ([]*store.Group, error) { return s.store.Groups().List(ctx, c.AccountID, o) },
		groupCursor, groupOut)
	if err != nil {
		return nil, err
	}
	return &ListGroupsOutput{Groups: gs, IsTruncated: trunc, Marker: m}, nil
}

// groupCursor orders groups in listings and is their page cursor.
func groupCursor(g *store.Group) string { return lower(g.Name) }

type AddUserToGroupInput struct {
	GroupName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	UserName  string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
}

type AddUserToGroupOutput struct{}

func (s *Service) AddUserToGroup(ctx context.Context, c *auth.Caller, in *AddUserToGroupInput) (*AddUserToGroupOutput, error) {
	return result[AddUserToGroupOutput](groupKind.write(ctx, s, c, "AddUserToGroup", in.GroupName, func(ctx context.Context, tx store.Repos, g *store.Group) error {
		u, err := tx.Users().Get(ctx, c.AccountID, in.UserName)
		if err != nil {
			return notFoundAs(err, noSuchUser(in.UserName))
		}
		cur, err := tx.Groups().ListForUser(ctx, u.ID, store.ListOptions{})
		if err != nil {
			return err
		}
		for _, cg := range cur {
			if cg.ID == g.ID {
				return nil
			}
		}
		if len(cur) >= quotaGroupsPerUser {
			return awserr.LimitExceeded("Cannot exceed quota for GroupsPerUser: %d", quotaGroupsPerUser)
		}
		return tx.Groups().AddMember(ctx, g.ID, u.ID)
	}))
}

type RemoveUserFromGroupInput struct {
	GroupName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	UserName  string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
}

type RemoveUserFromGroupOutput struct{}

func (s *Service) RemoveUserFromGroup(ctx context.Context, c *auth.Caller, in *RemoveUserFromGroupInput) (*RemoveUserFromGroupOutput, error) {
	return result[RemoveUserFromGroupOutput](groupKind.write(ctx, s, c, "RemoveUserFromGroup", in.GroupName, func(ctx context.Context, tx store.Repos, g *store.Group) error {
		u, err := tx.Users().Get(ctx, c.AccountID, in.UserName)
		if err != nil {
			return notFoundAs(err, noSuchUser(in.UserName))
		}
		return notFoundAs(tx.Groups().RemoveMember(ctx, g.ID, u.ID), noSuchUser(in.UserName))
	}))
}

type ListGroupsForUserInput struct {
	UserName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	Marker   string `aws:"min=1,max=320" pattern:"[\u0020-\u00FF]+"`
	MaxItems *int   `aws:"min=1,max=1000"`
}

type ListGroupsForUserOutput struct {
	Groups      []Group `xml:"Groups>member"`
	IsTruncated bool    `xml:"IsTruncated"`
	Marker      string  `xml:"Marker,omitempty"`
}

func (s *Service) ListGroupsForUser(ctx context.Context, c *auth.Caller, in *ListGroupsForUserInput) (*ListGroupsForUserOutput, error) {
	u, err := s.userTarget(ctx, c, "ListGroupsForUser", in.UserName)
	if err != nil {
		return nil, err
	}
	gs, trunc, m, err := listPage(in.Marker, in.MaxItems, "",
		func(o store.ListOptions) ([]*store.Group, error) { return s.store.Groups().ListForUser(ctx, u.ID, o) },
		groupCursor, groupOut)
	if err != nil {
		return nil, err
	}
	return &ListGroupsForUserOutput{Groups: gs, IsTruncated: trunc, Marker: m}, nil
}
