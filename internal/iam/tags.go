package iam

import (
	"context"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/store"
)

// tagged is one kind of taggable resource (user, role, managed policy,
// instance profile, OIDC provider) as the Tag*, Untag* and List*Tags actions
// see it. The three actions follow the same rules for every kind; only how
// the resource is found, authorized and written differs, and that is what a
// kind supplies.
type tagged[T any] struct {
	// target loads the resource named by name (a name or an ARN) and
	// authorizes action on it with keys, before revealing whether it exists.
	target func(ctx context.Context, c *auth.Caller, action, name string, keys ...auth.Key) (*T, error)
	// update authorizes as target does, then applies f to the committed row
	// and writes it back, in one transaction.
	update func(ctx context.Context, c *auth.Caller, action, name string, f func(*T) error, keys ...auth.Key) error
	// tags points at the resource's tags.
	tags func(*T) *[]store.Tag
}

// tag applies Tag*: the tags are checked before anything is looked up, and
// the request's tags are condition keys of the authorization.
func (k tagged[T]) tag(ctx context.Context, c *auth.Caller, action, name string, tags []iamapi.Tag) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	return k.update(ctx, c, action, name, func(x *T) (err error) {
		ts := k.tags(x)
		*ts, err = mergeTags(*ts, tags)
		return err
	}, requestTagKeys(tags)...)
}

// untag applies Untag*; keys absent from the resource are ignored.
func (k tagged[T]) untag(ctx context.Context, c *auth.Caller, action, name string, keys []string) error {
	return k.update(ctx, c, action, name, func(x *T) error {
		ts := k.tags(x)
		*ts = removeTags(*ts, keys)
		return nil
	}, untagKeys(keys)...)
}

// list answers List*Tags.
func (k tagged[T]) list(ctx context.Context, c *auth.Caller, action, name, marker string, maxItems *int) (*iamapi.ListUserTagsOutput, error) {
	x, err := k.target(ctx, c, action, name)
	if err != nil {
		return nil, err
	}
	return listTags(*k.tags(x), marker, maxItems)
}

func untagKeys(keys []string) []auth.Key {
	return []auth.Key{{Name: "aws:TagKeys", Values: keys}}
}

// The List*Tags outputs are one shape: listTags answers with the user
// one, which the others convert.

func listTags(ts []store.Tag, marker string, maxItems *int) (*iamapi.ListUserTagsOutput, error) {
	tags, trunc, m, err := tagsPage(ts, marker, maxItems)
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = []iamapi.Tag{}
	}
	return &iamapi.ListUserTagsOutput{Tags: tags, IsTruncated: ptr(trunc), Marker: m}, nil
}

func (s *Service) userTags() tagged[store.User] {
	return tagged[store.User]{s.userTarget, s.updateUser, func(u *store.User) *[]store.Tag { return &u.Tags }}
}

func (s *Service) roleTags() tagged[store.Role] {
	return tagged[store.Role]{s.roleTarget, s.updateRole, func(r *store.Role) *[]store.Tag { return &r.Tags }}
}

func (s *Service) policyTags() tagged[store.ManagedPolicy] {
	return tagged[store.ManagedPolicy]{s.policyTarget,
		func(ctx context.Context, c *auth.Caller, action, arn string, f func(*store.ManagedPolicy) error, keys ...auth.Key) error {
			return s.updatePolicy(ctx, c, action, arn, func(_ store.Repos, p *store.ManagedPolicy) error { return f(p) }, keys...)
		},
		func(p *store.ManagedPolicy) *[]store.Tag { return &p.Tags }}
}

func (s *Service) ipTags() tagged[store.InstanceProfile] {
	return tagged[store.InstanceProfile]{s.ipTarget,
		func(ctx context.Context, c *auth.Caller, action, name string, f func(*store.InstanceProfile) error, keys ...auth.Key) error {
			return s.updateIP(ctx, c, action, name, func(_ store.Repos, p *store.InstanceProfile) error { return f(p) }, keys...)
		},
		func(p *store.InstanceProfile) *[]store.Tag { return &p.Tags }}
}

func (s *Service) oidcTags() tagged[store.OIDCProvider] {
	return tagged[store.OIDCProvider]{s.oidcTarget, s.updateOIDC, func(p *store.OIDCProvider) *[]store.Tag { return &p.Tags }}
}
