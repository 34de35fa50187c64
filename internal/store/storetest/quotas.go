package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mantle-iam/mantle/internal/store"
)

// countedKind creates and deletes one kind of counted entity and reads its
// true number (by listing), so the kept count can be compared with it.
type countedKind struct {
	kind   store.Counted
	create func(ctx context.Context, tx store.Repos, acct, id string) error
	delete func(ctx context.Context, tx store.Repos, id string) error
	count  func(ctx context.Context, r store.Repos, acct string) (int, error)
	rows   func(ctx context.Context, r store.Repos, acct string) (int, error)
}

func listLen[T any](xs []*T, err error) (int, error) { return len(xs), err }

var countedKinds = []countedKind{
	{store.CountUsers,
		func(ctx context.Context, tx store.Repos, acct, id string) error {
			return tx.Users().Create(ctx, &store.User{AccountID: acct, ID: id, Name: "n" + id, Path: "/", CreatedAt: base})
		},
		func(ctx context.Context, tx store.Repos, id string) error { return tx.Users().Delete(ctx, id) },
		func(ctx context.Context, r store.Repos, acct string) (int, error) { return r.Users().Count(ctx, acct) },
		func(ctx context.Context, r store.Repos, acct string) (int, error) {
			return listLen(r.Users().List(ctx, acct, store.ListOptions{}))
		}},
	{store.CountGroups,
		func(ctx context.Context, tx store.Repos, acct, id string) error {
			return tx.Groups().Create(ctx, &store.Group{AccountID: acct, ID: id, Name: "n" + id, Path: "/", CreatedAt: base})
		},
		func(ctx context.Context, tx store.Repos, id string) error { return tx.Groups().Delete(ctx, id) },
		func(ctx context.Context, r store.Repos, acct string) (int, error) { return r.Groups().Count(ctx, acct) },
		func(ctx context.Context, r store.Repos, acct string) (int, error) {
			return listLen(r.Groups().List(ctx, acct, store.ListOptions{}))
		}},
	{store.CountRoles,
		func(ctx context.Context, tx store.Repos, acct, id string) error {
			return tx.Roles().Create(ctx, &store.Role{AccountID: acct, ID: id, Name: "n" + id, Path: "/", TrustPolicy: "{}",
				MaxSessionDuration: 3600, CreatedAt: base})
		},
		func(ctx context.Context, tx store.Repos, id string) error { return tx.Roles().Delete(ctx, id) },
		func(ctx context.Context, r store.Repos, acct string) (int, error) { return r.Roles().Count(ctx, acct) },
		func(ctx context.Context, r store.Repos, acct string) (int, error) {
			return listLen(r.Roles().List(ctx, acct, store.ListOptions{}))
		}},
	{store.CountPolicies,
		func(ctx context.Context, tx store.Repos, acct, id string) error {
			return tx.Policies().Create(ctx, &store.ManagedPolicy{AccountID: acct, ID: id, Name: "n" + id, Path: "/", DefaultVersionID: "v1",
				NextVersion: 2, CreatedAt: base, UpdatedAt: base}, &store.PolicyVersion{PolicyID: id, VersionID: "v1", Document: "{}", CreatedAt: base})
		},
		func(ctx context.Context, tx store.Repos, id string) error { return tx.Policies().Delete(ctx, id) },
		func(ctx context.Context, r store.Repos, acct string) (int, error) {
			return r.Policies().Count(ctx, acct)
		},
		func(ctx context.Context, r store.Repos, acct string) (int, error) {
			return listLen(r.Policies().List(ctx, acct, store.ListOptions{}))
		}},
	{store.CountInstanceProfiles,
		func(ctx context.Context, tx store.Repos, acct, id string) error {
			return tx.InstanceProfiles().Create(ctx, &store.InstanceProfile{AccountID: acct, ID: id, Name: "n" + id, Path: "/", CreatedAt: base})
		},
		func(ctx context.Context, tx store.Repos, id string) error {
			return tx.InstanceProfiles().Delete(ctx, id)
		},
		func(ctx context.Context, r store.Repos, acct string) (int, error) {
			return r.InstanceProfiles().Count(ctx, acct)
		},
		func(ctx context.Context, r store.Repos, acct string) (int, error) {
			return listLen(r.InstanceProfiles().List(ctx, acct, store.ListOptions{}))
		}},
}

// checkCounts compares every kept count of both accounts with the rows.
func checkCounts(f *fixture, when string) {
	f.t.Helper()
	for _, k := range countedKinds {
		for _, acct := range []string{acct1, acct2} {
			n, err := k.count(f.ctx, f.s, acct)
			f.must(err, "count %s", k.kind)
			rows, err := k.rows(f.ctx, f.s, acct)
			f.must(err, "list %s", k.kind)
			if n != rows {
				f.t.Errorf("%s: %s of %s counted %d, rows %d", when, k.kind, acct, n, rows)
			}
		}
	}
}

func quotaRef(k store.Counted, def int) store.QuotaRef {
	return store.QuotaRef{Name: string(k) + "PerAccount", Kind: k, Default: def}
}

var quotaTests = []testCase{
	{name: "Quotas/CountsFollowWrites", run: func(t *testing.T, f *fixture) {
		f.accounts()
		for _, k := range countedKinds {
			for i := range 5 {
				f.tx(func(tx store.Repos) error { return k.create(f.ctx, tx, acct1, fmt.Sprintf("%s-%d", k.kind, i)) })
			}
			f.tx(func(tx store.Repos) error { return k.create(f.ctx, tx, acct2, string(k.kind)+"-other") })
			f.must(k.delete(f.ctx, f.s, string(k.kind)+"-3"), "delete outside a tx")
			// A failed create or delete counts nothing.
			f.wantErr(k.create(f.ctx, f.s, acct1, string(k.kind)+"-1"), store.ErrAlreadyExists, "create twice")
			f.wantErr(k.delete(f.ctx, f.s, "missing"), store.ErrNotFound, "delete missing")
			// A rolled back create counts nothing either.
			err := f.s.Tx(f.ctx, func(ctx context.Context, tx store.Repos) error {
				if err := k.create(ctx, tx, acct1, string(k.kind)+"-rolled-back"); err != nil {
					return err
				}
				return errBoom
			})
			f.wantErr(err, errBoom, "rolled back create")
		}
		checkCounts(f, "after writes")
		if n, _ := f.s.Roles().Count(f.ctx, acct1); n != 4 {
			t.Errorf("roles of %s: %d, want 4", acct1, n)
		}
		// AWS managed policies count in their own pseudo-account.
		f.policy(store.AWSAccount, "ANPAAWS", "AWSThing")
		checkCounts(f, "after an AWS managed policy")
		if n, _ := f.s.Policies().Count(f.ctx, store.AWSAccount); n != 1 {
			t.Errorf("AWS managed policies counted %d, want 1", n)
		}
	}},
	{name: "Quotas/ConcurrentCreatesAndDeletes", needs: ConcurrentWriters, run: func(t *testing.T, f *fixture) {
		f.accounts()
		// 16 creators at once, every third entity deleted again by
		// another goroutine, on every kind.
		const workers, perWorker = 16, 12
		var wg sync.WaitGroup
		errs := make(chan error, 2*workers*perWorker*len(countedKinds))
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker {
					k := countedKinds[(w+i)%len(countedKinds)]
					id := fmt.Sprintf("%s-%d-%d", k.kind, w, i)
					if err := f.s.Tx(f.ctx, func(ctx context.Context, tx store.Repos) error { return k.create(ctx, tx, acct1, id) }); err != nil {
						errs <- err
						continue
					}
					if i%3 == 0 {
						wg.Go(func() {
							if err := f.s.Tx(f.ctx, func(ctx context.Context, tx store.Repos) error { return k.delete(ctx, tx, id) }); err != nil {
								errs <- err
							}
						})
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent write: %v", err)
		}
		checkCounts(f, "after concurrent writes")
		total := 0
		for _, k := range countedKinds {
			n, _ := k.count(f.ctx, f.s, acct1)
			total += n
		}
		if want := workers * perWorker * 2 / 3; total != want {
			t.Errorf("%d entities counted, want %d", total, want)
		}
	}},
	{name: "Quotas/ReserveHoldsTheLimit", needs: ConcurrentWriters, run: func(t *testing.T, f *fixture) {
		f.accounts()
		k := countedKinds[2] // roles
		q := quotaRef(k.kind, 1000)
		f.must(f.s.Quotas().Set(f.ctx, q, 7), "set quota")
		vs, err := f.s.Quotas().Values(f.ctx)
		f.must(err, "values")
		f.same(map[string]int{q.Name: 7}, vs, "quota values")
		create := func(acct, id string) (bool, int, error) {
			var ok bool
			var limit int
			err := f.s.Tx(f.ctx, func(ctx context.Context, tx store.Repos) error {
				var err error
				if ok, limit, err = tx.Quotas().Reserve(ctx, q, acct, id); err != nil || !ok {
					return err
				}
				return k.create(ctx, tx, acct, id)
			})
			return ok, limit, err
		}
		// 16 goroutines race for 7 places.
		var admitted atomic.Int32
		var wg sync.WaitGroup
		for w := range 16 {
			wg.Go(func() {
				for i := range 3 {
					ok, limit, err := create(acct1, fmt.Sprintf("AROA%d-%d", w, i))
					if err != nil {
						t.Errorf("create: %v", err)
					}
					if ok {
						admitted.Add(1)
					} else if limit != 7 {
						t.Errorf("refused with limit %d, want 7", limit)
					}
				}
			})
		}
		wg.Wait()
		if n, _ := f.s.Roles().Count(f.ctx, acct1); admitted.Load() != 7 || n != 7 {
			t.Fatalf("quota 7: %d admitted, %d counted", admitted.Load(), n)
		}
		checkCounts(f, "at the quota")
		// Each account has its own.
		if ok, _, err := create(acct2, "AROA-other"); err != nil || !ok {
			t.Errorf("other account refused: %v %v", ok, err)
		}
		roles, err := f.s.Roles().List(f.ctx, acct1, store.ListOptions{})
		f.must(err, "list")
		// A delete makes room for exactly one.
		f.must(k.delete(f.ctx, f.s, roles[0].ID), "delete")
		if ok, _, _ := create(acct1, "AROA-again"); !ok {
			t.Errorf("refused after a delete")
		}
		if ok, _, _ := create(acct1, "AROA-again2"); ok {
			t.Errorf("admitted past the quota after a delete")
		}
		// Lowering the quota applies at once, allowances handed out included.
		f.must(f.s.Quotas().Set(f.ctx, q, 3), "lower quota")
		for _, r := range roles[1:5] {
			f.must(k.delete(f.ctx, f.s, r.ID), "delete")
		}
		if n, _ := f.s.Roles().Count(f.ctx, acct1); n != 3 {
			t.Fatalf("%d roles, want 3", n)
		}
		if ok, limit, _ := create(acct1, "AROA-lowered"); ok || limit != 3 {
			t.Errorf("at a lowered quota: admitted %v, limit %d", ok, limit)
		}
		// Forgetting the value restores the default.
		f.must(f.s.Quotas().Set(f.ctx, q, -1), "forget quota")
		vs, err = f.s.Quotas().Values(f.ctx)
		f.must(err, "values")
		f.same(map[string]int{}, vs, "quota values")
		for i := range 20 {
			if ok, _, err := create(acct1, fmt.Sprintf("AROA-def-%d", i)); !ok || err != nil {
				t.Fatalf("under the default: %v %v", ok, err)
			}
		}
		checkCounts(f, "at the end")
	}},
}
