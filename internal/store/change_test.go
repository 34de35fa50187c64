package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
)

func TestCache(t *testing.T) {
	ctx := context.Background()
	var gen Counter
	loads := 0
	load := func(v string) func(context.Context) (string, error) {
		return func(context.Context) (string, error) { loads++; return v, nil }
	}
	c := NewCache[string, string](&gen, 2)
	for _, step := range []struct {
		name      string
		advance   bool
		key, v    string
		want      string
		wantLoads int
	}{
		{"first load", false, "a", "1", "1", 1},
		{"cached", false, "a", "2", "1", 1},
		{"other key", false, "b", "3", "3", 2},
		{"change drops everything", true, "a", "6", "6", 3},
		{"cached again", false, "a", "7", "6", 3},
	} {
		if step.advance {
			gen.Advance()
		}
		got, err := c.Get(ctx, step.key, load(step.v))
		if err != nil || got != step.want || loads != step.wantLoads {
			t.Errorf("%s: got %q, %v after %d loads; want %q after %d", step.name, got, err, loads, step.want, step.wantLoads)
		}
	}

	// Errors are returned, not cached.
	boom := errors.New("boom")
	if _, err := c.Get(ctx, "x", func(context.Context) (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Errorf("error not returned: %v", err)
	}
	if got, _ := c.Get(ctx, "x", load("8")); got != "8" {
		t.Errorf("error was cached: %q", got)
	}

	// A value loaded while a change happened is returned, not kept.
	got, _ := c.Get(ctx, "y", func(context.Context) (string, error) { gen.Advance(); return "old", nil })
	if got != "old" {
		t.Errorf("got %q", got)
	}
	if got, _ := c.Get(ctx, "y", load("new")); got != "new" {
		t.Errorf("value loaded across a change was kept: %q", got)
	}

	// Without a generation nothing is cached.
	nc := NewCache[string, string](nil, 10)
	nc.Get(ctx, "a", load("1"))
	if got, _ := nc.Get(ctx, "a", load("2")); got != "2" {
		t.Errorf("cache without generation kept %q", got)
	}
}

// A full cache evicts one value per value loaded, so with twice as many
// keys in use as room, used at random, it still answers about half the
// lookups.
func TestCacheEvictsOne(t *testing.T) {
	ctx := context.Background()
	var gen Counter
	c := NewCache[int, int](&gen, 1000)
	loads := 0
	load := func(context.Context) (int, error) { loads++; return 1, nil }
	for k := range 1000 {
		c.Get(ctx, k, load)
	}
	c.Get(ctx, 1000, load)
	if len(c.m) != 1000 {
		t.Fatalf("%d values held, want 1000", len(c.m))
	}
	if _, ok := c.m[1000]; !ok {
		t.Fatal("the value loaded last is not held")
	}
	loads = 0
	const lookups = 20000
	rng := rand.New(rand.NewPCG(1, 2))
	for range lookups {
		c.Get(ctx, rng.IntN(2000), load)
	}
	if hits := lookups - loads; hits < lookups/3 {
		t.Errorf("%d of %d lookups answered from a cache of half the keys", hits, lookups)
	}
}

func TestCacheConcurrent(t *testing.T) {
	var gen Counter
	c := NewCache[int, int](&gen, 100)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 1000 {
				if j%100 == 0 {
					gen.Advance()
				}
				v, _ := c.Get(context.Background(), j%7, func(context.Context) (int, error) { return (j % 7) * 10, nil })
				if v != (j%7)*10 {
					t.Errorf("worker %d: key %d gave %d", i, j%7, v)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestStager(t *testing.T) {
	ctx := context.Background()
	if StagerFrom(ctx) != nil || Stage(ctx, nil) != nil {
		t.Fatal("a context without a stager stages")
	}
	s := stagerFunc(func(context.Context, Repos) error { return errors.New("staged") })
	if err := Stage(WithStager(ctx, s), nil); err == nil || err.Error() != "staged" {
		t.Errorf("Stage gave %v", err)
	}
}

type stagerFunc func(context.Context, Repos) error

func (f stagerFunc) Stage(ctx context.Context, tx Repos) error { return f(ctx, tx) }
