package sqlite

import (
	"context"

	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/sqlstore"
)

// Reset empties the store back to its first-start state but for the
// account keep (see sqlstore.Reset), as one change.
func (s *Store) Reset(ctx context.Context, keep string) error {
	return s.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		return sqlstore.Reset(ctx, adapt(tx.(*repos).q), dialect, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`, keep)
	})
}
