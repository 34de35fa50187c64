package postgres

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/postgres/pgtest"
	"github.com/mantle-iam/mantle/internal/store/storetest"
)

// BenchmarkCreateRoles16 creates roles from 16 goroutines at once in an
// account that already has 20,000, admitting each against RolesPerAccount
// as CreateRole does: through the sharded counter (Quotas.Reserve), and,
// for comparison, by counting the account's rows in the transaction, as
// mantle did before. attempts/create is how many times each transaction
// ran: above 1 is serialization failures and retries.
//
//	go test -run '^$' -bench CreateRoles16 -benchtime 2000x ./internal/store/postgres/
func BenchmarkCreateRoles16(b *testing.B) {
	const preexisting = 20000
	q := store.QuotaRef{Name: "RolesPerAccount", Kind: store.CountRoles, Default: 1000000}
	admit := map[string]func(ctx context.Context, tx store.Repos, id string) error{
		"sharded": func(ctx context.Context, tx store.Repos, id string) error {
			ok, _, err := tx.Quotas().Reserve(ctx, q, "111111111111", id)
			if err == nil && !ok {
				err = fmt.Errorf("refused")
			}
			return err
		},
		"none": func(context.Context, store.Repos, string) error { return nil },
		"count-rows": func(ctx context.Context, tx store.Repos, _ string) error {
			var n int
			return tx.(*repos).q.QueryRow(ctx, `SELECT count(*) FROM roles WHERE account_id = $1`, "111111111111").Scan(&n)
		},
	}
	for _, name := range []string{"sharded", "none", "count-rows"} {
		b.Run(name, func(b *testing.B) {
			dsn := pgtest.Schema(b)
			s, err := Open(b.Context(), dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := b.Context()
			if err := s.Accounts().Create(ctx, &store.Account{ID: "111111111111", Status: "ACTIVE", CreatedAt: time.Now()}); err != nil {
				b.Fatal(err)
			}
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := conn.Exec(ctx, `INSERT INTO roles (id, account_id, name, name_lower, path, trust_policy, max_session_duration, created_at)
				SELECT 'AROAPRE' || i, '111111111111', 'pre' || i, 'pre' || i, '/', '{}', 3600, '2025-01-01T00:00:00.000000000Z'
				FROM generate_series(1, $1) AS i`, preexisting); err != nil {
				b.Fatal(err)
			}
			if _, err := conn.Exec(ctx, `INSERT INTO entity_counts VALUES ('111111111111', 'roles', -1, $1, $1)`, preexisting); err != nil {
				b.Fatal(err)
			}
			if _, err := conn.Exec(ctx, `ANALYZE`); err != nil {
				b.Fatal(err)
			}
			conn.Close(ctx)

			var next, attempts atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for range 16 {
				wg.Go(func() {
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						id := fmt.Sprintf("AROA%s%d", name, i)
						err := s.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
							attempts.Add(1)
							if err := admit[name](ctx, tx, id); err != nil {
								return err
							}
							return tx.Roles().Create(ctx, &store.Role{AccountID: "111111111111", ID: id, Name: id, Path: "/",
								TrustPolicy: "{}", MaxSessionDuration: 3600, CreatedAt: time.Now()})
						})
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(attempts.Load())/float64(b.N), "attempts/create")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
			if n, err := s.Roles().Count(ctx, "111111111111"); err != nil || n != preexisting+b.N {
				b.Errorf("count %d (%v), want %d", n, err, preexisting+b.N)
			}
		})
	}
}

// BenchmarkPages: storetest.BenchPages on PostgreSQL.
func BenchmarkPages(b *testing.B) {
	storetest.BenchPages(b, func(b *testing.B) store.Store {
		s, err := Open(b.Context(), pgtest.Schema(b))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}, func(b *testing.B, s store.Store) {
		if _, err := s.(*Store).pool.Exec(b.Context(), `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	})
}
