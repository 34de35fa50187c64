// Command stsbench measures mantle's STS over HTTP on loopback with wrk, side
// by side with a trivial Go handler (read the body, write a 1.4 KB response)
// so the figures are relative to what this machine's HTTP stack can do.
//
// It starts mantle in-process with a fresh data directory, creates a user and
// a role for it, signs one AssumeRole and one GetCallerIdentity request with
// aws-sdk-go-v2's signer, and has wrk replay each (the signature stays valid
// for 15 minutes, far longer than a run).
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/mantle-iam/mantle/tools/internal/wrk"
)

const (
	account    = "123456789012"
	rootID     = "AKIABENCHROOT0000001"
	rootSecret = "benchRootSecret000000000000000000000000a"
)

func main() {
	duration := flag.Duration("d", 10*time.Second, "duration of each wrk run")
	conns := flag.Int("c", 32, "wrk connections")
	// One wrk thread: on a 2-core machine two wrk threads plus the
	// server's two Ps oversubscribe the CPU, and p99 then measures the
	// scheduler (the trivial handler's own p99 nears 10 ms) rather than
	// the server.
	threads := flag.Int("t", 1, "wrk threads")
	check := flag.Bool("check", false, "exit non-zero unless the issue's targets are met")
	profile := flag.String("cpuprofile", "", "write a CPU profile of mantle during the AssumeRole run to this file")
	metricsRounds := flag.Int("compare-metrics", 0, "instead: run GetCallerIdentity and AssumeRole against a mantle with metrics and one without, alternating, this many rounds, and report the ratio")
	flag.Parse()
	if *metricsRounds > 0 {
		if err := compareMetrics(*duration, *conns, *threads, *metricsRounds); err != nil {
			fmt.Fprintln(os.Stderr, "stsbench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*duration, *conns, *threads, *check, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "stsbench:", err)
		os.Exit(1)
	}
}

type result struct {
	name   string
	rps    float64
	p99    time.Duration
	errors int
}

func run(d time.Duration, conns, threads int, check bool, profile string) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk not found: apt-get install -y wrk")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	trivialURL, err := serveTrivial(ctx)
	if err != nil {
		return err
	}
	mantleURL, err := wrk.ServeMantle(ctx, account, rootID, rootSecret)
	if err != nil {
		return err
	}
	userCreds, err := wrk.Setup(ctx, mantleURL, rootID, rootSecret, account, "bench")
	if err != nil {
		return err
	}
	assume := "Action=AssumeRole&Version=2011-06-15&RoleArn=" + "arn%3Aaws%3Aiam%3A%3A" + account + "%3Arole%2Fbench&RoleSessionName=bench"
	whoami := "Action=GetCallerIdentity&Version=2011-06-15"

	dir, err := os.MkdirTemp("", "stsbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	var results []result
	targets := []struct {
		name, url, body string
		sign            bool
	}{
		{"trivial handler", trivialURL, assume, false},
		{"AssumeRole", mantleURL, assume, true},
		{"GetCallerIdentity", mantleURL, whoami, true},
	}
	for _, tg := range targets {
		script, err := luaScript(ctx, tg.url, tg.body, tg.sign, userCreds)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, strings.ReplaceAll(tg.name, " ", "_")+".lua")
		if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
			return err
		}
		if profile != "" && tg.name == "AssumeRole" {
			f, err := os.Create(profile)
			if err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
		}
		r, err := runWrk(tg.name, tg.url, path, d, conns, threads)
		if profile != "" && tg.name == "AssumeRole" {
			pprof.StopCPUProfile()
		}
		if err != nil {
			return err
		}
		results = append(results, r)
	}

	base := results[0].rps
	fmt.Printf("\nwrk -t%d -c%d -d%s on loopback, %d CPUs\n\n", threads, conns, d, wrk.NumCPU())
	fmt.Printf("%-20s %12s %10s %8s %8s\n", "target", "requests/s", "of trivial", "p99", "errors")
	for _, r := range results {
		fmt.Printf("%-20s %12.0f %9.0f%% %8s %8d\n", r.name, r.rps, 100*r.rps/base, r.p99.Round(10*time.Microsecond), r.errors)
	}
	if check {
		var failed []string
		want := map[string]float64{"AssumeRole": 0.35, "GetCallerIdentity": 0.50}
		for _, r := range results[1:] {
			if r.rps < want[r.name]*base {
				failed = append(failed, fmt.Sprintf("%s at %.0f%% of trivial, want ≥ %.0f%%", r.name, 100*r.rps/base, 100*want[r.name]))
			}
			if r.p99 > 10*time.Millisecond {
				failed = append(failed, fmt.Sprintf("%s p99 %s, want < 10ms", r.name, r.p99))
			}
			if r.errors > 0 {
				failed = append(failed, fmt.Sprintf("%s had %d errors", r.name, r.errors))
			}
		}
		if len(failed) > 0 {
			return errors.New(strings.Join(failed, "; "))
		}
	}
	return nil
}

// serveTrivial is the yardstick: the least a Go HTTP handler can do for a
// request of the same size and a response of an AssumeRole's size.
func serveTrivial(ctx context.Context) (string, error) {
	resp := bytes.Repeat([]byte("x"), 1400)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write(resp)
	})
	return wrk.Listen(ctx, h)
}

// luaScript makes wrk send one fixed request: signed as the SDK signs it
// for mantle, plain for the trivial handler.
func luaScript(ctx context.Context, url, body string, sign bool, c aws.Credentials) (string, error) {
	req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if sign {
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(ctx, c, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now()); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "wrk.method = \"POST\"\nwrk.body = %q\n", body)
	for k, vs := range req.Header {
		fmt.Fprintf(&b, "wrk.headers[%q] = %q\n", k, vs[0])
	}
	return b.String(), nil
}

func runWrk(name, url, script string, d time.Duration, conns, threads int) (result, error) {
	r, err := wrk.Run(url, script, d, conns, threads)
	if err != nil {
		return result{}, fmt.Errorf("%s: %w", name, err)
	}
	fmt.Printf("== %s\n%s", name, r.Output)
	return result{name: name, rps: r.RPS, p99: r.P99, errors: r.Errors}, nil
}
