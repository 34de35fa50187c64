package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/sqlstore"
)

func open(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	// A parent directory that does not exist yet, with characters the
	// SQLite URI syntax gives meaning to.
	path := filepath.Join(t.TempDir(), "new dir", "a?b#c%d.db")
	s := open(t, path)
	created := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	err := s.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		return errors.Join(
			tx.Accounts().Create(ctx, &store.Account{ID: "111111111111", Status: "ACTIVE", CreatedAt: created}),
			tx.Users().Create(ctx, &store.User{AccountID: "111111111111", ID: "AIDA1", Name: "alice", Path: "/", CreatedAt: created}),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the path given: %v", err)
	}

	s = open(t, path)
	defer s.Close()
	u, err := s.Users().Get(ctx, "111111111111", "ALICE")
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != "AIDA1" || !u.CreatedAt.Equal(created) {
		t.Errorf("after reopen: %+v", u)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "mantle.db")
	ms, err := sqlstore.LoadMigrations(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		s := open(t, path)
		// Running them again on an open store changes nothing either.
		if err := migrate(ctx, s.write); err != nil {
			t.Fatalf("migrate on open %d: %v", i, err)
		}
		var n, maxV int
		if err := s.write.QueryRowContext(ctx, `SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &maxV); err != nil {
			t.Fatal(err)
		}
		if n != len(ms) || maxV != ms[len(ms)-1].Version {
			t.Errorf("open %d: %d migrations recorded up to %d, want %d up to %d", i, n, maxV, len(ms), ms[len(ms)-1].Version)
		}
		s.Close()
	}
}

func TestSchemaNewerThanBuild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mantle.db")
	s := open(t, path)
	if _, err := s.write.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', '')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(t.Context(), path); err == nil {
		s.Close()
		t.Fatal("Open accepted a schema newer than the build")
	}
}

func TestPragmas(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "mantle.db"))
	defer s.Close()
	for _, db := range []*sql.DB{s.write, s.read.db} {
		var mode string
		var fk, sync, busy int
		if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`PRAGMA synchronous`).Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(`PRAGMA busy_timeout`).Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || fk != 1 || sync != 1 || busy != int(busyTimeout.Milliseconds()) {
			t.Errorf("journal_mode=%s foreign_keys=%d synchronous=%d busy_timeout=%d", mode, fk, sync, busy)
		}
	}
	// The read pool refuses writes, so nothing can bypass the writer.
	if _, err := s.read.db.Exec(`DELETE FROM accounts`); err == nil {
		t.Error("read pool accepted a write")
	}
}

// TestTwoStoresOneFile stands in for another process writing to the
// database (Open keeps out a second mantle, not the sqlite3 shell): the
// writers contend for SQLite's lock rather than an in-process one, and
// BEGIN IMMEDIATE with the busy timeout must make them wait their turn.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "mantle.db")
	a := open(t, path)
	b, err := openFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	now := time.Now()
	if err := a.Accounts().Create(ctx, &store.Account{ID: "111111111111", Status: "ACTIVE", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := a.Policies().Create(ctx,
		&store.ManagedPolicy{AccountID: "111111111111", ID: "ANPA1", Name: "c", Path: "/", DefaultVersionID: "v1", CreatedAt: now, UpdatedAt: now},
		&store.PolicyVersion{PolicyID: "ANPA1", VersionID: "v1", Document: "{}", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	const perWorker = 20
	var wg sync.WaitGroup
	var calls atomic.Int64
	for w, s := range []*Store{a, b, a, b} {
		wg.Go(func() {
			for i := range perWorker {
				err := s.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
					calls.Add(1)
					p, err := tx.Policies().GetByID(ctx, "ANPA1")
					if err != nil {
						return err
					}
					p.AttachmentCount++
					if err := tx.Policies().Update(ctx, p); err != nil {
						return err
					}
					return tx.Users().Create(ctx, &store.User{AccountID: "111111111111", ID: fmt.Sprintf("AIDA%d-%d", w, i),
						Name: fmt.Sprintf("u%d-%d", w, i), Path: "/", CreatedAt: now})
				})
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
					return
				}
			}
		})
	}
	wg.Wait()
	p, err := b.Policies().GetByID(ctx, "ANPA1")
	if err != nil {
		t.Fatal(err)
	}
	if p.AttachmentCount != 4*perWorker {
		t.Errorf("counter = %d, want %d", p.AttachmentCount, 4*perWorker)
	}
	// Waiting happens at BEGIN: no transaction should have had to start
	// over because it lost the lock half way.
	if n := calls.Load(); n != 4*perWorker {
		t.Errorf("fn ran %d times for %d transactions", n, 4*perWorker)
	}
}

func TestWriteThroughStoreInsideTx(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "mantle.db"))
	defer s.Close()
	done := make(chan error, 1)
	go func() {
		done <- s.Tx(t.Context(), func(ctx context.Context, tx store.Repos) error {
			err := s.Accounts().Create(ctx, &store.Account{ID: "111111111111", Status: "ACTIVE", CreatedAt: time.Now()})
			if !errors.Is(err, errNested) {
				return fmt.Errorf("store write inside Tx: %v, want errNested", err)
			}
			if err := s.Tx(ctx, func(context.Context, store.Repos) error { return nil }); !errors.Is(err, errNested) {
				return fmt.Errorf("nested Tx: %v, want errNested", err)
			}
			// Reads through the Store are fine: they use the read pool.
			_, err = s.Accounts().List(ctx)
			return err
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("deadlock")
	}
}

func TestTxContextCanceled(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "mantle.db"))
	defer s.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	called := false
	err := s.Tx(ctx, func(context.Context, store.Repos) error { called = true; return nil })
	if err == nil || called {
		t.Fatalf("Tx with a canceled context: err=%v, fn called=%v", err, called)
	}
	// The writer is free again.
	if err := s.Tx(t.Context(), func(context.Context, store.Repos) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestWrap(t *testing.T) {
	// Built from the driver rather than by hand: the error codes are what
	// wrap inspects, so they must be the ones the driver really returns.
	s := open(t, filepath.Join(t.TempDir(), "mantle.db"))
	defer s.Close()
	driverErr := func(query string) error {
		_, err := s.write.Exec(query)
		var se *sqlite.Error
		if !errors.As(err, &se) {
			t.Fatalf("%s: %v is not a driver error", query, err)
		}
		return err
	}
	if _, err := s.write.Exec(`INSERT INTO accounts (id, status, name, email, created_at) VALUES ('1', 'ACTIVE', '', '', '')`); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		err  error
		want error
		busy bool
	}{
		{"unique", driverErr(`INSERT INTO accounts (id, status, name, email, created_at) VALUES ('1', 'ACTIVE', '', '', '')`), store.ErrAlreadyExists, false},
		{"foreign key", driverErr(`INSERT INTO groups (id, account_id, name, name_lower, path, created_at) VALUES ('g', 'nope', 'g', 'g', '/', '')`), store.ErrConflict, false},
		{"no rows", sql.ErrNoRows, store.ErrNotFound, false},
		{"syntax", driverErr(`SELEC 1`), nil, false},
	}
	for _, c := range cases {
		got := wrap(c.err, "%s", c.name)
		for _, e := range []error{store.ErrAlreadyExists, store.ErrConflict, store.ErrNotFound} {
			if errors.Is(got, e) != (e == c.want) {
				t.Errorf("%s: wrap gave %v; errors.Is(%v) = %v", c.name, got, e, errors.Is(got, e))
			}
		}
		if !errors.Is(got, c.err) {
			t.Errorf("%s: wrap lost the cause", c.name)
		}
	}
	if wrap(nil, "x") != nil {
		t.Error("wrap(nil) != nil")
	}
}

func TestIsBusy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mantle.db")
	s := open(t, path)
	defer s.Close()
	// Another "process" that will not wait for the lock.
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var busyErr error
	err = s.Tx(t.Context(), func(ctx context.Context, tx store.Repos) error {
		otx, err := other.Begin()
		if err == nil {
			otx.Rollback()
		}
		busyErr = err
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var se *sqlite.Error
	if !errors.As(busyErr, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY {
		t.Fatalf("second writer got %v, want SQLITE_BUSY", busyErr)
	}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{busyErr, true},
		{wrap(busyErr, "begin"), true},
		{fmt.Errorf("fn: %w", wrap(busyErr, "begin")), true},
		{store.ErrConflict, false},
		{nil, false},
	} {
		if got := isBusy(c.err); got != c.want {
			t.Errorf("isBusy(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// A second server on a data directory exits at once, naming the directory
// and the process that has it, instead of serving with caches that disagree
// with the first one's (issue 9, item 5). Closing releases it.
func TestOpenLocksDataDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mantle.db")
	s := open(t, path)
	done := make(chan error, 1)
	go func() {
		s2, err := Open(t.Context(), path)
		if err == nil {
			s2.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("second Open of one data directory succeeded")
		}
		for _, want := range []string{dir, fmt.Sprintf("pid %d", os.Getpid())} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %q", err, want)
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second Open waits instead of failing at once")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	s.Close()
}

// The data directory and the database files are private to the owner
// however they were before and whatever the umask (issue 9, item 8).
func TestOpenMakesFilesPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	for _, existing := range []bool{false, true} {
		t.Run(fmt.Sprintf("existing=%v", existing), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			path := filepath.Join(dir, "mantle.db")
			if existing {
				s := open(t, path)
				if err := s.Tx(t.Context(), func(ctx context.Context, tx store.Repos) error {
					return tx.Accounts().Create(ctx, &store.Account{ID: "111111111111", Status: "ACTIVE", CreatedAt: time.Now()})
				}); err != nil {
					t.Fatal(err)
				}
				s.Close()
				for _, f := range []string{dir, path, path + "-wal", path + "-shm", path + ".lock"} {
					if err := os.Chmod(f, 0o755); err != nil && !errors.Is(err, os.ErrNotExist) {
						t.Fatal(err)
					}
				}
			}
			s := open(t, path)
			defer s.Close()
			// A write makes SQLite create the WAL and its index if need be.
			if err := s.Tx(t.Context(), func(ctx context.Context, tx store.Repos) error {
				return tx.Accounts().Create(ctx, &store.Account{ID: "222222222222", Status: "ACTIVE", CreatedAt: time.Now()})
			}); err != nil {
				t.Fatal(err)
			}
			want := map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600, path + ".lock": 0o600}
			for f, mode := range want {
				fi, err := os.Stat(f)
				if err != nil {
					t.Fatal(err)
				}
				if got := fi.Mode().Perm(); got != mode {
					t.Errorf("%s has mode %v, want %v", filepath.Base(f), got, mode)
				}
			}
		})
	}
}
