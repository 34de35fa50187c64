package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

// recorder remembers the reads a repository makes, so their query plans
// can be checked without copying the SQL into the test.
type recorder struct {
	querier
	queries []recorded
}

type recorded struct {
	sql  string
	args []any
}

func (r *recorder) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r.queries = append(r.queries, recorded{query, args})
	return r.querier.QueryContext(ctx, query, args...)
}

func (r *recorder) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	r.queries = append(r.queries, recorded{query, args})
	return r.querier.QueryRowContext(ctx, query, args...)
}

// TestHotReadsUseIndexes fails when a read on the request path would scan a
// whole table: fine on a test database, slow on a real one.
func TestHotReadsUseIndexes(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "mantle.db"))
	defer s.Close()
	rec := &recorder{querier: s.q}
	r := newRepos(rec, s.atomic)
	opt := store.ListOptions{PathPrefix: "/x/", After: "a", Limit: 10}
	reads := map[string]func() error{
		"AccessKeys.Get":               func() error { _, err := r.AccessKeys().Get(ctx, "AKIA"); return err },
		"AccessKeys.ListForUser":       func() error { _, err := r.AccessKeys().ListForUser(ctx, "1", "u"); return err },
		"Users.GetByID":                func() error { _, err := r.Users().GetByID(ctx, "u"); return err },
		"Users.Get":                    func() error { _, err := r.Users().Get(ctx, "1", "u"); return err },
		"Users.List":                   func() error { _, err := r.Users().List(ctx, "1", opt); return err },
		"Roles.GetByID":                func() error { _, err := r.Roles().GetByID(ctx, "r"); return err },
		"Roles.Get":                    func() error { _, err := r.Roles().Get(ctx, "1", "r"); return err },
		"Roles.List":                   func() error { _, err := r.Roles().List(ctx, "1", opt); return err },
		"Groups.List":                  func() error { _, err := r.Groups().List(ctx, "1", opt); return err },
		"Groups.ListForUser":           func() error { _, err := r.Groups().ListForUser(ctx, "u", opt); return err },
		"Groups.ListMembers":           func() error { _, err := r.Groups().ListMembers(ctx, "g", opt); return err },
		"Policies.Get":                 func() error { _, err := r.Policies().Get(ctx, "1", "p"); return err },
		"Policies.GetByID":             func() error { _, err := r.Policies().GetByID(ctx, "p"); return err },
		"Policies.GetVersion":          func() error { _, err := r.Policies().GetVersion(ctx, "p", "v1"); return err },
		"Policies.ListVersions":        func() error { _, err := r.Policies().ListVersions(ctx, "p"); return err },
		"Attachments.ListForEntity":    func() error { _, err := r.Attachments().ListForEntity(ctx, store.EntityRole, "r"); return err },
		"Attachments.ListForPolicy":    func() error { _, err := r.Attachments().ListForPolicy(ctx, "p"); return err },
		"InlinePolicies.List":          func() error { _, err := r.InlinePolicies().List(ctx, store.EntityRole, "r"); return err },
		"InlinePolicies.Get":           func() error { _, err := r.InlinePolicies().Get(ctx, store.EntityRole, "r", "n"); return err },
		"InstanceProfiles.ListForRole": func() error { _, err := r.InstanceProfiles().ListForRole(ctx, "r"); return err },
		"MFADevices.List":              func() error { _, err := r.MFADevices().List(ctx, "1", opt); return err },
		"MFADevices.ListForUser":       func() error { _, err := r.MFADevices().ListForUser(ctx, "u"); return err },
		"Accounts.GetByAlias":          func() error { _, err := r.Accounts().GetByAlias(ctx, "a"); return err },
		"AWSPolicies.Use":              func() error { _, err := r.AWSPolicies().Use(ctx, "1", "p"); return err },
		"AWSPolicies.ListUsed":         func() error { _, err := r.AWSPolicies().ListUsed(ctx, "1", opt); return err },
	}
	for name, read := range reads {
		rec.queries = nil
		_ = read() // not found; only the plan matters
		if len(rec.queries) == 0 {
			t.Fatalf("%s made no query", name)
		}
		for _, q := range rec.queries {
			for _, step := range plan(t, s.read.db, q) {
				// "SCAN t" alone walks the table; "SCAN t USING … INDEX"
				// walks an index in order, which is what ORDER BY wants.
				if strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, " USING ") {
					t.Errorf("%s scans a table: %s", name, step)
				}
			}
		}
	}
}

func plan(t *testing.T, db *sql.DB, q recorded) []string {
	t.Helper()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+q.sql, q.args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q.sql, err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	return steps
}

// BenchmarkHotReads measures the reads every signed request makes.
func BenchmarkHotReads(b *testing.B) {
	ctx := b.Context()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "mantle.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	err = s.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := tx.Accounts().Create(ctx, &store.Account{ID: "111111111111", Status: "ACTIVE", CreatedAt: now}); err != nil {
			return err
		}
		for i := range 1000 {
			uid, rid, pid := fmt.Sprintf("AIDA%04d", i), fmt.Sprintf("AROA%04d", i), fmt.Sprintf("ANPA%04d", i)
			for _, err := range []error{
				tx.Users().Create(ctx, &store.User{AccountID: "111111111111", ID: uid, Name: "user" + uid, Path: "/", CreatedAt: now,
					Tags: []store.Tag{{Key: "team", Value: "x"}}}),
				tx.AccessKeys().Create(ctx, &store.AccessKey{ID: fmt.Sprintf("AKIA%04d", i), AccountID: "111111111111", UserID: uid,
					Secret: make([]byte, 60), Status: "Active", CreatedAt: now}),
				tx.Roles().Create(ctx, &store.Role{AccountID: "111111111111", ID: rid, Name: "role" + rid, Path: "/", TrustPolicy: strings.Repeat("x", 500),
					MaxSessionDuration: 3600, CreatedAt: now}),
				tx.Policies().Create(ctx, &store.ManagedPolicy{AccountID: "111111111111", ID: pid, Name: "p" + pid, Path: "/", DefaultVersionID: "v1",
					CreatedAt: now, UpdatedAt: now}, &store.PolicyVersion{PolicyID: pid, VersionID: "v1", Document: "{}", CreatedAt: now}),
				tx.Attachments().Attach(ctx, store.Attachment{PolicyID: pid, EntityType: store.EntityRole, EntityID: rid}),
				tx.InlinePolicies().Put(ctx, &store.InlinePolicy{EntityType: store.EntityRole, EntityID: rid, Name: "inline", Document: "{}"}),
			} {
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	benches := []struct {
		name string
		fn   func() error
	}{
		{"AccessKeys.Get", func() error { _, err := s.AccessKeys().Get(ctx, "AKIA0500"); return err }},
		{"Users.GetByID", func() error { _, err := s.Users().GetByID(ctx, "AIDA0500"); return err }},
		{"Roles.GetByID", func() error { _, err := s.Roles().GetByID(ctx, "AROA0500"); return err }},
		{"Roles.Get", func() error { _, err := s.Roles().Get(ctx, "111111111111", "ROLEAROA0500"); return err }},
		{"Attachments.ListForEntity", func() error {
			_, err := s.Attachments().ListForEntity(ctx, store.EntityRole, "AROA0500")
			return err
		}},
		{"InlinePolicies.List", func() error { _, err := s.InlinePolicies().List(ctx, store.EntityRole, "AROA0500"); return err }},
		{"Groups.ListForUser", func() error { _, err := s.Groups().ListForUser(ctx, "AIDA0500", store.ListOptions{}); return err }},
	}
	for _, bc := range benches {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := bc.fn(); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
