package server

import (
	"context"
	"time"

	"github.com/mantle-iam/mantle/internal/secrets"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/token"
)

// loadTokenRing builds the session-token key ring from the keys every node
// shares through the store, creating the first key on a new store. The key
// material is sealed under the master key at rest.
func loadTokenRing(ctx context.Context, st store.Store, sealer *secrets.Sealer, now time.Time) (*token.Ring, error) {
	var keys []token.Key
	var active uint32
	// The generation before the read: a change committed meanwhile makes
	// the ring read again.
	gen := st.Generation()
	err := st.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		keys, active = nil, 0
		stored, err := tx.SigningKeys().List(ctx)
		if err != nil {
			return err
		}
		if len(stored) == 0 {
			sealed, err := sealKey(token.GenerateKey(1), sealer)
			if err != nil {
				return err
			}
			sk := &store.SigningKey{ID: "1", Material: sealed, Active: true, CreatedAt: now.UTC().Truncate(time.Second)}
			if err := tx.SigningKeys().Create(ctx, sk); err != nil {
				return err
			}
			stored = []*store.SigningKey{sk}
		}
		keys, active, err = openKeys(stored, sealer)
		return err
	})
	if err != nil {
		return nil, err
	}
	ring, err := token.NewRing(keys, active)
	if err != nil {
		return nil, err
	}
	ring.Follow(storedKeys{st: st, sealer: sealer}, gen)
	return ring, nil
}
