package sts

import (
	"context"
	"errors"
	"github.com/mantle-iam/mantle/internal/auth"
	"strings"
	"sync"

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

// roleCache maps a requested role ARN to its entry for one IAM generation.
type roleCache struct {
	mu  sync.RWMutex
	gen uint64
	m   map[string]*roleEntry
}

// maxCachedRoles bounds the cache; when full it starts over, which costs one
// read per role and keeps the code free of eviction bookkeeping.
const maxCachedRoles = 10000

// role returns the role the ARN names, from the cache while IAM has not
// written since it was loaded. A missing role is an entry with role nil.
func (s *Service) role(ctx context.Context, arn string) (*roleEntry, error) {
	if s.gen == nil {
		return s.loadRole(ctx, arn)
	}
	gen := s.gen.Generation()
	c := &s.roles
	c.mu.RLock()
	e, ok := c.m[arn]
	cur := c.gen
	c.mu.RUnlock()
	if ok && cur == gen {
		return e, nil
	}
	e, err := s.loadRole(ctx, arn)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen != gen {
		// Every entry may be stale. An entry loaded under an older
		// generation than the cache's is still safe to keep: the next
		// lookup sees the newer generation and reloads.
		clear(c.m)
		c.gen = gen
	}
	if len(c.m) >= maxCachedRoles {
		clear(c.m)
	}
	c.m[arn] = e
	c.mu.Unlock()
	return e, nil
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
