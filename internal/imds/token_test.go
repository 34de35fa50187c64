package imds

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzTokenValid: any string a client sends as a token is refused unless
// this key minted it, and never panics.
func FuzzTokenValid(f *testing.F) {
	k := newTokenKey()
	now := time.Unix(1_800_000_000, 0)
	f.Add(k.mint(now.Add(time.Minute)))
	f.Add("")
	f.Add("AQAEAJ1k0o9Xk5L7sX2mZbV8yYhQvCtF0gF3y0kV8x9Yp6Wd3fQq1Q==")
	f.Add("====")
	f.Fuzz(func(t *testing.T, tok string) {
		if k.valid(tok, now) {
			// Only a minted token can be valid; re-minting proves nothing,
			// but a valid token must decode to a future expiry.
			if !k.valid(tok, now) || k.valid(tok, now.Add(maxTokenTTL*time.Second+time.Hour*24*365*100)) {
				t.Fatalf("valid token %q behaves oddly", tok)
			}
		}
	})
}

func TestTokenKey(t *testing.T) {
	k, other := newTokenKey(), newTokenKey()
	now := time.Unix(1_800_000_000, 0)
	tok := k.mint(now.Add(10 * time.Second))
	if !k.valid(tok, now) || !k.valid(tok, now.Add(9*time.Second)) {
		t.Fatal("fresh token refused")
	}
	if k.valid(tok, now.Add(10*time.Second)) || other.valid(tok, now) {
		t.Fatal("expired or foreign token accepted")
	}
	if tok2 := k.mint(now.Add(10 * time.Second)); tok2 == tok {
		t.Fatal("tokens repeat")
	}
}

// FuzzInstancePath: any path and token a client sends gets one of IMDS's
// answers, never a panic or a 500.
func FuzzInstancePath(f *testing.F) {
	fx := newFixture(f)
	tok := fx.m.key.mint(fx.now.Add(time.Hour))
	for _, p := range []string{"/latest/meta-data/", "/latest/meta-data/iam/security-credentials/web", "/latest/dynamic/instance-identity/document", "//", "/latest/meta-data/iam/security-credentials/web/x", "/latest/api/token"} {
		f.Add(p, true)
	}
	f.Fuzz(func(t *testing.T, path string, withToken bool) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req := httptest.NewRequest(http.MethodGet, "http://imds/", nil)
		req.URL.Path = path
		if withToken {
			req.Header.Set(headerToken, tok)
		}
		w := httptest.NewRecorder()
		fx.m.ServeHTTP(w, req)
		switch w.Code {
		case 200, 401, 404, 405:
		default:
			t.Fatalf("%q: status %d", path, w.Code)
		}
	})
}
