package iam

import (
	"context"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
)

// ImportAccessKey gives a user (userName; "" for the caller's root) the
// access key id with secret, authorized as CreateAccessKey and within the
// same quota: a declared start-up state (mantle apply) may fix keys so CI
// knows them in advance. Importing a key the user already has with the
// same secret changes nothing and reports created false.
func (s *Service) ImportAccessKey(ctx context.Context, c *auth.Caller, userName, id, secret string) (created bool, err error) {
	if err := CheckRootKey(id, secret); err != nil {
		return false, awserr.ValidationError("%v", err)
	}
	o, err := s.keyOwnerTarget(ctx, c, "CreateAccessKey", userName)
	if err != nil {
		return false, err
	}
	if k, err := s.store.AccessKeys().Get(ctx, id); err == nil {
		old, err := s.sealer.Open(k.Secret)
		if err == nil && string(old) == secret && k.AccountID == c.AccountID && k.UserID == o.userID() {
			return false, nil
		}
		return false, awserr.EntityAlreadyExists("Access key %s already exists.", id)
	} else if !isNotFound(err) {
		return false, err
	}
	if _, _, err := s.createKey(ctx, c.AccountID, o.userID(), id, secret); err != nil {
		return false, err
	}
	return true, nil
}
