package oidc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// FuzzVerify drives untrusted tokens through parsing and verification
// against a warm key cache (no network): any input must end in a token or
// an *Error, never a panic or another error type.
func FuzzVerify(f *testing.F) {
	const iss = "https://issuer.example"
	f.Add(sign(f, rsaKey, jose.RS256, "k1", baseClaims(iss)))
	f.Add(sign(f, ecKey, jose.ES256, "", with(baseClaims(iss), "aud", []string{"a", "sts.amazonaws.com"}, "azp", "sts.amazonaws.com")))
	f.Add(sign(f, rsaKey, jose.RS256, "k1", with(baseClaims(iss), TagsClaim, map[string]any{"principal_tags": map[string][]string{"a": {"b", "c"}}})))
	f.Add(noneToken(baseClaims(iss)))
	f.Add("eyJhbGciOiJSUzI1NiJ9.e30.")
	f.Add("..")
	v := New(Config{Now: func() time.Time { return now }})
	ks := v.set(iss, nil)
	ks.keys = []jose.JSONWebKey{
		{Key: rsaKey.Public(), KeyID: "k1", Algorithm: "RS256"},
		{Key: ecKey.Public(), KeyID: "k2"},
	}
	ks.fetchedAt, ks.lastAttempt = now, now
	prov := Provider{URL: iss, ClientIDs: []string{"sts.amazonaws.com"}}
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := Parse(raw)
		var e *Error
		if err != nil {
			if !errors.As(err, &e) {
				t.Fatalf("Parse: %T %v", err, err)
			}
			return
		}
		id, err := v.Verify(context.Background(), tok, prov)
		if err != nil {
			if !errors.As(err, &e) {
				t.Fatalf("Verify: %T %v", err, err)
			}
			return
		}
		if id.Subject == "" || id.Audience != "sts.amazonaws.com" {
			t.Fatalf("verified identity %+v", id)
		}
	})
}
