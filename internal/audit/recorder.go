package audit

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

// Retention is how long events are kept: CloudTrail's event history keeps
// 90 days.
const Retention = 90 * 24 * time.Hour

const (
	defaultQueue = 8192
	// maxBatch bounds one store transaction; a batch is whatever has
	// queued up while the previous one was written, so under light load
	// each event is written at once and under heavy load writes group.
	maxBatch = 512
)

// RecorderConfig configures a Recorder.
type RecorderConfig struct {
	// Store keeps the events for LookupEvents; nil keeps none.
	Store store.Store
	// Sink, when set, receives every record as one JSON line (--audit-log).
	Sink io.Writer
	Log  *slog.Logger
	// Queue bounds the events waiting to be written; default 8192.
	Queue int
	// Retention defaults to 90 days; older events are pruned hourly.
	Retention time.Duration
	Now       func() time.Time
}

// Recorder writes events off the request path. Record never blocks: when
// the queue is full the event is dropped, counted and logged, rather than
// slowing every request down to the store's write rate.
type Recorder struct {
	cfg     RecorderConfig
	ch      chan item
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	dropped atomic.Uint64
	lastLog atomic.Int64
}

type item struct {
	e       *Entry
	flushed chan struct{} // a Flush marker when set
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
	r := &Recorder{cfg: cfg, ch: make(chan item, cfg.Queue), stop: make(chan struct{}), done: make(chan struct{})}
	go r.run()
	return r
}

// Record queues the completed entry.
func (r *Recorder) Record(e *Entry) {
	select {
	case r.ch <- item{e: e}:
	default:
		n := r.dropped.Add(1)
		now := time.Now().Unix()
		if last := r.lastLog.Load(); now-last >= 60 && r.lastLog.CompareAndSwap(last, now) {
			r.cfg.Log.Error("audit queue full: events dropped", "dropped_total", n, "queue", cap(r.ch))
		}
	}
}

// Dropped is how many events the full queue has dropped.
func (r *Recorder) Dropped() uint64 { return r.dropped.Load() }

// Flush waits until every event recorded before it has been written, so a
// lookup sees the calls that preceded it.
func (r *Recorder) Flush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case r.ch <- item{flushed: done}:
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes what is queued and stops the writer.
func (r *Recorder) Close() {
	r.once.Do(func() { close(r.stop) })
	<-r.done
}

func (r *Recorder) run() {
	defer close(r.done)
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	r.prune()
	batch := make([]item, 0, maxBatch)
	for {
		select {
		case it := <-r.ch:
			batch = append(batch[:0], it)
		drain:
			for len(batch) < maxBatch {
				select {
				case it := <-r.ch:
					batch = append(batch, it)
				default:
					break drain
				}
			}
			r.write(batch)
		case <-prune.C:
			r.prune()
		case <-r.stop:
			for {
				batch = batch[:0]
				for len(batch) < maxBatch {
					select {
					case it := <-r.ch:
						batch = append(batch, it)
						continue
					default:
					}
					break
				}
				if len(batch) == 0 {
					return
				}
				r.write(batch)
			}
		}
	}
}

func (r *Recorder) write(batch []item) {
	evs := make([]*store.Event, 0, len(batch))
	var replace, fresh []*store.Event
	for _, it := range batch {
		if it.e == nil {
			continue
		}
		ev, err := it.e.Event()
		if err != nil {
			r.cfg.Log.Error("audit record", "event_id", it.e.EventID, "error", err)
			continue
		}
		evs = append(evs, ev)
		if it.e.staged {
			replace = append(replace, ev)
		} else {
			fresh = append(fresh, ev)
		}
	}
	if r.cfg.Sink != nil && len(evs) > 0 {
		var buf []byte
		for _, ev := range evs {
			buf = append(append(buf, ev.Record...), '\n')
		}
		if _, err := r.cfg.Sink.Write(buf); err != nil {
			r.cfg.Log.Error("audit log write", "error", err)
		}
	}
	if r.cfg.Store != nil && len(evs) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := r.cfg.Store.Events().Put(ctx, replace...); err != nil {
			r.dropped.Add(uint64(len(replace)))
			r.cfg.Log.Error("audit events not completed", "events", len(replace), "error", err)
		}
		if err := r.cfg.Store.Events().Append(ctx, fresh...); err != nil {
			r.dropped.Add(uint64(len(fresh)))
			r.cfg.Log.Error("audit events not stored", "events", len(fresh), "error", err)
		}
		cancel()
	}
	for _, it := range batch {
		if it.flushed != nil {
			close(it.flushed)
		}
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
