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
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/mantle-iam/mantle/tools/internal/wrk"

	"github.com/mantle-iam/mantle/internal/server"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/bulk"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
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
	profile := flag.String("cpuprofile", "", "write a CPU profile of mantle during one run (-profiled) to this file")
	profiled := flag.String("profiled", "AssumeRole", "the run -cpuprofile profiles")
	roles := flag.Int("roles", 0, "also create this many roles and as many users (bulk, through the store), and compare AssumeRole on one role with AssumeRole on a random one of them")
	metricsRounds := flag.Int("compare-metrics", 0, "instead: run GetCallerIdentity and AssumeRole against a mantle with metrics and one without, alternating, this many rounds, and report the ratio")
	flag.Parse()
	if *metricsRounds > 0 {
		if err := compareMetrics(*duration, *conns, *threads, *metricsRounds); err != nil {
			fmt.Fprintln(os.Stderr, "stsbench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*duration, *conns, *threads, *check, *profile, *profiled, *roles); err != nil {
		fmt.Fprintln(os.Stderr, "stsbench:", err)
		os.Exit(1)
	}
}

type result struct {
	name   string
	rps    float64
	p99    time.Duration
	errors int
	// answered is how many calls succeeded; event names the event each
	// leaves ("" for the trivial handler).
	answered int
	event    string
}

func run(d time.Duration, conns, threads int, check bool, profile, profiled string, nroles int) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk not found: apt-get install -y wrk")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	trivialURL, err := serveTrivial(ctx)
	if err != nil {
		return err
	}
	data, err := os.MkdirTemp("", "stsbench-data")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	m, err := serveMantle(data)
	if err != nil {
		return err
	}
	defer func() { m.stop() }()
	userCreds, err := wrk.Setup(ctx, m.url, rootID, rootSecret, account, "bench")
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

	type target struct {
		name, url, event string
		bodies           []string // one: a fixed request; more: one at random per request
		sign, warm       bool
	}
	targets := []target{
		{name: "trivial handler", url: trivialURL, bodies: []string{assume}},
		{name: "AssumeRole", url: m.url, event: "AssumeRole", bodies: []string{assume}, sign: true},
		{name: "GetCallerIdentity", url: m.url, event: "GetCallerIdentity", bodies: []string{whoami}, sign: true},
	}
	if nroles > 0 {
		t0 := time.Now()
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:user/bench"},"Action":"sts:AssumeRole"}]}`
		arns, err := bulk.Roles(ctx, m.st, account, "many", nroles, trust)
		if err != nil {
			return err
		}
		if err := bulk.Users(ctx, m.st, account, "many", nroles); err != nil {
			return err
		}
		fmt.Printf("created %d roles and %d users in %s\n", nroles, nroles, time.Since(t0).Round(time.Millisecond))
		many := make([]string, len(arns))
		for i, arn := range arns {
			many[i] = "Action=AssumeRole&Version=2011-06-15&RoleArn=" + url.QueryEscape(arn) + "&RoleSessionName=bench"
		}
		// Both through the same script (a request picked per call), so
		// wrk's work per request is the same; each run once to warm.
		targets = append(targets,
			target{name: "AssumeRole 1 role", url: m.url, event: "AssumeRole", bodies: []string{assume, assume}, sign: true, warm: true},
			target{name: fmt.Sprintf("AssumeRole 1 of %d", nroles), url: m.url, event: "AssumeRole", bodies: many, sign: true, warm: true})
	}
	var results []result
	for i, tg := range targets {
		var script string
		if len(tg.bodies) == 1 {
			script, err = luaScript(ctx, tg.url, tg.bodies[0], tg.sign, userCreds)
		} else {
			script, err = luaTable(ctx, tg.url, tg.bodies, userCreds)
		}
		if err != nil {
			return err
		}
		path := filepath.Join(dir, strconv.Itoa(i)+".lua")
		if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
			return err
		}
		if tg.warm {
			w, err := runWrk(tg.name+" (warming)", tg.url, path, d, conns, threads)
			if err != nil {
				return err
			}
			w.event = tg.event
			results = append(results, w)
		}
		if profile != "" && tg.name == profiled {
			f, err := os.Create(profile)
			if err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
		}
		r, err := runWrk(tg.name, tg.url, path, d, conns, threads)
		if profile != "" && tg.name == profiled {
			pprof.StopCPUProfile()
		}
		if err != nil {
			return err
		}
		r.event = tg.event
		results = append(results, r)
	}
	rss, peak := memory()

	// Every answered call's event must be stored: stop the server (which
	// drains the audit queue), then count what the store holds.
	lost := m.srv.Audit.Lost()
	m.stop()
	stored, err := countEvents(data)
	if err != nil {
		return err
	}
	took, err := restart(data)
	if err != nil {
		return err
	}

	base := results[0].rps
	fmt.Printf("\nwrk -t%d -c%d -d%s on loopback, %d CPUs\n\n", threads, conns, d, wrk.NumCPU())
	fmt.Printf("%-28s %12s %10s %8s %8s\n", "target", "requests/s", "of trivial", "p99", "errors")
	byName := map[string]result{}
	answered := map[string]int{}
	for _, r := range results {
		fmt.Printf("%-28s %12.0f %9.0f%% %8s %8d\n", r.name, r.rps, 100*r.rps/base, r.p99.Round(10*time.Microsecond), r.errors)
		byName[r.name] = r
		answered[r.event] += r.answered
	}
	var dropped int
	fmt.Println()
	for _, ev := range []string{"AssumeRole", "GetCallerIdentity"} {
		// wrk counts the answers it read; calls answered as it stopped
		// are stored but not counted, so stored may exceed answered.
		fmt.Printf("%-18s answered %9d  events stored %9d\n", ev, answered[ev], stored[ev])
		dropped += max(0, answered[ev]-stored[ev])
	}
	fmt.Printf("events dropped: %d (recorder's lost count %d)\n", dropped, lost)
	fmt.Printf("RSS after the runs %d MiB (peak %d MiB); restart to healthy %s\n", rss>>20, peak>>20, took.Round(time.Millisecond))
	if check {
		var failed []string
		want := map[string]float64{"AssumeRole": 0.35, "GetCallerIdentity": 0.50}
		for _, r := range results[1:3] {
			if r.rps < want[r.name]*base {
				failed = append(failed, fmt.Sprintf("%s at %.0f%% of trivial, want ≥ %.0f%%", r.name, 100*r.rps/base, 100*want[r.name]))
			}
			if r.p99 > 10*time.Millisecond {
				failed = append(failed, fmt.Sprintf("%s p99 %s, want < 10ms", r.name, r.p99))
			}
		}
		for _, r := range results[1:] {
			if r.errors > 0 {
				failed = append(failed, fmt.Sprintf("%s had %d errors", r.name, r.errors))
			}
		}
		if dropped > 0 || lost > 0 {
			failed = append(failed, fmt.Sprintf("%d events dropped, %d lost", dropped, lost))
		}
		if nroles > 0 {
			one, many := byName["AssumeRole 1 role"], byName[fmt.Sprintf("AssumeRole 1 of %d", nroles)]
			if many.rps < 0.9*one.rps {
				failed = append(failed, fmt.Sprintf("AssumeRole on 1 of %d roles at %.0f%% of one role's, want ≥ 90%%", nroles, 100*many.rps/one.rps))
			}
			if rss > 300<<20 {
				failed = append(failed, fmt.Sprintf("RSS %d MiB, want < 300", rss>>20))
			}
			if took > 2*time.Second {
				failed = append(failed, fmt.Sprintf("restart took %s, want < 2s", took))
			}
		}
		if len(failed) > 0 {
			return errors.New(strings.Join(failed, "; "))
		}
	}
	return nil
}

// memory is the process's resident set size and its peak, from
// /proc/self/status (zero elsewhere).
func memory() (rss, peak uint64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseUint(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak
}

// countEvents counts the stored events by name, a page at a time.
func countEvents(data string) (map[string]int, error) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(data, "mantle.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	n := map[string]int{}
	for _, name := range []string{"AssumeRole", "GetCallerIdentity"} {
		q := store.EventQuery{AccountID: account, Attribute: store.EventByName, Value: name, Limit: 20000}
		for {
			evs, err := st.Events().Lookup(ctx, q)
			if err != nil {
				return nil, err
			}
			n[name] += len(evs)
			if len(evs) < q.Limit {
				break
			}
			last := evs[len(evs)-1]
			q.After = &store.EventCursor{Time: last.Time, ID: last.ID}
		}
	}
	return n, nil
}

// restart times a start on the data directory the runs filled, to the
// first healthy answer.
func restart(data string) (time.Duration, error) {
	t0 := time.Now()
	m, err := serveMantle(data)
	if err != nil {
		return 0, err
	}
	defer m.stop()
	for {
		resp, err := http.Get(m.url + "/_mantle/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(t0), nil
			}
		}
		if time.Since(t0) > 30*time.Second {
			return 0, fmt.Errorf("not healthy after 30s: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
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

type mantle struct {
	url  string
	st   *sqlite.Store
	srv  *server.Server
	stop func()
}

// serveMantle serves mantle on the data directory dir; stop ends it as
// mantle serve does on a signal (the audit queue drained) and closes the
// store.
func serveMantle(dir string) (*mantle, error) {
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, filepath.Join(dir, "mantle.db"))
	if err != nil {
		cancel()
		return nil, err
	}
	// Logs are formatted as in production but not written: the run measures
	// the request path, not the terminal.
	srv, err := server.New(ctx, server.Config{
		DataDir: dir, Store: st, AccountID: account,
		RootAccessKeyID: rootID, RootSecretAccessKey: rootSecret,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
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
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, l); close(done) }()
	var once sync.Once
	return &mantle{url: "http://" + l.Addr().String(), st: st, srv: srv, stop: func() {
		once.Do(func() {
			cancel()
			<-done
			st.Close()
		})
	}}, nil
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
	return result{name: name, rps: r.RPS, p99: r.P99, errors: r.Errors, answered: r.Requests - r.Non2xx}, nil
}

// luaTable makes wrk send, per request, one of bodies at random, each
// signed for mantle (all at one instant: only the signature differs).
// Lua allows a function only so many constants, so the table is filled by
// one function per thousand requests.
func luaTable(ctx context.Context, url string, bodies []string, c aws.Credentials) (string, error) {
	now := time.Now()
	var b strings.Builder
	b.WriteString("wrk.method = \"POST\"\nlocal reqs = {}\n")
	for i, body := range bodies {
		req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(ctx, c, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", now); err != nil {
			return "", err
		}
		if i == 0 {
			for k, vs := range req.Header {
				if k != "Authorization" {
					fmt.Fprintf(&b, "wrk.headers[%q] = %q\n", k, vs[0])
				}
			}
		}
		if i%1000 == 0 {
			if i > 0 {
				b.WriteString("end\nfill()\n")
			}
			b.WriteString("fill = function()\n")
		}
		fmt.Fprintf(&b, "reqs[#reqs+1] = {%q, %q}\n", body, req.Header.Get("Authorization"))
	}
	b.WriteString("end\nfill()\nlocal n = #reqs\nrequest = function()\n\tlocal r = reqs[math.random(n)]\n" +
		"\twrk.headers[\"Authorization\"] = r[2]\n\treturn wrk.format(nil, nil, nil, r[1])\nend\n")
	return b.String(), nil
}
