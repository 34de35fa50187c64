package orgs

import (
	"context"
	"net/http"
	"slices"
	"strings"

	orgsapi "github.com/mantle-iam/mantle/internal/api/organizations"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// maxTags is the Organizations quota of tags per resource.
const maxTags = 50

func tooManyTags() error {
	return violation("MAX_TAG_LIMIT_EXCEEDED", "You have exceeded the number of tags allowed on this resource.")
}

// checkTags refuses a tag list with a key twice or more tags than allowed.
func checkTags(tags []orgsapi.Tag) error {
	if len(tags) > maxTags {
		return tooManyTags()
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if seen[t.Key] {
			return awserr.New("InvalidInputException", http.StatusBadRequest, "You provided a duplicate tag key: %s.", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

func storeTags(tags []orgsapi.Tag) []store.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]store.Tag, len(tags))
	for i, t := range tags {
		out[i] = store.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

// taggable reports whether id names a resource of the organization that
// can carry tags: the root, an OU, a member account or one of its own
// policies.
func (p *orgPolicies) taggable(id string) bool {
	if p.isTarget(id) {
		return true
	}
	return p.own[id] != nil
}

// tagResource is the ARN IAM policies name a tagged resource by.
func tagResource(o *store.Organization, id string) string {
	if strings.HasPrefix(id, "p-") {
		return policyResource(o, id)
	}
	return targetARN(o, id)
}

// editTags replaces a resource's tags with what edit makes of them, inside
// a Change.
func (s *Service) editTags(ctx context.Context, c *auth.Caller, action, id string, edit func(tags []store.Tag) ([]store.Tag, error)) error {
	o, err := s.managed(ctx, c, action, func(o *store.Organization) string { return tagResource(o, id) })
	if err != nil {
		return err
	}
	return s.changePolicies(ctx, o, func(ctx context.Context, tx store.Repos, p *orgPolicies) error {
		if !p.taggable(id) {
			return targetNotFound()
		}
		tags, err := tx.Organizations().Tags(ctx, o.ID, id)
		if err != nil {
			return err
		}
		if tags, err = edit(tags); err != nil {
			return err
		}
		return tx.Organizations().PutTags(ctx, o.ID, id, tags)
	})
}

func (s *Service) TagResource(ctx context.Context, c *auth.Caller, in *orgsapi.TagResourceInput) (*orgsapi.TagResourceOutput, error) {
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	err := s.editTags(ctx, c, "TagResource", in.ResourceId, func(tags []store.Tag) ([]store.Tag, error) {
		// A key already there gets the new value in its place.
		for _, t := range in.Tags {
			replaced := false
			for i := range tags {
				if tags[i].Key == t.Key {
					tags[i].Value, replaced = t.Value, true
				}
			}
			if !replaced {
				tags = append(tags, store.Tag{Key: t.Key, Value: t.Value})
			}
		}
		if len(tags) > maxTags {
			return nil, tooManyTags()
		}
		return tags, nil
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.TagResourceOutput{}, nil
}

func (s *Service) UntagResource(ctx context.Context, c *auth.Caller, in *orgsapi.UntagResourceInput) (*orgsapi.UntagResourceOutput, error) {
	err := s.editTags(ctx, c, "UntagResource", in.ResourceId, func(tags []store.Tag) ([]store.Tag, error) {
		kept := tags[:0]
		for _, t := range tags {
			if !slices.Contains(in.TagKeys, t.Key) {
				kept = append(kept, t)
			}
		}
		return kept, nil
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.UntagResourceOutput{}, nil
}

func (s *Service) ListTagsForResource(ctx context.Context, c *auth.Caller, in *orgsapi.ListTagsForResourceInput) (*orgsapi.ListTagsForResourceOutput, error) {
	p, err := s.readPolicies(ctx, c, "ListTagsForResource", func(o *store.Organization) string { return tagResource(o, in.ResourceId) })
	if err != nil {
		return nil, err
	}
	if !p.taggable(in.ResourceId) {
		return nil, targetNotFound()
	}
	tags, err := s.store.Organizations().Tags(ctx, p.org.ID, in.ResourceId)
	if err != nil {
		return nil, err
	}
	// Listed by key: keys are unique, so they key the pages.
	sorted := append([]store.Tag(nil), tags...)
	sortTags(sorted)
	page, next, err := pageOf(sorted, func(t store.Tag) string { return t.Key }, in.NextToken, nil)
	if err != nil {
		return nil, err
	}
	out := &orgsapi.ListTagsForResourceOutput{Tags: make([]orgsapi.Tag, 0, len(page)), NextToken: next}
	for _, t := range page {
		out.Tags = append(out.Tags, orgsapi.Tag{Key: t.Key, Value: t.Value})
	}
	return out, nil
}
