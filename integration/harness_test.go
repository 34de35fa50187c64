package integration

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/mantle-iam/mantle/internal/server"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
)

const (
	testAccount    = "111122223333"
	rootKeyID      = "AKIAROOTEXAMPLE00001"
	rootSecret     = "rootSecretKeyExample0000000000000000000a"
	testRegion     = "us-east-1"
	defaultTimeout = 30 * time.Second
)

// env is one mantle started for one test.
type env struct {
	t   testing.TB
	URL string
	srv *server.Server
	tls bool   // serving HTTPS with a self-signed test certificate
	dir string // the data directory
	// stop stops the server and closes its store (also done when the test
	// ends).
	stop func()
}

// start runs mantle on a loopback port with a fresh data directory and a
// known root key; it stops when the test ends.
func start(t testing.TB) *env { return startWith(t, nil) }

// startWith is start with the server's clock (nil for the real one).
func startWith(t testing.TB, now func() time.Time) *env {
	return startConfig(t, func(c *server.Config) { c.Now = now })
}

// startConfig is start with the configuration adjusted by set.
func startConfig(t testing.TB, set func(*server.Config)) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "mantle.db"))
	if err != nil {
		t.Fatal(err)
	}
	return startStore(t, st, dir, set)
}

// startStore is startConfig on an opened store, with dir as the data
// directory; the store is closed when the test ends.
func startStore(t testing.TB, st store.Store, dir string, set func(*server.Config)) *env {
	t.Helper()
	e, err := newNode(t, st, dir, set)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// newNode is startStore returning its error, so goroutines can start
// several at once.
func newNode(t testing.TB, st store.Store, dir string, set func(*server.Config)) (*env, error) {
	ctx, cancel := context.WithCancel(context.Background())
	cfg := server.Config{
		DataDir:             dir,
		Store:               st,
		AccountID:           testAccount,
		RootAccessKeyID:     rootKeyID,
		RootSecretAccessKey: rootSecret,
		Log:                 slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	set(&cfg)
	srv, err := server.New(ctx, cfg)
	if err != nil {
		cancel()
		st.Close()
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		st.Close()
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	select { // the admin socket exists once Serve is ready
	case <-srv.Ready():
	case err := <-done:
		cancel()
		st.Close()
		return nil, err
	}
	stop := sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
		st.Close()
	})
	t.Cleanup(stop)
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	return &env{t: t, URL: scheme + "://" + l.Addr().String(), srv: srv, tls: cfg.TLSCert != "", dir: dir, stop: stop}, nil
}

type creds struct{ id, secret, token string }

func (e *env) root() creds { return creds{rootKeyID, rootSecret, ""} }

func (e *env) config(c creds) aws.Config {
	return aws.Config{
		Region:       testRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(c.id, c.secret, c.token),
		BaseEndpoint: aws.String(e.URL),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:   e.httpClient(),
	}
}

func (e *env) httpClient() *http.Client {
	if !e.tls {
		return http.DefaultClient
	}
	// The test certificate is self-signed for 127.0.0.1.
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
}

func (e *env) iam(c creds) *iam.Client { return iam.NewFromConfig(e.config(c)) }
func (e *env) sts(c creds) *sts.Client { return sts.NewFromConfig(e.config(c)) }

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	t.Cleanup(cancel)
	return c
}

// wantCode fails the test unless err is an AWS API error with that code and,
// when msg is not empty, a message containing msg.
func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s error, got %v", code, err)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("want %s %q, got %s %q", code, msg, ae.ErrorCode(), ae.ErrorMessage())
	}
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// testWriter sends mantle's warnings and errors to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
