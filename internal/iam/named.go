package iam

import (
	"context"
	"net/http"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// named is a kind of entity addressed by name within the caller's account
// (user, group, role, instance profile). Every action about one looks it up
// and authorizes the same way; the kind supplies the differences.
type named[T any] struct {
	arnType string // the resource type in the entity's ARN
	get     func(ctx context.Context, r store.Repos, account, name string) (*T, error)
	arn     func(*T) string
	// tags returns the entity's tags, which become iam:ResourceTag and
	// aws:ResourceTag condition keys; nil for kinds whose tags are not.
	tags     func(*T) []store.Tag
	notFound func(name string) *awserr.Error
	// reload re-reads x inside a transaction, so a write works on the
	// committed row rather than the copy read before authorization; name is
	// the one the request used, for the not-found error.
	reload func(ctx context.Context, tx store.Repos, x *T, name string) (*T, error)
	// ident returns the entity's path and name, for kinds that can be
	// renamed or moved (users, groups).
	ident func(*T) (path, name string)
}

// target loads the entity an action is about and authorizes the caller
// against it before revealing whether it exists: a missing entity is
// authorized under the ARN it would have with path "/".
func (k named[T]) target(ctx context.Context, s *Service, c *auth.Caller, action, name string, keys ...auth.Key) (*T, error) {
	x, err := k.get(ctx, s.store, c.AccountID, name)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	arn := iamARN(c.AccountID, k.arnType, "/", name)
	if x != nil {
		arn = k.arn(x)
		if k.tags != nil {
			keys = append(keys, resourceTagKeys(k.tags(x))...)
		}
	}
	if err := s.authorize(ctx, c, action, arn, keys...); err != nil {
		return nil, err
	}
	if x == nil {
		return nil, k.notFound(name)
	}
	return x, nil
}

// at returns the caller's-account entity whose ARN is exactly arn (path and
// name letter case included), or the kind's not-found error.
func (k named[T]) at(ctx context.Context, r store.Repos, account, arn, name string) (*T, error) {
	x, err := k.get(ctx, r, account, name)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if x == nil || k.arn(x) != arn {
		return nil, k.notFound(name)
	}
	return x, nil
}

// write authorizes action on the named entity, then runs f on its committed
// row inside a transaction.
func (k named[T]) write(ctx context.Context, s *Service, c *auth.Caller, action, name string, f func(ctx context.Context, tx store.Repos, x *T) error, keys ...auth.Key) error {
	x, err := k.target(ctx, s, c, action, name, keys...)
	if err != nil {
		return err
	}
	return k.commit(ctx, s, x, name, "", f)
}

// rename is write for a change of name or path ("" keeps the current one).
// IAM requires the permission on both the source and the target object
// (UpdateUser, UpdateGroup: "the entity making the request must have
// permission on Bob and Robert"), so action is authorized on the ARN the
// entity will have as well: otherwise moving oneself into a path that
// policies trust (aws:PrincipalArn like user/admins/*) would need no more
// than permission on oneself.
func (k named[T]) rename(ctx context.Context, s *Service, c *auth.Caller, action, name, newName, newPath string, f func(ctx context.Context, tx store.Repos, x *T) error) error {
	x, err := k.target(ctx, s, c, action, name)
	if err != nil {
		return err
	}
	src := k.arn(x)
	path, to := k.ident(x)
	if newName != "" {
		to = newName
	}
	if newPath != "" {
		path = newPath
	}
	if dst := iamARN(c.AccountID, k.arnType, path, to); dst != src {
		var keys []auth.Key
		if k.tags != nil {
			keys = resourceTagKeys(k.tags(x))
		}
		if err := s.authorize(ctx, c, action, dst, keys...); err != nil {
			return err
		}
	}
	return k.commit(ctx, s, x, name, src, f)
}

// commit runs f on x's committed row inside a transaction. When arn is
// set, the row must still have that ARN: the authorization was for it.
func (k named[T]) commit(ctx context.Context, s *Service, x *T, name, arn string, f func(ctx context.Context, tx store.Repos, x *T) error) error {
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		x, err := k.reload(ctx, tx, x, name)
		if err != nil {
			return err
		}
		if arn != "" && k.arn(x) != arn {
			return awserr.New("ConcurrentModification", http.StatusConflict, "The request was rejected because multiple requests to change this object were submitted simultaneously. Wait a few minutes and submit your request again.")
		}
		return f(ctx, tx, x)
	})
}

var (
	userKind = named[store.User]{
		arnType: "user",
		get: func(ctx context.Context, r store.Repos, account, name string) (*store.User, error) {
			return r.Users().Get(ctx, account, name)
		},
		arn:      userARNOf,
		ident:    func(u *store.User) (string, string) { return u.Path, u.Name },
		tags:     func(u *store.User) []store.Tag { return u.Tags },
		notFound: noSuchUser,
		reload: func(ctx context.Context, tx store.Repos, u *store.User, name string) (*store.User, error) {
			return reloadUser(ctx, tx, u.ID, name)
		},
	}
	groupKind = named[store.Group]{
		arnType: "group",
		get: func(ctx context.Context, r store.Repos, account, name string) (*store.Group, error) {
			return r.Groups().Get(ctx, account, name)
		},
		arn:      groupARNOf,
		ident:    func(g *store.Group) (string, string) { return g.Path, g.Name },
		notFound: noSuchGroup,
		reload: func(ctx context.Context, tx store.Repos, g *store.Group, name string) (*store.Group, error) {
			return reloadGroup(ctx, tx, g.ID, name)
		},
	}
	roleKind = named[store.Role]{
		arnType: "role",
		get: func(ctx context.Context, r store.Repos, account, name string) (*store.Role, error) {
			return r.Roles().Get(ctx, account, name)
		},
		arn:      roleARNOf,
		tags:     func(r *store.Role) []store.Tag { return r.Tags },
		notFound: noSuchRole,
		reload: func(ctx context.Context, tx store.Repos, r *store.Role, name string) (*store.Role, error) {
			return reloadRole(ctx, tx, r.ID, name)
		},
	}
	// tags stays nil: the instance-profile actions do not offer the
	// profile's tags as resource-tag condition keys.
	ipKind = named[store.InstanceProfile]{
		arnType: "instance-profile",
		get: func(ctx context.Context, r store.Repos, account, name string) (*store.InstanceProfile, error) {
			return r.InstanceProfiles().Get(ctx, account, name)
		},
		arn:      ipARNOf,
		notFound: noSuchIP,
		reload:   reloadIP,
	}
)

func (s *Service) userTarget(ctx context.Context, c *auth.Caller, action, name string, keys ...auth.Key) (*store.User, error) {
	return userKind.target(ctx, s, c, action, name, keys...)
}

func (s *Service) groupTarget(ctx context.Context, c *auth.Caller, action, name string, keys ...auth.Key) (*store.Group, error) {
	return groupKind.target(ctx, s, c, action, name, keys...)
}

func (s *Service) roleTarget(ctx context.Context, c *auth.Caller, action, name string, keys ...auth.Key) (*store.Role, error) {
	return roleKind.target(ctx, s, c, action, name, keys...)
}

func (s *Service) ipTarget(ctx context.Context, c *auth.Caller, action, name string, keys ...auth.Key) (*store.InstanceProfile, error) {
	return ipKind.target(ctx, s, c, action, name, keys...)
}
