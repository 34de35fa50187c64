package postgres

import (
	"context"

	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/sqlstore"
)

// Reset empties the store back to its first-start state but for the
// account keep (see sqlstore.Reset), as one change every node applies.
func (s *Store) Reset(ctx context.Context, keep string) error {
	return s.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		return sqlstore.Reset(ctx, inTx{tx.(*repos).q.(*txState)}, dialect, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`, keep)
	})
}
