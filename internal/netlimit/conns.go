package netlimit

import (
	"container/list"
	"context"
	"crypto/tls"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// tracker counts the connections held and knows which of them have no
// request in progress (new, or idle between keep-alive requests), oldest
// first, so that at the bound the longest-waiting one makes room.
type tracker struct {
	max, reserve int

	mu       sync.Mutex
	n        int        // connections held
	reserved int        // of n, admitted from the reserve
	waiting  *list.List // of *conn without a request in progress, oldest first
}

func newTracker(max, reserve int) *tracker {
	return &tracker{max: max, reserve: reserve, waiting: list.New()}
}

// conn is a tracked connection.
type conn struct {
	net.Conn
	t        *tracker
	reserved bool
	closed   bool // released: never tracked again
	once     sync.Once
	elem     *list.Element // in t.waiting; nil while a request is in progress
	busy     atomic.Bool   // a request is in progress
}

// SetReadDeadline spreads the read deadlines net/http sets while no
// request is in progress (the idle and header timeouts, and the body's,
// which it sets before it reports the request active) by up to half again,
// at random: connections opened together, as an attacker opens them, would
// otherwise all be cut, and reconnect, at the same instant, overflowing the
// kernel's accept queue so that a health check's connection waits for a
// SYN retransmission.
func (c *conn) SetReadDeadline(t time.Time) error {
	if !c.busy.Load() {
		if d := time.Until(t); d > 0 {
			t = t.Add(rand.N(d/2 + 1))
		}
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.t.release(c) })
	return err
}

type connKey struct{}

func connOf(ctx context.Context) *conn {
	c, _ := ctx.Value(connKey{}).(*conn)
	return c
}

// unwrap finds the tracked connection under the one net/http holds.
func unwrap(c net.Conn) *conn {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	tc, _ := c.(*conn)
	return tc
}

// admit registers a just accepted connection, or reports that it must be
// refused; at the bound it first closes the longest-waiting connection.
func (t *tracker) admit(nc net.Conn) (*conn, bool) {
	c := &conn{Conn: nc, t: t}
	t.mu.Lock()
	var evict *conn
	if t.n >= t.max {
		if front := t.waiting.Front(); front != nil {
			evict = front.Value.(*conn)
			t.waiting.Remove(front)
			evict.elem = nil
		} else if t.reserved < t.reserve {
			c.reserved = true
		} else {
			t.mu.Unlock()
			return nil, false
		}
	}
	t.n++
	if c.reserved {
		t.reserved++
	}
	c.elem = t.waiting.PushBack(c)
	t.mu.Unlock()
	if evict != nil {
		// Counted out by its Close; net/http's goroutine for it sees the
		// error on its next read and ends.
		_ = evict.Close()
	}
	return c, true
}

func (t *tracker) release(c *conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.elem != nil {
		t.waiting.Remove(c.elem)
		c.elem = nil
	}
	c.closed = true
	t.n--
	if c.reserved {
		t.reserved--
	}
}

// state follows net/http's view of each connection: only connections
// without a request in progress may be evicted.
func (t *tracker) state(nc net.Conn, s http.ConnState) {
	c := unwrap(nc)
	if c == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if c.closed {
		return
	}
	c.busy.Store(s == http.StateActive)
	switch s {
	case http.StateActive:
		if c.elem != nil {
			t.waiting.Remove(c.elem)
			c.elem = nil
		}
	case http.StateIdle:
		if c.elem == nil {
			c.elem = t.waiting.PushBack(c)
		}
	}
}

func (t *tracker) context(ctx context.Context, nc net.Conn) context.Context {
	if c := unwrap(nc); c != nil {
		return context.WithValue(ctx, connKey{}, c)
	}
	return ctx
}

func (t *tracker) open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// limitListener admits connections through the tracker.
type limitListener struct {
	net.Listener
	t *tracker
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if c, ok := l.t.admit(nc); ok {
			return c, nil
		}
		// Every connection is busy and the reserve is used: refuse
		// rather than run out of descriptors.
		_ = nc.Close()
	}
}
