package main

import (
	"bytes"
	"context"
	"io"
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

// The workload endpoints start with serve; the instance ID is generated once
// and kept; the container token is written 0600 without a newline.
func TestServeWorkloadEndpoints(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	addr, imdsAddr, ccAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	run := func() string {
		ctx, stop := context.WithCancel(context.Background())
		done, _ := serve(ctx, t, "--addr", addr, "--data", data, "--imds-addr", imdsAddr, "--imds-instance-profile", "web",
			"--container-credentials-addr", ccAddr, "--container-role", "task")
		waitHealthy(t, addr)
		req, _ := http.NewRequest(http.MethodPut, "http://"+imdsAddr+"/latest/api/token", nil)
		req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "60")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("token: %v %v", resp, err)
		}
		tok, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		req, _ = http.NewRequest(http.MethodGet, "http://"+imdsAddr+"/latest/meta-data/instance-id", nil)
		req.Header.Set("X-aws-ec2-metadata-token", string(tok))
		resp, err = http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("instance-id: %v %v", resp, err)
		}
		id, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// The role does not exist yet: the container endpoint says so.
		token, err := os.ReadFile(filepath.Join(data, "container-credentials-token"))
		if err != nil || bytes.ContainsAny(token, "\r\n") || len(token) < 32 {
			t.Fatalf("token file %q %v", token, err)
		}
		req, _ = http.NewRequest(http.MethodGet, "http://"+ccAddr+"/v1/credentials", nil)
		req.Header.Set("Authorization", string(token))
		resp, err = http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusNotFound {
			t.Fatalf("container credentials for a missing role: %v %v", resp, err)
		}
		resp.Body.Close()
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		return string(id)
	}
	first := run()
	if !strings.HasPrefix(first, "i-0") || len(first) != 19 {
		t.Fatalf("instance ID %q", first)
	}
	if again := run(); again != first {
		t.Fatalf("instance ID changed across restarts: %s, %s", first, again)
	}
	fi, err := os.Stat(filepath.Join(data, "container-credentials-token"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v %v", fi, err)
	}
}

func TestServeWorkloadFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--imds-addr", "127.0.0.1:0"},
		{"--imds-instance-profile", "web"},
		{"--container-credentials-addr", "127.0.0.1:0"},
		{"--container-role", "task"},
		{"--imds-addr", "127.0.0.1:0", "--imds-instance-profile", "web", "--imds-instance-id", "web-1"},
	} {
		done, _ := serve(context.Background(), t, append([]string{"--addr", freeAddr(t), "--data", t.TempDir()}, args...)...)
		if err := <-done; err == nil {
			t.Errorf("%v: no error", args)
		}
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
