package metrics

import (
	"context"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

// Store returns st measured: every Change and Tx observes its duration
// and counts the times the backend ran fn again (retries). Reads pass
// through untouched.
func (r *Registry) Store(st store.Store) store.Store {
	return &measuredStore{
		Store:         st,
		changes:       r.txDurations.WithLabelValues("change"),
		txs:           r.txDurations.WithLabelValues("tx"),
		changeRetries: r.txRetries.WithLabelValues("change"),
		txRetries:     r.txRetries.WithLabelValues("tx"),
	}
}

type measuredStore struct {
	store.Store
	changes, txs             interface{ Observe(float64) }
	changeRetries, txRetries interface{ Add(float64) }
}

func (m *measuredStore) Change(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error) error {
	return m.run(ctx, m.Store.Change, fn, m.changes, m.changeRetries)
}

func (m *measuredStore) Tx(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error) error {
	return m.run(ctx, m.Store.Tx, fn, m.txs, m.txRetries)
}

type txFunc = func(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error) error

func (m *measuredStore) run(ctx context.Context, tx txFunc, fn func(ctx context.Context, tx store.Repos) error,
	dur interface{ Observe(float64) }, retries interface{ Add(float64) }) error {
	start := time.Now()
	attempts := 0
	err := tx(ctx, func(ctx context.Context, r store.Repos) error {
		attempts++
		return fn(ctx, r)
	})
	dur.Observe(time.Since(start).Seconds())
	if attempts > 1 {
		retries.Add(float64(attempts - 1))
	}
	return err
}

// Unwrap returns the store Store measured, for what needs the backend
// itself (backups, PostgreSQL's node count).
func (m *measuredStore) Unwrap() store.Store { return m.Store }
