// Package secrets seals data at rest (secret access keys, MFA seeds, token
// signing keys) under the master key kept in the data directory.
//
// A Sealer holds one primary key, which seals, and any number of previous
// keys, which only open: rotating the master key makes a new key primary,
// re-seals every stored secret under it, and then drops the old one.
// Sealed values name the key that sealed them (version 2); values of
// version 1, from before keys were named, are tried under every key held.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
)

// KeySize is the master key's length: AES-256.
const KeySize = 32

const (
	version1 = 1 // version | nonce | ciphertext
	version2 = 2 // version | key ID (4 bytes) | nonce | ciphertext
)

// ErrOpen means a sealed value was tampered with or sealed under another key.
var ErrOpen = errors.New("secrets: cannot open sealed value")

type masterKey struct {
	id   uint32
	aead cipher.AEAD
}

type keySet struct {
	primary *masterKey
	all     []*masterKey // primary first
}

// Sealer encrypts and authenticates values with AES-256-GCM. Safe for
// concurrent use, key changes included.
type Sealer struct {
	keys atomic.Pointer[keySet]
}

// KeyID names a master key in the values it seals: the first four bytes of
// a hash of it, which say nothing of the key.
func KeyID(key []byte) uint32 {
	h := sha256.Sum256(append([]byte("mantle master key id\x00"), key...))
	return binary.BigEndian.Uint32(h[:4])
}

func newMasterKey(key []byte) (*masterKey, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets: master key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &masterKey{id: KeyID(key), aead: aead}, nil
}

// NewSealer returns a Sealer sealing under the 32-byte primary key and
// opening under it and the previous keys.
func NewSealer(primary []byte, previous ...[]byte) (*Sealer, error) {
	s := new(Sealer)
	set := &keySet{}
	for i, k := range append([][]byte{primary}, previous...) {
		mk, err := newMasterKey(k)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			set.primary = mk
		}
		if set.find(mk.id) == nil {
			set.all = append(set.all, mk)
		}
	}
	s.keys.Store(set)
	return s, nil
}

func (ks *keySet) find(id uint32) *masterKey {
	for _, k := range ks.all {
		if k.id == id {
			return k
		}
	}
	return nil
}

// Seal returns version 2 || key ID || nonce || ciphertext under the
// primary key. The version and key ID are bound as associated data.
func (s *Sealer) Seal(plain []byte) ([]byte, error) {
	k := s.keys.Load().primary
	ns := k.aead.NonceSize()
	out := make([]byte, 5+ns, 5+ns+len(plain)+k.aead.Overhead())
	out[0] = version2
	binary.BigEndian.PutUint32(out[1:5], k.id)
	if _, err := rand.Read(out[5 : 5+ns]); err != nil {
		return nil, err
	}
	return k.aead.Seal(out, out[5:5+ns], plain, out[:5]), nil
}

// Open reverses Seal, under whichever held key sealed the value.
func (s *Sealer) Open(sealed []byte) ([]byte, error) {
	ks := s.keys.Load()
	switch {
	case len(sealed) > 0 && sealed[0] == version1:
		for _, k := range ks.all {
			ns := k.aead.NonceSize()
			if len(sealed) < 1+ns+k.aead.Overhead() {
				return nil, ErrOpen
			}
			if plain, err := k.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], sealed[:1]); err == nil {
				return plain, nil
			}
		}
	case len(sealed) > 5 && sealed[0] == version2:
		k := ks.find(binary.BigEndian.Uint32(sealed[1:5]))
		if k == nil {
			return nil, ErrOpen
		}
		ns := k.aead.NonceSize()
		if len(sealed) < 5+ns+k.aead.Overhead() {
			return nil, ErrOpen
		}
		if plain, err := k.aead.Open(nil, sealed[5:5+ns], sealed[5+ns:], sealed[:5]); err == nil {
			return plain, nil
		}
	}
	return nil, ErrOpen
}

// Current reports whether sealed was sealed under the primary key, so a
// rotation re-seals only what it must.
func (s *Sealer) Current(sealed []byte) bool {
	return len(sealed) > 5 && sealed[0] == version2 &&
		binary.BigEndian.Uint32(sealed[1:5]) == s.keys.Load().primary.id
}

// Rotate makes key the primary key; the keys held before keep opening.
func (s *Sealer) Rotate(key []byte) error {
	mk, err := newMasterKey(key)
	if err != nil {
		return err
	}
	old := s.keys.Load()
	set := &keySet{primary: mk, all: []*masterKey{mk}}
	for _, k := range old.all {
		if k.id != mk.id {
			set.all = append(set.all, k)
		}
	}
	s.keys.Store(set)
	return nil
}

// DropPrevious forgets every key but the primary: once every stored value
// is sealed under it.
func (s *Sealer) DropPrevious() {
	old := s.keys.Load()
	s.keys.Store(&keySet{primary: old.primary, all: []*masterKey{old.primary}})
}

// PreviousFile is where the keys a rotation replaced are kept, beside the
// master key file, until every secret is re-sealed: a mantle restarted in
// the middle of a rotation opens both.
func PreviousFile(keyFile string) string { return keyFile + ".previous" }

// LoadKeys reads the master key at path and the previous keys beside it
// (PreviousFile, 32 bytes each; none when the file does not exist).
func LoadKeys(path string) (primary []byte, previous [][]byte, err error) {
	primary, err = LoadOrCreateKey(path)
	if err != nil {
		return nil, nil, err
	}
	b, err := os.ReadFile(PreviousFile(path))
	if errors.Is(err, os.ErrNotExist) {
		return primary, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if len(b) == 0 || len(b)%KeySize != 0 {
		return nil, nil, fmt.Errorf("secrets: %s holds %d bytes, want a multiple of %d", PreviousFile(path), len(b), KeySize)
	}
	for len(b) > 0 {
		previous = append(previous, b[:KeySize])
		b = b[KeySize:]
	}
	return primary, previous, nil
}

// WriteKeyFile replaces path with data (mode 0600) so that a crash leaves
// the old content or the new, never a mix: written aside, synced, renamed.
func WriteKeyFile(path string, data []byte) error {
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// LoadOrCreateKey reads the master key from path, creating it (mode 0600)
// with a fresh random key when the file does not exist.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != KeySize {
			return nil, fmt.Errorf("secrets: master key file %s holds %d bytes, want %d", path, len(key), KeySize)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}
