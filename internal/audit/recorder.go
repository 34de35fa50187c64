package audit

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// Retention is how long events are kept: CloudTrail's event history keeps
// 90 days.
const Retention = 90 * 24 * time.Hour

const (
	// maxBatch bounds one store transaction; a batch is whatever has
	// queued up while the previous one was written, so under light load
	// each event is written at once and under heavy load writes group.
	maxBatch = 512
	// defaultQueue holds the next batch while one is written. A deeper
	// queue would not write faster: once the store is the bottleneck it
	// only adds its length to every caller's wait (8192 queued events
	// made GetCallerIdentity's p99 0.8 s under wrk).
	defaultQueue = 2 * maxBatch
	// closeGrace bounds how long Close keeps retrying a store that fails:
	// past it the events still unwritten are logged as lost.
	closeGrace = 10 * time.Second
	maxBackoff = 5 * time.Second
)

// ErrNotRecorded answers a call whose event had to be stored before the
// answer (Durable) and could not be: AWS's retryable ServiceUnavailable,
// so SDKs try again. The call's event records this error instead of the
// credentials the caller never received.
var ErrNotRecorded = awserr.New("ServiceUnavailable", http.StatusServiceUnavailable,
	"The request has failed due to a temporary failure of the server.")

// RecorderConfig configures a Recorder.
type RecorderConfig struct {
	// Store keeps the events for LookupEvents; nil keeps none.
	Store store.Store
	// Sink, when set, receives every record as one JSON line (--audit-log).
	Sink io.Writer
	Log  *slog.Logger
	// Queue bounds the events waiting to be written; default 1024.
	Queue int
	// Retention defaults to 90 days; older events are pruned hourly.
	Retention time.Duration
	Now       func() time.Time
}

// Recorder stores events. An event is never dropped once its call is
// answered: a full queue makes Record wait for room (backpressure), and
// Close writes everything queued. A call marked Durable is answered only
// once its event has committed; such calls share transactions (group
// commit), so many concurrent callers cost one commit. Every other event
// is written off the request path.
type Recorder struct {
	cfg RecorderConfig
	// queue holds the asynchronous events and Flush markers; urgent the
	// durable events, whose callers wait: the writer takes those first.
	queue, urgent chan item
	stop, done    chan struct{}
	once          sync.Once

	// Once Close has set closed (under mu), no Record joins senders, the
	// calls on their way into a queue; the writer drains the queues until
	// the last of those is gone (sendersDone), so none is left behind.
	mu          sync.RWMutex
	closed      bool
	senders     sync.WaitGroup
	sendersDone chan struct{}

	// wmu serializes writes: the writer's batches and, after Close, the
	// events of calls still finishing, written by their own goroutines.
	wmu sync.Mutex
	// giveUpAt, once Close has met a failing store, is when the drain
	// stops retrying it; guarded by wmu.
	giveUpAt time.Time
	grace    time.Duration // closeGrace; shorter in tests
	// failing is set while the store refuses writes: durable calls then
	// fail at once instead of queueing behind the retries.
	failing atomic.Bool
	lost    atomic.Uint64
	waits   atomic.Uint64 // calls that waited for room in a full queue
	lastLog atomic.Int64
}

type item struct {
	e  *Entry
	ev *store.Event // built by the caller for a durable entry, else by the writer
	// done, when set, is answered once the item's batch is stored: a
	// durable caller waits on it, and so does Flush (with e nil).
	done   chan error
	stored bool
}

// NewRecorder starts the writer; Close stops it.
func NewRecorder(cfg RecorderConfig) *Recorder {
	if cfg.Queue <= 0 {
		cfg.Queue = defaultQueue
	}
	if cfg.Retention <= 0 {
		cfg.Retention = Retention
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r := &Recorder{
		cfg:   cfg,
		queue: make(chan item, cfg.Queue), urgent: make(chan item, cfg.Queue),
		stop: make(chan struct{}), done: make(chan struct{}), sendersDone: make(chan struct{}), grace: closeGrace,
	}
	go r.run()
	return r
}

// Record takes the answered call's entry; nothing changes the entry after.
// A Durable entry is stored before Record returns nil; if it cannot be,
// Record returns ErrNotRecorded (or ctx's error) and the call must fail.
// Any other entry is queued, waiting for room when the queue is full; it
// is lost only if ctx ends first, when no one is left to answer.
func (r *Recorder) Record(ctx context.Context, e *Entry) error {
	it := item{e: e}
	q := r.queue
	if e.durable && r.failing.Load() {
		// The store is refusing writes: rather than hold the call through
		// the outage, fail it now and queue the event of its failure. A
		// staged write has committed with its provisional event, so it
		// stands and its completion is queued.
		e.durable = false
		if e.staged {
			return r.Record(ctx, e)
		}
		e.Output, e.Err = nil, ErrNotRecorded
		if err := r.Record(ctx, e); err != nil {
			return err
		}
		return ErrNotRecorded
	}
	if e.durable {
		// Built here, on the caller's goroutine, so the writer only
		// stores and the caller's wait is one commit.
		ev, err := e.Event()
		if err != nil {
			return err
		}
		it.ev, it.done, q = ev, make(chan error, 1), r.urgent
	}
	if !r.enter() {
		return r.writeLate(it)
	}
	select {
	case q <- it:
		r.senders.Done()
	default:
		// The queue is full: wait for room (backpressure).
		r.waits.Add(1)
		select {
		case q <- it:
			r.senders.Done()
		case <-r.stop:
			// Closing: rather than wait for room, write it here.
			r.senders.Done()
			return r.writeLate(it)
		case <-ctx.Done():
			r.senders.Done()
			r.noteLost(1, "audit event not queued: the call ended first", ctx.Err())
			return ctx.Err()
		}
	}
	if it.done == nil {
		return nil
	}
	select {
	case err := <-it.done:
		return err
	case <-ctx.Done():
		// The event is queued and will be written; only the answer is
		// gone.
		return ctx.Err()
	}
}

// enter joins the senders unless Close has begun.
func (r *Recorder) enter() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return false
	}
	r.senders.Add(1)
	return true
}

// writeLate stores the event of a call that finished after Close, on the
// caller's goroutine.
func (r *Recorder) writeLate(it item) error {
	if it.done == nil {
		it.done = make(chan error, 1)
	}
	r.write([]item{it}, true)
	return <-it.done
}

// Lost is how many events could not be stored: refused by a store that
// kept failing until Close gave up, unbuildable, or abandoned by a call
// that ended before its event was queued.
func (r *Recorder) Lost() uint64 { return r.lost.Load() }

// Stats is what the recorder reports to the metrics endpoint.
type Stats struct {
	Queued int    // events waiting for the writer, both queues
	Lost   uint64 // see Lost
	// Waits counts the calls that found the queue full and waited for
	// room (backpressure): a store slower than the calls coming in.
	Waits uint64
	// Failing is true while the store refuses the writer's batches.
	Failing bool
}

// Stats returns the recorder's current figures.
func (r *Recorder) Stats() Stats {
	return Stats{Queued: len(r.queue) + len(r.urgent), Lost: r.lost.Load(), Waits: r.waits.Load(), Failing: r.failing.Load()}
}

// Flush waits until every event recorded before it has been written, so a
// lookup sees the calls that preceded it.
func (r *Recorder) Flush(ctx context.Context) error {
	done := make(chan error, 1)
	if !r.enter() {
		// Every event recorded so far is written, or being written by
		// the call that recorded it.
		return nil
	}
	select {
	case r.queue <- item{done: done}:
		r.senders.Done()
	case <-r.stop:
		r.senders.Done()
		<-r.done
		return nil
	case <-ctx.Done():
		r.senders.Done()
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops taking events into the queues, writes everything queued and
// stops the writer. Events of calls that finish later are written by
// their callers.
func (r *Recorder) Close() {
	r.once.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		close(r.stop)
		go func() {
			r.senders.Wait()
			close(r.sendersDone)
		}()
	})
	<-r.done
}

func (r *Recorder) run() {
	defer close(r.done)
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	r.prune()
	batch := make([]item, 0, maxBatch)
	for {
		var it item
		select {
		case it = <-r.urgent:
		case it = <-r.queue:
		case <-prune.C:
			r.prune()
			continue
		case <-r.stop:
			r.drain(batch)
			return
		}
		// Let the goroutines already runnable go first: callers about to
		// queue their events then join this batch instead of each waiting
		// for a commit of its own. Without it, on a busy P the writer,
		// woken by the first send, runs at once and commits batches of one.
		runtime.Gosched()
		batch = r.fill(append(batch[:0], it))
		r.write(batch, false)
	}
}

// drain writes what the queues hold until the last sender Close found on
// its way has queued its event or turned to writing it itself.
func (r *Recorder) drain(batch []item) {
	for {
		if batch = r.fill(batch[:0]); len(batch) == 0 {
			select {
			case <-r.sendersDone:
				if batch = r.fill(batch); len(batch) == 0 {
					return
				}
			case it := <-r.urgent:
				batch = r.fill(append(batch, it))
			case it := <-r.queue:
				batch = r.fill(append(batch, it))
			}
		}
		r.write(batch, true)
	}
}

// fill adds what is waiting, durable events first, up to maxBatch.
func (r *Recorder) fill(batch []item) []item {
	for len(batch) < maxBatch {
		select {
		case it := <-r.urgent:
			batch = append(batch, it)
			continue
		default:
		}
		select {
		case it := <-r.queue:
			batch = append(batch, it)
			continue
		default:
		}
		break
	}
	return batch
}

// write stores a batch, sends it to the sink and answers its waiters.
func (r *Recorder) write(batch []item, closing bool) {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	for i := range batch {
		it := &batch[i]
		if it.e == nil || it.ev != nil {
			continue
		}
		ev, err := it.e.Event()
		if err != nil {
			r.noteLost(1, "audit record not built", err, "event_id", it.e.EventID)
			continue
		}
		it.ev = ev
	}
	if r.cfg.Store != nil {
		batch = r.store(batch, closing)
	}
	if r.cfg.Sink != nil {
		var buf []byte
		for i := range batch {
			if ev := batch[i].ev; ev != nil {
				buf = append(append(buf, ev.Record...), '\n')
			}
		}
		if len(buf) > 0 {
			if _, err := r.cfg.Sink.Write(buf); err != nil {
				r.cfg.Log.Error("audit log write", "error", err)
			}
		}
	}
	for i := range batch {
		if batch[i].done != nil {
			batch[i].done <- nil
		}
	}
}

// store writes a batch: completions of staged events in one transaction
// (Events.Put), new events in another (Events.Append). A store error is
// retried with backoff until it succeeds, so a passing fault loses
// nothing; meanwhile durable callers are answered at once (refuse) rather
// than held through the outage. Closing bounds the retries. It returns
// the batch with the durable events it took from the queue while failing.
func (r *Recorder) store(batch []item, closing bool) []item {
	backoff := 50 * time.Millisecond
	for {
		err := r.storePending(batch, true)
		if aerr := r.storePending(batch, false); aerr != nil {
			err = aerr
		}
		if err == nil {
			r.failing.Store(false)
			return batch
		}
		r.failing.Store(true)
	drain:
		for {
			select {
			case it := <-r.urgent:
				batch = append(batch, it)
			default:
				break drain
			}
		}
		for i := range batch {
			r.refuse(&batch[i])
		}
		if closing = closing || r.stopping(); closing {
			// One grace period for the whole drain, not one per batch.
			if r.giveUpAt.IsZero() {
				r.giveUpAt = time.Now().Add(r.grace)
			} else if time.Now().After(r.giveUpAt) {
				n := 0
				for i := range batch {
					if batch[i].ev != nil && !batch[i].stored {
						n++
					}
				}
				r.noteLost(uint64(n), "audit events not stored", err)
				return batch
			}
		}
		r.cfg.Log.Error("audit events not stored yet; retrying", "retry_in", backoff, "error", err)
		if closing {
			time.Sleep(max(0, min(backoff, time.Until(r.giveUpAt))))
		} else {
			time.Sleep(backoff)
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// storePending writes the batch's events not stored yet that are staged
// completions (Events.Put, replacing by ID) or new (Events.Append).
func (r *Recorder) storePending(batch []item, staged bool) error {
	pending := func(it *item) bool { return it.ev != nil && !it.stored && it.e.staged == staged }
	var evs []*store.Event
	for i := range batch {
		if pending(&batch[i]) {
			evs = append(evs, batch[i].ev)
		}
	}
	if len(evs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	if staged {
		err = r.cfg.Store.Events().Put(ctx, evs...)
	} else {
		err = r.cfg.Store.Events().Append(ctx, evs...)
	}
	if err != nil {
		return err
	}
	for i := range batch {
		if pending(&batch[i]) {
			batch[i].stored = true
		}
	}
	return nil
}

// refuse answers a durable caller while the store fails. One whose event
// is stored, or whose write committed with its provisional event
// (staged), gets its answer; any other gets ErrNotRecorded, and the event
// kept for the retry records that failure instead of the credentials the
// caller never received.
func (r *Recorder) refuse(it *item) {
	if it.e == nil || it.done == nil || !it.e.durable {
		return
	}
	it.e.durable = false
	if it.stored || it.e.staged {
		it.done <- nil
	} else {
		it.e.Output, it.e.Err = nil, ErrNotRecorded
		if ev, err := it.e.Event(); err == nil {
			it.ev = ev
		}
		it.done <- ErrNotRecorded
	}
	it.done = nil
}

func (r *Recorder) stopping() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// noteLost counts lost events and logs, at most once a minute.
func (r *Recorder) noteLost(n uint64, msg string, err error, args ...any) {
	total := r.lost.Add(n)
	now := time.Now().Unix()
	if last := r.lastLog.Load(); now-last >= 60 && r.lastLog.CompareAndSwap(last, now) {
		r.cfg.Log.Error(msg, append(args, "events", n, "lost_total", total, "error", err)...)
	}
}

func (r *Recorder) prune() {
	if r.cfg.Store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := r.cfg.Store.Events().DeleteBefore(ctx, r.cfg.Now().Add(-r.cfg.Retention))
	if err != nil {
		r.cfg.Log.Warn("pruning audit events", "error", err)
	} else if n > 0 {
		r.cfg.Log.Info("pruned audit events", "events", n)
	}
}
