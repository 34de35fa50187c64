package sts

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"

	"github.com/go-jose/go-jose/v4"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/federation/oidc"
	"github.com/mantle-iam/mantle/internal/store"
)

// webIdentity is a test issuer registered as an OIDC provider of acct, and a
// role that trusts it.
type webIdentity struct {
	srv         *httptest.Server
	key         *rsa.PrivateKey
	providerARN string
	role        *store.Role
}

func (e *env) webIdentity() *webIdentity {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		e.t.Fatal(err)
	}
	w := &webIdentity{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(rw http.ResponseWriter, r *http.Request) {
		json.NewEncoder(rw).Encode(map[string]string{"jwks_uri": w.srv.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(rw http.ResponseWriter, r *http.Request) {
		json.NewEncoder(rw).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1"}}})
	})
	w.srv = httptest.NewTLSServer(mux)
	e.t.Cleanup(w.srv.Close)
	host := strings.TrimPrefix(w.srv.URL, "https://")
	w.providerARN = "arn:aws:iam::" + acct + ":oidc-provider/" + host
	if err := e.st.OIDCProviders().Create(e.ctx, &store.OIDCProvider{
		AccountID: acct, ARN: w.providerARN, URL: w.srv.URL, ClientIDs: []string{"sts.amazonaws.com"},
		Thumbprints: []string{oidc.Thumbprint(w.srv.Certificate())}, CreatedAt: e.now,
	}); err != nil {
		e.t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + w.providerARN +
		`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + host + `:aud":"sts.amazonaws.com","` + host + `:sub":"ci"}}},` +
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
	w.role = e.role(acct, "ci", trust, 0, allow("sts:AssumeRole", "*"))
	return w
}

func (w *webIdentity) token(t testing.TB, now time.Time) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: w.key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := json.Marshal(map[string]any{"iss": w.srv.URL, "sub": "ci", "aud": "sts.amazonaws.com", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	jws, err := s.Sign(p)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

// TestWebIdentitySessionCarriesProvider: the session knows its provider
// (aws:FederatedProvider); a session chained from it does not, as in AWS.
func TestWebIdentitySessionCarriesProvider(t *testing.T) {
	e := newEnv(t)
	w := e.webIdentity()
	out, err := e.svc.AssumeRoleWithWebIdentity(e.ctx, e.anonymous(), &stsapi.AssumeRoleWithWebIdentityInput{
		RoleArn: roleARN(w.role), RoleSessionName: "run-1", WebIdentityToken: w.token(t, e.now),
	})
	if err != nil {
		t.Fatal(err)
	}
	sess := e.caller(out.Credentials)
	if sess.FederatedProvider != w.providerARN || sess.SourceARN != w.providerARN || sess.ChainDepth != 1 {
		t.Fatalf("session %+v", sess)
	}
	chained, err := e.assume(sess, &stsapi.AssumeRoleInput{RoleArn: roleARN(w.role), RoleSessionName: "hop"})
	if err != nil {
		t.Fatal(err)
	}
	if c := e.caller(chained.Credentials); c.FederatedProvider != "" {
		t.Fatalf("chained session kept aws:FederatedProvider %q", c.FederatedProvider)
	}
}

// BenchmarkAssumeRoleWithWebIdentity measures the service part with the
// issuer's keys, the provider and the role cached: token parsing, RS256
// verification, trust evaluation, sealing the session.
func BenchmarkAssumeRoleWithWebIdentity(b *testing.B) {
	e := newEnv(b)
	w := e.webIdentity()
	in := &stsapi.AssumeRoleWithWebIdentityInput{RoleArn: roleARN(w.role), RoleSessionName: "bench", WebIdentityToken: w.token(b, e.now)}
	c := e.anonymous()
	if _, err := e.svc.AssumeRoleWithWebIdentity(e.ctx, c, in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.svc.AssumeRoleWithWebIdentity(e.ctx, c, in); err != nil {
			b.Fatal(err)
		}
	}
}

// anonymous is the caller an unsigned request presents: its facts only.
func (e *env) anonymous() *auth.Caller {
	return &auth.Caller{SourceIP: "192.0.2.1", RequestTime: e.now}
}
