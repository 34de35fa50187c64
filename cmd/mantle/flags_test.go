package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
)

// Every refused flag or variable gets one line saying what to do, exit
// status 2, and nothing created: not the data directory, not a mantle.db,
// not a log file, and the port is not taken.
func TestServeRefusesBadFlagsBeforeCreatingAnything(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "a-file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a PEM block"), 0o600); err != nil {
		t.Fatal(err)
	}
	shortKey := filepath.Join(dir, "short.key")
	if err := os.WriteFile(shortKey, []byte("too short"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyToken := filepath.Join(dir, "empty-token")
	if err := os.WriteFile(emptyToken, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const goodKey, goodSecret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	tests := []struct {
		name        string
		args        []string
		keyID, secr string
		want        string
	}{
		{"log format", []string{"--log-format", "xml"}, "", "", `--log-format "xml": use text or json`},
		{"tls cert alone", []string{"--tls-cert", garbage}, "", "", "--tls-cert and --tls-key go together"},
		{"tls key alone", []string{"--tls-key", garbage}, "", "", "--tls-cert and --tls-key go together"},
		{"tls files unreadable", []string{"--tls-cert", filepath.Join(dir, "none.pem"), "--tls-key", garbage}, "", "", "none.pem: no such file"},
		{"tls garbage", []string{"--tls-cert", garbage, "--tls-key", garbage}, "", "", "--tls-cert " + garbage},
		{"postgres without dsn", []string{"--store", "postgres", "--dsn", ""}, "", "", "--store postgres needs a connection string: --dsn"},
		{"unknown store", []string{"--store", "mysql"}, "", "", `--store "mysql": use sqlite`},
		{"dsn with sqlite", []string{"--dsn", "postgres://x@y/z"}, "", "", "--dsn is for --store postgres"},
		{"account ID", []string{"--account-id", "12345"}, "", "", "12 digits"},
		{"data is a file", []string{"--data", notDir}, "", "", "--data " + notDir + ": " + notDir + " is not a directory"},
		{"data under a file", []string{"--data", filepath.Join(notDir, "data")}, "", "", "--data " + filepath.Join(notDir, "data")},
		{"master key size", []string{"--master-key-file", shortKey}, "", "", "holds 9 bytes, want 32"},
		{"root key ID alone", nil, goodKey, "", "MANTLE_ROOT_ACCESS_KEY_ID and MANTLE_ROOT_SECRET_ACCESS_KEY go together"},
		{"root secret alone", nil, "", goodSecret, "go together"},
		{"root key ID malformed", nil, "AKIA-not-a-key-id", goodSecret, "only upper-case letters and digits"},
		{"root key ID temporary", nil, "ASIAIOSFODNN7EXAMPLE", goodSecret, "starts with AKIA"},
		{"root secret short", nil, goodKey, "short", "want 16 to 128"},
		{"addr", []string{"--addr", "4599"}, "", "", `--addr "4599"`},
		{"imds addr alone", []string{"--imds-addr", "127.0.0.1:0"}, "", "", "--imds-addr needs --imds-instance-profile"},
		{"imds instance ID", []string{"--imds-addr", "127.0.0.1:0", "--imds-instance-profile", "web", "--imds-instance-id", "web-1"}, "", "", "--imds-instance-id"},
		{"container token file empty", []string{"--container-credentials-addr", "127.0.0.1:0", "--container-role", "r", "--container-credentials-token-file", emptyToken}, "", "", "is empty"},
		{"log file directory", []string{"--log-file", filepath.Join(dir, "no-such-dir", "mantle.log")}, "", "", "--log-file"},
		{"audit retention", []string{"--audit-retention", "-1h"}, "", "", "--audit-retention"},
		{"federation rate", []string{"--federation-rate", "0"}, "", "", "--federation-rate 0"},
		{"federation burst", []string{"--federation-burst", "-1"}, "", "", "--federation-burst -1"},
		{"pprof not loopback", []string{"--pprof", "0.0.0.0:6060"}, "", "", "loopback only"},
		{"pprof no port", []string{"--pprof", "127.0.0.1"}, "", "", `--pprof "127.0.0.1"`},
		{"unknown flag", []string{"--bogus"}, "", "", "unknown flag: --bogus"},
		{"bad duration", []string{"--audit-retention", "soon"}, "", "", "invalid argument"},
		{"argument", []string{"extra"}, "", "", `unknown command "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("MANTLE_ROOT_ACCESS_KEY_ID", tt.keyID)
			t.Setenv("MANTLE_ROOT_SECRET_ACCESS_KEY", tt.secr)
			work := t.TempDir()
			data := filepath.Join(work, "data")
			addr := freeAddr(t)
			args := append([]string{"serve", "--addr", addr, "--data", data}, tt.args...)
			var stdout, stderr bytes.Buffer
			if code := run(args, &stdout, &stderr); code != 2 {
				t.Fatalf("exit status %d, want 2; stderr %q", code, stderr.String())
			}
			msg := stderr.String()
			if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "mantle: ") || !strings.Contains(msg, tt.want) {
				t.Errorf("stderr %q, want one line with %q", msg, tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q", stdout.String())
			}
			if entries, _ := os.ReadDir(work); len(entries) != 0 {
				t.Errorf("created %v", entries)
			}
			if _, err := os.Stat(filepath.Join(notDir, "data")); err == nil {
				t.Error("created something under a file")
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 4 {
		t.Errorf("the test directory holds %d entries, want the 4 it made", len(entries))
	}
}

// A data directory mantle cannot read is named, with what to do (the
// SQLite driver alone would say "unable to open database file (14)").
func TestServeUnreadableDataDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: directory permissions do not apply")
	}
	data := t.TempDir()
	if err := os.Chmod(data, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(data, 0o700)
	var stderr bytes.Buffer
	if code := run([]string{"serve", "--addr", freeAddr(t), "--data", data}, io.Discard, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "--data "+data+": ") || !strings.Contains(stderr.String(), "permission denied") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

// A database file mantle cannot open read-write is named (here it is a
// directory, which fails for root too).
func TestServeUnusableDatabaseFile(t *testing.T) {
	data := t.TempDir()
	if err := os.Mkdir(filepath.Join(data, "mantle.db"), 0o700); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run([]string{"serve", "--addr", freeAddr(t), "--data", data}, io.Discard, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), filepath.Join(data, "mantle.db")) {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if entries, _ := os.ReadDir(data); len(entries) != 1 {
		t.Errorf("data directory holds %v", entries)
	}
}

// A taken port is found before the data directory is created.
func TestServePortTakenCreatesNothing(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	data := filepath.Join(t.TempDir(), "data")
	var stderr bytes.Buffer
	if code := run([]string{"serve", "--addr", l.Addr().String(), "--data", data}, io.Discard, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "address already in use") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("data directory: %v", err)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out bytes.Buffer
		if code := run(args, &out, io.Discard); code != 0 || !regexp.MustCompile(`^mantle \S+ .*go1\.\d+`).MatchString(out.String()) {
			t.Errorf("%v: exit %d, printed %q", args, code, out.String())
		}
	}
}

// Organizations' CreateAccount makes accounts with any ID, lower ones
// included; after a restart the first account is still the one the first
// start created, and the workload endpoints look for their role there.
func TestServeFirstAccountSurvivesCreateAccount(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	addr, ccAddr := freeAddr(t), freeAddr(t)
	const first, rootKey, rootSecret = "999999999999", "AKIAFIRSTACCOUNT0001", "firstAccountSecret000000000000000000000a"
	t.Setenv("MANTLE_ROOT_ACCESS_KEY_ID", rootKey)
	t.Setenv("MANTLE_ROOT_SECRET_ACCESS_KEY", rootSecret)

	ctx, stop := context.WithCancel(context.Background())
	done, _ := serve(ctx, t, "--addr", addr, "--data", data, "--account-id", first)
	waitHealthy(t, addr)
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://" + addr),
		Credentials: credentials.NewStaticCredentialsProvider(rootKey, rootSecret, "")}
	orgs := organizations.NewFromConfig(cfg)
	if _, err := orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"member-1", "member-2"} {
		if _, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("task"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	ctx2, stop2 := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	cmd := newRootCmd()
	cmd.SetArgs([]string{"serve", "--addr", addr, "--data", data, "--container-credentials-addr", ccAddr, "--container-role", "task"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(&stderr)
	done2 := make(chan error, 1)
	go func() { done2 <- cmd.ExecuteContext(ctx2) }()
	waitHealthy(t, addr)
	token, err := os.ReadFile(filepath.Join(data, "container-credentials-token"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+ccAddr+"/v1/credentials", nil)
	req.Header.Set("Authorization", string(token))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	stop2()
	if err := <-done2; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "account="+first) {
		t.Errorf("restart serves another account: %s", stderr.String())
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "arn:aws:iam::"+first+":role/task") {
		t.Errorf("container credentials: %d %s", resp.StatusCode, body)
	}
}

// Per-request lines stay off the terminal unless --log-requests asks for
// them; --log-file gets every line.
func TestServeRequestLogs(t *testing.T) {
	const rootKey, rootSecret = "AKIALOGSROOT00000001", "logsRootSecret0000000000000000000000000a"
	t.Setenv("MANTLE_ROOT_ACCESS_KEY_ID", rootKey)
	t.Setenv("MANTLE_ROOT_SECRET_ACCESS_KEY", rootSecret)
	data := filepath.Join(t.TempDir(), "data")
	logFile := filepath.Join(t.TempDir(), "mantle.log")
	tests := []struct {
		args              []string
		terminal, logfile bool // whether each gets the request line
	}{
		{nil, false, false},
		{[]string{"--log-requests"}, true, false},
		{[]string{"--log-file", logFile}, false, true},
		{[]string{"--log-file", logFile, "--log-format", "json", "--log-requests"}, true, true},
	}
	for _, tt := range tests {
		os.Remove(logFile)
		addr := freeAddr(t)
		ctx, stop := context.WithCancel(context.Background())
		var stderr bytes.Buffer
		cmd := newRootCmd()
		cmd.SetArgs(append([]string{"serve", "--addr", addr, "--data", data}, tt.args...))
		cmd.SetOut(io.Discard)
		cmd.SetErr(&stderr)
		done := make(chan error, 1)
		go func() { done <- cmd.ExecuteContext(ctx) }()
		waitHealthy(t, addr)
		cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://" + addr),
			Credentials: credentials.NewStaticCredentialsProvider(rootKey, rootSecret, "")}
		if _, err := iam.NewFromConfig(cfg).ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
			t.Fatal(err)
		}
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		file, _ := os.ReadFile(logFile)
		isRequest := regexp.MustCompile(`msg"?[=:]"?request\b.*ListUsers`)
		if got := isRequest.Match(stderr.Bytes()); got != tt.terminal {
			t.Errorf("%v: request line on the terminal %v, want %v:\n%s", tt.args, got, tt.terminal, stderr.String())
		}
		if got := isRequest.Match(file); got != tt.logfile {
			t.Errorf("%v: request line in the log file %v, want %v:\n%s", tt.args, got, tt.logfile, file)
		}
		if !strings.Contains(stderr.String(), "mantle is serving") {
			t.Errorf("%v: terminal lacks the start-up line:\n%s", tt.args, stderr.String())
		}
	}
}
