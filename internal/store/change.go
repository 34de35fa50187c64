package store

import (
	"context"
	"sync"
	"sync/atomic"
)

// The change contract. Every write that may change what a node caches or
// decides goes through Store.Change, whichever service makes it, and
// Change does in one place what such a write owes the rest of the system:
//
//  1. Inside the transaction, after fn, it stages the Stager that ctx
//     carries (the request's audit event, internal/audit), so a change never
//     commits without its record.
//  2. Inside the transaction it announces the change to the other nodes
//     sharing the store, so that the notice is delivered if and only if the
//     change commits (a single-process store has no one to tell).
//  3. Once committed, it advances this node's Generation, and returns only
//     when every other live node has applied the change too (advanced its
//     own generation) or has lost the right to serve (Current fails there).
//
// Caches of anything derived from the store key on Generation (Cache), so
// a client that saw its write return sees its effect on its next request,
// whichever node serves it, and no component has an invalidation to
// remember.

// Stager adds to a change's transaction what must commit with it.
type Stager interface {
	Stage(ctx context.Context, tx Repos) error
}

type stagerKey struct{}

// WithStager returns ctx carrying s, which every Change made with ctx
// stages in its transaction.
func WithStager(ctx context.Context, s Stager) context.Context {
	return context.WithValue(ctx, stagerKey{}, s)
}

// StagerFrom returns the Stager ctx carries, nil when none.
func StagerFrom(ctx context.Context) Stager {
	s, _ := ctx.Value(stagerKey{}).(Stager)
	return s
}

// Stage runs the Stager ctx carries in tx; backends call it at the end of
// every Change's fn.
func Stage(ctx context.Context, tx Repos) error {
	if s := StagerFrom(ctx); s != nil {
		return s.Stage(ctx, tx)
	}
	return nil
}

// Counter is a generation counter for backends to embed: Generation reads
// it, Advance moves it.
type Counter struct{ n atomic.Uint64 }

// Generation returns the counter.
func (c *Counter) Generation() uint64 { return c.n.Load() }

// Advance moves the counter, dropping every Cache keyed on it.
func (c *Counter) Advance() { c.n.Add(1) }

// Generations is anything with a generation: every Store.
type Generations interface {
	Generation() uint64
}

// Forever is a generation that never moves, for caches of values that
// depend on nothing stored (a policy compiled from its document).
var Forever Generations = forever{}

type forever struct{}

func (forever) Generation() uint64 { return 0 }

// Cache holds values derived from the store for as long as its generation
// stays put: the first lookup after any change, this node's or another's,
// loads again. It has no invalidation to call. When full, a value loaded
// evicts one at random: with more keys in use than room, the share of
// lookups it answers stays that of the keys it holds (starting over, as it
// did, dropped it to nothing at every fill: past 10,000 roles in use STS
// spent a quarter of its CPU reloading them), with no bookkeeping on the
// read path. Safe for concurrent use; the zero Cache is not usable
// (NewCache).
type Cache[K comparable, V any] struct {
	gen Generations // nil: nothing is cached
	max int

	mu sync.RWMutex
	at uint64
	m  map[K]V

	// Counted for the metrics endpoint; an atomic add is all a hit costs.
	hits, misses, invalidations atomic.Uint64
}

// CacheStats counts a Cache's lookups since it was made.
type CacheStats struct {
	Hits, Misses uint64
	// Invalidations counts the times a change (the generation moving)
	// dropped the cached entries.
	Invalidations uint64
}

// Stats returns the cache's counts.
func (c *Cache[K, V]) Stats() CacheStats {
	return CacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Invalidations: c.invalidations.Load()}
}

// NewCache returns a Cache of at most max entries keyed on gen's
// generation; with gen nil it caches nothing.
func NewCache[K comparable, V any](gen Generations, max int) *Cache[K, V] {
	return &Cache[K, V]{gen: gen, max: max, m: make(map[K]V)}
}

// Get returns the value cached for key, or load's. A value loaded while
// the generation moved is returned but not kept: it may predate the change.
// Errors are not cached.
func (c *Cache[K, V]) Get(ctx context.Context, key K, load func(ctx context.Context) (V, error)) (V, error) {
	if c.gen == nil {
		return load(ctx)
	}
	g := c.gen.Generation()
	c.mu.RLock()
	v, ok := c.m[key]
	fresh := c.at == g
	c.mu.RUnlock()
	if ok && fresh {
		c.hits.Add(1)
		return v, nil
	}
	c.misses.Add(1)
	v, err := load(ctx)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at != g {
		if g < c.at {
			return v, nil // loaded before a change the cache already knows of
		}
		if len(c.m) > 0 {
			c.invalidations.Add(1)
		}
		clear(c.m)
		c.at = g
	}
	if _, ok := c.m[key]; !ok && len(c.m) >= c.max {
		// Map iteration starts at a random place: the first key is a
		// random victim.
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[key] = v
	return v, nil
}
