package iam

import (
	"net/url"
	"strings"
	"testing"

	"github.com/mantle-iam/mantle/internal/awserr"
)

// FuzzCheckOIDCURL feeds untrusted provider URLs (CreateOpenIDConnectProvider's
// Url) to checkOIDCURL: it never panics, refuses with an AWS error, and
// what it accepts is an https URL with a host and nothing that could make it
// name another issuer (user info, query, fragment). Seeds are in
// testdata/fuzz/FuzzCheckOIDCURL.
func FuzzCheckOIDCURL(f *testing.F) {
	for _, s := range []string{"https://token.actions.githubusercontent.com", "https://127.0.0.1:8443/realms/corp", "https://user@x.example.com", "http://x", "https://[::1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := checkOIDCURL(raw)
		if err != nil {
			if awserr.As(err) == nil {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil || !strings.HasPrefix(raw, "https://") || u.Hostname() == "" || u.User != nil ||
			strings.ContainsAny(raw, "?#@") {
			t.Fatalf("accepted %q", raw)
		}
	})
}
