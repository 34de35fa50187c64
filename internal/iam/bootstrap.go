package iam

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mantle-iam/mantle/internal/store"
)

// CheckRootKey reports why id and secret cannot be imported as a root access
// key, or nil. mantle's own keys are AKIA followed by 16 characters and a
// 40-character secret; an imported one may be any length IAM allows for an
// access key ID (16 to 128) but must be a long-term key (AKIA: ASIA keys
// are temporary credentials) made of the characters IAM uses.
func CheckRootKey(id, secret string) error {
	switch {
	case !strings.HasPrefix(id, prefixAccessKey) || len(id) < 16 || len(id) > 128:
		return fmt.Errorf("access key ID %q: a long-term AWS access key ID starts with %s and has 16 to 128 characters, e.g. AKIAIOSFODNN7EXAMPLE", id, prefixAccessKey)
	case strings.IndexFunc(id, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') }) >= 0:
		return fmt.Errorf("access key ID %q: only upper-case letters and digits, e.g. AKIAIOSFODNN7EXAMPLE", id)
	case len(secret) < 16 || len(secret) > 128:
		return fmt.Errorf("the secret access key for %s has %d characters, want 16 to 128 (AWS's have 40)", id, len(secret))
	case strings.IndexFunc(secret, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0:
		return fmt.Errorf("the secret access key for %s holds a space, control or non-ASCII character", id)
	}
	return nil
}

// NewRootKey generates a root access key ID and secret, for BootstrapAccount.
func (s *Service) NewRootKey() (id, secret string, err error) {
	return s.newAccessKey()
}

// BootstrapAccount creates an account with its root access key in one
// transaction: a first start that fails half-way leaves no account without
// a key, so the next start simply bootstraps again.
func (s *Service) BootstrapAccount(ctx context.Context, accountID, name, keyID, secret string) error {
	if err := CheckRootKey(keyID, secret); err != nil {
		return err
	}
	sealed, err := s.sealer.Seal([]byte(secret))
	if err != nil {
		return err
	}
	now := s.clock()
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		err := tx.Accounts().Create(ctx, &store.Account{ID: accountID, Name: name, CreatedAt: now, Status: "ACTIVE"})
		if err != nil {
			return err
		}
		err = tx.AccessKeys().Create(ctx, &store.AccessKey{ID: keyID, AccountID: accountID, Secret: sealed, Status: "Active", CreatedAt: now})
		if errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("access key %s already exists", keyID)
		}
		return err
	})
}
