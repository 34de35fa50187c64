package iam

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mantle-iam/mantle/internal/store"
)

// dummyHash is verified when a sign-in names no user or a user without a
// login profile, so that the answer takes as long as a wrong password and
// does not tell which user names exist.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// ErrPasswordExpired is ConsoleUser's answer for a right password that the
// password policy's MaxPasswordAge expired under HardExpiry: only an
// administrator can set a new one.
var ErrPasswordExpired = errors.New("password expired")

// ConsoleUser checks an IAM user's console password against the user's
// login profile and returns the user and whether a new password is
// required: the profile says so, or the password policy's MaxPasswordAge
// has passed since it was set. account is an account ID or its alias. Any mismatch (no such
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
	if pp := a.PasswordPolicy; pp != nil && pp.MaxPasswordAge > 0 {
		changed := lp.PasswordChangedAt
		if changed.IsZero() {
			changed = lp.CreatedAt
		}
		if !s.clock().Before(changed.AddDate(0, 0, pp.MaxPasswordAge)) {
			if pp.HardExpiry {
				return nil, false, ErrPasswordExpired
			}
			return u, true, nil
		}
	}
	return u, lp.PasswordResetRequired, nil
}

// ConsoleRoot checks the root user's console password: the account whose
// root user signs in with email. Any mismatch is store.ErrNotFound, after
// the same work as a wrong password; with a wrong password the account is
// returned too, so the failure is recorded in its trail (as AWS does).
func (s *Service) ConsoleRoot(ctx context.Context, email, password string) (*store.Account, error) {
	a, err := s.store.Accounts().GetByRootEmail(ctx, strings.TrimSpace(email))
	if err != nil {
		verifyPassword(dummyHash, password)
		if isNotFound(err) {
			return nil, store.ErrNotFound
		}
		return nil, err
	}
	if !verifyPassword(a.RootPasswordHash, password) {
		return a, store.ErrNotFound
	}
	return a, nil
}

// CheckRootLogin reports why email and password cannot be the root user's
// sign-in, or nil. The password follows AWS's rules for a root password:
// 8 to 128 characters, three of upper case, lower case, digits and
// symbols, and not the email.
func CheckRootLogin(email, password string) error {
	if at := strings.IndexByte(email, '@'); at < 1 || at == len(email)-1 || len(email) > 64 ||
		strings.IndexFunc(email, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return fmt.Errorf("email %q: an email address of at most 64 printable ASCII characters, e.g. admin@example.com", email)
	}
	if n := len([]rune(password)); n > 128 || checkPassword(&store.Account{Email: email}, password) != nil {
		return errors.New("the root password needs 8 to 128 characters, three of upper case, lower case, digits and symbols, and must not be the email")
	}
	return nil
}

// NewRootLogin generates a root password that meets AWS's rules: 20
// characters from all four classes.
func (s *Service) NewRootLogin(accountID string) (email, password string, err error) {
	const (
		letters = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
		digits  = "23456789"
		symbols = "!#%+-=_"
	)
	b := make([]byte, 20)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", "", err
	}
	pw := make([]byte, len(b))
	for i, c := range b {
		set := letters
		switch i {
		case 5, 11:
			set = digits
		case 8:
			set = symbols
		case 0:
			set = letters[:24] // upper case
		case 1:
			set = letters[24:] // lower case
		}
		pw[i] = set[int(c)%len(set)]
	}
	return "root@" + accountID + ".mantle.invalid", string(pw), nil
}

// SetRootLogin gives the account's root user its console sign-in, unless
// it has one already (then it reports false and changes nothing): a first
// start that failed after this commit keeps the password it printed.
func (s *Service) SetRootLogin(ctx context.Context, accountID, email, password string) (bool, error) {
	if err := CheckRootLogin(email, password); err != nil {
		return false, err
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return false, err
	}
	set := false
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		set = false // a retried transaction starts over
		a, err := tx.Accounts().Get(ctx, accountID)
		if err != nil || a.RootPasswordHash != "" {
			return err
		}
		a.Email, a.RootPasswordHash, set = email, hash, true
		return tx.Accounts().Update(ctx, a)
	})
	return set, err
}

// ConsoleMFA is the serial number of the MFA device the console asks a
// code of at sign-in ("" when none is enabled): the IAM user's (userID) or
// the root user's (the account ID).
func (s *Service) ConsoleMFA(ctx context.Context, userID string) (string, error) {
	ds, err := s.store.MFADevices().ListForUser(ctx, userID)
	if err != nil {
		return "", err
	}
	for _, d := range ds {
		if d.EnabledAt != nil {
			return d.SerialNumber, nil
		}
	}
	return "", nil
}

// ConsolePasswordPolicy is the account's password policy, which the
// console shows where a new password is chosen (nil when none).
func (s *Service) ConsolePasswordPolicy(ctx context.Context, accountID string) (*store.PasswordPolicy, error) {
	a, err := s.store.Accounts().Get(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return a.PasswordPolicy, nil
}
