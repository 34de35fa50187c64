package token

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestNewRingRejects(t *testing.T) {
	zero := testKey(3)
	zero.Secret = [32]byte{}
	tests := []struct {
		name   string
		keys   []Key
		active uint32
	}{
		{"no keys", nil, 1},
		{"active missing", []Key{testKey(1)}, 2},
		{"duplicate ID", []Key{testKey(1), testKey(1)}, 1},
		{"ID zero", []Key{testKey(0)}, 0},
		{"zero secret", []Key{testKey(1), zero}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewRing(tt.keys, tt.active); err == nil {
				t.Error("NewRing succeeded")
			}
		})
	}
}

func TestRotation(t *testing.T) {
	r := testRing(t, 1)
	old, _ := r.Seal(typicalClaims())

	if err := r.Add(testKey(2)); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(testKey(2)); err == nil {
		t.Error("adding a key twice succeeded")
	}
	if r.Active() != 1 {
		t.Errorf("Add changed the active key to %d", r.Active())
	}
	if err := r.SetActive(2); err != nil {
		t.Fatal(err)
	}
	if err := r.SetActive(9); err == nil {
		t.Error("activating a missing key succeeded")
	}
	fresh, _ := r.Seal(typicalClaims())
	for name, tok := range map[string]string{"old": old, "new": fresh} {
		if _, err := r.Open(tok); err != nil {
			t.Errorf("%s token after rotation: %v", name, err)
		}
	}
	// The new token is sealed by key 2: a ring holding only key 1 cannot
	// open it.
	if _, err := testRing(t, 1).Open(fresh); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("new token opened without key 2: %v", err)
	}

	if err := r.Remove(2); err == nil {
		t.Error("removing the active key succeeded")
	}
	if err := r.Remove(1); err != nil {
		t.Fatal(err)
	}
	if err := r.Remove(1); err == nil {
		t.Error("removing a missing key succeeded")
	}
	if _, err := r.Open(old); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("old token after its key was removed: %v", err)
	}
	if _, err := r.Open(fresh); err != nil {
		t.Errorf("new token after old key removed: %v", err)
	}
}

func TestPruneAndKeys(t *testing.T) {
	r := testRing(t, 1)
	for _, id := range []uint32{2, 3} {
		if err := r.Add(testKey(id)); err != nil {
			t.Fatal(err)
		}
	}
	before := time.Now()
	if err := r.SetActive(2); err != nil {
		t.Fatal(err)
	}
	if err := r.SetActive(2); err != nil { // no-op
		t.Fatal(err)
	}
	keys := r.Keys()
	if ids := []uint32{keys[0].ID, keys[1].ID, keys[2].ID}; !slices.Equal(ids, []uint32{1, 2, 3}) {
		t.Fatalf("Keys IDs = %v", ids)
	}
	if keys[0].Retired.Before(before.Truncate(time.Second)) || !keys[1].Retired.IsZero() || !keys[2].Retired.IsZero() {
		t.Errorf("Retired times = %v, %v, %v; want key 1 retired now, others zero",
			keys[0].Retired, keys[1].Retired, keys[2].Retired)
	}
	if keys[0].Secret != testKey(1).Secret {
		t.Error("Keys lost the secret")
	}

	// Key 3 never sealed (never active, no Retired): it is kept, since the
	// ring cannot know it is unused. Key 1 goes once its tokens are all
	// expired.
	if got := r.Prune(time.Now().Add(MaxSessionLifetime - time.Minute)); len(got) != 0 {
		t.Errorf("Prune before the lifetime removed %v", got)
	}
	if got := r.Prune(time.Now().Add(MaxSessionLifetime + time.Minute)); !slices.Equal(got, []uint32{1}) {
		t.Errorf("Prune after the lifetime removed %v, want [1]", got)
	}
	if r.Active() != 2 || len(r.Keys()) != 2 {
		t.Errorf("after Prune: active %d, %d keys", r.Active(), len(r.Keys()))
	}
}

func TestNewRingRetiresInactiveKeys(t *testing.T) {
	k1, k2 := testKey(1), testKey(2)
	k2.Retired = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	r, err := NewRing([]Key{k1, k2, testKey(3)}, 3)
	if err != nil {
		t.Fatal(err)
	}
	keys := r.Keys()
	if keys[0].Retired.IsZero() {
		t.Error("inactive key without a Retired time was not retired at construction")
	}
	if !keys[1].Retired.Equal(k2.Retired) {
		t.Errorf("stored Retired time replaced: %v", keys[1].Retired)
	}
	if got := r.Prune(time.Now()); !slices.Equal(got, []uint32{2}) {
		t.Errorf("Prune removed %v, want [2]", got)
	}
}

// TestConcurrent seals and opens from many goroutines while keys rotate;
// run it with -race.
func TestConcurrent(t *testing.T) {
	r := testRing(t, 1)
	c := typicalClaims()
	stop := make(chan struct{})
	var rot sync.WaitGroup
	rot.Add(1)
	go func() {
		defer rot.Done()
		for id := uint32(2); ; id++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := r.Add(testKey(id)); err != nil {
				t.Error(err)
				return
			}
			if err := r.SetActive(id); err != nil {
				t.Error(err)
				return
			}
			_ = r.Keys()
			time.Sleep(time.Millisecond)
		}
	}()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 300 {
				tok, err := r.Seal(c)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := r.Open(tok)
				if err != nil {
					t.Error(err)
					return
				}
				if got.AccessKeyID != c.AccessKeyID || len(got.Tags) != 2 {
					t.Errorf("claims mixed up: %+v", got)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	rot.Wait()
}
