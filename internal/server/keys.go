package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
	err := st.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		keys, active = nil, 0
		stored, err := tx.SigningKeys().List(ctx)
		if err != nil {
			return err
		}
		if len(stored) == 0 {
			k := token.GenerateKey(1)
			bin, err := k.MarshalBinary()
			if err != nil {
				return err
			}
			sealed, err := sealer.Seal(bin)
			if err != nil {
				return err
			}
			sk := &store.SigningKey{ID: "1", Material: sealed, Active: true, CreatedAt: now.UTC().Truncate(time.Second)}
			if err := tx.SigningKeys().Create(ctx, sk); err != nil {
				return err
			}
			stored = []*store.SigningKey{sk}
		}
		for _, sk := range stored {
			bin, err := sealer.Open(sk.Material)
			if err != nil {
				return fmt.Errorf("signing key %s: %w (is this the master key the data was created with?)", sk.ID, err)
			}
			var k token.Key
			if err := k.UnmarshalBinary(bin); err != nil {
				return fmt.Errorf("signing key %s: %w", sk.ID, err)
			}
			if strconv.FormatUint(uint64(k.ID), 10) != sk.ID {
				return fmt.Errorf("signing key %s: material is for key %d", sk.ID, k.ID)
			}
			keys = append(keys, k)
			if sk.Active {
				active = k.ID
			}
		}
		if active == 0 {
			return errors.New("no active session-token signing key")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return token.NewRing(keys, active)
}
