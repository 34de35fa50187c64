// Command soak holds a built mantle under load for a long time and checks it
// stays healthy (issue 9): mixed signed load at 80 % of the measured peak
// plus 5,000 idle connections, with 0 errors, the health check always
// answering within 1 s, and RSS flat within 15 % after warm-up; then the
// exhaustion check: 20,000 idle connections and 1,000 slow bodies held at
// once while the health check must still answer within 1 s.
//
// It runs the binary given with -mantle (scripts/soak.sh builds it), drives
// load with wrk, and holds connections from child processes of itself
// (-hold), since one process's descriptor limit could not hold them all.
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/mantle-iam/mantle/tools/internal/wrk"
)

const (
	account    = "123456789012"
	rootID     = "AKIASOAKROOT00000001"
	rootSecret = "soakRootSecret0000000000000000000000000a"
)

func main() {
	mantle := flag.String("mantle", "", "mantle binary to soak")
	duration := flag.Duration("d", 10*time.Minute, "duration of the loaded run")
	peakFor := flag.Duration("peak", 15*time.Second, "duration of the peak measurement")
	idle := flag.Int("idle", 5000, "idle connections held during the loaded run")
	exhaustIdle := flag.Int("exhaust-idle", 20000, "idle connections of the exhaustion check")
	exhaustSlow := flag.Int("exhaust-slow", 1000, "slow bodies of the exhaustion check")
	exhaustFor := flag.Duration("exhaust", 30*time.Second, "duration of the exhaustion check")
	conns := flag.Int("c", 32, "wrk connections")
	// Child mode: hold connections until killed.
	hold := flag.String("hold", "", "internal: hold connections to this address")
	holdIdle := flag.Int("hold-idle", 0, "internal")
	holdSlow := flag.Int("hold-slow", 0, "internal")
	holdRamp := flag.Duration("hold-ramp", 0, "internal")
	flag.Parse()
	if *hold != "" {
		holdConns(*hold, *holdIdle, *holdSlow, *holdRamp)
		return
	}
	if err := run(*mantle, *duration, *peakFor, *idle, *exhaustIdle, *exhaustSlow, *exhaustFor, *conns); err != nil {
		fmt.Fprintln(os.Stderr, "soak: FAIL:", err)
		os.Exit(1)
	}
	fmt.Println("soak: PASS")
}

func run(bin string, d, peakFor time.Duration, idle, exhaustIdle, exhaustSlow int, exhaustFor time.Duration, conns int) error {
	if bin == "" {
		return errors.New("-mantle is required")
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk not found: apt-get install -y wrk")
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	dir, err := os.MkdirTemp("", "mantle-soak")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	srv, err := startMantle(ctx, bin, dir)
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Printf("mantle pid %d on %s, %d CPUs; the machine may be shared, so figures are noisy\n", srv.cmd.Process.Pid, srv.url, wrk.NumCPU())

	user, err := wrk.Setup(ctx, srv.url, rootID, rootSecret, account, "soak")
	if err != nil {
		return err
	}
	var failures []string

	// Peak: wrk as fast as it can.
	script := filepath.Join(dir, "mix.lua")
	if err := writeScript(script, srv.url, user, 0); err != nil {
		return err
	}
	peak, err := runWrk(srv.url, script, peakFor, conns)
	if err != nil {
		return err
	}
	fmt.Printf("peak: %.0f requests/s (mixed signed load, wrk -c%d, %s), %d errors\n", peak.RPS, conns, peakFor, peak.Errors)
	if peak.Errors > 0 {
		failures = append(failures, fmt.Sprintf("%d errors at peak", peak.Errors))
	}

	// The loaded run, in segments so signatures stay fresh (they are good
	// for 15 minutes) and RSS is sampled as it goes.
	target := 0.8 * peak.RPS
	// Opened over the header timeout, as independent clients would, so
	// their cuts and reconnections are spread out rather than in waves.
	idleHolder, err := startHolder(ctx, srv.addr, idle, 0, 10*time.Second)
	if err != nil {
		return err
	}
	health := startHealth(ctx, srv.url)
	rss := startRSS(ctx, srv.cmd.Process.Pid)
	fmt.Printf("loaded run: %s at %.0f requests/s target with %d idle connections held\n", d, target, idle)
	var total wrk.Result
	// wrk paces by a delay before each request on each connection; the
	// delay is corrected after every segment towards the target rate.
	const segment = 20 * time.Second
	paced := 4 * conns
	delayMs := float64(paced) * 1000 / target
	for left := d; left > 0; left -= segment {
		seg := min(left, segment)
		if err := writeScript(script, srv.url, user, delayMs); err != nil {
			return err
		}
		r, err := runWrk(srv.url, script, seg, paced)
		if err != nil {
			return err
		}
		if r.RPS > 0 {
			delayMs = max(1, delayMs*r.RPS/target)
		}
		total.Requests += r.Requests
		total.Errors += r.Errors
		fmt.Printf("  %6s: %.0f requests/s, %d errors, RSS %d MiB, health max %s, idle held %d\n",
			(d - left + seg).Round(time.Second), r.RPS, r.Errors, rss.last()>>20, health.maxLatency().Round(time.Millisecond), idleHolder.held())
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	idleHolder.stop()
	health.stop()
	rss.stop()
	fmt.Printf("loaded run: %d requests, %.0f/s, %d errors\n", total.Requests, float64(total.Requests)/d.Seconds(), total.Errors)
	fmt.Printf("health: %d checks, %d failed, max %s\n", health.checks.Load(), health.failed.Load(), health.maxLatency().Round(time.Millisecond))
	first, end, highest := rss.growth(0.2)
	growth := float64(end-first) / float64(first)
	fmt.Printf("RSS after warm-up (median of a quarter) %d MiB, at the end %d MiB (%+.1f%%), highest %d MiB\n",
		first>>20, end>>20, 100*growth, highest>>20)
	if total.Errors > 0 {
		failures = append(failures, fmt.Sprintf("%d errors under load", total.Errors))
	}
	if health.failed.Load() > 0 {
		fmt.Printf("health failures at %s\n", health.failedAt())
		failures = append(failures, fmt.Sprintf("%d health checks failed or took over 1 s", health.failed.Load()))
	}
	if growth > 0.15 {
		failures = append(failures, fmt.Sprintf("RSS grew %.0f%% after warm-up", 100*growth))
	}

	// Exhaustion: far more connections than the server's bound.
	if exhaustIdle+exhaustSlow > 0 {
		fmt.Printf("exhaustion: %d idle connections and %d slow bodies for %s\n", exhaustIdle, exhaustSlow, exhaustFor)
		var holders []*holder
		per := 8000 // well inside a child's descriptor limit
		for i, n := 0, exhaustIdle; n > 0; i, n = i+1, n-per {
			slow := 0
			if i == 0 {
				slow = exhaustSlow
			}
			// All at once: the worst case.
			h, err := startHolder(ctx, srv.addr, min(n, per), slow, 0)
			if err != nil {
				return err
			}
			holders = append(holders, h)
		}
		time.Sleep(5 * time.Second) // let them connect
		health := startHealth(ctx, srv.url)
		select {
		case <-time.After(exhaustFor):
		case <-ctx.Done():
		}
		health.stop()
		held := 0
		for _, h := range holders {
			held += h.held()
			h.stop()
		}
		fmt.Printf("exhaustion: connections held by clients at the end %d (the server keeps at most its bound), health %d checks, %d failed, max %s, RSS %d MiB\n",
			held, health.checks.Load(), health.failed.Load(), health.maxLatency().Round(time.Millisecond), rssOf(srv.cmd.Process.Pid)>>20)
		if health.failed.Load() > 0 {
			fmt.Printf("exhaustion: health failures at %s\n", health.failedAt())
			failures = append(failures, fmt.Sprintf("exhaustion: %d health checks failed or took over 1 s", health.failed.Load()))
		}
	}
	if len(failures) > 0 {
		if b, err := os.ReadFile(filepath.Join(dir, "mantle.log")); err == nil {
			fmt.Printf("mantle's warnings:\n")
			for _, line := range strings.Split(string(b), "\n") {
				if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
					fmt.Println("  " + line)
				}
			}
		}
		return errors.New(strings.Join(failures, "; "))
	}
	return nil
}

type mantle struct {
	cmd       *exec.Cmd
	url, addr string
}

func startMantle(ctx context.Context, bin, dir string) (*mantle, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", filepath.Join(dir, "data"), "--account-id", account)
	cmd.Env = append(os.Environ(), "MANTLE_ROOT_ACCESS_KEY_ID="+rootID, "MANTLE_ROOT_SECRET_ACCESS_KEY="+rootSecret)
	logf, err := os.Create(filepath.Join(dir, "mantle.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	m := &mantle{cmd: cmd, url: "http://" + addr, addr: addr}
	for end := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if resp, err := http.Get(m.url + "/_mantle/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return m, nil
			}
		}
		if time.Now().After(end) || ctx.Err() != nil {
			m.stop()
			return nil, errors.New("mantle did not become healthy")
		}
	}
}

func (m *mantle) stop() {
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = m.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = m.cmd.Process.Kill()
		<-done
	}
}

// writeScript writes a wrk script cycling through a mix of signed calls
// (credential issuing, identity, IAM reads), signed now; delayMs paces each
// connection (0: as fast as possible).
func writeScript(path, url string, user aws.Credentials, delayMs float64) error {
	root := aws.Credentials{AccessKeyID: rootID, SecretAccessKey: rootSecret}
	calls := []struct {
		service, body string
		creds         aws.Credentials
	}{
		{"sts", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A" + account + "%3Arole%2Fsoak&RoleSessionName=soak", user},
		{"sts", "Action=GetCallerIdentity&Version=2011-06-15", user},
		{"sts", "Action=GetCallerIdentity&Version=2011-06-15", root},
		{"iam", "Action=GetUser&Version=2010-05-08&UserName=soak", root},
		{"iam", "Action=GetRole&Version=2010-05-08&RoleName=soak", root},
		{"iam", "Action=ListRoles&Version=2010-05-08", root},
		{"sts", "Action=GetSessionToken&Version=2011-06-15", user},
	}
	var b strings.Builder
	b.WriteString("local reqs = {}\n")
	for _, c := range calls {
		req, err := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(c.body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		sum := sha256.Sum256([]byte(c.body))
		if err := v4.NewSigner().SignHTTP(context.Background(), c.creds, req, hex.EncodeToString(sum[:]), c.service, "us-east-1", time.Now()); err != nil {
			return err
		}
		keys := make([]string, 0, len(req.Header))
		for k := range req.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		// wrk.format runs before wrk knows the host: name it.
		fmt.Fprintf(&b, "reqs[#reqs+1] = wrk.format(\"POST\", \"/\", {[\"Host\"] = %q, ", req.URL.Host)
		for _, k := range keys {
			fmt.Fprintf(&b, "[%q] = %q, ", k, req.Header.Get(k))
		}
		fmt.Fprintf(&b, "}, %q)\n", c.body)
	}
	b.WriteString("local i = 0\nrequest = function()\n  i = i % #reqs + 1\n  return reqs[i]\nend\n")
	if delayMs > 0 {
		fmt.Fprintf(&b, "delay = function() return %d end\n", int(delayMs+0.5))
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func runWrk(url, script string, d time.Duration, conns int) (wrk.Result, error) {
	r, err := wrk.Run(url, script, d, conns, 1)
	if err == nil && r.Errors > 0 {
		fmt.Printf("wrk reported errors:\n%s", r.Output)
	}
	return r, err
}

// health checks /_mantle/health every 250 ms on a new connection; a check
// that fails or takes over 1 s counts as failed.
type health struct {
	checks, failed atomic.Int64
	max            atomic.Int64
	cancel         context.CancelFunc
	done           chan struct{}
	began          time.Time
	mu             sync.Mutex
	failures       []string // when each failure happened, and how
}

// failedAt lists the failures' times since the checks began.
func (h *health) failedAt() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.failures, ", ")
}

func startHealth(ctx context.Context, url string) *health {
	ctx, cancel := context.WithCancel(ctx)
	h := &health{cancel: cancel, done: make(chan struct{}), began: time.Now()}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		defer close(h.done)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			start := time.Now()
			resp, err := client.Get(url + "/_mantle/health")
			d := time.Since(start)
			h.checks.Add(1)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if err != nil || resp.StatusCode != http.StatusOK || d > time.Second {
				h.failed.Add(1)
				h.mu.Lock()
				h.failures = append(h.failures, fmt.Sprintf("%s: %s", start.Sub(h.began).Round(time.Second), d.Round(10*time.Millisecond)))
				h.mu.Unlock()
			}
			for {
				m := h.max.Load()
				if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
					break
				}
			}
		}
	}()
	return h
}

func (h *health) stop()                     { h.cancel(); <-h.done }
func (h *health) maxLatency() time.Duration { return time.Duration(h.max.Load()) }

// rssSampler reads the server's resident set every 2 s.
type rssSampler struct {
	mu      sync.Mutex
	samples []int64
	cancel  context.CancelFunc
	done    chan struct{}
}

func startRSS(ctx context.Context, pid int) *rssSampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &rssSampler{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		for {
			s.mu.Lock()
			s.samples = append(s.samples, rssOf(pid))
			s.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) stop() { s.cancel(); <-s.done }

func (s *rssSampler) last() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.samples[len(s.samples)-1]
}

// growth compares the median resident set of the last quarter of the
// samples after warm-up (the first frac of them) with that of the first
// quarter: medians, so a garbage collection's timing does not count as
// growth. It also returns the highest sample after warm-up.
func (s *rssSampler) growth(frac float64) (first, last, highest int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rest := s.samples[int(float64(len(s.samples))*frac):]
	q := max(len(rest)/4, 1)
	for _, v := range rest {
		highest = max(highest, v)
	}
	return median(rest[:q]), median(rest[len(rest)-q:]), highest
}

func median(xs []int64) int64 {
	s := append([]int64(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func rssOf(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
