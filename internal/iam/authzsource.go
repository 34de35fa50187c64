package iam

import (
	"context"
	"fmt"

	"github.com/mantle-iam/mantle/internal/authz"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// Principal implements authz.Source: the user's or role's policies as they
// are now, with its tags and path. A principal that no longer exists is an
// error wrapping store.ErrNotFound.
func (s *Service) Principal(ctx context.Context, kind store.EntityType, id string) (*authz.Principal, error) {
	p := &authz.Principal{}
	var account string
	switch kind {
	case store.EntityUser:
		u, err := s.store.Users().GetByID(ctx, id)
		if err != nil {
			return nil, err
		}
		account, p.Name, p.Path, p.Tags = u.AccountID, u.Name, u.Path, u.Tags
	case store.EntityRole:
		r, err := s.store.Roles().GetByID(ctx, id)
		if err != nil {
			return nil, err
		}
		account, p.Name, p.Path, p.Tags = r.AccountID, r.Name, r.Path, r.Tags
	default:
		return nil, fmt.Errorf("iam: no principal of type %q", kind)
	}
	set, err := s.PrincipalPolicies(ctx, account, kind, id)
	if err != nil {
		if awserr.HasCode(err, "NoSuchEntity") {
			return nil, fmt.Errorf("%w: %v", store.ErrNotFound, err)
		}
		return nil, err
	}
	for _, d := range set.Identity {
		p.Identity = append(p.Identity, authz.Doc{ID: d.Name, Document: d.Document})
	}
	if set.Boundary != nil {
		p.Boundary = &authz.Doc{ID: set.Boundary.Name, Document: set.Boundary.Document}
	}
	return p, nil
}

// ManagedPolicyDocument implements authz.Source: the default version of the
// managed policy at arn.
func (s *Service) ManagedPolicyDocument(ctx context.Context, arn string) (string, error) {
	acct, _, _, ok := parsePolicyARN(arn)
	if !ok {
		return "", fmt.Errorf("%w: policy %s", store.ErrNotFound, arn)
	}
	mp, err := policyByARN(ctx, s.store, acct, arn)
	if err != nil {
		if awserr.As(err) != nil {
			return "", fmt.Errorf("%w: %v", store.ErrNotFound, err)
		}
		return "", err
	}
	v, err := policyVersion(ctx, s.store, mp, mp.DefaultVersionID)
	if err != nil {
		return "", err
	}
	return v.Document, nil
}
