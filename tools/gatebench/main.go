// Command gatebench measures mantle gate with wrk: the same GET sent to a
// trivial upstream directly, then through the gate in front of it (the
// gate asking an in-process mantle about every request, with a long-term
// key's signature that wrk replays: a signature stays valid 15 minutes,
// far longer than a run). Everything runs on this machine, so the ratio
// is what the gate and mantle cost next to the upstream's own work.
package main

import (
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
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/mantle-iam/mantle/internal/gate"
	"github.com/mantle-iam/mantle/internal/gate/authzapi"
	"github.com/mantle-iam/mantle/internal/netlimit"
	"github.com/mantle-iam/mantle/tools/internal/wrk"
)

const (
	account    = "123456789012"
	rootID     = "AKIABENCHROOT0000001"
	rootSecret = "benchRootSecret000000000000000000000000a"
	apiID      = "bench"
	region     = "us-east-1"
)

func main() {
	duration := flag.Duration("d", 10*time.Second, "duration of each wrk run")
	conns := flag.Int("c", 32, "wrk connections")
	threads := flag.Int("t", 1, "wrk threads")
	check := flag.Bool("check", false, "exit non-zero unless through-gate throughput is at least half the direct one")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the run through the gate to this file")
	flag.Parse()
	cpuProfile = *profile
	if err := run(*duration, *conns, *threads, *check); err != nil {
		fmt.Fprintln(os.Stderr, "gatebench:", err)
		os.Exit(1)
	}
}

var cpuProfile string

func run(d time.Duration, conns, threads int, check bool) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk not found: apt-get install -y wrk")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	upstreamURL, err := wrk.Listen(ctx, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":1,"name":"rex","kind":"dog"}`)
	}))
	if err != nil {
		return err
	}
	mantleURL, err := wrk.ServeMantle(ctx, account, rootID, rootSecret)
	if err != nil {
		return err
	}
	arn := "arn:aws:execute-api:" + region + ":" + account + ":" + apiID
	keeper, err := user(ctx, mantleURL, "gatekeeper", authzapi.AskAction, arn+"/*")
	if err != nil {
		return err
	}
	caller, err := user(ctx, mantleURL, "caller", gate.Action, arn+"/prod/GET/pets/*")
	if err != nil {
		return err
	}
	up, _ := url.Parse(upstreamURL)
	g, err := gate.New(gate.Config{
		Routes:     []*gate.Route{{APIID: apiID, Stage: "prod", Account: account, Region: region, Upstream: up}},
		Authorizer: gate.NewClient(mantleURL, region, credentials.NewStaticCredentialsProvider(keeper.AccessKeyID, keeper.SecretAccessKey, "")),
		Log:        slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = netlimit.Serve(ctx, l, g, netlimit.Config{Name: "gate"}) }()
	gateURL := "http://" + l.Addr().String()

	dir, err := os.MkdirTemp("", "gatebench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	type result struct {
		name string
		r    wrk.Result
	}
	var results []result
	for _, tg := range []struct {
		name, url, path string
		sign            bool
	}{
		{"direct upstream", upstreamURL, "/pets/1", false},
		{"through the gate", gateURL, "/prod/pets/1", true},
	} {
		script, err := luaScript(ctx, tg.url, tg.path, tg.sign, caller)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, strings.ReplaceAll(tg.name, " ", "_")+".lua")
		if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
			return err
		}
		if cpuProfile != "" && tg.sign {
			f, err := os.Create(cpuProfile)
			if err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
		}
		r, err := wrk.Run(tg.url, path, d, conns, threads)
		if cpuProfile != "" && tg.sign {
			pprof.StopCPUProfile()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", tg.name, err)
		}
		fmt.Printf("== %s\n%s", tg.name, r.Output)
		results = append(results, result{tg.name, r})
	}
	base := results[0].r.RPS
	fmt.Printf("\nwrk -t%d -c%d -d%s on loopback, %d CPUs shared by wrk, the upstream, the gate and mantle\n\n", threads, conns, d, wrk.NumCPU())
	fmt.Printf("%-20s %12s %10s %8s %8s\n", "target", "requests/s", "of direct", "p99", "errors")
	for _, r := range results {
		fmt.Printf("%-20s %12.0f %9.0f%% %8s %8d\n", r.name, r.r.RPS, 100*r.r.RPS/base, r.r.P99.Round(10*time.Microsecond), r.r.Errors)
	}
	if check {
		g := results[1].r
		switch {
		case g.Errors > 0:
			return fmt.Errorf("%d requests through the gate failed", g.Errors)
		case g.RPS < base/2:
			return fmt.Errorf("through the gate at %.0f%% of direct, want ≥ 50%%", 100*g.RPS/base)
		}
	}
	return nil
}

// user creates a user allowed action on resource, with a key.
func user(ctx context.Context, mantleURL, name, action, resource string) (aws.Credentials, error) {
	c := iam.NewFromConfig(aws.Config{Region: region, BaseEndpoint: aws.String(mantleURL),
		Credentials: credentials.NewStaticCredentialsProvider(rootID, rootSecret, "")})
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		return aws.Credentials{}, err
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
	if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
		return aws.Credentials{}, err
	}
	k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		return aws.Credentials{}, err
	}
	return aws.Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}, nil
}

// luaScript makes wrk send one fixed GET, signed for execute-api as an SDK
// signs it when sign is set.
func luaScript(ctx context.Context, base, path string, sign bool, c aws.Credentials) (string, error) {
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		return "", err
	}
	if sign {
		sum := sha256.Sum256(nil)
		if err := v4.NewSigner().SignHTTP(ctx, c, req, hex.EncodeToString(sum[:]), "execute-api", region, time.Now()); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "wrk.method = \"GET\"\nwrk.path = %q\n", path)
	for k, vs := range req.Header {
		fmt.Fprintf(&b, "wrk.headers[%q] = %q\n", k, vs[0])
	}
	return b.String(), nil
}
