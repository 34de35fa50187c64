package netlimit

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/netlimit/netlimittest"
)

const healthPath = "/_mantle/health"

// testServer serves a handler that reads the whole body (as mantle's does)
// and a health check, with cfg's bounds; it stops when the test ends.
func testServer(t *testing.T, cfg Config) (*Server, string, context.CancelFunc, <-chan error) {
	return testServerCounting(t, cfg, new(atomic.Int32))
}

// testServerCounting is testServer counting the requests whose body is
// being read in entered.
func testServerCounting(t *testing.T, cfg Config, entered *atomic.Int32) (*Server, string, context.CancelFunc, <-chan error) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+healthPath, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		entered.Add(1)
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "incomplete body", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "done")
	})
	cfg.Priority = func(r *http.Request) bool { return r.URL.Path == healthPath }
	s := New(mux, cfg)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done, finished := make(chan error, 1), make(chan struct{})
	go func() { done <- s.Serve(ctx, l); close(finished) }()
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	return s, l.Addr().String(), cancel, done
}

// health asks for the health check on a new connection and returns how
// long the answer took.
func health(t *testing.T, addr string) time.Duration {
	t.Helper()
	start := time.Now()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + addr + healthPath)
	if err != nil {
		t.Fatalf("health: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health: %s", resp.Status)
	}
	return time.Since(start)
}

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("after %v: %s", d, what)
		}
	}
}

// TestHealthUnderExhaustion: many idle connections and slow bodies, far
// beyond the bound, cannot keep the health check out nor take more than
// the bound's descriptors (issue 9 item 2, scaled down: the soak script
// runs the full 20,000 + 1,000).
func TestHealthUnderExhaustion(t *testing.T) {
	const max, reserve = 40, 4
	s, addr, _, _ := testServer(t, Config{MaxConns: max, Reserve: reserve, ReadHeaderTimeout: time.Minute, ReadTimeout: time.Minute})
	for range 20 {
		netlimittest.SlowBody(t, addr)
	}
	for range 400 {
		netlimittest.Dial(t, addr)
	}
	waitFor(t, 5*time.Second, "connections accepted", func() bool { return s.Conns() >= max })
	for i := range 10 {
		if d := health(t, addr); d > time.Second {
			t.Fatalf("health check %d took %v", i, d)
		}
		if n := s.Conns(); n > max+reserve {
			t.Fatalf("%d connections held, bound %d+%d", n, max, reserve)
		}
	}
}

// TestReserveWhenAllBusy: when every connection has a request in progress
// nothing can be evicted; the reserve still admits the health check, and
// only the health check.
func TestReserveWhenAllBusy(t *testing.T) {
	const max = 5
	var entered atomic.Int32
	s, addr, _, _ := testServerCounting(t, Config{MaxConns: max, Reserve: 2, ReadTimeout: time.Minute}, &entered)
	for range max {
		netlimittest.SlowBody(t, addr)
	}
	waitFor(t, 5*time.Second, "slow bodies in progress", func() bool { return entered.Load() == max })
	if d := health(t, addr); d > time.Second {
		t.Fatalf("health took %v", d)
	}
	resp, err := http.Post("http://"+addr+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("ordinary request on a reserved connection: %s", resp.Status)
	}
	// The slow bodies still hold their connections; the reserve is free
	// again for the next check.
	if d := health(t, addr); d > time.Second {
		t.Fatalf("second health check took %v", d)
	}
	if n := s.Conns(); n > max+2 {
		t.Fatalf("%d connections held", n)
	}
}

// TestSlowClientsAreCut: each way of holding a connection without making
// progress ends at its timeout.
func TestSlowClientsAreCut(t *testing.T) {
	const limit = 300 * time.Millisecond
	_, addr, _, _ := testServer(t, Config{ReadHeaderTimeout: limit, ReadTimeout: limit, IdleTimeout: limit})
	tests := []struct {
		name string
		open func() net.Conn
	}{
		{"silent", func() net.Conn { return netlimittest.Dial(t, addr) }},
		{"slow headers", func() net.Conn {
			c := netlimittest.Dial(t, addr)
			io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\n")
			return c
		}},
		{"slow body", func() net.Conn { return netlimittest.SlowBody(t, addr) }},
		{"idle keep-alive", func() net.Conn {
			c := netlimittest.Dial(t, addr)
			io.WriteString(c, "GET "+healthPath+" HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("first request: %v", err)
			}
			io.Copy(io.Discard, resp.Body)
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.open()
			start := time.Now()
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			// Whatever the server says (a 400 for the slow body), it
			// then closes the connection.
			_, err := io.Copy(io.Discard, c)
			if err != nil {
				t.Fatalf("connection not closed: %v", err)
			}
			if d := time.Since(start); d > limit+2*time.Second {
				t.Fatalf("cut after %v", d)
			}
		})
	}
}

// TestShutdownIsBounded: a slow client holds shutdown no longer than the
// grace period; Serve then returns nil, so the caller goes on to drain
// and close (issue 9 item 9).
func TestShutdownIsBounded(t *testing.T) {
	const grace = 300 * time.Millisecond
	var entered atomic.Int32
	_, addr, cancel, done := testServerCounting(t, Config{Grace: grace, ReadTimeout: time.Minute}, &entered)
	c := netlimittest.SlowBody(t, addr)
	waitFor(t, 5*time.Second, "request in progress", func() bool { return entered.Load() == 1 })
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v", err)
		}
	case <-time.After(grace + afterGrace + time.Second):
		t.Fatal("Serve still running")
	}
	if d := time.Since(start); d < grace {
		t.Errorf("returned after %v, before the grace period", d)
	}
	c.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Errorf("slow client's connection not closed: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	var c Config
	c.defaults()
	limit, err := RaiseFileLimit()
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxConns < 16 || c.MaxConns > maxDefaultConns || uint64(c.MaxConns) > limit {
		t.Errorf("MaxConns %d with descriptor limit %d", c.MaxConns, limit)
	}
	if c.ReadTimeout != DefaultReadTimeout || c.IdleTimeout != DefaultIdleTimeout || c.Grace != DefaultGrace {
		t.Errorf("defaults %+v", c)
	}
}
