package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/postgres/pgtest"
)

// recorder remembers the reads a repository makes, so their plans can be
// checked without copying the SQL into the test.
type recorder struct {
	poolQuerier
	queries []recorded
}

type recorded struct {
	sql  string
	args []any
}

func (r *recorder) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	r.queries = append(r.queries, recorded{sql, args})
	return r.poolQuerier.Query(ctx, sql, args...)
}

func (r *recorder) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	r.queries = append(r.queries, recorded{sql, args})
	return r.poolQuerier.QueryRow(ctx, sql, args...)
}

func (r *recorder) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return r.poolQuerier.Exec(ctx, sql, args...)
}

// TestListsUseIndexes explains every paginated read with sequential scans
// and sorts priced out (enable_seqscan, enable_sort off): a plan that still
// scans a table or sorts has no index to read the page through, and would
// read the whole listing for each page on a large account. (On a test
// database the planner would otherwise pick scans, rightly, for tiny tables.)
func TestListsUseIndexes(t *testing.T) {
	ctx := t.Context()
	s := open(t, pgtest.Schema(t))
	rec := &recorder{poolQuerier: poolQuerier{s.pool}}
	r := newRepos(rec, s)
	opt := store.ListOptions{PathPrefix: "/x/", After: "a", Limit: 10}
	reads := map[string]func() error{
		"Users.List":            func() error { _, err := r.Users().List(ctx, "1", opt); return err },
		"Roles.List":            func() error { _, err := r.Roles().List(ctx, "1", opt); return err },
		"Groups.List":           func() error { _, err := r.Groups().List(ctx, "1", opt); return err },
		"Groups.ListMembers":    func() error { _, err := r.Groups().ListMembers(ctx, "g", opt); return err },
		"Policies.List":         func() error { _, err := r.Policies().List(ctx, "1", opt); return err },
		"InstanceProfiles.List": func() error { _, err := r.InstanceProfiles().List(ctx, "1", opt); return err },
		"MFADevices.List":       func() error { _, err := r.MFADevices().List(ctx, "1", opt); return err },
		"Roles.Count":           func() error { _, err := r.Roles().Count(ctx, "1"); return err },
		"PolicyUsage.Entities attached": func() error {
			_, err := r.PolicyUsage().Entities(ctx, store.PolicyEntityOptions{AccountID: "1", PolicyID: "p", Limit: 10,
				After: store.PolicyEntity{Type: store.EntityRole, ID: "r"}})
			return err
		},
		"PolicyUsage.Entities boundary": func() error {
			_, err := r.PolicyUsage().Entities(ctx, store.PolicyEntityOptions{AccountID: "1", PolicyID: "p", Boundary: true,
				SkipAttached: true, PolicyARN: "arn", Limit: 10, After: store.PolicyEntity{Type: store.EntityRole, ID: "r"}})
			return err
		},
		"AWSPolicies.ListUsed": func() error { _, err := r.AWSPolicies().ListUsed(ctx, "1", opt); return err },
		"Details.InlinePolicies": func() error {
			_, err := r.Details().InlinePolicies(ctx, store.EntityUser, []string{"a", "b"})
			return err
		},
		"Details.Attached": func() error {
			_, err := r.Details().Attached(ctx, store.EntityRole, []string{"a", "b"})
			return err
		},
		"Details.GroupsOf":           func() error { _, err := r.Details().GroupsOf(ctx, []string{"a", "b"}); return err },
		"Details.InstanceProfilesOf": func() error { _, err := r.Details().InstanceProfilesOf(ctx, []string{"a", "b"}); return err },
		"Details.VersionsOf":         func() error { _, err := r.Details().VersionsOf(ctx, []string{"a", "b"}); return err },
	}
	// The Details reads sort what a page's entities have, which IAM's
	// quotas keep to a few rows each.
	sortsFew := func(name string) bool { return strings.HasPrefix(name, "Details.") }
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SET enable_seqscan = off; SET enable_sort = off`); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(context.Background(), `RESET enable_seqscan; RESET enable_sort`)
	for name, read := range reads {
		rec.queries = nil
		_ = read() // empty or not found; only the plans matter
		if len(rec.queries) == 0 {
			t.Fatalf("%s made no query", name)
		}
		for _, q := range rec.queries {
			rows, err := conn.Query(ctx, "EXPLAIN "+q.sql, q.args...)
			if err != nil {
				t.Fatalf("explain %s: %v", name, err)
			}
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, line)
			}
			rows.Close()
			text := strings.Join(plan, "\n")
			if strings.Contains(text, "Seq Scan") {
				t.Errorf("%s scans a table:\n%s", name, text)
			}
			if strings.Contains(text, "Sort") && !sortsFew(name) {
				t.Errorf("%s sorts:\n%s", name, text)
			}
		}
	}
}
