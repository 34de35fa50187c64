package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// issuer is a test OpenID Connect issuer over HTTPS with a self-signed
// certificate, serving discovery and a JWKS it can rotate.
type issuer struct {
	srv      *httptest.Server
	mu       sync.Mutex
	keys     []jose.JSONWebKey // public keys served
	jwksHits atomic.Int32
}

func newIssuer(t testing.TB) *issuer {
	is := &issuer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		is.jwksHits.Add(1)
		is.mu.Lock()
		defer is.mu.Unlock()
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: is.keys})
	})
	is.srv = httptest.NewTLSServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) thumbprint() string { return Thumbprint(is.srv.Certificate()) }

// publish adds a key to the served JWKS.
func (is *issuer) publish(kid string, key crypto.Signer, alg jose.SignatureAlgorithm) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.keys = append(is.keys, jose.JSONWebKey{Key: key.Public(), KeyID: kid, Algorithm: string(alg), Use: "sig"})
}

func sign(t testing.TB, key crypto.Signer, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	rsaKey, _   = rsa.GenerateKey(rand.Reader, 2048)
	otherRSA, _ = rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _    = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now         = time.Now().Truncate(time.Second)
)

func baseClaims(iss string) map[string]any {
	return map[string]any{
		"iss": iss, "sub": "repo:acme/app:ref:refs/heads/main", "aud": "sts.amazonaws.com",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func noneToken(claims map[string]any) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT"})
	p, _ := json.Marshal(claims)
	return enc.EncodeToString(h) + "." + enc.EncodeToString(p) + "."
}

func TestVerify(t *testing.T) {
	is := newIssuer(t)
	is.publish("rsa1", rsaKey, jose.RS256)
	is.publish("ec1", ecKey, jose.ES256)
	iss := is.srv.URL
	prov := Provider{URL: iss, ClientIDs: []string{"sts.amazonaws.com", "web-app"}, Thumbprints: []string{strings.ToUpper(is.thumbprint())}}
	base := baseClaims(iss)

	tests := []struct {
		name     string
		token    func() string
		prov     Provider
		wantKind Kind
		wantMsg  string
		check    func(*testing.T, *Identity)
	}{
		{name: "RS256", token: func() string { return sign(t, rsaKey, jose.RS256, "rsa1", base) },
			check: func(t *testing.T, id *Identity) {
				if id.Subject != "repo:acme/app:ref:refs/heads/main" || id.Audience != "sts.amazonaws.com" || id.OtherAudiences != nil {
					t.Errorf("identity = %+v", id)
				}
			}},
		{name: "ES256", token: func() string { return sign(t, ecKey, jose.ES256, "ec1", base) }},
		{name: "no kid tries matching keys", token: func() string { return sign(t, ecKey, jose.ES256, "", base) }},
		{name: "azp is the audience", token: func() string {
			return sign(t, rsaKey, jose.RS256, "rsa1", with(base, "azp", "web-app", "aud", []string{"x", "y"}))
		}, check: func(t *testing.T, id *Identity) {
			if id.Audience != "web-app" || len(id.OtherAudiences) != 2 {
				t.Errorf("identity = %+v", id)
			}
		}},
		{name: "aud array", token: func() string {
			return sign(t, rsaKey, jose.RS256, "rsa1", with(base, "aud", []string{"other", "web-app"}))
		}, check: func(t *testing.T, id *Identity) {
			if id.Audience != "web-app" {
				t.Errorf("audience = %q", id.Audience)
			}
		}},
		{name: "tags claim", token: func() string {
			return sign(t, rsaKey, jose.RS256, "rsa1", with(base, TagsClaim, map[string]any{
				"principal_tags":      map[string][]string{"Project": {"blue"}, "Cost": {"42"}},
				"transitive_tag_keys": []string{"Project"},
			}, SourceIdentityClaim, "alice"))
		}, check: func(t *testing.T, id *Identity) {
			if len(id.Tags) != 2 || id.Tags[0] != (Tag{Key: "Cost", Value: "42"}) || id.TransitiveTagKeys[0] != "Project" || id.SourceIdentity != "alice" {
				t.Errorf("identity = %+v", id)
			}
		}},
		{name: "bad signature", token: func() string { return sign(t, otherRSA, jose.RS256, "rsa1", base) },
			wantKind: Invalid, wantMsg: "signature"},
		{name: "wrong audience", token: func() string { return sign(t, rsaKey, jose.RS256, "rsa1", with(base, "aud", "someone-else")) },
			wantKind: Invalid, wantMsg: "Incorrect token audience"},
		{name: "azp not a client", token: func() string {
			return sign(t, rsaKey, jose.RS256, "rsa1", with(base, "azp", "intruder"))
		}, wantKind: Invalid, wantMsg: "Incorrect token audience"},
		{name: "wrong issuer", token: func() string { return sign(t, rsaKey, jose.RS256, "rsa1", with(base, "iss", "https://evil.example")) },
			wantKind: Invalid, wantMsg: "issuer"},
		{name: "expired", token: func() string {
			return sign(t, rsaKey, jose.RS256, "rsa1", with(base, "exp", now.Add(-2*time.Minute).Unix()))
		}, wantKind: Expired, wantMsg: "Token expired"},
		{name: "within skew", token: func() string {
			return sign(t, rsaKey, jose.RS256, "rsa1", with(base, "exp", now.Add(-30*time.Second).Unix()))
		}},
		{name: "no exp", token: func() string { return sign(t, rsaKey, jose.RS256, "rsa1", with(base, "exp", nil)) },
			wantKind: Invalid, wantMsg: "exp"},
		{name: "not yet valid", token: func() string {
			return sign(t, rsaKey, jose.RS256, "rsa1", with(base, "nbf", now.Add(time.Hour).Unix()))
		}, wantKind: Invalid, wantMsg: "nbf"},
		{name: "issued in the future", token: func() string {
			return sign(t, rsaKey, jose.RS256, "rsa1", with(base, "iat", now.Add(time.Hour).Unix()))
		}, wantKind: Invalid, wantMsg: "iat"},
		{name: "no sub", token: func() string { return sign(t, rsaKey, jose.RS256, "rsa1", with(base, "sub", nil)) },
			wantKind: Invalid, wantMsg: "sub"},
		{name: "unknown kid", token: func() string { return sign(t, rsaKey, jose.RS256, "nope", base) },
			wantKind: Invalid, wantMsg: "verification key"},
		{name: "kid of another type", token: func() string { return sign(t, rsaKey, jose.RS256, "ec1", base) },
			wantKind: Invalid, wantMsg: "verification key"},
		{name: "thumbprint mismatch", token: func() string { return sign(t, rsaKey, jose.RS256, "rsa1", base) },
			prov:     Provider{URL: iss, ClientIDs: prov.ClientIDs, Thumbprints: []string{strings.Repeat("ab", 20)}},
			wantKind: Invalid, wantMsg: "thumbprint"},
		{name: "no thumbprint, untrusted CA", token: func() string { return sign(t, rsaKey, jose.RS256, "rsa1", base) },
			prov:     Provider{URL: iss, ClientIDs: prov.ClientIDs},
			wantKind: Invalid, wantMsg: "thumbprint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := New(Config{Now: func() time.Time { return now }})
			p := prov
			if tt.prov.URL != "" {
				p = tt.prov
			}
			tok, err := Parse(tt.token())
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			id, err := v.Verify(context.Background(), tok, p)
			if tt.wantKind != 0 {
				var e *Error
				if !errors.As(err, &e) || e.Kind != tt.wantKind || !strings.Contains(e.Message, tt.wantMsg) {
					t.Fatalf("err = %v, want kind %d containing %q", err, tt.wantKind, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if tt.check != nil {
				tt.check(t, id)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	iss := "https://issuer.example"
	tests := []struct{ name, token, want string }{
		{"alg none", noneToken(baseClaims(iss)), "not a valid JWT"},
		{"not a JWT", "abc", "not a valid JWT"},
		{"garbage segments", "a.b.c", "not a valid JWT"},
		{"too large", strings.Repeat("a", MaxTokenSize+1), "too large"},
		{"http issuer", sign(t, rsaKey, jose.RS256, "k", with(baseClaims(iss), "iss", "http://issuer.example")), "https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.token)
			var e *Error
			if !errors.As(err, &e) || e.Kind != Invalid || !strings.Contains(e.Message, tt.want) {
				t.Fatalf("err = %v, want Invalid containing %q", err, tt.want)
			}
		})
	}
	t.Run("HS256", func(t *testing.T) {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(strings.Repeat("s", 32))}, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := json.Marshal(baseClaims(iss))
		jws, _ := s.Sign(p)
		tok, _ := jws.CompactSerialize()
		if _, err := Parse(tok); err == nil {
			t.Fatal("HS256 token parsed")
		}
	})
}

// TestKeyRotation: a token naming a key the cache does not have refetches
// the JWKS, but at most once per MinRefresh.
func TestKeyRotation(t *testing.T) {
	is := newIssuer(t)
	is.publish("k1", rsaKey, jose.RS256)
	clock := now
	v := New(Config{Now: func() time.Time { return clock }})
	prov := Provider{URL: is.srv.URL, ClientIDs: []string{"sts.amazonaws.com"}, Thumbprints: []string{is.thumbprint()}}
	verify := func(key crypto.Signer, kid string) error {
		tok, err := Parse(sign(t, key, jose.RS256, kid, baseClaims(is.srv.URL)))
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(context.Background(), tok, prov)
		return err
	}
	if err := verify(rsaKey, "k1"); err != nil {
		t.Fatal(err)
	}
	if err := verify(rsaKey, "k1"); err != nil {
		t.Fatal(err)
	}
	if n := is.jwksHits.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times for a cached key, want 1", n)
	}
	// The issuer rotates in k2. Within MinRefresh of the last fetch the
	// unknown kid is refused without asking the issuer.
	is.publish("k2", otherRSA, jose.RS256)
	if err := verify(otherRSA, "k2"); err == nil {
		t.Fatal("unknown kid accepted before a refresh was allowed")
	}
	if n := is.jwksHits.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1 (rate limited)", n)
	}
	clock = clock.Add(11 * time.Second)
	if err := verify(otherRSA, "k2"); err != nil {
		t.Fatalf("after MinRefresh: %v", err)
	}
	if n := is.jwksHits.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
	// Forged kids do not make it fetch again.
	for range 5 {
		_ = verify(rsaKey, "forged")
	}
	if n := is.jwksHits.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times after forged kids, want 2", n)
	}
}

// TestUnreachable: an issuer that cannot be reached is IDPCommunicationError,
// not an invalid token.
func TestUnreachable(t *testing.T) {
	is := newIssuer(t)
	url := is.srv.URL
	tp := is.thumbprint()
	is.srv.Close()
	v := New(Config{Now: func() time.Time { return now }, Timeout: 2 * time.Second})
	tok, err := Parse(sign(t, rsaKey, jose.RS256, "k1", baseClaims(url)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(context.Background(), tok, Provider{URL: url, ClientIDs: []string{"sts.amazonaws.com"}, Thumbprints: []string{tp}})
	var e *Error
	if !errors.As(err, &e) || e.Kind != Unreachable {
		t.Fatalf("err = %v, want Unreachable", err)
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	is := newIssuer(b)
	is.publish("k1", rsaKey, jose.RS256)
	v := New(Config{})
	prov := Provider{URL: is.srv.URL, ClientIDs: []string{"sts.amazonaws.com"}, Thumbprints: []string{is.thumbprint()}}
	raw := sign(b, rsaKey, jose.RS256, "k1", baseClaims(is.srv.URL))
	b.ReportAllocs()
	for b.Loop() {
		tok, err := Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := v.Verify(context.Background(), tok, prov); err != nil {
			b.Fatal(err)
		}
	}
}
