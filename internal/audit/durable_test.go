package audit

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// gatedStore wraps a store so a test can slow, block or fail its event
// writes and count its transactions.
type gatedStore struct {
	store.Store
	events gatedEvents
}

func (g *gatedStore) Events() store.Events { return &g.events }

type gatedEvents struct {
	store.Events
	delay   time.Duration
	gate    chan struct{} // when set, writes wait for it to close
	fail    atomic.Bool
	appends atomic.Int64 // Append transactions that committed
	events  atomic.Int64 // events they held
}

func (g *gatedEvents) wait(ctx context.Context) error {
	time.Sleep(g.delay)
	if g.gate != nil {
		select {
		case <-g.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if g.fail.Load() {
		return errors.New("disk on fire")
	}
	return nil
}

func (g *gatedEvents) Append(ctx context.Context, evs ...*store.Event) error {
	if err := g.wait(ctx); err != nil {
		return err
	}
	if err := g.Events.Append(ctx, evs...); err != nil {
		return err
	}
	g.appends.Add(1)
	g.events.Add(int64(len(evs)))
	return nil
}

func (g *gatedEvents) Put(ctx context.Context, evs ...*store.Event) error {
	if err := g.wait(ctx); err != nil {
		return err
	}
	return g.Events.Put(ctx, evs...)
}

func newGated(t *testing.T) *gatedStore {
	st := openStore(t)
	return &gatedStore{Store: st, events: gatedEvents{Events: st.Events()}}
}

func durableEntry(ctx context.Context) (context.Context, *Entry) {
	e := testEntry("AssumeRole")
	ctx = With(ctx, e)
	Durable(ctx)
	return ctx, e
}

// A durable call's event has committed when Record returns, although the
// store is slow; concurrent durable calls share commits (group commit).
func TestRecorderDurableGroupCommit(t *testing.T) {
	g := newGated(t)
	g.events.delay = 20 * time.Millisecond
	r := NewRecorder(RecorderConfig{Store: g, Log: discard()})
	defer r.Close()
	const callers = 64
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, e := durableEntry(t.Context())
			if err := r.Record(ctx, e); err != nil {
				errs <- err
				return
			}
			// Read through the wrapped store: no Flush, no help.
			if _, err := g.Store.Events().Get(context.Background(), e.EventID); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := g.events.appends.Load(); n >= callers/2 {
		t.Fatalf("%d transactions for %d concurrent durable calls: no group commit", n, callers)
	}
}

// A full queue slows callers and loses nothing: Record waits for room.
func TestRecorderBackpressure(t *testing.T) {
	g := newGated(t)
	g.events.gate = make(chan struct{})
	r := NewRecorder(RecorderConfig{Store: g, Log: discard(), Queue: 4})
	const n = 100 // far more than the queue and a batch behind the gate
	recorded := make(chan struct{})
	var ids []string
	var entries []*Entry
	for range n {
		e := testEntry("GetUser")
		ids, entries = append(ids, e.EventID), append(entries, e)
	}
	go func() {
		for _, e := range entries {
			if err := r.Record(context.Background(), e); err != nil {
				t.Error(err)
			}
		}
		close(recorded)
	}()
	select {
	case <-recorded:
		t.Fatal("Record returned for every event while the store was blocked: the queue is not bounded")
	case <-time.After(100 * time.Millisecond):
	}
	close(g.events.gate)
	<-recorded
	r.Close()
	for _, id := range ids {
		if _, err := g.Store.Events().Get(t.Context(), id); err != nil {
			t.Fatalf("event %s: %v", id, err)
		}
	}
	if r.Lost() != 0 {
		t.Fatalf("lost %d", r.Lost())
	}
}

// While the store fails, a durable call fails with AWS's retryable error
// instead of returning credentials whose event is not stored; the events
// queued meanwhile (its failure's included) are stored once it recovers.
func TestRecorderDurableWhenStoreFails(t *testing.T) {
	g := newGated(t)
	g.events.fail.Store(true)
	r := NewRecorder(RecorderConfig{Store: g, Log: discard()})
	async := testEntry("GetUser")
	if err := r.Record(t.Context(), async); err != nil {
		t.Fatal(err)
	}
	var failed []*Entry
	for range 3 { // the first waits on the failing write, the rest fail at once
		ctx, e := durableEntry(t.Context())
		e.Output = &stsapi.AssumeRoleOutput{Credentials: &stsapi.Credentials{AccessKeyId: "ASIAEXAMPLE"}}
		start := time.Now()
		err := r.Record(ctx, e)
		if ae := awserr.As(err); ae == nil || ae.Code != "ServiceUnavailable" || ae.Status != 503 {
			t.Fatalf("durable call while the store fails: %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("durable call held %v through the outage", d)
		}
		failed = append(failed, e)
	}
	g.events.fail.Store(false)
	if err := r.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Store.Events().Get(t.Context(), async.EventID); err != nil {
		t.Fatalf("event queued during the outage: %v", err)
	}
	for _, e := range failed {
		ev, err := g.Store.Events().Get(t.Context(), e.EventID)
		if err != nil {
			t.Fatalf("event of the refused call: %v", err)
		}
		if !bytes.Contains(ev.Record, []byte(`"errorCode":"ServiceUnavailable"`)) || !bytes.Contains(ev.Record, []byte(`"responseElements":null`)) {
			t.Fatalf("refused call recorded as %s", ev.Record)
		}
	}
	// Durable calls succeed again once the store does.
	ctx, e := durableEntry(t.Context())
	if err := r.Record(ctx, e); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if r.Lost() != 0 {
		t.Fatalf("lost %d", r.Lost())
	}
}

// Close writes everything queued, however slow the store; calls that
// finish after Close still get their events stored.
func TestRecorderCloseDrains(t *testing.T) {
	g := newGated(t)
	g.events.delay = 2 * time.Millisecond
	r := NewRecorder(RecorderConfig{Store: g, Log: discard(), Queue: 16})
	var ids []string
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				e := testEntry("ListUsers")
				if err := r.Record(context.Background(), e); err != nil {
					t.Error(err)
				}
				mu.Lock()
				ids = append(ids, e.EventID)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(10 * time.Millisecond)
	r.Close()
	wg.Wait()
	late := testEntry("GetUser")
	if err := r.Record(t.Context(), late); err != nil {
		t.Fatal(err)
	}
	ctx, durable := durableEntry(t.Context())
	if err := r.Record(ctx, durable); err != nil {
		t.Fatal(err)
	}
	for _, id := range append(ids, late.EventID, durable.EventID) {
		if _, err := g.Store.Events().Get(t.Context(), id); err != nil {
			t.Fatalf("event %s: %v", id, err)
		}
	}
}

// A store that never recovers cannot hold Close forever, nor the callers
// waiting for room in the queue: Close gives up after its grace period
// and counts what it could not store.
func TestRecorderCloseGivesUpOnADeadStore(t *testing.T) {
	g := newGated(t)
	g.events.fail.Store(true)
	r := NewRecorder(RecorderConfig{Store: g, Log: discard(), Queue: 1})
	r.grace = 200 * time.Millisecond
	const n = 5 // more than the batch being retried and the queue hold
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_ = r.Record(context.Background(), testEntry("GetUser"))
		})
	}
	time.Sleep(50 * time.Millisecond) // some now wait for room
	start := time.Now()
	r.Close()
	wg.Wait()
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Close and its waiting callers took %v on a dead store", d)
	}
	if r.Lost() != n {
		t.Fatalf("lost %d, want %d", r.Lost(), n)
	}
}

// A call whose client has gone still has its event stored when there is
// room for it: only waiting for room ends with the call.
func TestRecorderKeepsEventsOfEndedCalls(t *testing.T) {
	st := openStore(t)
	r := NewRecorder(RecorderConfig{Store: st, Log: discard()})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var ids []string
	for range 50 {
		e := testEntry("GetUser")
		ids = append(ids, e.EventID)
		if err := r.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	for _, id := range ids {
		if _, err := st.Events().Get(t.Context(), id); err != nil {
			t.Fatalf("event %s: %v", id, err)
		}
	}
}
