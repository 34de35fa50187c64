package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRequestLabels(t *testing.T) {
	r := New()
	r.Register("sts", []string{"AssumeRole", "GetCallerIdentity"})
	tests := []struct {
		svc, action, code string
		want              string // the series that moves
	}{
		{"sts", "AssumeRole", "", `action="AssumeRole",outcome="Success",service="sts"`},
		{"sts", "AssumeRole", "AccessDenied", `action="AssumeRole",outcome="AccessDenied",service="sts"`},
		{"sts", "Nope", "InvalidAction", `action="other",outcome="InvalidAction",service="sts"`},
		{"", "", "MissingAuthenticationToken", `action="other",outcome="MissingAuthenticationToken",service="unknown"`},
		{"s3", "ListBuckets", "InvalidAction", `action="other",outcome="InvalidAction",service="unknown"`},
	}
	for _, tt := range tests {
		r.Request(tt.svc, tt.action, tt.code, time.Millisecond)
	}
	out := gather(t, r)
	for _, tt := range tests {
		if !strings.Contains(out, "mantle_requests_total{"+tt.want+"} 1") &&
			!strings.Contains(out, "mantle_requests_total{"+tt.want+"} 2") {
			t.Errorf("no series %s in\n%s", tt.want, out)
		}
	}
	// The last two share a series.
	if !strings.Contains(out, `mantle_requests_total{action="other",outcome="InvalidAction",service="unknown"} 1`) {
		t.Errorf("unknown service not bounded:\n%s", out)
	}
}

func TestCodesBounded(t *testing.T) {
	r := New()
	r.Register("iam", []string{"CreateUser"})
	for i := range maxCodes + 10 {
		r.Request("iam", "CreateUser", "Code"+string(rune('A'+i)), time.Millisecond)
	}
	out := gather(t, r)
	if n := strings.Count(out, `mantle_requests_total{action="CreateUser"`); n != maxCodes+2 {
		t.Errorf("%d series, want %d (Success, the bound, other)", n, maxCodes+2)
	}
}

func gather(t *testing.T, r *Registry) string {
	t.Helper()
	w := httptest.NewRecorder()
	r.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/_mantle/metrics", nil))
	return w.Body.String()
}

// TestRequestAllocs: observing a request allocates nothing once its
// series exist.
func TestRequestAllocs(t *testing.T) {
	r := New()
	r.Register("sts", []string{"GetCallerIdentity"})
	r.Request("sts", "GetCallerIdentity", "", time.Millisecond)
	r.Request("sts", "GetCallerIdentity", "ExpiredToken", time.Millisecond)
	if n := testing.AllocsPerRun(1000, func() {
		r.Request("sts", "GetCallerIdentity", "", time.Millisecond)
		r.Request("sts", "GetCallerIdentity", "ExpiredToken", time.Millisecond)
	}); n != 0 {
		t.Fatalf("%v allocations per request", n)
	}
}

func BenchmarkRequest(b *testing.B) {
	r := New()
	r.Register("sts", []string{"GetCallerIdentity"})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Request("sts", "GetCallerIdentity", "", 50*time.Microsecond)
		}
	})
}
