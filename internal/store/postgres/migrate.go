package postgres

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mantle-iam/mantle/internal/store/sqlstore"
)

// Migrations are numbered files, NNNN_description.sql, applied in order and
// never edited once released: a change to the schema is a new file. They
// are PostgreSQL's dialect, written for it (not translated from SQLite's).
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies the missing migrations, each in its own transaction with
// its record in schema_migrations. The caller holds the migration advisory
// lock, so nodes starting together apply each migration once.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	applied, err := sqlstore.AppliedVersions(ctx, pooled{poolQuerier{pool}}, dialect, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL
	)`)
	if err != nil {
		return err
	}
	pending, err := sqlstore.Pending(ms, applied)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	for _, m := range pending {
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			// No arguments: pgx sends it with the simple protocol, which
			// runs a multi-statement script.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return wrap(err, "migrate: apply %s", m.Name)
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, time.Now())
			return wrap(err, "migrate: record %s", m.Name)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
