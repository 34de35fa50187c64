package iam

import (
	"context"
	"github.com/mantle-iam/mantle/internal/awsproto"
	"time"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// User is AWS's User shape. The root user has no Path or UserName.
type User struct {
	Path                string                       `xml:"Path,omitempty"`
	UserName            string                       `xml:"UserName,omitempty"`
	UserId              string                       `xml:"UserId"`
	Arn                 string                       `xml:"Arn"`
	CreateDate          time.Time                    `xml:"CreateDate"`
	PasswordLastUsed    *time.Time                   `xml:"PasswordLastUsed,omitempty"`
	PermissionsBoundary *AttachedPermissionsBoundary `xml:"PermissionsBoundary,omitempty"`
	Tags                awsproto.List[Tag]           `xml:"Tags,omitempty"`
}

// userCursor orders users in listings and is their page cursor.
func userCursor(u *store.User) string { return lower(u.Name) }

func userARNOf(u *store.User) string { return iamARN(u.AccountID, "user", u.Path, u.Name) }

func userOut(u *store.User, full bool) User {
	out := User{Path: u.Path, UserName: u.Name, UserId: u.ID, Arn: userARNOf(u), CreateDate: u.CreatedAt, PasswordLastUsed: u.PasswordLastUsed}
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

type CreateUserInput struct {
	UserName            string `aws:"required,min=1,max=64" pattern:"[\\w+=,.@-]+"`
	Path                string `aws:"min=1,max=512" pattern:"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"`
	PermissionsBoundary string `aws:"min=20,max=2048"`
	Tags                []Tag  `aws:"max=50"`
}

type CreateUserOutput struct {
	User User `xml:"User"`
}

func (s *Service) CreateUser(ctx context.Context, c *auth.Caller, in *CreateUserInput) (*CreateUserOutput, error) {
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
		if n, err := tx.Users().Count(ctx, c.AccountID); err != nil {
			return err
		} else if n >= quotaUsers {
			return awserr.LimitExceeded("Cannot exceed quota for UsersPerAccount: %d", quotaUsers)
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
	return &CreateUserOutput{User: userOut(u, true)}, nil
}

type GetUserInput struct {
	UserName string `aws:"min=1,max=128" pattern:"[\\w+=,.@-]+"`
}

type GetUserOutput struct {
	User User `xml:"User"`
}

// GetUser with no UserName describes the caller; for the root user that is
// the account's root identity, which has no name or path.
func (s *Service) GetUser(ctx context.Context, c *auth.Caller, in *GetUserInput) (*GetUserOutput, error) {
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
		out := User{UserId: c.AccountID, Arn: rootARN(c.AccountID)}
		if acct != nil {
			out.CreateDate = acct.CreatedAt
		}
		return &GetUserOutput{User: out}, nil
	}
	u, err := s.userTarget(ctx, c, "GetUser", name)
	if err != nil {
		return nil, err
	}
	return &GetUserOutput{User: userOut(u, true)}, nil
}

type UpdateUserInput struct {
	UserName    string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	NewPath     string `aws:"min=1,max=512" pattern:"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"`
	NewUserName string `aws:"min=1,max=64" pattern:"[\\w+=,.@-]+"`
}

type UpdateUserOutput struct{}

func (s *Service) UpdateUser(ctx context.Context, c *auth.Caller, in *UpdateUserInput) (*UpdateUserOutput, error) {
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
	return &UpdateUserOutput{}, nil
}

type DeleteUserInput struct {
	UserName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
}

type DeleteUserOutput struct{}

// DeleteUser refuses while anything still hangs off the user, in the order
// AWS checks, so the caller learns what to remove next.
func (s *Service) DeleteUser(ctx context.Context, c *auth.Caller, in *DeleteUserInput) (*DeleteUserOutput, error) {
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
	return &DeleteUserOutput{}, nil
}

type ListUsersInput struct {
	PathPrefix string `aws:"min=1,max=512" pattern:"\u002F[\u0021-\u007F]*"`
	Marker     string `aws:"min=1,max=320" pattern:"[\u0020-\u00FF]+"`
	MaxItems   *int   `aws:"min=1,max=1000"`
}

type ListUsersOutput struct {
	Users       []User `xml:"Users>member"`
	IsTruncated bool   `xml:"IsTruncated"`
	Marker      string `xml:"Marker,omitempty"`
}

// listARN is the resource list actions are authorized against: AWS reports
// e.g. arn:aws:iam::ACCOUNT:user/ for ListUsers, which "*" matches.
func listARN(account, typ string) string { return "arn:aws:iam::" + account + ":" + typ + "/" }

func (s *Service) ListUsers(ctx context.Context, c *auth.Caller, in *ListUsersInput) (*ListUsersOutput, error) {
	if err := s.authorize(ctx, c, "ListUsers", listARN(c.AccountID, "user")); err != nil {
		return nil, err
	}
	us, trunc, m, err := listPage(in.Marker, in.MaxItems, in.PathPrefix,
		func(o store.ListOptions) ([]*store.User, error) { return s.store.Users().List(ctx, c.AccountID, o) },
		userCursor,
		func(u *store.User) User { return userOut(u, false) })
	if err != nil {
		return nil, err
	}
	return &ListUsersOutput{Users: us, IsTruncated: trunc, Marker: m}, nil
}

type TagUserInput struct {
	UserName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	Tags     []Tag  `aws:"required,max=50"`
}

type TagUserOutput struct{}

func (s *Service) TagUser(ctx context.Context, c *auth.Caller, in *TagUserInput) (*TagUserOutput, error) {
	return result[TagUserOutput](s.userTags().tag(ctx, c, "TagUser", in.UserName, in.Tags))
}

type UntagUserInput struct {
	UserName string   `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	TagKeys  []string `aws:"required,max=50"`
}

type UntagUserOutput struct{}

func (s *Service) UntagUser(ctx context.Context, c *auth.Caller, in *UntagUserInput) (*UntagUserOutput, error) {
	return result[UntagUserOutput](s.userTags().untag(ctx, c, "UntagUser", in.UserName, in.TagKeys))
}

type ListUserTagsInput struct {
	UserName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	Marker   string `aws:"min=1,max=320" pattern:"[\u0020-\u00FF]+"`
	MaxItems *int   `aws:"min=1,max=1000"`
}

type ListUserTagsOutput = ListTagsOutput

func (s *Service) ListUserTags(ctx context.Context, c *auth.Caller, in *ListUserTagsInput) (*ListUserTagsOutput, error) {
	return s.userTags().list(ctx, c, "ListUserTags", in.UserName, in.Marker, in.MaxItems)
}

type PutUserPermissionsBoundaryInput struct {
	UserName            string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	PermissionsBoundary string `aws:"required,min=20,max=2048"`
}

type PutUserPermissionsBoundaryOutput struct{}

func (s *Service) PutUserPermissionsBoundary(ctx context.Context, c *auth.Caller, in *PutUserPermissionsBoundaryInput) (*PutUserPermissionsBoundaryOutput, error) {
	return result[PutUserPermissionsBoundaryOutput](s.updateUserBoundary(ctx, c, "PutUserPermissionsBoundary", in.UserName, in.PermissionsBoundary,
		func(*store.User) error {
			_, err := s.boundaryPolicy(ctx, s.store, c.AccountID, in.PermissionsBoundary)
			return err
		}, auth.Key{Name: "iam:PermissionsBoundary", Values: []string{in.PermissionsBoundary}}))
}

type DeleteUserPermissionsBoundaryInput struct {
	UserName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
}

type DeleteUserPermissionsBoundaryOutput struct{}

func (s *Service) DeleteUserPermissionsBoundary(ctx context.Context, c *auth.Caller, in *DeleteUserPermissionsBoundaryInput) (*DeleteUserPermissionsBoundaryOutput, error) {
	return result[DeleteUserPermissionsBoundaryOutput](s.updateUserBoundary(ctx, c, "DeleteUserPermissionsBoundary", in.UserName, "",
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
