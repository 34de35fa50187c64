package imds

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkInstanceCredentials is one credentials GET with cached
// credentials: token check, two store reads (profile, role), encoding.
func BenchmarkInstanceCredentials(b *testing.B) {
	f := newFixture(b)
	tok := f.m.key.mint(f.now.Add(6 * 3600e9))
	req := httptest.NewRequest(http.MethodGet, "/latest/meta-data/iam/security-credentials/web", nil)
	req.Header.Set(headerToken, tok)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		f.m.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
