package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mantle-iam/mantle/internal/store"
)

// txAttempts bounds how often Tx reruns fn after a serialization failure or
// deadlock. Each rerun waits a little longer (with jitter, so competing
// nodes do not retry in lock step); a transaction that still loses after
// that many rounds reports store.ErrConflict.
const txAttempts = 40

// Store is a store.Store over one PostgreSQL schema.
type Store struct {
	pool   *pgxpool.Pool
	schema string
	feed   *feed
	gen    store.Counter
	*repos

	// onAck, when set, is told how long each change waited for the other
	// nodes' acknowledgements (metrics).
	onAck atomic.Pointer[func(time.Duration)]
}

// ObserveAcks has fn told, after every change this node commits, how long
// it waited for the other live nodes to apply it.
func (s *Store) ObserveAcks(fn func(time.Duration)) { s.onAck.Store(&fn) }

// LiveNodes counts the nodes holding a live lease, this one included.
func (s *Store) LiveNodes(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM nodes WHERE expires_at > clock_timestamp()`).Scan(&n)
	return n, wrap(err, "count nodes")
}

var _ store.Store = (*Store)(nil)

// Open connects to the database of dsn (a libpq connection string or URL;
// pgxpool's pool_* parameters and search_path are honoured), brings its
// schema up to date and starts listening for other nodes' changes.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return OpenConfig(ctx, cfg)
}

// OpenConfig is Open with a parsed configuration.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config) (*Store, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	var schema *string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		pool.Close()
		return nil, wrap(err, "connect")
	}
	if schema == nil {
		pool.Close()
		return nil, errors.New("postgres: no schema of the search_path exists (create it first)")
	}
	s := &Store{pool: pool, schema: *schema}
	if err := s.Lock(ctx, "migrate", func(ctx context.Context) error { return migrate(ctx, pool) }); err != nil {
		pool.Close()
		return nil, err
	}
	// Channels are per database; the schema in the name keeps deployments
	// that share a database in different schemas apart.
	s.feed, err = startFeed(ctx, pool, cfg.ConnConfig, "mantle_changes."+*schema, &s.gen)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.repos = newRepos(poolQuerier{pool}, s)
	return s, nil
}

// Close stops listening and closes the pool.
func (s *Store) Close() error {
	s.feed.stop()
	s.pool.Close()
	return nil
}

type txKey struct{}

var errNested = errors.New("postgres: write through the Store inside Tx (use the tx repositories)")

// Tx runs fn in one SERIALIZABLE transaction, committing when it returns nil
// and rolling back otherwise, panics included. It reruns fn when PostgreSQL
// reports a serialization failure or deadlock, whether a statement, fn's
// result or the commit carries it: such a transaction may have read
// inconsistent data, so what fn decided from it does not count.
func (s *Store) Tx(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error) error {
	return s.run(ctx, fn, false)
}

// Change is Tx that also stages the request's record and announces the
// change in the transaction, then advances this node's generation and
// returns once every other node holding a live lease has applied it (see
// feed).
func (s *Store) Change(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error) error {
	return s.run(ctx, fn, true)
}

// Generation counts the changes this node has applied, its own and the
// other nodes'. While the node is not current it moves at every call, so
// no cache keeps anything: whatever path reaches a cache without checking
// Current first reads the database instead.
func (s *Store) Generation() uint64 {
	if s.feed.Current() != nil {
		s.gen.Advance()
	}
	return s.gen.Generation()
}

// Current fails while this node's lease has lapsed by its own clock or its
// listener is down.
func (s *Store) Current() error { return s.feed.Current() }

func (s *Store) run(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error, change bool) error {
	if ctx.Value(txKey{}) != nil {
		return errNested
	}
	var err error
	for attempt := range txAttempts {
		if attempt > 0 {
			d := min(time.Duration(attempt)*2*time.Millisecond, 50*time.Millisecond) + rand.N(5*time.Millisecond)
			select {
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			case <-time.After(d):
			}
		}
		err = s.tryTx(ctx, fn, change)
		if !retryable(err) {
			return err
		}
	}
	return fmt.Errorf("postgres: transaction lost %d times to concurrent writers: %w: %w", txAttempts, store.ErrConflict, err)
}

func (s *Store) tryTx(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error, change bool) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return wrap(err, "begin")
	}
	st := &txState{tx: tx}
	rollback := func() {
		// A cancelled ctx must not keep the rollback from reaching the
		// server (pgx would then close the connection instead).
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = tx.Rollback(rctx)
		s.feed.forget(st.announced)
	}
	defer func() {
		if p := recover(); p != nil {
			rollback()
			panic(p)
		}
	}()
	tctx := context.WithValue(ctx, txKey{}, true)
	repos := newRepos(st, s)
	err = fn(tctx, repos)
	if err == nil && change {
		if err = store.Stage(tctx, repos); err == nil {
			err = s.feed.announce(tctx, st)
		}
	}
	if st.doomed != nil {
		err = st.doomed
	}
	if err != nil {
		rollback()
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		s.feed.forget(st.announced)
		return wrap(err, "commit")
	}
	if change {
		s.gen.Advance()
		start := time.Now()
		s.feed.await(ctx, st.announced, st.announcedAt)
		if fn := s.onAck.Load(); fn != nil && st.announced != 0 {
			(*fn)(time.Since(start))
		}
	}
	return nil
}

// Lock runs fn while holding a PostgreSQL advisory lock named name (per
// schema), so one node at a time runs it; the others wait. fn uses the
// store as usual: the lock lives on a connection of its own.
func (s *Store) Lock(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return wrap(err, "lock %s: acquire", name)
	}
	defer conn.Release()
	h := fnv.New64a()
	h.Write([]byte("mantle\x00" + s.schema + "\x00" + name))
	key := int64(h.Sum64())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return wrap(err, "lock %s", name)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
			// A session lock outlives a failed unlock: drop the connection.
			_ = conn.Conn().Close(uctx)
		}
	}()
	return fn(ctx)
}

// querier is what repositories run statements on: the pool outside Tx, a
// transaction's state inside.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	// observe sees every failed statement, so a transaction notices it
	// has to rerun even when fn handles the error.
	observe(err error)
}

// poolQuerier runs each statement in a transaction of its own.
type poolQuerier struct{ pool *pgxpool.Pool }

func (p poolQuerier) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	// A write on another connection while our Tx holds locks could wait
	// for ourselves.
	if ctx.Value(txKey{}) != nil {
		return pgconn.CommandTag{}, errNested
	}
	return p.pool.Exec(ctx, sql, args...)
}

func (p poolQuerier) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return p.pool.Query(ctx, sql, args...)
}

func (p poolQuerier) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return p.pool.QueryRow(ctx, sql, args...)
}

func (poolQuerier) observe(error) {}

// txState is one attempt of a Tx.
type txState struct {
	tx pgx.Tx
	// doomed is the serialization failure or deadlock that condemned
	// this attempt; the transaction reruns whatever fn returns.
	doomed error
	// announced is the sequence number of this attempt's change notice
	// (0: none), awaited after commit; announcedAt is the database's time
	// when it was queued.
	announced   uint64
	announcedAt time.Time
}

// Exec runs a write under a savepoint, pipelined with it in one round trip,
// and rolls back to the savepoint when the statement fails: PostgreSQL
// aborts the whole transaction on any error, while the store contract lets
// fn handle a store error and go on.
func (st *txState) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if st.doomed != nil {
		return pgconn.CommandTag{}, st.doomed
	}
	b := &pgx.Batch{}
	b.Queue(`SAVEPOINT mantle_stmt`)
	b.Queue(sql, args...)
	b.Queue(`RELEASE SAVEPOINT mantle_stmt`)
	br := st.tx.SendBatch(ctx, b)
	_, err := br.Exec()
	var tag pgconn.CommandTag
	if err == nil {
		tag, err = br.Exec()
	}
	if err == nil {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		return tag, nil
	}
	st.observe(err)
	if st.doomed != nil {
		return tag, err
	}
	if _, rerr := st.tx.Exec(ctx, `ROLLBACK TO SAVEPOINT mantle_stmt`); rerr != nil {
		st.doomed = fmt.Errorf("postgres: roll back a failed statement: %w (after %w)", rerr, err)
		return tag, st.doomed
	}
	return tag, err
}

func (st *txState) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if st.doomed != nil {
		return nil, st.doomed
	}
	return st.tx.Query(ctx, sql, args...)
}

func (st *txState) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if st.doomed != nil {
		return errRow{st.doomed}
	}
	return st.tx.QueryRow(ctx, sql, args...)
}

func (st *txState) observe(err error) {
	if st.doomed == nil && retryable(err) {
		st.doomed = err
	}
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// retryable reports a serialization failure or a deadlock: the transaction
// did nothing and may simply run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// wrap maps driver errors onto the store errors by SQLSTATE, keeping the
// driver error in the chain for logs and for retryable.
func wrap(err error, format string, args ...any) error {
	return dialect.Wrap(err, format, args...)
}

func classify(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return store.ErrAlreadyExists
		case "23503": // foreign_key_violation
			return store.ErrConflict
		}
	}
	return nil
}
