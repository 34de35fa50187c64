package server

import (
	"context"

	"github.com/mantle-iam/mantle/internal/store"
)

// cachedKeys remembers long-term keys until the next change (the store's
// generation: a key may have been deactivated or deleted, its user
// renamed), so a signed request costs no database read and no decryption of
// the secret. Negative results are not cached: an unknown key is cheap to
// refuse and must not fill memory.
type cachedKeys struct {
	next    KeyLookup
	entries *store.Cache[string, *keyEntry]
}

type keyEntry struct {
	key    *store.AccessKey
	secret string
	user   *store.User
}

func newCachedKeys(next KeyLookup, gen store.Generations) *cachedKeys {
	return &cachedKeys{next: next, entries: store.NewCache[string, *keyEntry](gen, 100000)}
}

func (c *cachedKeys) LookupAccessKey(ctx context.Context, id string) (*store.AccessKey, string, *store.User, error) {
	e, err := c.entries.Get(ctx, id, func(ctx context.Context) (*keyEntry, error) {
		k, secret, u, err := c.next.LookupAccessKey(ctx, id)
		if err != nil {
			return nil, err
		}
		return &keyEntry{key: k, secret: secret, user: u}, nil
	})
	if err != nil {
		return nil, "", nil, err
	}
	return e.key, e.secret, e.user, nil
}
