package webtoken

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mantle-iam/mantle/internal/secrets"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
)

const acct = "123456789012"

func newIssuer(t *testing.T) (*Issuer, store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		return tx.Accounts().Create(ctx, &store.Account{ID: acct, Name: "a", CreatedAt: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	sealer, err := secrets.NewSealer(make([]byte, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return New(st, sealer, "https://mantle.example.com/"), st
}

// The issuer's documents are served for an account that enabled
// federation only, at exactly the two well-known paths, to GET only; a
// token signed while enabled verifies against the served JWKS, and a
// disabled account signs nothing.
func TestIssuerServesAndSigns(t *testing.T) {
	is, st := newIssuer(t)
	ctx := context.Background()
	get := func(method, path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		is.ServeHTTP(w, httptest.NewRequest(method, path, nil))
		return w
	}
	if w := get("GET", PathPrefix+acct+"/.well-known/jwks.json"); w.Code != http.StatusNotFound {
		t.Fatalf("JWKS before enabling: %d", w.Code)
	}
	var iss string
	if err := st.Change(ctx, func(ctx context.Context, tx store.Repos) (err error) {
		iss, err = is.Enable(ctx, tx, acct)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if iss != "https://mantle.example.com"+PathPrefix+acct {
		t.Fatalf("issuer %s", iss)
	}
	tests := []struct {
		method, path string
		code         int
	}{
		{"GET", PathPrefix + acct + "/.well-known/openid-configuration", 200},
		{"GET", PathPrefix + acct + "/.well-known/jwks.json", 200},
		{"POST", PathPrefix + acct + "/.well-known/jwks.json", 404},
		{"GET", PathPrefix + acct + "/.well-known/other", 404},
		{"GET", PathPrefix + "999999999999/.well-known/jwks.json", 404},
		{"GET", PathPrefix + "../" + acct + "/.well-known/jwks.json", 404},
		{"GET", PathPrefix + acct + "x/.well-known/jwks.json", 404},
	}
	for _, tt := range tests {
		if w := get(tt.method, tt.path); w.Code != tt.code {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, w.Code, tt.code)
		}
	}
	var set jose.JSONWebKeySet
	if err := jsonDecode(get("GET", PathPrefix+acct+"/.well-known/jwks.json").Body.String(), &set); err != nil || len(set.Keys) != 2 {
		t.Fatalf("JWKS %v %+v", err, set)
	}
	for _, alg := range []string{RS256, ES384} {
		now := time.Now().Truncate(time.Second)
		tok, err := is.Sign(ctx, st, &Token{AccountID: acct, Subject: "arn:aws:iam::" + acct + ":role/r", Audience: []string{"a"}, Algorithm: alg,
			IssuedAt: now, Expires: now.Add(time.Minute), ID: "j", Claims: map[string]any{"aws_account": acct}})
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
		if err != nil {
			t.Fatal(err)
		}
		var cl jwt.Claims
		if err := parsed.Claims(set.Key(parsed.Headers[0].KeyID)[0].Key, &cl); err != nil || cl.Issuer != iss {
			t.Fatalf("%s: %v %+v", alg, err, cl)
		}
		// A key of the other algorithm does not verify it.
		for _, k := range set.Keys {
			if k.KeyID != parsed.Headers[0].KeyID && parsed.Claims(k.Key, &cl) == nil {
				t.Fatalf("%s token verified with another key", alg)
			}
		}
	}
	if err := st.Change(ctx, func(ctx context.Context, tx store.Repos) error { return is.Disable(ctx, tx, acct) }); err != nil {
		t.Fatal(err)
	}
	if _, err := is.Sign(ctx, st, &Token{AccountID: acct, Algorithm: RS256}); err != ErrDisabled {
		t.Fatalf("signing while disabled: %v", err)
	}
	if w := get("GET", PathPrefix+acct+"/.well-known/jwks.json"); w.Code != 200 || !strings.Contains(w.Body.String(), "RS256") {
		t.Fatalf("JWKS after disabling: %d", w.Code)
	}
}

func jsonDecode(s string, v any) error { return json.Unmarshal([]byte(s), v) }
