package sqlite

import (
	"context"
	"database/sql"

	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/sqlstore"
)

// repos is the shared SQL repositories plus the audit events, which SQLite
// stores its own way (eventpacks.go) over the driver's own querier.
type repos struct {
	sqlstore.Repos
	q querier
	// atomic runs fn in a transaction: the current one inside Tx, a new
	// one outside. Multi-statement writes go through it.
	atomic func(ctx context.Context, fn func(q querier) error) error
}

func newRepos(q querier, atomic func(ctx context.Context, fn func(q querier) error) error) *repos {
	return &repos{
		Repos: sqlstore.New(adapt(q), dialect, func(ctx context.Context, fn func(sqlstore.Querier) error) error {
			return atomic(ctx, func(q querier) error { return fn(adapt(q)) })
		}),
		q: q, atomic: atomic,
	}
}

func (r *repos) Events() store.Events { return events{r} }

// dialect is SQLite's side of the shared repositories: its error codes.
var dialect = &sqlstore.Dialect{Name: "sqlite", Classify: classify}

// adapted runs the shared repositories' statements on a database/sql
// querier.
type adapted struct{ q querier }

func adapt(q querier) sqlstore.Querier { return adapted{q} }

func (a adapted) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := a.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (a adapted) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := a.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (a adapted) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return a.q.QueryRowContext(ctx, query, args...)
}

// sqlRows drops the error of Close, which Err already reported.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

// get runs a single-row query; no row is store.ErrNotFound.
func get[T any](ctx context.Context, q querier, scan func(scanner) (*T, error), what string, query string, args ...any) (*T, error) {
	v, err := scan(q.QueryRowContext(ctx, query, args...))
	if err != nil {
		return nil, wrap(err, "get %s", what)
	}
	return v, nil
}

func list[T any](ctx context.Context, q querier, scan func(scanner) (*T, error), what string, query string, args ...any) ([]*T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(err, "list %s", what)
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, wrap(err, "list %s", what)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "list %s", what)
	}
	return out, nil
}

// The audit events read and write rows as the shared repositories do.
type scanner = sqlstore.Row

var (
	encTime, blob = sqlstore.EncodeTime, sqlstore.Blob
	scanEvent     = sqlstore.ScanEvent
)

const eventCols = sqlstore.EventCols

// limitArg turns a lookup's limit into a LIMIT value; SQLite reads a
// negative limit as none, which keeps the statement text constant.
func limitArg(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}
