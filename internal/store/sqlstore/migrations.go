package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one schema step. Migrations are numbered files,
// NNNN_description.sql, applied in order and never edited once released: a
// change to the schema is a new file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads dir of fsys in version order, refusing misnamed
// files and versions used twice.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q is not named NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migrations %q and %q share a version", ms[i-1].Name, ms[i].Name)
		}
	}
	return ms, nil
}

// Pending returns the migrations of ms (in version order) that a database
// at version current lacks, refusing one newer than ms knows: a build must
// not run on a schema it does not understand.
func Pending(ms []Migration, current int) ([]Migration, error) {
	if n := len(ms); n > 0 && current > ms[n-1].Version {
		return nil, fmt.Errorf("database schema version %d is newer than this build knows (%d)", current, ms[n-1].Version)
	}
	i := sort.Search(len(ms), func(i int) bool { return ms[i].Version > current })
	return ms[i:], nil
}

// SchemaVersion makes sure the table of applied migrations exists
// (createTable is the dialect's CREATE TABLE IF NOT EXISTS schema_migrations)
// and returns the highest version it records, 0 for a new database.
func SchemaVersion(ctx context.Context, q Querier, d *Dialect, createTable string) (int, error) {
	if _, err := q.Exec(ctx, createTable); err != nil {
		return 0, d.Wrap(err, "migrate: create schema_migrations")
	}
	var current int
	if err := q.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return 0, d.Wrap(err, "migrate: read version")
	}
	return current, nil
}
