package iam

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"golang.org/x/crypto/argon2"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// argon2id parameters: OWASP's minimum recommendation (19 MiB, 2 passes),
// enough against offline guessing without making logins slow. bcrypt is not
// used because it silently truncates past 72 bytes and IAM passwords run to
// 128 characters.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

func (s *Service) hashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := s.rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// verifyPassword checks pw against a hash from hashPassword, reading the
// parameters from the hash so they can be raised later.
func verifyPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

func noLoginProfile(user string) *awserr.Error {
	return awserr.NoSuchEntity("Login Profile for user %s cannot be found.", user)
}

func (s *Service) CreateLoginProfile(ctx context.Context, c *auth.Caller, in *iamapi.CreateLoginProfileInput) (*iamapi.CreateLoginProfileOutput, error) {
	u, err := s.selfUserTarget(ctx, c, "CreateLoginProfile", in.UserName)
	if err != nil {
		return nil, err
	}
	if in.Password == "" {
		return nil, awserr.ValidationError("Password is required.")
	}
	a, err := s.account(ctx, s.store, c.AccountID)
	if err != nil {
		return nil, err
	}
	if err := checkPassword(a, in.Password); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	lp := &store.LoginProfile{UserID: u.ID, PasswordHash: hash, PasswordResetRequired: isTrue(in.PasswordResetRequired), CreatedAt: now, PasswordChangedAt: now}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if _, err := reloadUser(ctx, tx, u.ID, u.Name); err != nil {
			return err
		}
		if err := tx.LoginProfiles().Create(ctx, lp); err != nil {
			if isExists(err) {
				return awserr.EntityAlreadyExists("Login Profile for user %s already exists.", u.Name)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateLoginProfileOutput{LoginProfile: &iamapi.LoginProfile{UserName: u.Name, CreateDate: lp.CreatedAt, PasswordResetRequired: ptr(lp.PasswordResetRequired)}}, nil
}

// selfUserTarget is userTarget for actions whose UserName defaults to the
// calling IAM user; the root user has no login profile to manage here.
func (s *Service) selfUserTarget(ctx context.Context, c *auth.Caller, action, name string) (*store.User, error) {
	n, err := selfUserName(c, name)
	if err != nil {
		return nil, err
	}
	if n == "" {
		return nil, awserr.ValidationError("Must specify userName when calling with non-User credentials")
	}
	return s.userTarget(ctx, c, action, n)
}

func (s *Service) GetLoginProfile(ctx context.Context, c *auth.Caller, in *iamapi.GetLoginProfileInput) (*iamapi.GetLoginProfileOutput, error) {
	u, err := s.selfUserTarget(ctx, c, "GetLoginProfile", in.UserName)
	if err != nil {
		return nil, err
	}
	lp, err := s.store.LoginProfiles().Get(ctx, u.ID)
	if err != nil {
		return nil, notFoundAs(err, noLoginProfile(u.Name))
	}
	return &iamapi.GetLoginProfileOutput{LoginProfile: &iamapi.LoginProfile{UserName: u.Name, CreateDate: lp.CreatedAt, PasswordResetRequired: ptr(lp.PasswordResetRequired)}}, nil
}

func (s *Service) UpdateLoginProfile(ctx context.Context, c *auth.Caller, in *iamapi.UpdateLoginProfileInput) (*iamapi.UpdateLoginProfileOutput, error) {
	u, err := s.userTarget(ctx, c, "UpdateLoginProfile", in.UserName)
	if err != nil {
		return nil, err
	}
	var hash string
	if in.Password != "" {
		a, err := s.account(ctx, s.store, c.AccountID)
		if err != nil {
			return nil, err
		}
		if err := checkPassword(a, in.Password); err != nil {
			return nil, err
		}
		if hash, err = s.hashPassword(in.Password); err != nil {
			return nil, err
		}
	}
	return result[iamapi.UpdateLoginProfileOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		lp, err := tx.LoginProfiles().Get(ctx, u.ID)
		if err != nil {
			return notFoundAs(err, noLoginProfile(u.Name))
		}
		if hash != "" {
			lp.PasswordHash, lp.PasswordChangedAt = hash, s.clock()
		}
		if in.PasswordResetRequired != nil {
			lp.PasswordResetRequired = *in.PasswordResetRequired
		}
		return tx.LoginProfiles().Update(ctx, lp)
	}))
}

func (s *Service) DeleteLoginProfile(ctx context.Context, c *auth.Caller, in *iamapi.DeleteLoginProfileInput) (*iamapi.DeleteLoginProfileOutput, error) {
	u, err := s.selfUserTarget(ctx, c, "DeleteLoginProfile", in.UserName)
	if err != nil {
		return nil, err
	}
	return result[iamapi.DeleteLoginProfileOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		return notFoundAs(tx.LoginProfiles().Delete(ctx, u.ID), noLoginProfile(u.Name))
	}))
}

// ChangePassword lets an IAM user change their own console password. The
// account policy's AllowUsersToChangePassword grants it without an identity
// policy, as in AWS.
func (s *Service) ChangePassword(ctx context.Context, c *auth.Caller, in *iamapi.ChangePasswordInput) (*iamapi.ChangePasswordOutput, error) {
	if c.Kind != auth.KindUser {
		return nil, awserr.New("InvalidUserType", 400, "Only IAM users can change their own password.")
	}
	u, err := s.store.Users().Get(ctx, c.AccountID, c.Name)
	if err != nil {
		return nil, notFoundAs(err, noSuchUser(c.Name))
	}
	a, err := s.account(ctx, s.store, c.AccountID)
	if err != nil {
		return nil, err
	}
	if a.PasswordPolicy == nil || !a.PasswordPolicy.AllowUsersToChangePassword {
		if err := s.authorize(ctx, c, "ChangePassword", userARNOf(u)); err != nil {
			return nil, err
		}
	}
	lp, err := s.store.LoginProfiles().Get(ctx, u.ID)
	if err != nil {
		return nil, notFoundAs(err, noLoginProfile(u.Name))
	}
	if !verifyPassword(lp.PasswordHash, in.OldPassword) {
		return nil, awserr.InvalidInput("The old password was incorrect.")
	}
	if err := checkPassword(a, in.NewPassword); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(in.NewPassword)
	if err != nil {
		return nil, err
	}
	return result[iamapi.ChangePasswordOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		lp, err := tx.LoginProfiles().Get(ctx, u.ID)
		if err != nil {
			return notFoundAs(err, noLoginProfile(u.Name))
		}
		lp.PasswordHash, lp.PasswordResetRequired, lp.PasswordChangedAt = hash, false, s.clock()
		return tx.LoginProfiles().Update(ctx, lp)
	}))
}

// VerifyPassword checks an IAM user's console password, for a sign-in
// endpoint. It returns the user on success.
func (s *Service) VerifyPassword(ctx context.Context, accountID, userName, password string) (*store.User, error) {
	u, err := s.store.Users().Get(ctx, accountID, userName)
	if err != nil {
		return nil, notFoundAs(err, noSuchUser(userName))
	}
	lp, err := s.store.LoginProfiles().Get(ctx, u.ID)
	if err != nil {
		return nil, notFoundAs(err, noLoginProfile(userName))
	}
	if !verifyPassword(lp.PasswordHash, password) {
		return nil, awserr.AccessDenied("Incorrect user name or password.")
	}
	return u, nil
}
