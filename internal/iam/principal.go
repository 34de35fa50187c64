package iam

import (
	"context"
	"fmt"

	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// NamedPolicy is one policy document that applies to a principal. Name is
// the inline policy's name or the managed policy's ARN.
type NamedPolicy struct {
	Name     string
	Kind     string // "inline" or "managed"
	Document string
}

// PolicySet is what the authorizer compiles for a principal: its identity
// policies and its permissions boundary (nil when none).
type PolicySet struct {
	Identity []NamedPolicy
	Boundary *NamedPolicy
}

// PrincipalPolicies returns the documents that apply to a user (inline +
// attached managed + those of its groups) or role (inline + attached), and
// its permissions boundary document, for the authorizer to compile and
// cache (keyed on Generation).
func (s *Service) PrincipalPolicies(ctx context.Context, accountID string, kind store.EntityType, id string) (*PolicySet, error) {
	set := &PolicySet{}
	var boundary string
	switch kind {
	case store.EntityUser:
		u, err := s.store.Users().GetByID(ctx, id)
		if err != nil || u.AccountID != accountID {
			return nil, notFoundAs(orNotFound(err), awserr.NoSuchEntity("The user with id %s cannot be found.", id))
		}
		boundary = u.PermissionsBoundary
		if err := s.entityPolicies(ctx, set, store.EntityUser, u.ID); err != nil {
			return nil, err
		}
		groups, err := s.store.Groups().ListForUser(ctx, u.ID, store.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			if err := s.entityPolicies(ctx, set, store.EntityGroup, g.ID); err != nil {
				return nil, err
			}
		}
	case store.EntityRole:
		r, err := s.store.Roles().GetByID(ctx, id)
		if err != nil || r.AccountID != accountID {
			return nil, notFoundAs(orNotFound(err), awserr.NoSuchEntity("The role with id %s cannot be found.", id))
		}
		boundary = r.PermissionsBoundary
		if err := s.entityPolicies(ctx, set, store.EntityRole, r.ID); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("iam: PrincipalPolicies: unsupported entity type %q", kind)
	}
	if boundary != "" {
		mp, err := policyByARN(ctx, s.store, accountID, boundary)
		if err != nil {
			return nil, err
		}
		v, err := policyVersion(ctx, s.store, mp, mp.DefaultVersionID)
		if err != nil {
			return nil, err
		}
		set.Boundary = &NamedPolicy{Name: boundary, Kind: "managed", Document: v.Document}
	}
	return set, nil
}

func orNotFound(err error) error {
	if err == nil {
		return store.ErrNotFound // found, but in another account
	}
	return err
}

// entityPolicies appends an entity's inline policies and the default
// versions of its attached managed policies.
func (s *Service) entityPolicies(ctx context.Context, set *PolicySet, t store.EntityType, id string) error {
	inl, err := s.store.InlinePolicies().List(ctx, t, id)
	if err != nil {
		return err
	}
	for _, ip := range inl {
		set.Identity = append(set.Identity, NamedPolicy{Name: ip.Name, Kind: "inline", Document: ip.Document})
	}
	att, err := s.store.Attachments().ListForEntity(ctx, t, id)
	if err != nil {
		return err
	}
	for _, mp := range att {
		v, err := policyVersion(ctx, s.store, mp, mp.DefaultVersionID)
		if err != nil {
			return err
		}
		set.Identity = append(set.Identity, NamedPolicy{Name: policyARNOf(mp), Kind: "managed", Document: v.Document})
	}
	return nil
}

// EnsureAccount creates the account if it does not exist. An existing
// account is left unchanged.
func (s *Service) EnsureAccount(ctx context.Context, id, name, email string) error {
	if _, err := s.store.Accounts().Get(ctx, id); err == nil {
		return nil
	} else if !isNotFound(err) {
		return err
	}
	err := s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		return tx.Accounts().Create(ctx, &store.Account{ID: id, Name: name, Email: email, CreatedAt: s.clock(), Status: "ACTIVE"})
	})
	if isExists(err) {
		return nil // created concurrently
	}
	return err
}
