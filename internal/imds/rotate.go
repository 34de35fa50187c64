package imds

import (
	"context"
	"sync"
	"time"
)

// Credentials are temporary credentials as the endpoints hand them out.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	// LastUpdated is when they were issued.
	LastUpdated time.Time
	RoleArn     string
}

// Source is where an endpoint's credentials come from.
type Source interface {
	Credentials(ctx context.Context) (*Credentials, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context) (*Credentials, error)

func (f SourceFunc) Credentials(ctx context.Context) (*Credentials, error) { return f(ctx) }

// DefaultRefresh is how long before expiry new credentials replace cached
// ones. SDKs refresh ahead of expiry themselves (botocore from 15 minutes
// before, and it fails if a mandatory refresh 10 minutes before brings
// credentials that still expire within 10 minutes), so new credentials
// must be available before the earliest of those: 20 minutes leaves margin.
const DefaultRefresh = 20 * time.Minute

// Rotator caches one set of credentials and replaces it when it comes within
// the refresh window of its expiry, or when the key it was issued for (the
// role's ID) changes. Safe for concurrent use; concurrent callers during a
// refresh wait for the one issue rather than issuing several.
type Rotator struct {
	// Now defaults to time.Now; Refresh to DefaultRefresh.
	Now     func() time.Time
	Refresh time.Duration

	mu  sync.Mutex
	key string
	cur *Credentials
}

// Get returns the cached credentials while they were issued for key and are
// fresh, and otherwise calls issue and caches its result. An error is not
// cached: the next call tries again.
func (r *Rotator) Get(ctx context.Context, key string, issue func(ctx context.Context) (*Credentials, error)) (*Credentials, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur != nil && r.key == key && r.fresh(r.cur) {
		return r.cur, nil
	}
	c, err := issue(ctx)
	if err != nil {
		return nil, err
	}
	r.key, r.cur = key, c
	return c, nil
}

// Last returns the cached credentials, or nil.
func (r *Rotator) Last() *Credentials {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// fresh reports whether c is outside the refresh window. The window is at
// most three quarters of c's lifetime, so short sessions are still reused
// for a while rather than reissued at every request.
func (r *Rotator) fresh(c *Credentials) bool {
	window := r.Refresh
	if window <= 0 {
		window = DefaultRefresh
	}
	if life := c.Expiration.Sub(c.LastUpdated); window > life*3/4 {
		window = life * 3 / 4
	}
	return r.now().Before(c.Expiration.Add(-window))
}

func (r *Rotator) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}
