package sts

import (
	"context"
	"errors"
	"strings"

	"github.com/mantle-iam/mantle/internal/auth"

	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/policy"
)

// roleEntry is a role as AssumeRole needs it: the stored role, its ARN and
// its compiled trust policy. A role that does not exist is cached too (role
// nil), so that callers probing names cost no database read.
type roleEntry struct {
	role  *store.Role
	arn   string
	trust *policy.Policy // nil when the stored document no longer parses
}

// maxCached bounds the provider and trust policy caches; defaultRoleCache
// the roles. A role entry is a few hundred bytes (the stored role without
// its documents, and a trust policy shared by every role with the same
// document), so 100,000 roles cost tens of megabytes, and AssumeRole on
// any of them costs no read.
const (
	maxCached        = 10000
	defaultRoleCache = 100_000
)

// role returns the role the ARN names, from the cache while nothing has
// changed since it was loaded. A missing role is an entry with role nil.
func (s *Service) role(ctx context.Context, arn string) (*roleEntry, error) {
	return s.roles.Get(ctx, arn, func(ctx context.Context) (*roleEntry, error) { return s.loadRole(ctx, arn) })
}

// loadRole reads the role a role ARN names: arn:aws:iam::ACCOUNT:role/PATH/NAME.
// The path must be the role's, as IAM matches role ARNs exactly.
func (s *Service) loadRole(ctx context.Context, arn string) (*roleEntry, error) {
	account, path, name, ok := parseRoleARN(arn)
	if !ok {
		return &roleEntry{arn: arn}, nil
	}
	r, err := s.store.Roles().Get(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) {
		return &roleEntry{arn: arn}, nil
	}
	if err != nil {
		return nil, err
	}
	if r.Path != path || r.Name != name {
		return &roleEntry{arn: arn}, nil
	}
	// Only what a session needs is kept: the documents, tags and
	// description would multiply the cache's size.
	e := &roleEntry{arn: arn, role: &store.Role{ID: r.ID, AccountID: r.AccountID, Name: r.Name, Path: r.Path,
		MaxSessionDuration: r.MaxSessionDuration}}
	e.trust, _ = s.trusts.Get(ctx, r.TrustPolicy, func(context.Context) (*policy.Policy, error) {
		p, err := policy.Parse(r.TrustPolicy, policy.KindTrust)
		if err != nil {
			return nil, nil // kept as nil: the stored document no longer parses
		}
		return p.WithID("trust-policy"), nil
	})
	return e, nil
}

// parseRoleARN splits arn:aws:iam::ACCOUNT:role/PATH/NAME.
func parseRoleARN(arn string) (account, path, name string, ok bool) {
	const pfx = "arn:aws:iam::"
	if !strings.HasPrefix(arn, pfx) {
		return "", "", "", false
	}
	account, res, found := cut(arn[len(pfx):], ':')
	if !found || !auth.IsAccountID(account) || !strings.HasPrefix(res, "role/") {
		return "", "", "", false
	}
	res = res[len("role"):] // "/path/name"
	i := strings.LastIndexByte(res, '/')
	path, name = res[:i+1], res[i+1:]
	if name == "" {
		return "", "", "", false
	}
	return account, path, name, true
}
