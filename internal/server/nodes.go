package server

import (
	"context"

	"github.com/mantle-iam/mantle/internal/store"
)

// Several mantle nodes may share one store (internal/store/postgres). Two
// optional capabilities of such a store make them behave as one service;
// a single-process store (SQLite) has neither and needs neither.

// changeFeed reports the IAM writes other nodes commit, so this node's
// caches, all keyed on the IAM generation, drop what those writes changed.
// The store calls fn before it acknowledges the change to the writing node,
// which answers its client only then.
type changeFeed interface {
	OnChange(fn func())
}

// locker runs fn while no other node runs fn under the same name, so nodes
// starting together on an empty store bootstrap it once.
type locker interface {
	Lock(ctx context.Context, name string, fn func(ctx context.Context) error) error
}

// exclusively runs fn under the store's lock name when it has locks, and
// simply runs it otherwise.
func exclusively(ctx context.Context, st store.Store, name string, fn func(ctx context.Context) error) error {
	if l, ok := st.(locker); ok {
		return l.Lock(ctx, name, fn)
	}
	return fn(ctx)
}
