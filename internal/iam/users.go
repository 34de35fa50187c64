package iam

import (
	"context"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// userCursor orders users in listings and is their page cursor.
func userCursor(u *store.User) string { return lower(u.Name) }

func userARNOf(u *store.User) string { return iamARN(u.AccountID, "user", u.Path, u.Name) }

func userOut(u *store.User, full bool) iamapi.User {
	out := iamapi.User{Path: u.Path, UserName: u.Name, UserId: u.ID, Arn: userARNOf(u), CreateDate: u.CreatedAt, PasswordLastUsed: timeOf(u.PasswordLastUsed)}
	if full {
		out.PermissionsBoundary = boundaryOut(u.PermissionsBoundary)
		out.Tags = tagsOut(u.Tags)
	}
	return out
}

func noSuchUser(name string) *awserr.Error {
	return awserr.NoSuchEntity("The user with name %s cannot be found.", name)
}

// reloadUser re-reads a user by ID inside a transaction, so a write works on
// the committed row rather than the copy read before authorization.
func reloadUser(ctx context.Context, tx store.Repos, id, name string) (*store.User, error) {
	u, err := tx.Users().GetByID(ctx, id)
	return u, notFoundAs(err, noSuchUser(name))
}

// updateUser authorizes action on the user, then applies f to the committed
// row inside a transaction.
func (s *Service) updateUser(ctx context.Context, c *auth.Caller, action, name string, f func(*store.User) error, keys ...auth.Key) error {
	return userKind.write(ctx, s, c, action, name, func(ctx context.Context, tx store.Repos, u *store.User) error {
		if err := f(u); err != nil {
			return err
		}
		return tx.Users().Update(ctx, u)
	}, keys...)
}

func (s *Service) CreateUser(ctx context.Context, c *auth.Caller, in *iamapi.CreateUserInput) (*iamapi.CreateUserOutput, error) {
	if err := checkPath(in.Path); err != nil {
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
	if err := s.authorize(ctx, c, "CreateUser", iamARN(c.AccountID, "user", path, in.UserName), keys...); err != nil {
		return nil, err
	}
	if in.PermissionsBoundary != "" {
		if _, err := s.boundaryPolicy(ctx, s.store, c.AccountID, in.PermissionsBoundary); err != nil {
			return nil, err
		}
	}
	id, err := s.newID(prefixUser)
	if err != nil {
		return nil, err
	}
	u := &store.User{AccountID: c.AccountID, ID: id, Name: in.UserName, Path: path, CreatedAt: s.clock(),
		PermissionsBoundary: in.PermissionsBoundary, Tags: storeTags(in.Tags)}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := reserve(ctx, tx, store.CountUsers, c.AccountID, u.ID); err != nil {
			return err
		}
		if err := tx.Users().Create(ctx, u); err != nil {
			if isExists(err) {
				return awserr.EntityAlreadyExists("User with name %s already exists.", in.UserName)
			}
			return err
		}
		return s.countBoundary(ctx, tx, c.AccountID, "", u.PermissionsBoundary)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateUserOutput{User: ptr(userOut(u, true))}, nil
}

// GetUser with no UserName describes the caller; for the root user that is
// the account's root identity, which has no name or path.
func (s *Service) GetUser(ctx context.Context, c *auth.Caller, in *iamapi.GetUserInput) (*iamapi.GetUserOutput, error) {
	name, err := selfUserName(c, in.UserName)
	if err != nil {
		return nil, err
	}
	if name == "" {
		if err := s.authorize(ctx, c, "GetUser", rootARN(c.AccountID)); err != nil {
			return nil, err
		}
		acct, err := s.store.Accounts().Get(ctx, c.AccountID)
		if err != nil && !isNotFound(err) {
			return nil, err
		}
		out := iamapi.User{UserId: c.AccountID, Arn: rootARN(c.AccountID)}
		if acct != nil {
			out.CreateDate = acct.CreatedAt
		}
		return &iamapi.GetUserOutput{User: ptr(out)}, nil
	}
	u, err := s.userTarget(ctx, c, "GetUser", name)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetUserOutput{User: ptr(userOut(u, true))}, nil
}

func (s *Service) UpdateUser(ctx context.Context, c *auth.Caller, in *iamapi.UpdateUserInput) (*iamapi.UpdateUserOutput, error) {
	if err := checkPath(in.NewPath); err != nil {
		return nil, err
	}
	err := userKind.rename(ctx, s, c, "UpdateUser", in.UserName, in.NewUserName, in.NewPath, func(ctx context.Context, tx store.Repos, u *store.User) error {
		if in.NewUserName != "" {
			u.Name = in.NewUserName
		}
		if in.NewPath != "" {
			u.Path = in.NewPath
		}
		if err := tx.Users().Update(ctx, u); err != nil {
			if isExists(err) {
				return awserr.EntityAlreadyExists("User with name %s already exists.", in.NewUserName)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateUserOutput{}, nil
}

// DeleteUser refuses while anything still hangs off the user, in the order
// AWS checks, so the caller learns what to remove next.
func (s *Service) DeleteUser(ctx context.Context, c *auth.Caller, in *iamapi.DeleteUserInput) (*iamapi.DeleteUserOutput, error) {
	err := userKind.write(ctx, s, c, "DeleteUser", in.UserName, func(ctx context.Context, tx store.Repos, u *store.User) error {
		if _, err := tx.LoginProfiles().Get(ctx, u.ID); err == nil {
			return awserr.DeleteConflict("Cannot delete entity, must delete login profile first.")
		} else if !isNotFound(err) {
			return err
		}
		if keys, err := tx.AccessKeys().ListForUser(ctx, u.AccountID, u.ID); err != nil {
			return err
		} else if len(keys) > 0 {
			return awserr.DeleteConflict("Cannot delete entity, must delete access keys first.")
		}
		if devs, err := tx.MFADevices().ListForUser(ctx, u.ID); err != nil {
			return err
		} else if len(devs) > 0 {
			return awserr.DeleteConflict("Cannot delete entity, must delete MFA device first.")
		}
		if err := userCredentialConflict(ctx, tx, u); err != nil {
			return err
		}
		if groups, err := tx.Groups().ListForUser(ctx, u.ID, store.ListOptions{Limit: 1}); err != nil {
			return err
		} else if len(groups) > 0 {
			return awserr.DeleteConflict("Cannot delete entity, must remove users from group first.")
		}
		if err := policiesConflict(ctx, tx, store.EntityUser, u.ID); err != nil {
			return err
		}
		if err := s.countBoundary(ctx, tx, u.AccountID, u.PermissionsBoundary, ""); err != nil {
			return err
		}
		return tx.Users().Delete(ctx, u.ID)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteUserOutput{}, nil
}

// listARN is the resource list actions are authorized against: AWS reports
// e.g. arn:aws:iam::ACCOUNT:user/ for ListUsers, which "*" matches.
func listARN(account, typ string) string { return "arn:aws:iam::" + account + ":" + typ + "/" }

func (s *Service) ListUsers(ctx context.Context, c *auth.Caller, in *iamapi.ListUsersInput) (*iamapi.ListUsersOutput, error) {
	if err := s.authorize(ctx, c, "ListUsers", listARN(c.AccountID, "user")); err != nil {
		return nil, err
	}
	us, trunc, m, err := listPage(in.Marker, in.MaxItems, in.PathPrefix,
		func(o store.ListOptions) ([]*store.User, error) { return s.store.Users().List(ctx, c.AccountID, o) },
		userCursor,
		func(u *store.User) iamapi.User { return userOut(u, false) })
	if err != nil {
		return nil, err
	}
	return &iamapi.ListUsersOutput{Users: us, IsTruncated: ptr(trunc), Marker: m}, nil
}

func (s *Service) TagUser(ctx context.Context, c *auth.Caller, in *iamapi.TagUserInput) (*iamapi.TagUserOutput, error) {
	return result[iamapi.TagUserOutput](s.userTags().tag(ctx, c, "TagUser", in.UserName, in.Tags))
}

func (s *Service) UntagUser(ctx context.Context, c *auth.Caller, in *iamapi.UntagUserInput) (*iamapi.UntagUserOutput, error) {
	return result[iamapi.UntagUserOutput](s.userTags().untag(ctx, c, "UntagUser", in.UserName, in.TagKeys))
}

func (s *Service) ListUserTags(ctx context.Context, c *auth.Caller, in *iamapi.ListUserTagsInput) (*iamapi.ListUserTagsOutput, error) {
	return s.userTags().list(ctx, c, "ListUserTags", in.UserName, in.Marker, in.MaxItems)
}

func (s *Service) PutUserPermissionsBoundary(ctx context.Context, c *auth.Caller, in *iamapi.PutUserPermissionsBoundaryInput) (*iamapi.PutUserPermissionsBoundaryOutput, error) {
	return result[iamapi.PutUserPermissionsBoundaryOutput](s.updateUserBoundary(ctx, c, "PutUserPermissionsBoundary", in.UserName, in.PermissionsBoundary,
		func(*store.User) error {
			_, err := s.boundaryPolicy(ctx, s.store, c.AccountID, in.PermissionsBoundary)
			return err
		}, auth.Key{Name: "iam:PermissionsBoundary", Values: []string{in.PermissionsBoundary}}))
}

func (s *Service) DeleteUserPermissionsBoundary(ctx context.Context, c *auth.Caller, in *iamapi.DeleteUserPermissionsBoundaryInput) (*iamapi.DeleteUserPermissionsBoundaryOutput, error) {
	return result[iamapi.DeleteUserPermissionsBoundaryOutput](s.updateUserBoundary(ctx, c, "DeleteUserPermissionsBoundary", in.UserName, "",
		func(u *store.User) error {
			if u.PermissionsBoundary == "" {
				return awserr.NoSuchEntity("The permissions boundary for user with name %s cannot be found.", in.UserName)
			}
			return nil
		}))
}

// updateUserBoundary sets the user's permissions boundary to arn ("" removes
// it), keeping the policies' boundary usage counts. check vets the request
// against the authorized user before anything is written.
func (s *Service) updateUserBoundary(ctx context.Context, c *auth.Caller, action, name, arn string, check func(*store.User) error, keys ...auth.Key) error {
	u, err := s.userTarget(ctx, c, action, name, keys...)
	if err != nil {
		return err
	}
	if err := check(u); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		u, err := reloadUser(ctx, tx, u.ID, name)
		if err != nil {
			return err
		}
		if err := s.countBoundary(ctx, tx, u.AccountID, u.PermissionsBoundary, arn); err != nil {
			return err
		}
		u.PermissionsBoundary = arn
		return tx.Users().Update(ctx, u)
	})
}
