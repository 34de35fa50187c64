package wrk

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/mantle-iam/mantle/internal/server"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
)

// ServeMantle runs mantle in-process on a loopback port with a fresh data
// directory (removed when ctx ends) and the given first account and root
// key, and returns its URL. Logs are formatted as in production but not
// written: the runs measure the request path, not the terminal. Each of
// opts may change the configuration before the server is built.
func ServeMantle(ctx context.Context, account, rootID, rootSecret string, opts ...func(*server.Config)) (string, error) {
	dir, err := os.MkdirTemp("", "mantle-bench-data")
	if err != nil {
		return "", err
	}
	go func() { <-ctx.Done(); os.RemoveAll(dir) }()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "mantle.db"))
	if err != nil {
		return "", err
	}
	cfg := server.Config{
		DataDir: dir, Store: st, AccountID: account,
		RootAccessKeyID: rootID, RootSecretAccessKey: rootSecret,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return "", err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go func() { _ = srv.Serve(ctx, l) }()
	return "http://" + l.Addr().String(), nil
}

// Listen serves h on a loopback port until ctx ends and returns its URL.
func Listen(ctx context.Context, h http.Handler) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	hs := &http.Server{Handler: h}
	go func() { _ = hs.Serve(l) }()
	go func() { <-ctx.Done(); hs.Close() }()
	return "http://" + l.Addr().String(), nil
}
