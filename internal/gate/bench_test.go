//go:build linux

package gate

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
)

// BenchmarkGate is the gate's own work per allowed request: read and hash
// the body, ask mantle (encode the question, sign the call with SigV4,
// decode the answer), rewrite the headers and proxy to the upstream. Mantle
// and the upstream answer in memory, so what is measured is the gate's
// CPU, not theirs or the kernel's: cpu-ns/op is the benchmark thread's,
// proc-cpu-ns/op the whole process's (the garbage collector included).
// Mantle's side is BenchmarkAuthorizeRequest in integration/.
func BenchmarkGate(b *testing.B) {
	answer := `{"Authenticated":true,"Allowed":true,"Decision":"allowed","Principal":{"Arn":"arn:aws:sts::111122223333:assumed-role/pets-reader/s1","AccountId":"111122223333","UserId":"AROAEXAMPLE:s1","Type":"AssumedRole","AccessKeyId":"ASIAEXAMPLE","SessionName":"s1","RoleArn":"arn:aws:iam::111122223333:role/pets-reader","Tags":[{"Key":"team","Value":"blue"}]},"MatchedStatements":[{"PolicyId":"role/pets-reader/p","PolicyType":"identity-based policy","Effect":"Allow"}]}`
	cl := NewClient("http://mantle.internal", "us-east-1", credentials.NewStaticCredentialsProvider("AKIAGATEEXAMPLE00001", "secret", ""))
	cl.HTTP = &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		io.Copy(io.Discard, r.Body)
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}}, Body: io.NopCloser(strings.NewReader(answer)), Request: r}, nil
	})}
	g, _ := newTestGate(b, cl, false)
	req := httptest.NewRequest("GET", "/prod/pets/1?color=brown", nil)
	req.Host = "abc123.execute-api.eu-west-1.amazonaws.com"
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261206/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	req.Header.Set("X-Amz-Date", "20261206T120000Z")
	req.Header.Set("X-Amz-Security-Token", strings.Repeat("t", 600))
	req.Header.Set("User-Agent", "curl/8.5.0")
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	thread, proc := rusage(1), rusage(0)
	b.ResetTimer()
	for b.Loop() {
		r := req.Clone(req.Context())
		r.Body = http.NoBody
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((rusage(1)-thread).Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64((rusage(0)-proc).Nanoseconds())/float64(b.N), "proc-cpu-ns/op")
}

// rusage is the CPU time of the calling thread (who 1, RUSAGE_THREAD) or
// of the process (0).
func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
