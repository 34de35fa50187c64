package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/mantle-iam/mantle/internal/netlimit"
	"github.com/mantle-iam/mantle/internal/server"
)

// opsFlags are serve's operations flags: metrics, profiling, reset and the
// declarative start-up state.
type opsFlags struct {
	metrics    bool
	pprof      string
	initFile   string
	init       *server.State // parsed by check
	allowReset bool
}

func (o *opsFlags) register(f *pflag.FlagSet) {
	f.BoolVar(&o.metrics, "metrics", true, "serve Prometheus metrics at GET /_mantle/metrics")
	f.StringVar(&o.pprof, "pprof", "", "serve Go's profiler (net/http/pprof) on this loopback address, e.g. 127.0.0.1:6060; off when empty")
	f.BoolVar(&o.allowReset, "allow-reset", false, "serve the reset (POST /_mantle/reset, mantle reset) that wipes everything but the account and its root key: for test instances only")
	f.StringVar(&o.initFile, "init", "", "apply this state file (YAML or JSON: users, groups, roles, policies, providers, organization) at every start, before serving; see mantle apply")
}

func (o *opsFlags) check() error {
	if o.initFile != "" {
		b, err := os.ReadFile(o.initFile)
		if err != nil {
			return fmt.Errorf("--init: %w", err)
		}
		if o.init, err = server.ParseState(b); err != nil {
			return fmt.Errorf("--init %s: %w", o.initFile, err)
		}
	}
	if o.pprof != "" {
		host, _, err := net.SplitHostPort(o.pprof)
		if err != nil {
			return fmt.Errorf("--pprof %q: %v: use a loopback HOST:PORT, e.g. 127.0.0.1:6060", o.pprof, err)
		}
		// The profiler shows memory contents (heap profiles hold strings
		// such as policy documents) and costs CPU on demand: never on an
		// address other machines reach.
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("--pprof %q: the profiler listens on loopback only: use 127.0.0.1:PORT or [::1]:PORT", o.pprof)
		}
	}
	return nil
}

func (o *opsFlags) configure(cfg *server.Config) {
	cfg.DisableMetrics = !o.metrics
	cfg.AllowReset = o.allowReset
}

// applyInit applies --init's state before the server answers anything.
func (o *opsFlags) applyInit(ctx context.Context, srv *server.Server, log *slog.Logger) error {
	if o.init == nil {
		return nil
	}
	changes, err := srv.Apply(ctx, o.init)
	if err != nil {
		return fmt.Errorf("--init %s: %w", o.initFile, err)
	}
	log.Info("applied the --init state", "file", o.initFile, "changes", len(changes))
	return nil
}

// startPprof serves the profiler on its own listener until ctx is done.
func (o *opsFlags) startPprof(ctx context.Context, log *slog.Logger) (stop func(), err error) {
	if o.pprof == "" {
		return func() {}, nil
	}
	l, err := net.Listen("tcp", o.pprof)
	if err != nil {
		return nil, fmt.Errorf("--pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// A CPU profile or trace streams for its ?seconds=: the write
		// timeout must outlast the longest one asked for.
		cfg := netlimit.Config{Name: "pprof", Log: log, MaxConns: 16, WriteTimeout: 10 * time.Minute}
		if err := netlimit.Serve(ctx, l, mux, cfg); err != nil {
			log.Error("pprof listener", "error", err)
		}
	}()
	log.Info("profiler serving", "endpoint", "http://"+l.Addr().String()+"/debug/pprof/")
	return func() { cancel(); <-done }, nil
}
