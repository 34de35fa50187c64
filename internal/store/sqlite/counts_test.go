package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/sqlstore"
)

// A store from before migration 0011 keeps its counts: the migration
// counts what exists, and group members keep their names for paging.
func TestMigration0011CountsExistingRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "mantle.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`}
	for _, m := range ms {
		if m.Version < 11 {
			stmts = append(stmts, m.SQL, `INSERT INTO schema_migrations VALUES (`+strconv.Itoa(m.Version)+`, '`+m.Name+`', 'x')`)
		}
	}
	now := sqlstore.EncodeTime(time.Now())
	stmts = append(stmts,
		`INSERT INTO accounts (id, name, email, created_at, status) VALUES ('111111111111', 'a', 'a@x', '`+now+`', 'ACTIVE')`,
		`INSERT INTO users (id, account_id, name, name_lower, path, created_at) VALUES
			('AIDA1', '111111111111', 'Zed', 'zed', '/', '`+now+`'), ('AIDA2', '111111111111', 'amy', 'amy', '/', '`+now+`')`,
		`INSERT INTO groups (id, account_id, name, name_lower, path, created_at) VALUES ('AGPA1', '111111111111', 'g', 'g', '/', '`+now+`')`,
		`INSERT INTO group_members (group_id, user_id) VALUES ('AGPA1', 'AIDA1'), ('AGPA1', 'AIDA2')`,
		`INSERT INTO roles (id, account_id, name, name_lower, path, trust_policy, max_session_duration, created_at) VALUES
			('AROA1', '111111111111', 'r', 'r', '/', '{}', 3600, '`+now+`')`,
		`INSERT INTO policies (id, account_id, name, name_lower, path, default_version_id, next_version, created_at, updated_at) VALUES
			('ANPA1', '111111111111', 'p', 'p', '/', 'v1', 2, '`+now+`', '`+now+`'), ('ANPA2', 'aws', 'A', 'a', '/', 'v1', 2, '`+now+`', '`+now+`')`,
	)
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	db.Close()

	s := open(t, path)
	defer s.Close()
	for _, c := range []struct {
		name  string
		count func() (int, error)
		want  int
	}{
		{"users", func() (int, error) { return s.Users().Count(ctx, "111111111111") }, 2},
		{"groups", func() (int, error) { return s.Groups().Count(ctx, "111111111111") }, 1},
		{"roles", func() (int, error) { return s.Roles().Count(ctx, "111111111111") }, 1},
		{"policies", func() (int, error) { return s.Policies().Count(ctx, "111111111111") }, 1},
		{"AWS policies", func() (int, error) { return s.Policies().Count(ctx, store.AWSAccount) }, 1},
		{"instance profiles", func() (int, error) { return s.InstanceProfiles().Count(ctx, "111111111111") }, 0},
	} {
		if n, err := c.count(); err != nil || n != c.want {
			t.Errorf("%s: %d (%v), want %d", c.name, n, err, c.want)
		}
	}
	// Deleting what the migration counted lowers the count.
	if err := s.Roles().Delete(ctx, "AROA1"); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Roles().Count(ctx, "111111111111"); n != 0 {
		t.Errorf("roles after delete: %d", n)
	}
	ms2, err := s.Groups().ListMembers(ctx, "AGPA1", store.ListOptions{After: "amy"})
	if err != nil || len(ms2) != 1 || ms2[0].Name != "Zed" {
		t.Errorf("members after amy: %v %v", ms2, err)
	}
}
