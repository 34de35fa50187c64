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

// maxCached bounds each cache; when full it starts over.
const maxCached = 10000

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
	e := &roleEntry{role: r, arn: arn}
	if p, err := policy.Parse(r.TrustPolicy, policy.KindTrust); err == nil {
		e.trust = p.WithID("trust-policy")
	}
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
