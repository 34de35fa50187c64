package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/mantle-iam/mantle/internal/server"
	"github.com/mantle-iam/mantle/internal/store/bulk"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
)

// BenchmarkAssumeRoleManyRoles is AssumeRole on one role against AssumeRole
// on a random one of MANTLE_BENCH_ROLES roles (default 100,000, with as
// many users beside them), 32 callers at once, every event stored. Both
// sign each request in the loop, so they compare the server's work per
// role; flat with data means within 10 % of each other. The roles are
// made with the bulk path (internal/store/bulk) and each assumed once
// before the timer starts, as a server that has run a while has them
// cached.
func BenchmarkAssumeRoleManyRoles(b *testing.B) {
	n := 100_000
	if v := os.Getenv("MANTLE_BENCH_ROLES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	dir := b.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "mantle.db"))
	if err != nil {
		b.Fatal(err)
	}
	e, user := benchSetupOn(b, startStore(b, st, dir, func(*server.Config) {}))
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/bench"},"Action":"sts:AssumeRole"}]}`
	arns, err := bulk.Roles(ctx, st, testAccount, "many", n, trust)
	if err != nil {
		b.Fatal(err)
	}
	if err := bulk.Users(ctx, st, testAccount, "many", n); err != nil {
		b.Fatal(err)
	}
	assume := func(arn string) int {
		body := "Action=AssumeRole&Version=2011-06-15&RoleArn=" + url.QueryEscape(arn) + "&RoleSessionName=bench"
		return signedSTS(b, e, user, body)
	}
	// Warm: every role assumed once, as on a server that has run a while.
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			for i := w; i < n; i += 32 {
				if code := assume(arns[i]); code != http.StatusOK {
					b.Errorf("warming %s: status %d", arns[i], code)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, bc := range []struct {
		name string
		pick func(*rand.Rand) string
	}{
		{"one", func(*rand.Rand) string { return "arn:aws:iam::" + testAccount + ":role/bench" }},
		{"random", func(r *rand.Rand) string { return arns[r.IntN(n)] }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetParallelism(16) // 32 callers on 2 Ps
			b.ReportAllocs()
			cpu := processCPU()
			defer func() {
				b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
			}()
			b.RunParallel(func(pb *testing.PB) {
				rng := rand.New(rand.NewPCG(rand.Uint64(), 1))
				for pb.Next() {
					if code := assume(bc.pick(rng)); code != http.StatusOK {
						b.Errorf("status %d", code)
						return
					}
				}
			})
		})
	}
}

// signedSTS signs an STS request as the SDK does and serves it in process.
func signedSTS(tb testing.TB, e *env, c creds, body string) int {
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.RemoteAddr = "127.0.0.1:40000"
	sum := sha256.Sum256([]byte(body))
	cr := aws.Credentials{AccessKeyID: c.id, SecretAccessKey: c.secret, SessionToken: c.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), cr, req, hex.EncodeToString(sum[:]), "sts", testRegion, time.Now()); err != nil {
		tb.Fatal(err)
	}
	w := &discardWriter{h: http.Header{}}
	e.srv.Handler.ServeHTTP(w, req)
	return w.code
}
