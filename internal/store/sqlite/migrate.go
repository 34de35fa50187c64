package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/mantle-iam/mantle/internal/store/sqlstore"
)

// Migrations are numbered files, NNNN_description.sql, applied in order and
// never edited once released: a change to the schema is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrate applies the missing migrations in one immediate transaction, so
// two processes opening a fresh file at once apply them once between them
// and a failure leaves the schema as it was.
func migrate(ctx context.Context, db *sql.DB) (err error) {
	ms, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return wrap(err, "migrate: begin")
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	applied, err := sqlstore.AppliedVersions(ctx, adapt(tx), dialect, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`)
	if err != nil {
		return err
	}
	pending, err := sqlstore.Pending(ms, applied)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	for _, m := range pending {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return wrap(err, "migrate: apply %s", m.Name)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.Version, m.Name, encTime(time.Now())); err != nil {
			return wrap(err, "migrate: record %s", m.Name)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap(err, "migrate: commit")
	}
	return nil
}
