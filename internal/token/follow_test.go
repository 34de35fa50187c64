package token

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memSource is a store of keys several rings follow, as nodes follow the
// signing keys in the database.
type memSource struct {
	mu     sync.Mutex
	gen    atomic.Uint64
	keys   []Key
	active uint32
	loads  atomic.Int64
}

func (s *memSource) Generation() uint64 { return s.gen.Load() }

func (s *memSource) Keys() ([]Key, uint32, error) {
	s.loads.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Key(nil), s.keys...), s.active, nil
}

func (s *memSource) set(keys []Key, active uint32) {
	s.mu.Lock()
	s.keys, s.active = keys, active
	s.mu.Unlock()
	s.gen.Add(1)
}

func keyIDOf(t *testing.T, tok string) uint32 {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	return binary.BigEndian.Uint32(raw[magicLen:adLen])
}

func followingRing(t *testing.T, src *memSource) *Ring {
	t.Helper()
	keys, active, _ := src.Keys()
	r, err := NewRing(keys, active)
	if err != nil {
		t.Fatal(err)
	}
	r.Follow(src, src.Generation())
	return r
}

func TestRingFollowsRotation(t *testing.T) {
	src := &memSource{keys: []Key{testKey(1)}, active: 1}
	a, b := followingRing(t, src), followingRing(t, src)
	old, err := b.Seal(typicalClaims())
	if err != nil {
		t.Fatal(err)
	}

	// Node A rotates: key 2 active, key 1 retired, and reloads at once.
	retired := testKey(1)
	retired.Retired = time.Now().UTC()
	src.set([]Key{retired, testKey(2)}, 2)
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	fresh, err := a.Seal(typicalClaims())
	if err != nil {
		t.Fatal(err)
	}
	if id := keyIDOf(t, fresh); id != 2 {
		t.Fatalf("A sealed with key %d after the rotation, want 2", id)
	}
	// B has not reloaded: the unknown key makes it.
	if _, err := b.Open(fresh); err != nil {
		t.Fatalf("B opens A's new token: %v", err)
	}
	if got := b.Active(); got != 2 {
		t.Errorf("B seals with key %d after reloading, want 2", got)
	}
	// Tokens of the retired key still open everywhere.
	for name, r := range map[string]*Ring{"A": a, "B": b} {
		if _, err := r.Open(old); err != nil {
			t.Errorf("%s: old token: %v", name, err)
		}
	}

	// Key 1 pruned from the store: no ring opens its tokens once it
	// reloaded.
	src.set([]Key{testKey(2)}, 2)
	if err := b.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open(old); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("pruned key's token: %v, want ErrUnknownKey", err)
	}
}

// A node that has not heard of the new active key yet learns it when it
// next seals after the generation moved, in the background.
func TestRingSealReloadsInBackground(t *testing.T) {
	src := &memSource{keys: []Key{testKey(1)}, active: 1}
	b := followingRing(t, src)
	src.set([]Key{testKey(1), testKey(2)}, 2)
	deadline := time.Now().Add(5 * time.Second)
	for b.Active() != 2 {
		if time.Now().After(deadline) {
			t.Fatal("B never started sealing with key 2")
		}
		if _, err := b.Seal(typicalClaims()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
}

// Made-up key IDs cost one reload per change of the source, not one per
// request.
func TestRingUnknownKeyReloadsOncePerGeneration(t *testing.T) {
	src := &memSource{keys: []Key{testKey(1)}, active: 1}
	r := followingRing(t, src)
	other := testRing(t, 99)
	forged, err := other.Seal(typicalClaims())
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if _, err := r.Open(forged); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("forged: %v", err)
		}
	}
	if n := src.loads.Load(); n != 1 { // the one in followingRing
		t.Fatalf("%d loads with the generation unchanged, want none beyond the first", n-1)
	}
	src.gen.Add(1)
	for range 100 {
		r.Open(forged)
	}
	if n := src.loads.Load(); n != 2 {
		t.Fatalf("%d loads after one change, want 1", n-1)
	}
}
