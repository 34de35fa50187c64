package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/postgres/pgtest"
	"github.com/mantle-iam/mantle/internal/store/sqlbase"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)

func seed(t *testing.T, s *Store) {
	t.Helper()
	err := s.Tx(t.Context(), func(ctx context.Context, tx store.Repos) error {
		return errors.Join(
			tx.Accounts().Create(ctx, &store.Account{ID: "111111111111", Status: "ACTIVE", CreatedAt: t0}),
			tx.Policies().Create(ctx,
				&store.ManagedPolicy{AccountID: "111111111111", ID: "ANPA1", Name: "counter", Path: "/", DefaultVersionID: "v1", NextVersion: 2, CreatedAt: t0, UpdatedAt: t0},
				&store.PolicyVersion{PolicyID: "ANPA1", VersionID: "v1", Document: "{}", CreatedAt: t0}),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Two stores (two nodes) increment one counter from many goroutines:
// serialization failures are retried, so no increment is lost, and some
// transactions did have to run again.
func TestTxRetriesSerializationFailures(t *testing.T) {
	dsn := pgtest.Schema(t)
	nodes := []*Store{open(t, dsn), open(t, dsn)}
	seed(t, nodes[0])
	const workers, perWorker = 6, 10
	var runs atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		s := nodes[w%2]
		wg.Go(func() {
			for range perWorker {
				errs <- s.Tx(t.Context(), func(ctx context.Context, tx store.Repos) error {
					runs.Add(1)
					p, err := tx.Policies().GetByID(ctx, "ANPA1")
					if err != nil {
						return err
					}
					p.AttachmentCount++
					// Widen the window between read and write.
					time.Sleep(time.Millisecond)
					return tx.Policies().Update(ctx, p)
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("tx: %v", err)
		}
	}
	p, err := nodes[1].Policies().GetByID(t.Context(), "ANPA1")
	if err != nil {
		t.Fatal(err)
	}
	if p.AttachmentCount != workers*perWorker {
		t.Errorf("counter = %d after %d increments", p.AttachmentCount, workers*perWorker)
	}
	if runs.Load() == workers*perWorker {
		t.Errorf("no transaction was retried: the test did not contend")
	}
	t.Logf("%d increments took %d runs", workers*perWorker, runs.Load())
}

// A serialization failure that fn swallows still reruns the transaction:
// what fn read may be inconsistent.
func TestTxRerunsWhenFnSwallowsFailure(t *testing.T) {
	s := open(t, pgtest.Schema(t))
	seed(t, s)
	ctx := t.Context()
	var runs int
	started, other := make(chan struct{}), make(chan struct{})
	go func() {
		<-started
		// A concurrent committed write to what the first run read.
		err := s.Tx(context.Background(), func(ctx context.Context, tx store.Repos) error {
			p, err := tx.Policies().GetByID(ctx, "ANPA1")
			if err != nil {
				return err
			}
			p.Description = "other"
			return tx.Policies().Update(ctx, p)
		})
		if err != nil {
			t.Errorf("other tx: %v", err)
		}
		close(other)
	}()
	err := s.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		runs++
		p, err := tx.Policies().GetByID(ctx, "ANPA1")
		if err != nil {
			return err
		}
		if runs == 1 {
			close(started)
			<-other
		}
		p.AttachmentCount++
		if err := tx.Policies().Update(ctx, p); err != nil && runs == 1 {
			return nil // swallowed: Tx must still rerun
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 2 {
		t.Errorf("fn ran %d times, want 2", runs)
	}
	p, _ := s.Policies().GetByID(ctx, "ANPA1")
	if p.AttachmentCount != 1 || p.Description != "other" {
		t.Errorf("after both: %+v", p)
	}
}

// Many nodes create the same name at once: exactly one wins, the others
// see ErrAlreadyExists (never a raw serialization failure).
func TestConcurrentCreateOneWins(t *testing.T) {
	dsn := pgtest.Schema(t)
	nodes := []*Store{open(t, dsn), open(t, dsn)}
	seed(t, nodes[0])
	var wg sync.WaitGroup
	var won, exists atomic.Int32
	for i := range 8 {
		wg.Go(func() {
			err := nodes[i%2].Tx(t.Context(), func(ctx context.Context, tx store.Repos) error {
				if _, err := tx.Users().Get(ctx, "111111111111", "Alice"); err == nil {
					return fmt.Errorf("seen: %w", store.ErrAlreadyExists)
				}
				return tx.Users().Create(ctx, &store.User{AccountID: "111111111111", ID: fmt.Sprintf("AIDA%d", i), Name: "alice", Path: "/", CreatedAt: t0})
			})
			switch {
			case err == nil:
				won.Add(1)
			case errors.Is(err, store.ErrAlreadyExists):
				exists.Add(1)
			default:
				t.Errorf("create %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 || exists.Load() != 7 {
		t.Errorf("%d won, %d already existed", won.Load(), exists.Load())
	}
}

// A change announced in a transaction reaches the other node when it
// commits, before Tx returns; a rolled back one never does; a node does
// not hear its own.
func TestAnnounceChange(t *testing.T) {
	dsn := pgtest.Schema(t)
	a, b := open(t, dsn), open(t, dsn)
	var heardA, heardB atomic.Int32
	a.OnChange(func() { heardA.Add(1) })
	b.OnChange(func() { heardB.Add(1) })
	ctx := t.Context()
	announce := func(s *Store, fail error) error {
		return s.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
			if err := tx.(*repos).AnnounceChange(ctx); err != nil {
				return err
			}
			return fail
		})
	}
	if err := announce(a, errors.New("roll back")); err == nil {
		t.Fatal("want fn's error")
	}
	if err := announce(a, nil); err != nil {
		t.Fatal(err)
	}
	// Acknowledged, so already applied on b.
	if n := heardB.Load(); n != 1 {
		t.Errorf("b heard %d changes, want 1 (the committed one)", n)
	}
	if err := b.AnnounceChange(ctx); err != nil { // outside Tx
		t.Fatal(err)
	}
	if n := heardA.Load(); n != 1 {
		t.Errorf("a heard %d changes, want 1 (b's)", n)
	}
}

// When the listening connection is lost, the node reports a change (it may
// have missed some) and listens again.
//
// The test waits on facts, not on time: the killed backend may linger in
// pg_stat_activity for a moment (still "idle"), and a new connection is idle
// before its LISTEN as well, so it waits for a backend other than the killed
// one whose last statement, LISTEN, has finished. Then a first announcement,
// acknowledged by b, proves b's reconnection (and the change it reports once
// it listens again) is behind it, so that what b hears during the second
// announcement can only come from that announcement.
func TestListenerReconnectReportsChange(t *testing.T) {
	dsn := pgtest.Schema(t)
	a, b := open(t, dsn), open(t, dsn)
	heard := make(chan struct{}, 100)
	b.OnChange(func() { heard <- struct{}{} })
	ctx := t.Context()
	app := appPrefix + b.feed.node + " " + b.feed.group
	var killed int
	if err := a.pool.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, killed); err != nil {
		t.Fatal(err)
	}
	select {
	case <-heard:
	case <-time.After(10 * time.Second):
		t.Fatal("no change reported after the listener was killed")
	}
	// Listening again.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := a.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND pid <> $2 AND state = 'idle' AND query LIKE 'LISTEN %'`,
			app, killed).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("listener did not reconnect")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := a.AnnounceChange(ctx); err != nil {
		t.Fatal(err)
	}
	for len(heard) > 0 {
		<-heard
	}
	// a's next change is heard (and acknowledged) before AnnounceChange
	// returns.
	if err := a.AnnounceChange(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-heard:
	default:
		t.Error("change after reconnect not applied before AnnounceChange returned")
	}
}

// Lock excludes other nodes, not just other goroutines.
func TestLockExcludesOtherNodes(t *testing.T) {
	dsn := pgtest.Schema(t)
	nodes := []*Store{open(t, dsn), open(t, dsn)}
	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			err := nodes[i%2].Lock(t.Context(), "bootstrap", func(ctx context.Context) error {
				n := inside.Add(1)
				for {
					m := maxInside.Load()
					if n <= m || maxInside.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(5 * time.Millisecond)
				inside.Add(-1)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if maxInside.Load() != 1 {
		t.Errorf("%d holders at once", maxInside.Load())
	}
}

// Nodes opening a new schema together apply the migrations once.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dsn := pgtest.Schema(t)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			s, err := Open(t.Context(), dsn)
			if err != nil {
				t.Error(err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	s := open(t, dsn)
	ms, err := sqlbase.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.pool.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(ms) {
		t.Errorf("%d migrations recorded, want %d", n, len(ms))
	}
}

// Writing through the Store inside Tx fails instead of waiting for itself.
func TestWriteThroughStoreInsideTx(t *testing.T) {
	s := open(t, pgtest.Schema(t))
	seed(t, s)
	err := s.Tx(t.Context(), func(ctx context.Context, tx store.Repos) error {
		return s.Users().Create(ctx, &store.User{AccountID: "111111111111", ID: "AIDA1", Name: "x", Path: "/", CreatedAt: t0})
	})
	if !errors.Is(err, errNested) {
		t.Errorf("got %v, want errNested", err)
	}
}
