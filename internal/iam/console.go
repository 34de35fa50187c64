package iam

import (
	"context"

	"github.com/mantle-iam/mantle/internal/store"
)

// dummyHash is verified when a sign-in names no user or a user without a
// login profile, so that the answer takes as long as a wrong password and
// does not tell which user names exist.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// ConsoleUser checks an IAM user's console password against the user's
// login profile and returns the user and whether the profile requires a new
// password. account is an account ID or its alias. Any mismatch (no such
// account, user, profile, or a wrong password) is store.ErrNotFound, as the
// console tells them apart to nobody.
func (s *Service) ConsoleUser(ctx context.Context, account, userName, password string) (*store.User, bool, error) {
	a, err := s.store.Accounts().Get(ctx, account)
	if isNotFound(err) {
		a, err = s.store.Accounts().GetByAlias(ctx, account)
	}
	var u *store.User
	var lp *store.LoginProfile
	if err == nil {
		u, err = s.store.Users().Get(ctx, a.ID, userName)
	}
	if err == nil {
		lp, err = s.store.LoginProfiles().Get(ctx, u.ID)
	}
	if err != nil {
		verifyPassword(dummyHash, password)
		if isNotFound(err) {
			return nil, false, store.ErrNotFound
		}
		return nil, false, err
	}
	if !verifyPassword(lp.PasswordHash, password) {
		return nil, false, store.ErrNotFound
	}
	return u, lp.PasswordResetRequired, nil
}
