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

// genCache maps keys to values loaded while IAM's generation was gen: roles
// with their trust policies, and identity providers. Any IAM write moves the
// generation and so drops every entry.
type genCache[V any] struct {
	mu  sync.RWMutex
	gen uint64
	m   map[string]V
}

// maxCached bounds a cache; when full it starts over, which costs one read
// per key and keeps the code free of eviction bookkeeping.
const maxCached = 10000

// lookup returns the value cached for key under generation gen.
func (c *genCache[V]) lookup(gen uint64, key string) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[key]
	cur := c.gen
	c.mu.RUnlock()
	if ok && cur == gen {
		return v, true
	}
	var zero V
	return zero, false
}

// store caches v, loaded under generation gen.
func (c *genCache[V]) store(gen uint64, key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || c.gen != gen {
		// Every entry may be stale. An entry loaded under an older
		// generation than the cache's is still safe to keep: the next
		// lookup sees the newer generation and reloads.
		c.m = make(map[string]V)
		c.gen = gen
	}
	if len(c.m) >= maxCached {
		clear(c.m)
	}
	c.m[key] = v
}

// role returns the role the ARN names, from the cache while IAM has not
// written since it was loaded. A missing role is an entry with role nil.
func (s *Service) role(ctx context.Context, arn string) (*roleEntry, error) {
	if s.gen == nil {
		return s.loadRole(ctx, arn)
	}
	gen := s.gen.Generation()
	if e, ok := s.roles.lookup(gen, arn); ok {
		return e, nil
	}
	e, err := s.loadRole(ctx, arn)
	if err != nil {
		return nil, err
	}
	s.roles.store(gen, arn, e)
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
