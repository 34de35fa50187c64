package iam

import (
	"context"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

func groupARNOf(g *store.Group) string { return iamARN(g.AccountID, "group", g.Path, g.Name) }

func groupOut(g *store.Group) iamapi.Group {
	return iamapi.Group{Path: g.Path, GroupName: g.Name, GroupId: g.ID, Arn: groupARNOf(g), CreateDate: g.CreatedAt}
}

func noSuchGroup(name string) *awserr.Error {
	return awserr.NoSuchEntity("The group with name %s cannot be found.", name)
}

func reloadGroup(ctx context.Context, tx store.Repos, id, name string) (*store.Group, error) {
	g, err := tx.Groups().GetByID(ctx, id)
	return g, notFoundAs(err, noSuchGroup(name))
}

func (s *Service) CreateGroup(ctx context.Context, c *auth.Caller, in *iamapi.CreateGroupInput) (*iamapi.CreateGroupOutput, error) {
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
		if err := reserve(ctx, tx, store.CountGroups, c.AccountID, g.ID); err != nil {
			return err
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
	return &iamapi.CreateGroupOutput{Group: ptr(groupOut(g))}, nil
}

func (s *Service) GetGroup(ctx context.Context, c *auth.Caller, in *iamapi.GetGroupInput) (*iamapi.GetGroupOutput, error) {
	g, err := s.groupTarget(ctx, c, "GetGroup", in.GroupName)
	if err != nil {
		return nil, err
	}
	us, trunc, m, err := listPage(in.Marker, in.MaxItems, "",
		func(o store.ListOptions) ([]*store.User, error) { return s.store.Groups().ListMembers(ctx, g.ID, o) },
		userCursor,
		func(u *store.User) iamapi.User { return userOut(u, false) })
	if err != nil {
		return nil, err
	}
	return &iamapi.GetGroupOutput{Group: ptr(groupOut(g)), Users: us, IsTruncated: ptr(trunc), Marker: m}, nil
}

func (s *Service) UpdateGroup(ctx context.Context, c *auth.Caller, in *iamapi.UpdateGroupInput) (*iamapi.UpdateGroupOutput, error) {
	if err := checkPath(in.NewPath); err != nil {
		return nil, err
	}
	return result[iamapi.UpdateGroupOutput](groupKind.rename(ctx, s, c, "UpdateGroup", in.GroupName, in.NewGroupName, in.NewPath, func(ctx context.Context, tx store.Repos, g *store.Group) error {
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

func (s *Service) DeleteGroup(ctx context.Context, c *auth.Caller, in *iamapi.DeleteGroupInput) (*iamapi.DeleteGroupOutput, error) {
	return result[iamapi.DeleteGroupOutput](groupKind.write(ctx, s, c, "DeleteGroup", in.GroupName, func(ctx context.Context, tx store.Repos, g *store.Group) error {
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

func (s *Service) ListGroups(ctx context.Context, c *auth.Caller, in *iamapi.ListGroupsInput) (*iamapi.ListGroupsOutput, error) {
	if err := s.authorize(ctx, c, "ListGroups", listARN(c.AccountID, "group")); err != nil {
		return nil, err
	}
	gs, trunc, m, err := listPage(in.Marker, in.MaxItems, in.PathPrefix,
		func(o store.ListOptions) ([]*store.Group, error) { return s.store.Groups().List(ctx, c.AccountID, o) },
		groupCursor, groupOut)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListGroupsOutput{Groups: gs, IsTruncated: ptr(trunc), Marker: m}, nil
}

// groupCursor orders groups in listings and is their page cursor.
func groupCursor(g *store.Group) string { return lower(g.Name) }

func (s *Service) AddUserToGroup(ctx context.Context, c *auth.Caller, in *iamapi.AddUserToGroupInput) (*iamapi.AddUserToGroupOutput, error) {
	return result[iamapi.AddUserToGroupOutput](groupKind.write(ctx, s, c, "AddUserToGroup", in.GroupName, func(ctx context.Context, tx store.Repos, g *store.Group) error {
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

func (s *Service) RemoveUserFromGroup(ctx context.Context, c *auth.Caller, in *iamapi.RemoveUserFromGroupInput) (*iamapi.RemoveUserFromGroupOutput, error) {
	return result[iamapi.RemoveUserFromGroupOutput](groupKind.write(ctx, s, c, "RemoveUserFromGroup", in.GroupName, func(ctx context.Context, tx store.Repos, g *store.Group) error {
		u, err := tx.Users().Get(ctx, c.AccountID, in.UserName)
		if err != nil {
			return notFoundAs(err, noSuchUser(in.UserName))
		}
		return notFoundAs(tx.Groups().RemoveMember(ctx, g.ID, u.ID), noSuchUser(in.UserName))
	}))
}

func (s *Service) ListGroupsForUser(ctx context.Context, c *auth.Caller, in *iamapi.ListGroupsForUserInput) (*iamapi.ListGroupsForUserOutput, error) {
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
	return &iamapi.ListGroupsForUserOutput{Groups: gs, IsTruncated: ptr(trunc), Marker: m}, nil
}
