package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// maxDocument bounds a discovery document or JWKS.
const maxDocument = 1 << 20

// errThumbprint is IAM's answer when neither the system roots nor the
// registered thumbprints vouch for the issuer's certificate.
var errThumbprint = invalid("OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint")

// newClient returns an HTTPS client that trusts a server whose certificate
// chains to roots (nil: the system's) for its host name, or whose presented
// chain holds a certificate with one of the SHA-1 thumbprints (lower-case
// hex) and whose leaf is valid for the host name. Redirects stay on https.
func newClient(roots *x509.CertPool, thumbprints []string, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout}
	tr := &http.Transport{
		// The TLS connection is built here so that the verification knows
		// the host name even for an IP address, which TLS leaves out of
		// the server name.
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			raw, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			conn := tls.Client(raw, &tls.Config{
				ServerName: host,
				MinVersion: tls.VersionTLS12,
				// The standard verification runs in VerifyConnection,
				// where a thumbprint can stand in for a trusted root.
				InsecureSkipVerify: true,
				VerifyConnection:   verifyConnection(host, roots, thumbprints),
			})
			if err := conn.HandshakeContext(ctx); err != nil {
				raw.Close()
				return nil, err
			}
			return conn, nil
		},
		ResponseHeaderTimeout: timeout,
		DisableKeepAlives:     true,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Scheme != "https" || len(via) >= 3 {
				return errors.New("redirect refused")
			}
			return nil
		},
	}
}

func verifyConnection(host string, roots *x509.CertPool, thumbprints []string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		certs := cs.PeerCertificates
		if len(certs) == 0 {
			return errThumbprint
		}
		leaf := certs[0]
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		opts := x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter}
		if _, err := leaf.Verify(opts); err == nil {
			return nil
		}
		if err := leaf.VerifyHostname(host); err != nil {
			return errThumbprint
		}
		for _, c := range certs {
			if slices.Contains(thumbprints, Thumbprint(c)) {
				return nil
			}
		}
		return errThumbprint
	}
}

// Thumbprint is a certificate's SHA-1 thumbprint as IAM lists it: 40
// lower-case hex digits.
func Thumbprint(c *x509.Certificate) string {
	sum := sha1.Sum(c.Raw)
	return hex.EncodeToString(sum[:])
}

// fetchKeys reads the issuer's discovery document and the JWKS it names.
func fetchKeys(ctx context.Context, issuer string, client *http.Client) ([]jose.JSONWebKey, error) {
	var disc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := getJSON(ctx, client, issuer+"/.well-known/openid-configuration", &disc); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(disc.JWKSURI, "https://") {
		return nil, invalid("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := getJSON(ctx, client, disc.JWKSURI, &set); err != nil {
		return nil, err
	}
	var keys []jose.JSONWebKey
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		// A key of a type mantle cannot use is skipped, not fatal: issuers
		// publish encryption keys and new key types alongside.
		if err := k.UnmarshalJSON(raw); err != nil || !k.Valid() || !k.IsPublic() || (k.Use != "" && k.Use != "sig") {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, invalid("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	return keys, nil
}

func getJSON(ctx context.Context, client *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return invalid("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return e // the certificate was refused
		}
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500:
		return fmt.Errorf("%s answered HTTP %d", url, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		// The issuer answered: its configuration, not the network, is wrong.
		return invalid("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return err
	}
	if len(body) > maxDocument {
		return invalid("The identity provider's " + url + " is larger than 1 MiB.")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return invalid("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	return nil
}

func isRSA(k any) bool { _, ok := k.(*rsa.PublicKey); return ok }
func isEC(k any) bool  { _, ok := k.(*ecdsa.PublicKey); return ok }
