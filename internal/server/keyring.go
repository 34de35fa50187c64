package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/mantle-iam/mantle/internal/secrets"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/token"
)

// keyPruneMargin is how long after MaxSessionLifetime a retired token key
// is kept: another node may have sealed with it for a moment after the
// rotation, until it reloaded its ring.
const keyPruneMargin = 10 * time.Minute

// storedKeys is the session-token ring's Source: the signing keys every
// node shares through the store, sealed under the master key.
type storedKeys struct {
	st     store.Store
	sealer *secrets.Sealer
}

func (k storedKeys) Generation() uint64 { return k.st.Generation() }

func (k storedKeys) Keys() ([]token.Key, uint32, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stored, err := k.st.SigningKeys().List(ctx)
	if err != nil {
		return nil, 0, err
	}
	return openKeys(stored, k.sealer)
}

// openKeys unseals the stored signing keys and finds the active one.
func openKeys(stored []*store.SigningKey, sealer *secrets.Sealer) ([]token.Key, uint32, error) {
	var keys []token.Key
	var active uint32
	for _, sk := range stored {
		k, err := openKey(sk, sealer)
		if err != nil {
			return nil, 0, err
		}
		keys = append(keys, k)
		if sk.Active {
			active = k.ID
		}
	}
	if active == 0 {
		return nil, 0, errors.New("no active session-token signing key")
	}
	return keys, active, nil
}

func openKey(sk *store.SigningKey, sealer *secrets.Sealer) (token.Key, error) {
	var k token.Key
	bin, err := sealer.Open(sk.Material)
	if err != nil {
		return k, fmt.Errorf("signing key %s: %w (is this the master key the data was created with?)", sk.ID, err)
	}
	if err := k.UnmarshalBinary(bin); err != nil {
		return k, fmt.Errorf("signing key %s: %w", sk.ID, err)
	}
	if strconv.FormatUint(uint64(k.ID), 10) != sk.ID {
		return k, fmt.Errorf("signing key %s: material is for key %d", sk.ID, k.ID)
	}
	return k, nil
}

func sealKey(k token.Key, sealer *secrets.Sealer) ([]byte, error) {
	bin, err := k.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return sealer.Seal(bin)
}

// TokenRotation is what a rotation of the session-token key did.
type TokenRotation struct {
	Active  uint32   `json:"activeKeyId"`            // the key that seals from now on
	Retired uint32   `json:"retiredKeyId"`           // the key it replaced, which still opens tokens
	Pruned  []uint32 `json:"prunedKeyIds,omitempty"` // keys retired long enough that every token they sealed has expired
}

// rotateTokenKey makes a new session-token key the active one in the store
// (one change: every node reloads its ring when it meets a token sealed
// with the new key, or seals its next token), keeps the previous key to
// open the tokens it sealed until they expire, and drops the keys retired
// more than MaxSessionLifetime (and a margin) ago.
func (s *Server) rotateTokenKey(ctx context.Context) (*TokenRotation, error) {
	var rot *TokenRotation
	now := s.cfg.Now().UTC().Truncate(time.Second)
	err := s.cfg.Store.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		rot = &TokenRotation{}
		stored, err := tx.SigningKeys().List(ctx)
		if err != nil {
			return err
		}
		var next uint32
		for _, sk := range stored {
			k, err := openKey(sk, s.sealer)
			if err != nil {
				return err
			}
			next = max(next, k.ID)
			switch {
			case sk.Active:
				k.Retired = now
				if sk.Material, err = sealKey(k, s.sealer); err != nil {
					return err
				}
				sk.Active = false
				if err := tx.SigningKeys().Update(ctx, sk); err != nil {
					return err
				}
				rot.Retired = k.ID
			case !k.Retired.IsZero() && now.Sub(k.Retired) > token.MaxSessionLifetime+keyPruneMargin:
				if err := tx.SigningKeys().Delete(ctx, sk.ID); err != nil {
					return err
				}
				rot.Pruned = append(rot.Pruned, k.ID)
			}
		}
		k := token.GenerateKey(next + 1)
		k.Created = now
		material, err := sealKey(k, s.sealer)
		if err != nil {
			return err
		}
		rot.Active = k.ID
		return tx.SigningKeys().Create(ctx, &store.SigningKey{ID: strconv.FormatUint(uint64(k.ID), 10), Material: material, Active: true, CreatedAt: now})
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(rot.Pruned)
	return rot, s.Tokens.Reload()
}

// CheckMasterKey checks that the secrets in st open under the master key
// in keyFile: what a restore must know before it puts a backup in place,
// since a database sealed under another key serves no secret.
func CheckMasterKey(ctx context.Context, st store.Store, keyFile string) error {
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	sealer, err := secrets.NewSealer(b)
	if err != nil {
		return fmt.Errorf("master key %s: %w", keyFile, err)
	}
	stored, err := st.SigningKeys().List(ctx)
	if err != nil {
		return err
	}
	for _, sk := range stored {
		if _, err := openKey(sk, sealer); err != nil {
			return fmt.Errorf("the backup's secrets do not open under the master key %s: restore with the master key of the mantle the backup was taken from", keyFile)
		}
	}
	return nil
}
