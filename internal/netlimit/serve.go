package netlimit

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Config bounds one listener. Zero fields take the defaults below.
type Config struct {
	// Name labels the listener in logs ("api", "imds").
	Name string
	// ReadHeaderTimeout bounds the wait for a request's headers, the first
	// request's included (default 10 s). This and the read and idle
	// timeouts are each spread by up to half again per connection (see
	// conn.SetReadDeadline).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included, so slow
	// bodies are cut (default 30 s: a 1 MiB body at 35 KB/s).
	ReadTimeout time.Duration
	// WriteTimeout bounds serving a request once its headers are read and
	// writing the answer (default 60 s).
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection waits for its next
	// request (default 60 s, as AWS's load balancers).
	IdleTimeout time.Duration
	// MaxConns bounds the connections held at once (default: the
	// descriptor limit less an eighth of it or 1,024, whichever is fewer,
	// at most 32,768). It should exceed what an
	// attacker holds: beyond it idle connections are evicted, but a client
	// reconnecting as fast as it is evicted keeps the kernel's accept queue
	// full, and every new connection, health checks included, then waits
	// for a SYN retransmission.
	MaxConns int
	// Reserve is how many connections beyond MaxConns are admitted when
	// every connection is busy, for Priority requests only (default 32).
	Reserve int
	// Priority reports the requests a reserved connection may make (e.g.
	// the health check); others get 503. Nil admits none.
	Priority func(r *http.Request) bool
	// Grace bounds how long shutdown waits for in-flight requests before
	// cutting every connection (default 5 s).
	Grace time.Duration
	// TLS, when set, serves HTTPS.
	TLS *tls.Config
	// Log receives the server's own errors and shutdown notes.
	Log *slog.Logger
}

// Default bounds, chosen so no legitimate client is cut: SDKs send a
// request's headers and body at once, and keep idle connections at most
// 90 s (Go) or less.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultReserve           = 32
	DefaultGrace             = 5 * time.Second
	maxDefaultConns          = 32768
	// afterGrace bounds the wait for handlers still running once their
	// connections are cut (their reads and writes fail at once; only work
	// that ignores its context lingers).
	afterGrace = 2 * time.Second
)

var fileLimit = sync.OnceValues(raiseFileLimit)

// RaiseFileLimit raises the process's soft descriptor limit to its hard
// limit (once) and returns the limit in force.
func RaiseFileLimit() (uint64, error) { return fileLimit() }

func (c *Config) defaults() {
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.Reserve <= 0 {
		c.Reserve = DefaultReserve
	}
	if c.Grace <= 0 {
		c.Grace = DefaultGrace
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	limit, err := RaiseFileLimit()
	if err != nil {
		c.Log.Warn("reading the descriptor limit", "err", err)
	}
	if c.MaxConns <= 0 {
		c.MaxConns = maxDefaultConns
		// What the bound leaves is for everything else: the database,
		// logs, the other listeners (a few hundred at most).
		if spare := min(limit/8, 1024); limit > 0 && limit-spare < maxDefaultConns {
			c.MaxConns = max(int(limit-spare), 16)
		}
	}
}

// Server is one bounded listener's HTTP server.
type Server struct {
	cfg      Config
	hs       *http.Server
	conns    *tracker
	inflight atomic.Int64
}

// New returns a Server for h with cfg's bounds.
func New(h http.Handler, cfg Config) *Server {
	cfg.defaults()
	s := &Server{cfg: cfg, conns: newTracker(cfg.MaxConns, cfg.Reserve)}
	s.hs = &http.Server{
		Handler:           s.wrap(h),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		// Header bytes are bounded too: AWS's requests carry a few KiB.
		MaxHeaderBytes: 64 << 10,
		ConnState:      s.conns.state,
		ConnContext:    s.conns.context,
		ErrorLog:       slog.NewLogLogger(cfg.Log.Handler(), slog.LevelWarn),
	}
	return s
}

// Serve serves on l with h until ctx is done; see Server.Serve.
func Serve(ctx context.Context, l net.Listener, h http.Handler, cfg Config) error {
	return New(h, cfg).Serve(ctx, l)
}

// Conns is the number of connections currently held.
func (s *Server) Conns() int { return s.conns.open() }

// Serve answers on l until ctx is done, then shuts down: in-flight
// requests get Config.Grace to finish, then every connection still open is
// cut. A shutdown is not an error, however it ended.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	l = &limitListener{Listener: l, t: s.conns}
	if s.cfg.TLS != nil {
		l = tls.NewListener(l, s.cfg.TLS)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.hs.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.Grace)
	defer cancel()
	if err := s.hs.Shutdown(sctx); err != nil {
		n := s.conns.open()
		_ = s.hs.Close()
		s.cfg.Log.Warn("shutdown: connections cut after the grace period", "listener", s.cfg.Name,
			"grace", s.cfg.Grace, "connections", n)
		s.waitHandlers(afterGrace)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// waitHandlers waits, at most d, for handlers still running.
func (s *Server) waitHandlers(d time.Duration) {
	for end := time.Now().Add(d); s.inflight.Load() > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			s.cfg.Log.Warn("shutdown: handlers still running after their connections were cut",
				"listener", s.cfg.Name, "handlers", s.inflight.Load())
			return
		}
	}
}

// wrap counts handlers in flight and keeps reserved connections to
// priority requests.
func (s *Server) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inflight.Add(1)
		defer s.inflight.Add(-1)
		if c := connOf(r.Context()); c != nil && c.reserved {
			// A reserved connection serves one request and closes, so the
			// reserve is back at once.
			w.Header().Set("Connection", "close")
			if s.cfg.Priority == nil || !s.cfg.Priority(r) {
				w.Header().Set("Retry-After", "1")
				http.Error(w, "server busy", http.StatusServiceUnavailable)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}
