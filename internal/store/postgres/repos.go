package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/sqlstore"
)

// repos is the shared SQL repositories plus the audit events, kept over
// pgx's own querier, and the store they belong to.
type repos struct {
	sqlstore.Repos
	q querier
	s *Store
}

func newRepos(q querier, s *Store) *repos {
	r := &repos{q: q, s: s}
	var sq sqlstore.Querier = pooled{q}
	if st, ok := q.(*txState); ok {
		sq = inTx{st}
	}
	r.Repos = sqlstore.New(sq, dialect, func(ctx context.Context, fn func(sqlstore.Querier) error) error {
		return r.atomic(ctx, func(q querier) error { return fn(inTx{q.(*txState)}) })
	})
	return r
}

func (r *repos) Events() store.Events { return events{r} }

// dialect is PostgreSQL's side of the shared repositories: its SQLSTATEs.
var dialect = &sqlstore.Dialect{Name: "postgres", Classify: classify}

// atomic runs a multi-statement write in a transaction: the current one
// inside Tx, a new one outside.
func (r *repos) atomic(ctx context.Context, fn func(q querier) error) error {
	if _, ok := r.q.(*txState); ok {
		return fn(r.q)
	}
	return r.s.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		return fn(tx.(*repos).q)
	})
}

// pooled runs the shared repositories' statements outside a transaction.
type pooled struct{ q querier }

func (p pooled) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := p.q.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

func (p pooled) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	return p.q.Query(ctx, sql, args...)
}

func (p pooled) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	return p.q.QueryRow(ctx, sql, args...)
}

// inTx runs them in a transaction, which must see every failed read too
// (observe), so it reruns even when fn handles the error.
type inTx struct{ st *txState }

func (t inTx) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := t.st.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

func (t inTx) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	rows, err := t.st.Query(ctx, sql, args...)
	if err != nil {
		t.st.observe(err)
		return nil, err
	}
	return observedRows{rows, t.st}, nil
}

func (t inTx) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	return observedRow{t.st.QueryRow(ctx, sql, args...), t.st}
}

type observedRow struct {
	pgx.Row
	st *txState
}

func (r observedRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if err != nil {
		r.st.observe(err)
	}
	return err
}

type observedRows struct {
	pgx.Rows
	st *txState
}

func (r observedRows) Err() error {
	err := r.Rows.Err()
	if err != nil {
		r.st.observe(err)
	}
	return err
}

// get runs a single-row query; no row is store.ErrNotFound.
func get[T any](ctx context.Context, q querier, scan func(scanner) (*T, error), what string, query string, args ...any) (*T, error) {
	v, err := scan(q.QueryRow(ctx, query, args...))
	if err != nil {
		q.observe(err)
		return nil, wrap(err, "get %s", what)
	}
	return v, nil
}

func list[T any](ctx context.Context, q querier, scan func(scanner) (*T, error), what string, query string, args ...any) (out []*T, err error) {
	defer func() {
		if err != nil {
			q.observe(err)
			out, err = nil, wrap(err, "list %s", what)
		}
	}()
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// exec runs a write; constraint failures become store errors.
func exec(ctx context.Context, q querier, what string, query string, args ...any) error {
	_, err := q.Exec(ctx, query, args...)
	return wrap(err, "%s", what)
}

// limitArg turns a lookup's limit into a LIMIT value: NULL is no limit in
// PostgreSQL, which keeps the statement text constant.
func limitArg(n int) any {
	if n <= 0 {
		return nil
	}
	return n
}

// The audit events read and write rows as the shared repositories do.
type scanner = sqlstore.Row

var (
	encTime, blob = sqlstore.EncodeTime, sqlstore.Blob
	scanEvent     = sqlstore.ScanEvent
)

const eventCols = sqlstore.EventCols
