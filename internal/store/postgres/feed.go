package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const (
	// ackWait bounds how long a write waits for the other nodes to
	// acknowledge its change (a node that is alive but stuck must not
	// stall every write).
	ackWait = 2 * time.Second
	// maxBackoff is the longest pause between reconnection attempts of
	// the listener; while it is down every attempt reports a change, so
	// this node's caches stay at most this stale.
	maxBackoff = 500 * time.Millisecond
	// appPrefix starts the application_name of every listener connection,
	// which is how a writer counts the nodes that must acknowledge.
	appPrefix = "mantle-feed "
)

// feed is the store's LISTEN connection on the schema's channel. It carries
// two kinds of notification:
//
//	chg NODE SEQ   node NODE committed change number SEQ
//	ack NODE SEQ   a listener has applied NODE's change SEQ
//
// A node hearing another's chg runs the OnChange functions (the IAM
// generation moves, so every cache drops) and then sends ack. The writer,
// after commit, counts the other listeners in pg_stat_activity and waits for
// that many acks (at most ackWait): so when a write is acknowledged to its
// client, every live node has already dropped what the write changed, and
// the client's next request sees it whichever node serves it.
type feed struct {
	pool    *pgxpool.Pool
	cfg     *pgx.ConnConfig
	channel string
	node    string // this store's ID in the payloads
	group   string // application_name suffix shared by the schema's listeners
	seq     atomic.Uint64

	ctx    context.Context // the feed's lifetime
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	waits map[uint64]*ackWaiter // own changes awaiting acks
	subs  []func()
}

type ackWaiter struct {
	at   time.Time // when the change was announced, by the server's clock
	acks int
	need int // -1 until the writer has counted the peers
	done chan struct{}
}

// startFeed connects and listens before it returns, so a change committed
// once the store is open is always heard.
func startFeed(ctx context.Context, pool *pgxpool.Pool, cfg *pgx.ConnConfig, channel string) (*feed, error) {
	var id [8]byte
	_, _ = rand.Read(id[:])
	h := fnv.New32a()
	h.Write([]byte(cfg.Database + "\x00" + channel))
	f := &feed{
		pool: pool, cfg: cfg.Copy(), channel: channel, node: hex.EncodeToString(id[:]),
		group: fmt.Sprintf("%08x", h.Sum32()),
		done:  make(chan struct{}), waits: map[uint64]*ackWaiter{},
	}
	f.cfg.RuntimeParams["application_name"] = appPrefix + f.node + " " + f.group
	conn, err := f.connect(ctx)
	if err != nil {
		return nil, err
	}
	f.ctx, f.cancel = context.WithCancel(context.Background())
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
		// Whatever was announced while we were not listening is lost:
		// report a change now, on every attempt until we listen again,
		// and once more when we do.
		f.changed()
		for backoff := 25 * time.Millisecond; ; backoff = min(2*backoff, maxBackoff) {
			select {
			case <-f.ctx.Done():
				return
			case <-time.After(backoff):
			}
			if conn, err = f.connect(f.ctx); err == nil {
				break
			}
			f.changed()
		}
		f.changed()
	}
}

func (f *feed) stop() {
	f.cancel()
	<-f.done
}

func (f *feed) changed() {
	f.mu.Lock()
	subs := f.subs
	f.mu.Unlock()
	for _, fn := range subs {
		fn()
	}
}

func (f *feed) deliver(payload string) {
	kind, rest, _ := strings.Cut(payload, " ")
	node, seqText, _ := strings.Cut(rest, " ")
	switch {
	case kind == "chg" && node != f.node:
		f.changed()
		// Acknowledge only once this node's caches have moved.
		ctx, cancel := context.WithTimeout(f.ctx, ackWait)
		_, _ = f.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, f.channel, "ack "+rest)
		cancel()
	case kind == "ack" && node == f.node:
		seq, _ := strconv.ParseUint(seqText, 10, 64)
		f.mu.Lock()
		if w := f.waits[seq]; w != nil {
			w.acks++
			w.check()
		}
		f.mu.Unlock()
	}
}

// check closes done once enough acks are in; f.mu must be held.
func (w *ackWaiter) check() {
	if w.need >= 0 && w.acks >= w.need {
		select {
		case <-w.done:
		default:
			close(w.done)
		}
	}
}

// expect numbers a change about to be announced and registers its wait.
func (f *feed) expect() uint64 {
	seq := f.seq.Add(1)
	f.mu.Lock()
	f.waits[seq] = &ackWaiter{need: -1, done: make(chan struct{})}
	f.mu.Unlock()
	return seq
}

func (f *feed) forget(seqs []uint64) {
	f.mu.Lock()
	for _, seq := range seqs {
		delete(f.waits, seq)
	}
	f.mu.Unlock()
}

// await waits until every other listening node has acknowledged seqs, or
// ackWait has passed. Nodes that connect later start with empty caches and
// owe nothing.
func (f *feed) await(ctx context.Context, seqs []uint64) {
	if len(seqs) == 0 {
		return
	}
	defer f.forget(seqs)
	timer := time.NewTimer(ackWait)
	defer timer.Stop()
	for _, seq := range seqs {
		f.mu.Lock()
		w := f.waits[seq]
		f.mu.Unlock()
		if w == nil {
			continue
		}
		// A listener's last statement is its LISTEN, so state_change is
		// when it began listening: one that began after the announcement
		// may not hear it, and owes no ack.
		var peers int
		if err := f.pool.QueryRow(ctx,
			`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name LIKE $1 AND application_name <> $2
				AND state_change < $3`,
			appPrefix+"% "+f.group, appPrefix+f.node+" "+f.group, w.at).Scan(&peers); err != nil {
			return
		}
		f.mu.Lock()
		w.need = peers
		w.check()
		f.mu.Unlock()
		select {
		case <-w.done:
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
// and never for a rolled back transaction), and Tx returns once the other
// nodes have acknowledged it; outside Tx that happens at once.
func (r *repos) AnnounceChange(ctx context.Context) error {
	st, inTx := r.q.(*txState)
	if inTx && len(st.announced) > 0 {
		return nil // one notification per transaction is enough
	}
	f := r.s.feed
	seq := f.expect()
	var at time.Time
	if err := r.q.QueryRow(ctx, `SELECT clock_timestamp(), pg_notify($1, $2)`,
		f.channel, "chg "+f.node+" "+strconv.FormatUint(seq, 10)).Scan(&at, nil); err != nil {
		r.q.observe(err)
		f.forget([]uint64{seq})
		return wrap(err, "announce change")
	}
	f.mu.Lock()
	f.waits[seq].at = at
	f.mu.Unlock()
	if inTx {
		st.announced = append(st.announced, seq)
		return nil
	}
	f.await(ctx, []uint64{seq})
	return nil
}

// OnChange registers fn to run for every change another node announces
// (and, as a safety net, for every loss and recovery of the listening
// connection, when some may have been missed). fn runs on the listener's
// goroutine, before the change is acknowledged: it must be quick.
func (s *Store) OnChange(fn func()) {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	s.feed.subs = append(s.feed.subs, fn)
}
