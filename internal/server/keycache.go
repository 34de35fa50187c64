package server

import (
	"context"
	"sync"

	"github.com/mantle-iam/mantle/internal/store"
)

// Generation is the IAM write counter: it moves after every committed IAM
// write, which is when a cached key may have changed (deactivated, deleted,
// its user renamed).
type Generation interface {
	Generation() uint64
}

// cachedKeys remembers long-term keys between IAM writes, so a signed
// request costs no database read and no decryption of the secret. Negative
// results are not cached: an unknown key is cheap to refuse and must not
// fill memory.
type cachedKeys struct {
	next KeyLookup
	gen  Generation
	max  int

	mu      sync.RWMutex
	at      uint64
	entries map[string]*keyEntry
}

type keyEntry struct {
	key    *store.AccessKey
	secret string
	user   *store.User
}

func newCachedKeys(next KeyLookup, gen Generation) *cachedKeys {
	return &cachedKeys{next: next, gen: gen, max: 100000, entries: make(map[string]*keyEntry)}
}

func (c *cachedKeys) LookupAccessKey(ctx context.Context, id string) (*store.AccessKey, string, *store.User, error) {
	g := c.gen.Generation()
	c.mu.RLock()
	e, ok := c.entries[id]
	fresh := c.at == g
	c.mu.RUnlock()
	if ok && fresh {
		return e.key, e.secret, e.user, nil
	}
	k, secret, u, err := c.next.LookupAccessKey(ctx, id)
	if err != nil {
		return nil, "", nil, err
	}
	c.mu.Lock()
	if c.at != g || len(c.entries) >= c.max {
		clear(c.entries)
		c.at = g
	}
	c.entries[id] = &keyEntry{key: k, secret: secret, user: u}
	c.mu.Unlock()
	return k, secret, u, nil
}
