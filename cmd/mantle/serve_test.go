package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/store/postgres/pgtest"
)

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// serve runs `mantle serve` in-process until ctx ends and returns what it
// printed and its error.
func serve(ctx context.Context, t *testing.T, args ...string) (chan error, *bytes.Buffer) {
	out := &bytes.Buffer{}
	cmd := newRootCmd()
	cmd.SetArgs(append([]string{"serve"}, args...))
	cmd.SetOut(out)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	return done, out
}

func waitHealthy(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/_mantle/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("mantle did not become healthy")
}

// The first start creates the account and prints its root key once (also
// written to DATA/root-credentials, mode 0600); a second start reuses the
// data and prints nothing new; stopping is clean.
func TestServeFirstStartAndRestart(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)

	ctx, stop := context.WithCancel(context.Background())
	done, out := serve(ctx, t, "--addr", addr, "--data", data, "--account-id", "210987654321")
	waitHealthy(t, addr)
	stop()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	printed := out.String()
	for _, want := range []string{"Created account 210987654321", "export AWS_ACCESS_KEY_ID=AKIA", "export AWS_SECRET_ACCESS_KEY=", "export AWS_ENDPOINT_URL=http://" + addr} {
		if !strings.Contains(printed, want) {
			t.Errorf("first start printed %q, missing %q", printed, want)
		}
	}
	fi, err := os.Stat(filepath.Join(data, "root-credentials"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("root-credentials: %v %v", fi, err)
	}
	saved, _ := os.ReadFile(filepath.Join(data, "root-credentials"))

	ctx2, stop2 := context.WithCancel(context.Background())
	done2, out2 := serve(ctx2, t, "--addr", addr, "--data", data)
	waitHealthy(t, addr)
	stop2()
	if err := <-done2; err != nil {
		t.Fatalf("second serve: %v", err)
	}
	if strings.Contains(out2.String(), "Created account") {
		t.Fatalf("second start created another account: %s", out2)
	}
	again, _ := os.ReadFile(filepath.Join(data, "root-credentials"))
	if !bytes.Equal(saved, again) {
		t.Fatal("root credentials changed on restart")
	}
}

func TestServeRejectsBadAccountID(t *testing.T) {
	done, _ := serve(context.Background(), t, "--addr", freeAddr(t), "--data", t.TempDir(), "--account-id", "12345")
	if err := <-done; err == nil || !strings.Contains(err.Error(), "12 digits") {
		t.Fatalf("err %v", err)
	}
}

// --store postgres: a second node with another master key refuses to start
// (it could not read the secrets), one with the same key serves the account
// the first created.
func TestServePostgres(t *testing.T) {
	dsn := pgtest.Schema(t)
	key := filepath.Join(t.TempDir(), "master.key")
	addr1, addr2 := freeAddr(t), freeAddr(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done1, out1 := serve(ctx, t, "--store", "postgres", "--dsn", dsn, "--addr", addr1, "--data", t.TempDir(),
		"--master-key-file", key, "--account-id", "210987654321")
	waitHealthy(t, addr1)
	if !strings.Contains(out1.String(), "Created account 210987654321") {
		t.Errorf("first node printed %q", out1)
	}

	done, _ := serve(ctx, t, "--store", "postgres", "--dsn", dsn, "--addr", freeAddr(t), "--data", t.TempDir())
	if err := <-done; err == nil || !strings.Contains(err.Error(), "master key") {
		t.Errorf("node with another master key: %v", err)
	}

	done2, out2 := serve(ctx, t, "--store", "postgres", "--dsn", dsn, "--addr", addr2, "--data", t.TempDir(),
		"--master-key-file", key)
	waitHealthy(t, addr2)
	if out2.Len() != 0 {
		t.Errorf("second node printed %q", out2)
	}
	stop()
	for _, d := range []chan error{done1, done2} {
		if err := <-d; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
}
