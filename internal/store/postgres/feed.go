package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// echoWait bounds how long a write waits to hear its own
	// notification back (see AnnounceChange).
	echoWait = 2 * time.Second
	// maxBackoff is the longest pause between reconnection attempts of
	// the listener; while it is down every attempt tells the subscribers
	// that something may have changed, so caches stay at most this stale.
	maxBackoff = 500 * time.Millisecond
)

// feed is the store's LISTEN connection: it hears every node's change
// notifications on the schema's channel, tells subscribers of the other
// nodes' ones, and matches this node's own to the writes waiting for them.
type feed struct {
	cfg     *pgx.ConnConfig
	channel string
	node    string // this store's ID in the payloads
	seq     atomic.Uint64

	ctx    context.Context // the feed's lifetime
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	connected bool
	waiters   map[uint64]chan struct{} // own notifications not heard yet
	subs      map[chan struct{}]struct{}
}

// startFeed connects and listens before it returns, so a write made once
// the store is open is always heard.
func startFeed(ctx context.Context, cfg *pgx.ConnConfig, channel string) (*feed, error) {
	var id [8]byte
	_, _ = rand.Read(id[:])
	f := &feed{
		cfg: cfg.Copy(), channel: channel, node: hex.EncodeToString(id[:]),
		done: make(chan struct{}), waiters: map[uint64]chan struct{}{}, subs: map[chan struct{}]struct{}{},
	}
	conn, err := f.connect(ctx)
	if err != nil {
		return nil, err
	}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	f.connected = true
	go f.run(conn)
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

func (f *feed) run(conn *pgx.Conn) {
	defer close(f.done)
	for {
		n, err := conn.WaitForNotification(f.ctx)
		if err == nil {
			f.deliver(n.Payload)
			continue
		}
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(cctx)
		cancel()
		// Whatever was notified while we were not listening is lost:
		// tell the subscribers now and on every attempt until we listen
		// again, and once more when we do.
		f.setConnected(false)
		for backoff := 25 * time.Millisecond; ; backoff = min(2*backoff, maxBackoff) {
			select {
			case <-f.ctx.Done():
				return
			case <-time.After(backoff):
			}
			if conn, err = f.connect(f.ctx); err == nil {
				break
			}
			f.broadcast()
		}
		f.setConnected(true)
	}
}

func (f *feed) stop() {
	f.cancel()
	<-f.done
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		close(ch)
	}
	f.subs = nil
}

func (f *feed) setConnected(c bool) {
	f.mu.Lock()
	f.connected = c
	if !c {
		// Nobody will hear these: let the writers go.
		for seq, ch := range f.waiters {
			close(ch)
			delete(f.waiters, seq)
		}
	}
	f.mu.Unlock()
	f.broadcast()
}

func (f *feed) payload(seq uint64) string { return f.node + " " + strconv.FormatUint(seq, 10) }

func (f *feed) deliver(payload string) {
	node, seqText, _ := strings.Cut(payload, " ")
	if node != f.node {
		f.broadcast()
		return
	}
	// Our own write: this node bumped its caches itself already.
	seq, _ := strconv.ParseUint(seqText, 10, 64)
	f.mu.Lock()
	if ch := f.waiters[seq]; ch != nil {
		close(ch)
		delete(f.waiters, seq)
	}
	f.mu.Unlock()
}

// broadcast wakes every subscriber; a subscriber that has not yet taken
// the previous wake-up gets one for both.
func (f *feed) broadcast() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (f *feed) subscribe(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs == nil { // stopped
		close(ch)
		return ch
	}
	f.subs[ch] = struct{}{}
	go func() {
		select {
		case <-ctx.Done():
		case <-f.ctx.Done():
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.subs[ch]; ok {
			delete(f.subs, ch)
			close(ch)
		}
	}()
	return ch
}

// expect numbers a notification about to be sent and, while the listener
// is up, registers a wait for it.
func (f *feed) expect() uint64 {
	seq := f.seq.Add(1)
	f.mu.Lock()
	if f.connected {
		f.waiters[seq] = make(chan struct{})
	}
	f.mu.Unlock()
	return seq
}

func (f *feed) forget(seqs []uint64) {
	f.mu.Lock()
	for _, seq := range seqs {
		delete(f.waiters, seq)
	}
	f.mu.Unlock()
}

// await waits (up to echoWait) until the listener has heard each of seqs.
func (f *feed) await(ctx context.Context, seqs []uint64) {
	if len(seqs) == 0 {
		return
	}
	defer f.forget(seqs)
	timer := time.NewTimer(echoWait)
	defer timer.Stop()
	for _, seq := range seqs {
		f.mu.Lock()
		ch := f.waiters[seq]
		f.mu.Unlock()
		if ch == nil {
			continue
		}
		select {
		case <-ch:
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// AnnounceChange tells the other nodes sharing the database that IAM data
// changed, so they drop their caches. Inside Tx the notification goes out
// when the transaction commits (PostgreSQL delivers notifications at commit,
// and never for a rolled back transaction); outside, at once. Either way the
// write returns only once this node's own listener has heard it (or after
// echoWait), so by the time a client sees a write acknowledged, PostgreSQL
// has delivered its notification to every listening node.
func (r *repos) AnnounceChange(ctx context.Context) error {
	st, inTx := r.q.(*txState)
	if inTx && len(st.announced) > 0 {
		return nil // one notification per transaction is enough
	}
	f := r.s.feed
	seq := f.expect()
	if _, err := r.q.Exec(ctx, `SELECT pg_notify($1, $2)`, f.channel, f.payload(seq)); err != nil {
		f.forget([]uint64{seq})
		return wrap(err, "announce change")
	}
	if inTx {
		st.announced = append(st.announced, seq)
		return nil
	}
	f.await(ctx, []uint64{seq})
	return nil
}

// Changes reports the changes other nodes announce (and, as a safety net,
// every loss and recovery of the listening connection, when some may have
// been missed). Several announcements may arrive as one receive. The channel
// closes when ctx is done or the store closes.
func (s *Store) Changes(ctx context.Context) <-chan struct{} { return s.feed.subscribe(ctx) }
