package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/mantle-iam/mantle/internal/store"
)

const (
	// busyTimeout is how long a statement waits for another process's lock
	// before SQLite gives up with SQLITE_BUSY.
	busyTimeout = 5 * time.Second
	// txAttempts bounds how often Tx restarts after SQLITE_BUSY; with
	// busyTimeout per attempt that is a generous wait for a stuck writer.
	txAttempts = 5
)

// Store is a store.Store over one SQLite database file, which it holds
// locked for its lifetime: one process serves a data directory.
type Store struct {
	write *sql.DB   // exactly one connection: the in-process writer lock
	read  *stmtPool // read-only connections for reads outside Tx
	lock  *os.File  // flocked; nil for a store opened without it (tests)
	path  string    // the database file
	*repos
	gen store.Counter
	// The background merge of small event packs (eventpacks.go).
	stopCompact, compactDone chan struct{}
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if need be) the database at path, creating its
// parent directory, and brings its schema up to date. The directory and the
// database files are made private to the owner (0700, 0600) whatever they
// were, since they hold every identity's secrets (sealed) and the audit
// trail. Open fails at once, naming the directory and the process, when
// another process has the database open: two servers on one file would each
// trust their own caches and disagree about what is allowed.
func Open(ctx context.Context, path string) (*Store, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create directory: %w", err)
	}
	// MkdirAll leaves an existing directory's mode alone.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: make %s private: %w", dir, err)
	}
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	// The database and its WAL and shared-memory files: created here with
	// the private mode if missing (SQLite would create them with 0644 less
	// the umask), corrected if they exist.
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := private(f, f == path); err != nil {
			lock.Close()
			return nil, err
		}
	}
	s, err := openFile(ctx, path)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

// private gives an existing file mode 0600, creating it empty first when
// create is set.
func private(path string, create bool) error {
	if create {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("sqlite: create %s: %w", path, err)
		}
		f.Close()
	}
	err := os.Chmod(path, 0o600)
	if err != nil && !(errors.Is(err, fs.ErrNotExist) && !create) {
		return fmt.Errorf("sqlite: make %s private: %w", path, err)
	}
	return nil
}

// openFile opens the database without the process lock: Open's work, and
// tests' stand-in for another process on the same file.
func openFile(ctx context.Context, path string) (*Store, error) {
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	// One connection makes the pool itself the writer lock, and waiting for
	// it honours ctx, which a sync.Mutex would not.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}

	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)

	s := &Store{write: w, read: newStmtPool(r), path: path, stopCompact: make(chan struct{}), compactDone: make(chan struct{})}
	s.repos = newRepos(routed{read: s.read, write: w}, s.atomic)
	go s.compactor(s.stopCompact, s.compactDone)
	return s, nil
}

// dsn builds the modernc DSN. The path goes through SQLite's URI parser
// (the "file:" form is what lets the query carry driver options), so the
// characters it treats specially are escaped.
func dsn(path string, readOnly bool) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	opts := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()),
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(NORMAL)",
	}
	if readOnly {
		opts = append(opts, "_pragma=query_only(1)")
	} else {
		// journal_mode is persistent in the file; setting it on the writer,
		// which connects before any reader, is enough.
		// _txlock makes database/sql's BEGIN an IMMEDIATE one, taking the
		// write lock up front: a deferred transaction that reads and then
		// writes can hit SQLITE_BUSY half way, which busy_timeout cannot
		// fix.
		opts = append(opts, "_pragma=journal_mode(WAL)", "_txlock=immediate")
	}
	return "file:" + esc + "?" + strings.Join(opts, "&")
}

// Close closes both pools, then releases the database to other processes.
func (s *Store) Close() error {
	select {
	case <-s.stopCompact:
	default:
		close(s.stopCompact)
	}
	<-s.compactDone
	err := errors.Join(s.read.close(), s.write.Close())
	if s.lock != nil {
		err = errors.Join(err, s.lock.Close())
	}
	return err
}

// Change runs fn and stages the request's record in one write transaction
// and advances the generation once it commits. No other node shares the
// database (Open locks it), so there is no one to tell.
func (s *Store) Change(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error) error {
	err := s.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := fn(ctx, tx); err != nil {
			return err
		}
		return store.Stage(ctx, tx)
	})
	if err == nil {
		s.gen.Advance()
	}
	return err
}

// Generation counts this process's committed changes.
func (s *Store) Generation() uint64 { return s.gen.Generation() }

// Current is always nil: this process makes every change itself.
func (s *Store) Current() error { return nil }

// Lock runs fn: the process lock Open takes already keeps every other
// process away.
func (s *Store) Lock(ctx context.Context, _ string, fn func(ctx context.Context) error) error {
	return fn(ctx)
}

type txKey struct{}

// Tx runs fn in one write transaction, committing when it returns nil and
// rolling back otherwise, panics included. It restarts fn when SQLite
// reports the database busy (another process held the lock for longer than
// the busy timeout).
//
// fn must make its writes through tx: the store's own write path is the
// connection fn's transaction holds, so writing through the Store (or
// calling Tx) from inside fn fails rather than deadlocking.
func (s *Store) Tx(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error) error {
	if ctx.Value(txKey{}) != nil {
		return errNested
	}
	var err error
	for attempt := 0; attempt < txAttempts; attempt++ {
		if attempt > 0 {
			// Jitter keeps competing processes from retrying in lock step.
			d := time.Duration(attempt*attempt)*10*time.Millisecond + rand.N(10*time.Millisecond)
			select {
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			case <-time.After(d):
			}
		}
		err = s.tryTx(ctx, func(ctx context.Context, q querier) error {
			return fn(ctx, newRepos(q, inTx(q)))
		})
		if !isBusy(err) {
			return err
		}
	}
	return err
}

var errClosed = errors.New("sqlite: store closed")

var errNested = errors.New("sqlite: write through the Store inside Tx (use the tx repositories)")

func (s *Store) tryTx(ctx context.Context, fn func(ctx context.Context, q querier) error) (err error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return wrap(err, "begin")
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{}, true), tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return wrap(err, "commit")
	}
	return nil
}

// atomic gives a multi-statement write made outside Tx its own transaction.
func (s *Store) atomic(ctx context.Context, fn func(q querier) error) error {
	return s.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		return fn(tx.(*repos).q)
	})
}

// inTx is atomic for repositories already inside a transaction.
func inTx(q querier) func(context.Context, func(querier) error) error {
	return func(_ context.Context, fn func(querier) error) error { return fn(q) }
}

// querier is what repositories run statements on: *sql.DB, *sql.Tx, or
// the Store's routing of the two pools.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// routed sends reads outside Tx to the read pool and single-statement
// writes to the write connection, where each is its own transaction.
type routed struct {
	read  *stmtPool
	write *sql.DB
}

func (r routed) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if ctx.Value(txKey{}) != nil {
		return nil, errNested
	}
	return r.write.ExecContext(ctx, query, args...)
}

func (r routed) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.read.QueryContext(ctx, query, args...)
}

func (r routed) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return r.read.QueryRowContext(ctx, query, args...)
}

// stmtPool is the read pool with a statement cache. The set of statements
// is small and fixed (every query is a constant), so the cache never needs
// evicting, and the hot lookups (access key, user, role by ID) skip SQL
// compilation. Transactions do not use it: statements prepared on the pool
// cannot be borrowed by the single write connection while a Tx holds it.
type stmtPool struct {
	db    *sql.DB
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

func newStmtPool(db *sql.DB) *stmtPool {
	return &stmtPool{db: db, stmts: make(map[string]*sql.Stmt)}
}

func (p *stmtPool) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	p.mu.RLock()
	st := p.stmts[query]
	p.mu.RUnlock()
	if st != nil {
		return st, nil
	}
	st, err := p.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stmts == nil { // closed while we prepared
		st.Close()
		return nil, errClosed
	}
	if prev := p.stmts[query]; prev != nil {
		st.Close()
		return prev, nil
	}
	p.stmts[query] = st
	return st, nil
}

func (p *stmtPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (p *stmtPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.stmt(ctx, query)
	if err != nil {
		// *sql.Row cannot be built with an error; the unprepared query
		// reports the same failure through Scan.
		return p.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (p *stmtPool) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, st := range p.stmts {
		errs = append(errs, st.Close())
	}
	p.stmts = nil
	return errors.Join(append(errs, p.db.Close())...)
}

// wrap maps driver errors onto the store errors by result code, keeping
// the driver error in the chain for logs and for isBusy.
func wrap(err error, format string, args ...any) error {
	return dialect.Wrap(err, format, args...)
}

func classify(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return store.ErrAlreadyExists
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return store.ErrConflict
		}
	}
	return nil
}

// isBusy reports a lock held by another connection; primary code only, so
// SQLITE_BUSY_SNAPSHOT and friends count too.
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	c := se.Code() & 0xff
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}
