package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// benchRequest signs one STS Query request as aws-sdk-go-v2 does and returns
// a function that replays it against the in-process handler.
func benchRequest(b *testing.B, e *env, c creds, bodyStr string) func() *discardWriter {
	return benchRequestTo(b, e, c, "sts", bodyStr)
}

// benchRequestTo is benchRequest for another service's signature.
func benchRequestTo(b *testing.B, e *env, c creds, service, bodyStr string) func() *discardWriter {
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/", strings.NewReader(bodyStr))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(bodyStr))
	cr := aws.Credentials{AccessKeyID: c.id, SecretAccessKey: c.secret, SessionToken: c.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), cr, req, hex.EncodeToString(sum[:]), service, testRegion, time.Now()); err != nil {
		b.Fatal(err)
	}
	h := e.srv.Handler
	req.RemoteAddr = "127.0.0.1:40000"
	body := []byte(bodyStr)
	rd := bytes.NewReader(body)
	req.Body = nopCloser{rd}
	w := &discardWriter{h: http.Header{}}
	// The request and writer are reused: the benchmark measures mantle,
	// not the cloning of requests.
	return func() *discardWriter {
		rd.Reset(body)
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, req)
		return w
	}
}

type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func benchSetup(b *testing.B) (*env, creds) { return benchSetupOn(b, start(b)) }

// benchSetupOn creates the user "bench" with a key and the role "bench"
// it may assume.
func benchSetupOn(b *testing.B, e *env) (*env, creds) {
	c := context.Background()
	root := e.iam(e.root())
	if _, err := root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	k, err := root.CreateAccessKey(c, &iam.CreateAccessKeyInput{UserName: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/bench"},"Action":"sts:AssumeRole"}]}`
	if _, err := root.CreateRole(c, &iam.CreateRoleInput{RoleName: aws.String("bench"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		b.Fatal(err)
	}
	return e, creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}
}

// BenchmarkAssumeRoleInProcess is the whole AssumeRole path but the socket:
// decode, verify, authorize against the trust policy, mint, encode.
func BenchmarkAssumeRoleInProcess(b *testing.B) {
	e, user := benchSetup(b)
	do := benchRequest(b, e, user, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A"+testAccount+"%3Arole%2Fbench&RoleSessionName=bench")
	if w := do(); w.code != http.StatusOK {
		b.Fatalf("status %d", w.code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if w := do(); w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
}

// BenchmarkAssumeRoleInProcessParallel is BenchmarkAssumeRoleInProcess
// with 32 callers at once, as the HTTP benchmark's connections are: their
// events share commits. cpu-µs/op is the process's CPU time per call
// (user and system, the writer's included), which a machine shared with
// other work disturbs far less than wall time.
func BenchmarkAssumeRoleInProcessParallel(b *testing.B) {
	e, user := benchSetup(b)
	body := "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A" + testAccount + "%3Arole%2Fbench&RoleSessionName=bench"
	benchParallel(b, e, user, body)
}

func BenchmarkGetCallerIdentityInProcessParallel(b *testing.B) {
	e, user := benchSetup(b)
	benchParallel(b, e, user, "Action=GetCallerIdentity&Version=2011-06-15")
}

func benchParallel(b *testing.B, e *env, user creds, body string) {
	b.SetParallelism(16) // 32 callers on 2 Ps
	b.ReportAllocs()
	cpu := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		do := benchRequest(b, e, user, body)
		for pb.Next() {
			if w := do(); w.code != http.StatusOK {
				b.Errorf("status %d", w.code)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkGetCallerIdentityInProcess(b *testing.B) {
	e, user := benchSetup(b)
	do := benchRequest(b, e, user, "Action=GetCallerIdentity&Version=2011-06-15")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if w := do(); w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
}
