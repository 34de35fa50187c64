package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"

	"github.com/mantle-iam/mantle/internal/secrets"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/postgres"
)

// MasterRotation is what a master key rotation did.
type MasterRotation struct {
	KeyID    string `json:"masterKeyId"` // the new key's ID (secrets.KeyID), in hex
	Resealed int    `json:"resealed"`    // secrets re-sealed under it
}

// errOtherNodes refuses a master key rotation one node cannot finish: the
// others must hold the new key before anything is sealed under it.
var errOtherNodes = errors.New("other mantle nodes share this database: give every node the new key first " +
	"(--master-key-file NEW with the old key in NEW.previous, restarted one at a time), " +
	"then run mantle keys rotate master --reseal-only on one node (docs/operations.md)")

// rotateMasterKey makes a new master key the primary one on this node
// (unless resealOnly: the key files were changed by hand on every node),
// re-seals every stored secret under the primary key, and drops the old
// keys once nothing is sealed under them.
//
// The key files change first (the old key kept in the .previous file),
// then the secrets: a mantle stopped at any point restarts with both keys
// and opens everything, and the next rotation finishes the job.
func (s *Server) rotateMasterKey(ctx context.Context, resealOnly bool) (*MasterRotation, error) {
	keyFile := s.cfg.MasterKeyFile
	if pg, ok := s.backend.(*postgres.Store); ok && !resealOnly {
		n, err := pg.LiveNodes(ctx)
		if err != nil {
			return nil, err
		}
		if n > 1 {
			return nil, errOtherNodes
		}
	}
	primary, previous, err := secrets.LoadKeys(keyFile)
	if err != nil {
		return nil, err
	}
	if !resealOnly {
		next := make([]byte, secrets.KeySize)
		if _, err := rand.Read(next); err != nil {
			return nil, err
		}
		keep := primary
		for _, p := range previous {
			if !bytes.Equal(p, primary) {
				keep = append(bytes.Clone(keep), p...)
			}
		}
		if err := secrets.WriteKeyFile(secrets.PreviousFile(keyFile), keep); err != nil {
			return nil, fmt.Errorf("keep the old master key: %w", err)
		}
		if err := secrets.WriteKeyFile(keyFile, next); err != nil {
			return nil, fmt.Errorf("write the new master key: %w", err)
		}
		if err := s.sealer.Rotate(next); err != nil {
			return nil, err
		}
		primary = next
	}
	rot := &MasterRotation{KeyID: fmt.Sprintf("%08x", secrets.KeyID(primary))}
	// A write that sealed a secret before the rotation may commit after a
	// pass: passes run until one finds nothing left under an old key.
	for pass := 0; ; pass++ {
		n, err := s.reseal(ctx)
		if err != nil {
			return nil, err
		}
		rot.Resealed += n
		if n == 0 {
			break
		}
		if pass == 4 {
			return nil, errors.New("secrets sealed under the old master key keep appearing: run the rotation again")
		}
	}
	s.sealer.DropPrevious()
	if err := os.Remove(secrets.PreviousFile(keyFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return rot, nil
}

// reseal re-seals, in one change, every stored secret not sealed under the
// primary key: signing keys, access keys' secrets, MFA seeds.
func (s *Server) reseal(ctx context.Context) (int, error) {
	var n int
	redo := func(sealed []byte) ([]byte, bool, error) {
		if len(sealed) == 0 || s.sealer.Current(sealed) {
			return sealed, false, nil
		}
		plain, err := s.sealer.Open(sealed)
		if err != nil {
			return nil, false, err
		}
		out, err := s.sealer.Seal(plain)
		return out, err == nil, err
	}
	err := s.cfg.Store.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		n = 0
		keys, err := tx.SigningKeys().List(ctx)
		if err != nil {
			return err
		}
		for _, k := range keys {
			m, changed, err := redo(k.Material)
			if err != nil {
				return fmt.Errorf("signing key %s: %w", k.ID, err)
			}
			if changed {
				k.Material = m
				if err := tx.SigningKeys().Update(ctx, k); err != nil {
					return err
				}
				n++
			}
		}
		accounts, err := tx.Accounts().List(ctx)
		if err != nil {
			return err
		}
		for _, a := range accounts {
			users, err := tx.Users().List(ctx, a.ID, store.ListOptions{})
			if err != nil {
				return err
			}
			owners := []string{""} // the root user's keys
			for _, u := range users {
				owners = append(owners, u.ID)
			}
			for _, owner := range owners {
				aks, err := tx.AccessKeys().ListForUser(ctx, a.ID, owner)
				if err != nil {
					return err
				}
				for _, k := range aks {
					m, changed, err := redo(k.Secret)
					if err != nil {
						return fmt.Errorf("access key %s: %w", k.ID, err)
					}
					if changed {
						k.Secret = m
						if err := tx.AccessKeys().Update(ctx, k); err != nil {
							return err
						}
						n++
					}
				}
			}
			devices, err := tx.MFADevices().List(ctx, a.ID, store.ListOptions{})
			if err != nil {
				return err
			}
			for _, d := range devices {
				m, changed, err := redo(d.Seed)
				if err != nil {
					return fmt.Errorf("MFA device %s: %w", d.SerialNumber, err)
				}
				if changed {
					d.Seed = m
					if err := tx.MFADevices().Update(ctx, d); err != nil {
						return err
					}
					n++
				}
			}
		}
		return nil
	})
	return n, err
}
