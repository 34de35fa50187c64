package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mantle-iam/mantle/internal/store"
)

const (
	// leaseTerm is how long a renewal keeps a node's lease: by the
	// database's clock for writers, by the node's own monotonic clock
	// (counted from when it sent the renewal) for the node. A writer waits
	// at most this long for a node that stopped answering.
	leaseTerm = 5 * time.Second
	// beatEvery is how often a node renews its lease.
	beatEvery = time.Second
	// leaseMargin shortens the lease as the node counts it, for any
	// difference in clock rate between it and the database server.
	leaseMargin = 250 * time.Millisecond
	// pollEvery is how often a waiting writer reads the lease table again,
	// for leases that lapsed and acknowledgements it did not hear.
	pollEvery = 100 * time.Millisecond
	// maxWait bounds a writer's wait when it cannot read the lease table.
	maxWait = 2 * leaseTerm
	// maxBackoff is the longest pause between reconnection attempts of
	// the listener.
	maxBackoff = 500 * time.Millisecond
)

var (
	errDeaf   = fmt.Errorf("%w: its connection listening for changes is down", store.ErrNotCurrent)
	errLapsed = fmt.Errorf("%w: its lease lapsed", store.ErrNotCurrent)
)

// feed tells the nodes sharing the schema of each other's changes, and
// keeps this node's lease: its right to serve from what it caches.
//
// Notifications on the schema's channel (LISTEN/NOTIFY, delivered at
// commit, in commit order):
//
//	chg NODE SEQ        node NODE committed its change number SEQ
//	ack NODE SEQ ACKER  node ACKER has applied NODE's change SEQ
//	hb NODE K           node NODE renewed its lease (K-th renewal)
//
// A node that hears another's chg advances its generation (every cache
// drops) and then acknowledges. A node renews its lease only once it has
// heard its previous renewal's hb, which proves its listener hears
// everything committed before that renewal; it counts its lease from the
// moment it sent the renewal it heard, so it counts short, and as long as it
// is current it has applied every change committed before the last
// renewal it heard. The renewal also records applied_before, the database
// time of the heard renewal, for writers whose acknowledgement went astray.
//
// The writer of a change, once committed, waits until every other node with
// a live lease (by the database's clock) has acknowledged the change, or
// recorded an applied_before after the commit, or let its lease lapse. A
// node whose lease lapsed by its own clock (it was paused, or could not
// renew) or whose listener is down is not current (Store.Current): it
// serves nothing that needs authorization until it has renewed, and
// becoming current again advances its generation, dropping whatever it may
// have missed.
type feed struct {
	pool    *pgxpool.Pool
	cfg     *pgx.ConnConfig
	channel string
	node    string
	gen     *store.Counter
	seq     atomic.Uint64

	ctx    context.Context // the feed's lifetime
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// The lease's end by this node's clocks, ns since base: the monotonic
	// clock, which a stopped process cannot fool, and the wall clock, which
	// keeps counting while the machine is suspended (the monotonic one does
	// not). Either one past its end ends the lease.
	base           time.Time
	validUntil     atomic.Int64 // monotonic
	validUntilWall atomic.Int64
	listening      atomic.Bool

	// hold, when set, stops the listener and the heartbeat between two
	// steps, as a stopped process would be (tests).
	hold sync.RWMutex
	// dropAcks makes the node apply changes without acknowledging them, as
	// if every acknowledgement were lost (tests).
	dropAcks atomic.Bool

	mu      sync.Mutex
	hangUp  context.CancelFunc    // ends the current listening connection
	waits   map[uint64]*ackWaiter // own changes awaiting acknowledgements
	beat    *renewal              // the renewal sent and not yet heard
	beats   uint64
	applied *time.Time // database time of the last renewal heard
}

type ackWaiter struct {
	acked  map[string]bool
	signal chan struct{} // one buffered token: something arrived
}

type renewal struct {
	k     uint64
	sent  clock     // taken before sending
	at    time.Time // the database's time in the renewal; zero until it returns
	heard bool
}

// startFeed listens, takes this node's lease and returns once the node is
// current, so a store is ready to serve when Open returns.
func startFeed(ctx context.Context, pool *pgxpool.Pool, cfg *pgx.ConnConfig, channel string, gen *store.Counter) (*feed, error) {
	var id [8]byte
	_, _ = rand.Read(id[:])
	f := &feed{
		pool: pool, cfg: cfg.Copy(), channel: channel, node: hex.EncodeToString(id[:]), gen: gen,
		base: time.Now(), waits: map[uint64]*ackWaiter{},
	}
	f.cfg.RuntimeParams["application_name"] = "mantle-feed " + f.node
	conn, err := f.connect(ctx)
	if err != nil {
		return nil, err
	}
	// Leases of nodes gone for an hour only make writers read more rows.
	if _, err := pool.Exec(ctx, `DELETE FROM nodes WHERE expires_at < clock_timestamp() - interval '1 hour'`); err != nil {
		conn.Close(ctx)
		return nil, wrap(err, "prune leases")
	}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.listening.Store(true)
	f.wg.Add(2)
	go f.listen(conn)
	go f.heartbeat()
	for f.Current() != nil {
		select {
		case <-ctx.Done():
			f.stop()
			return nil, fmt.Errorf("postgres: take a lease: %w", ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
		// A renewal not heard within a lease term is sent again; several
		// in a row means the notifications do not come back.
		if time.Since(f.base) > 6*leaseTerm {
			f.stop()
			return nil, errors.New("postgres: could not take a lease: this node does not hear its own notifications")
		}
	}
	return f, nil
}

func (f *feed) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, f.cfg)
	if err != nil {
		return nil, wrap(err, "listen: connect")
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{f.channel}.Sanitize()); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, wrap(err, "listen")
	}
	return conn, nil
}

// stop stops listening and gives up the lease, so writers stop waiting for
// this node at once rather than when its lease lapses.
func (f *feed) stop() {
	f.cancel()
	f.wg.Wait()
	f.validUntil.Store(0)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _ = f.pool.Exec(ctx, `DELETE FROM nodes WHERE id = $1`, f.node)
}

// clock is a reading of both clocks, in ns since base.
type clock struct{ mono, wall int64 }

func (f *feed) now() clock {
	t := time.Now()
	return clock{int64(t.Sub(f.base)), int64(t.Round(0).Sub(f.base.Round(0)))}
}

// Current reports whether the node may serve from its caches.
func (f *feed) Current() error {
	if !f.listening.Load() {
		return errDeaf
	}
	if f.lapsed(f.now()) {
		return errLapsed
	}
	return nil
}

func (f *feed) lapsed(now clock) bool {
	return now.mono >= f.validUntil.Load() || now.wall >= f.validUntilWall.Load()
}

// extend moves the lease's end to until (both clocks), never back.
func (f *feed) extend(until clock) {
	if until.mono > f.validUntil.Load() {
		f.validUntil.Store(until.mono)
	}
	if until.wall > f.validUntilWall.Load() {
		f.validUntilWall.Store(until.wall)
	}
}

func (f *feed) listen(conn *pgx.Conn) {
	defer f.wg.Done()
	for {
		cctx, hangUp := context.WithCancel(f.ctx)
		f.mu.Lock()
		f.hangUp = hangUp
		f.mu.Unlock()
		for {
			n, err := conn.WaitForNotification(cctx)
			if err != nil {
				break
			}
			f.hold.RLock()
			f.deliver(n.Payload)
			f.hold.RUnlock()
		}
		hangUp()
		// Whatever is announced until we listen again is lost: stop
		// serving until a renewal heard on the new connection proves
		// we hear again (and becoming current drops every cache).
		f.hold.RLock()
		f.listening.Store(false)
		f.validUntil.Store(0)
		f.hold.RUnlock()
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(closeCtx)
		cancel()
		var err error
		for backoff := 25 * time.Millisecond; ; backoff = min(2*backoff, maxBackoff) {
			select {
			case <-f.ctx.Done():
				return
			case <-time.After(backoff):
			}
			if conn, err = f.connect(f.ctx); err == nil {
				break
			}
		}
		f.listening.Store(true)
	}
}

func (f *feed) deliver(payload string) {
	kind, rest, _ := strings.Cut(payload, " ")
	node, rest, _ := strings.Cut(rest, " ")
	seqText, acker, _ := strings.Cut(rest, " ")
	switch {
	case kind == "chg" && node != f.node:
		f.gen.Advance()
		// Acknowledge only once this node's caches have moved. A lost
		// acknowledgement costs the writer a wait until our next renewal
		// records applied_before.
		if f.dropAcks.Load() {
			return
		}
		ctx, cancel := context.WithTimeout(f.ctx, leaseTerm)
		_, _ = f.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, f.channel, "ack "+node+" "+seqText+" "+f.node)
		cancel()
	case kind == "ack" && node == f.node:
		seq, _ := strconv.ParseUint(seqText, 10, 64)
		f.mu.Lock()
		if w := f.waits[seq]; w != nil {
			w.acked[acker] = true
			w.wake()
		}
		f.mu.Unlock()
	case kind == "hb" && node == f.node:
		k, _ := strconv.ParseUint(seqText, 10, 64)
		f.mu.Lock()
		if b := f.beat; b != nil && b.k == k && f.listening.Load() {
			b.heard = true
			term := int64(leaseTerm - leaseMargin)
			if f.lapsed(f.now()) {
				// Lapsed, or never current: changes may have gone
				// unheard. Drop everything before serving again.
				f.gen.Advance()
			}
			f.extend(clock{b.sent.mono + term, b.sent.wall + term})
		}
		f.mu.Unlock()
	}
}

func (w *ackWaiter) wake() {
	select {
	case w.signal <- struct{}{}:
	default:
	}
}

func (f *feed) heartbeat() {
	defer f.wg.Done()
	t := time.NewTicker(beatEvery)
	defer t.Stop()
	for {
		f.hold.RLock()
		f.renew()
		f.hold.RUnlock()
		select {
		case <-f.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// renew sends the next renewal, unless the previous one is still unheard:
// renewing then would keep a lease for a node that may not hear changes.
func (f *feed) renew() {
	f.mu.Lock()
	if b := f.beat; b != nil {
		switch {
		case b.heard && !b.at.IsZero():
			f.applied = &b.at
		case f.now().mono-b.sent.mono < int64(leaseTerm):
			f.mu.Unlock()
			return
		case f.hangUp != nil:
			// Committed (or failed) long ago and never heard: the
			// listening connection may be dead without knowing it.
			f.hangUp()
		}
		f.beat = nil // heard, or lost
	}
	if !f.listening.Load() {
		f.mu.Unlock()
		return
	}
	f.beats++
	b := &renewal{k: f.beats, sent: f.now()}
	f.beat = b
	var applied any
	if f.applied != nil {
		applied = *f.applied
	}
	f.mu.Unlock()

	// One round trip, one implicit transaction: the lease and its hb.
	batch := &pgx.Batch{}
	batch.Queue(`INSERT INTO nodes (id, joined_at, expires_at, applied_before)
		VALUES ($1, clock_timestamp(), clock_timestamp() + $2 * interval '1 millisecond', $3)
		ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, applied_before = excluded.applied_before
		RETURNING clock_timestamp()`, f.node, leaseTerm.Milliseconds(), applied)
	batch.Queue(`SELECT pg_notify($1, $2)`, f.channel, "hb "+f.node+" "+strconv.FormatUint(b.k, 10))
	ctx, cancel := context.WithTimeout(f.ctx, beatEvery)
	defer cancel()
	br := f.pool.SendBatch(ctx, batch)
	var at time.Time
	err := br.QueryRow().Scan(&at)
	if err == nil {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	f.mu.Lock()
	if err != nil {
		if f.beat == b {
			f.beat = nil
		}
	} else {
		b.at = at
	}
	f.mu.Unlock()
}

// announce queues, inside the transaction st, the notice of its change;
// PostgreSQL delivers it if and only if the transaction commits. One per
// transaction attempt is enough.
func (f *feed) announce(ctx context.Context, st *txState) error {
	if st.announced != 0 {
		return nil
	}
	seq := f.seq.Add(1)
	f.mu.Lock()
	f.waits[seq] = &ackWaiter{acked: map[string]bool{}, signal: make(chan struct{}, 1)}
	f.mu.Unlock()
	var at time.Time
	if err := st.QueryRow(ctx, `SELECT clock_timestamp(), pg_notify($1, $2)`,
		f.channel, "chg "+f.node+" "+strconv.FormatUint(seq, 10)).Scan(&at, nil); err != nil {
		st.observe(err)
		f.forget(seq)
		return wrap(err, "announce change")
	}
	st.announced, st.announcedAt = seq, at
	return nil
}

func (f *feed) forget(seq uint64) {
	if seq == 0 {
		return
	}
	f.mu.Lock()
	delete(f.waits, seq)
	f.mu.Unlock()
}

// await returns once every other node with a live lease has applied the
// committed change seq (announced at the database time at), or lost its
// lease. Nodes that joined after the announcement started with empty caches
// and owe nothing.
func (f *feed) await(ctx context.Context, seq uint64, at time.Time) {
	if seq == 0 {
		return
	}
	defer f.forget(seq)
	f.mu.Lock()
	w := f.waits[seq]
	f.mu.Unlock()
	deadline := time.Now().Add(maxWait)
	var committed any // the database's time after the commit, once read
	var owing []string
	poll := true
	for {
		if poll {
			ids, now, err := f.owing(ctx, at, committed)
			if err == nil {
				owing = ids
				if committed == nil {
					committed = now
				}
			}
		}
		f.mu.Lock()
		owing = slices.DeleteFunc(owing, func(id string) bool { return w.acked[id] })
		f.mu.Unlock()
		if len(owing) == 0 && committed != nil {
			return
		}
		wait := time.NewTimer(pollEvery)
		select {
		case <-w.signal:
			poll = false
		case <-wait.C:
			poll = true
		case <-ctx.Done():
		}
		wait.Stop()
		if ctx.Err() != nil || time.Now().After(deadline) {
			return
		}
	}
}

// owing lists the other nodes with a live lease that joined before at and
// have recorded no applied_before after committed (nil: not known yet), with
// the database's time.
func (f *feed) owing(ctx context.Context, at time.Time, committed any) ([]string, time.Time, error) {
	rows, err := f.pool.Query(ctx, `SELECT id, clock_timestamp() FROM nodes
		WHERE id <> $1 AND joined_at < $2 AND expires_at > clock_timestamp() AND NOT coalesce(applied_before > $3, false)
		UNION ALL SELECT NULL, clock_timestamp()`, f.node, at, committed)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer rows.Close()
	var ids []string
	var now time.Time
	for rows.Next() {
		var id *string
		if err := rows.Scan(&id, &now); err != nil {
			return nil, now, err
		}
		if id != nil {
			ids = append(ids, *id)
		}
	}
	return ids, now, rows.Err()
}
