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

// FuzzUserCredentialParsers feeds untrusted bodies to the parsers of
// UploadSSHPublicKey, UploadSigningCertificate and UploadServerCertificate:
// no panic, every refusal an AWS error, and an accepted SSH key is RSA of
// at least 2048 bits. Seeds are in testdata/fuzz/FuzzUserCredentialParsers.
func FuzzUserCredentialParsers(f *testing.F) {
	f.Add("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n")
	f.Add("-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----", "x", "")
	f.Fuzz(func(t *testing.T, sshBody, cert, key string) {
		if pub, err := parseSSHKey(sshBody); err != nil {
			if awserr.As(err) == nil {
				t.Fatalf("ssh: error %T %v", err, err)
			}
		} else if pub.Type() != "ssh-rsa" {
			t.Fatalf("accepted a %s key", pub.Type())
		}
		if _, err := parsePEMCert(cert); err != nil && awserr.As(err) == nil {
			t.Fatalf("cert: error %T %v", err, err)
		}
		if _, err := checkServerCertificate(cert, key, cert); err != nil && awserr.As(err) == nil {
			t.Fatalf("server cert: error %T %v", err, err)
		}
	})
}
