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
// having applied the versions in applied lacks, refusing a database with a
// version ms does not know: a build must not run on a schema it does not
// understand. Versions are numbered per feature and may land in any order,
// so a database at 10 can still lack 8.
func Pending(ms []Migration, applied map[int]bool) ([]Migration, error) {
	known := make(map[int]bool, len(ms))
	var out []Migration
	for _, m := range ms {
		known[m.Version] = true
		if !applied[m.Version] {
			out = append(out, m)
		}
	}
	for v := range applied {
		if !known[v] {
			return nil, fmt.Errorf("database schema version %d is newer than this build knows", v)
		}
	}
	return out, nil
}

// AppliedVersions makes sure the table of applied migrations exists
// (createTable is the dialect's CREATE TABLE IF NOT EXISTS schema_migrations)
// and returns the versions it records, none for a new database.
func AppliedVersions(ctx context.Context, q Querier, d *Dialect, createTable string) (map[int]bool, error) {
	if _, err := q.Exec(ctx, createTable); err != nil {
		return nil, d.Wrap(err, "migrate: create schema_migrations")
	}
	rows, err := q.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, d.Wrap(err, "migrate: read versions")
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, d.Wrap(err, "migrate: read versions")
		}
		applied[v] = true
	}
	return applied, d.Wrap(rows.Err(), "migrate: read versions")
}
