package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/mantle-iam/mantle/internal/store"
)

var errBoom = errors.New("storetest: boom")

// writeSome makes one write of each of several kinds, so a rollback test
// sees every kind undone.
func writeSome(ctx context.Context, tx store.Repos) error {
	return errors.Join(
		tx.Users().Create(ctx, &store.User{AccountID: acct1, ID: "AIDA2", Name: "bob", Path: "/", CreatedAt: base}),
		tx.Groups().AddMember(ctx, "AGPA1", "AIDA1"),
		tx.Policies().Create(ctx,
			&store.ManagedPolicy{AccountID: acct1, ID: "ANPA1", Name: "p", Path: "/", DefaultVersionID: "v1", NextVersion: 2, CreatedAt: base, UpdatedAt: base},
			&store.PolicyVersion{PolicyID: "ANPA1", VersionID: "v1", Document: "{}", CreatedAt: base}),
		tx.Users().Update(ctx, &store.User{AccountID: acct1, ID: "AIDA1", Name: "renamed", Path: "/", CreatedAt: base}),
	)
}

// checkUntouched checks nothing writeSome does is visible.
func checkUntouched(f *fixture) {
	f.t.Helper()
	_, err := f.s.Users().GetByID(f.ctx, "AIDA2")
	f.wantErr(err, store.ErrNotFound, "user created in a rolled back tx")
	gs, err := f.s.Groups().ListForUser(f.ctx, "AIDA1", store.ListOptions{})
	f.must(err, "groups")
	if len(gs) != 0 {
		f.t.Errorf("membership added in a rolled back tx is visible")
	}
	_, err = f.s.Policies().GetByID(f.ctx, "ANPA1")
	f.wantErr(err, store.ErrNotFound, "policy created in a rolled back tx")
	_, err = f.s.Policies().GetVersion(f.ctx, "ANPA1", "v1")
	f.wantErr(err, store.ErrNotFound, "version created in a rolled back tx")
	u, err := f.s.Users().GetByID(f.ctx, "AIDA1")
	f.must(err, "get alice")
	if u.Name != "alice" {
		f.t.Errorf("rename in a rolled back tx is visible: %q", u.Name)
	}
}

func txSetup(f *fixture) {
	f.accounts()
	f.user(acct1, "AIDA1", "alice")
	f.group(acct1, "AGPA1", "g")
}

var txTests = []testCase{
	{name: "Tx/Commit", run: func(t *testing.T, f *fixture) {
		txSetup(f)
		f.must(f.s.Tx(f.ctx, writeSome), "tx")
		_, err := f.s.Users().GetByID(f.ctx, "AIDA2")
		f.must(err, "committed user")
		_, err = f.s.Policies().GetVersion(f.ctx, "ANPA1", "v1")
		f.must(err, "committed version")
		u, err := f.s.Users().Get(f.ctx, acct1, "RENAMED")
		f.must(err, "committed rename")
		if u.ID != "AIDA1" {
			t.Errorf("renamed user has ID %s", u.ID)
		}
	}},
	{name: "Tx/ErrorRollsBack", run: func(t *testing.T, f *fixture) {
		txSetup(f)
		err := f.s.Tx(f.ctx, func(ctx context.Context, tx store.Repos) error {
			if err := writeSome(ctx, tx); err != nil {
				return err
			}
			return fmt.Errorf("wrapped: %w", errBoom)
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("Tx returned %v, want fn's error", err)
		}
		checkUntouched(f)
	}},
	{name: "Tx/StoreErrorRollsBack", run: func(t *testing.T, f *fixture) {
		// A failed statement mid-transaction, returned as is, undoes the
		// statements before it and reaches the caller as the store error.
		txSetup(f)
		err := f.s.Tx(f.ctx, func(ctx context.Context, tx store.Repos) error {
			if err := writeSome(ctx, tx); err != nil {
				return err
			}
			return tx.Users().Create(ctx, &store.User{AccountID: acct1, ID: "AIDA3", Name: "BOB", Path: "/", CreatedAt: base})
		})
		if !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("Tx returned %v, want ErrAlreadyExists", err)
		}
		checkUntouched(f)
	}},
	{name: "Tx/ContinuesAfterStoreError", run: func(t *testing.T, f *fixture) {
		// A store error inside fn fails that one call, not the whole
		// transaction: fn may handle it and go on (a PostgreSQL backend
		// needs a savepoint per statement for this).
		txSetup(f)
		f.must(f.s.Tx(f.ctx, func(ctx context.Context, tx store.Repos) error {
			f.wantErr(tx.Users().Create(ctx, &store.User{AccountID: acct1, ID: "AIDA9", Name: "ALICE", Path: "/", CreatedAt: base}),
				store.ErrAlreadyExists, "duplicate name in tx")
			f.wantErr(tx.Users().Delete(ctx, "AIDA9"), store.ErrNotFound, "delete missing in tx")
			return writeSome(ctx, tx)
		}), "tx")
		_, err := f.s.Users().GetByID(f.ctx, "AIDA2")
		f.must(err, "write after the failed ones")
		_, err = f.s.Users().GetByID(f.ctx, "AIDA9")
		f.wantErr(err, store.ErrNotFound, "the failed create")
	}},
	{name: "Tx/PanicRollsBack", run: func(t *testing.T, f *fixture) {
		txSetup(f)
		func() {
			defer func() {
				if p := recover(); p != errBoom {
					t.Errorf("recovered %v, want the panic value passed through", p)
				}
			}()
			_ = f.s.Tx(f.ctx, func(ctx context.Context, tx store.Repos) error {
				if err := writeSome(ctx, tx); err != nil {
					return err
				}
				panic(errBoom)
			})
			t.Error("Tx swallowed the panic")
		}()
		checkUntouched(f)
		// The store is still usable: the panic released the writer.
		f.must(f.s.Tx(f.ctx, writeSome), "tx after panic")
	}},
	{name: "Tx/Isolation", run: func(t *testing.T, f *fixture) {
		txSetup(f)
		f.must(f.s.Tx(f.ctx, func(ctx context.Context, tx store.Repos) error {
			if err := writeSome(ctx, tx); err != nil {
				return err
			}
			// The transaction reads its own writes…
			if _, err := tx.Users().Get(ctx, acct1, "BOB"); err != nil {
				t.Errorf("tx does not see its own user: %v", err)
			}
			if u, err := tx.Users().GetByID(ctx, "AIDA1"); err != nil || u.Name != "renamed" {
				t.Errorf("tx does not see its own rename: %v %v", u, err)
			}
			if ms, err := tx.Groups().ListMembers(ctx, "AGPA1", store.ListOptions{}); err != nil || len(ms) != 1 {
				t.Errorf("tx does not see its own membership: %v %v", ms, err)
			}
			if n, err := tx.Users().Count(ctx, acct1); err != nil || n != 2 {
				t.Errorf("tx counts %d users (%v), want 2", n, err)
			}
			// …and nobody else does before it commits.
			if _, err := f.s.Users().GetByID(ctx, "AIDA2"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("uncommitted user visible outside the tx: %v", err)
			}
			if u, err := f.s.Users().GetByID(ctx, "AIDA1"); err != nil || u.Name != "alice" {
				t.Errorf("uncommitted rename visible outside the tx: %v %v", u, err)
			}
			return nil
		}), "tx")
		_, err := f.s.Users().GetByID(f.ctx, "AIDA2")
		f.must(err, "after commit")
	}},
	{name: "Tx/ConcurrentWriters", needs: ConcurrentWriters, run: func(t *testing.T, f *fixture) {
		f.accounts()
		f.policy(acct1, "ANPA1", "counter")
		const workers, perWorker = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, workers*perWorker)
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker {
					err := f.s.Tx(f.ctx, func(ctx context.Context, tx store.Repos) error {
						if err := tx.Users().Create(ctx, &store.User{AccountID: acct1, ID: fmt.Sprintf("AIDA-%d-%d", w, i),
							Name: fmt.Sprintf("u-%d-%d", w, i), Path: "/", CreatedAt: base}); err != nil {
							return err
						}
						// Read-modify-write: a lost update shows in the total.
						p, err := tx.Policies().GetByID(ctx, "ANPA1")
						if err != nil {
							return err
						}
						p.AttachmentCount++
						return tx.Policies().Update(ctx, p)
					})
					if err != nil {
						errs <- err
					}
					// Readers run alongside the writers.
					if _, err := f.s.Policies().GetByID(f.ctx, "ANPA1"); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent tx: %v", err)
		}
		n, err := f.s.Users().Count(f.ctx, acct1)
		f.must(err, "count")
		p, err := f.s.Policies().GetByID(f.ctx, "ANPA1")
		f.must(err, "get counter")
		if n != workers*perWorker || p.AttachmentCount != workers*perWorker {
			t.Errorf("after %d transactions: %d users, counter %d", workers*perWorker, n, p.AttachmentCount)
		}
	}},
}
