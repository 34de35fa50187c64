package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/mantle-iam/mantle/internal/awserr"
)

var (
	testNow   = time.Date(2024, 1, 1, 0, 30, 0, 0, time.UTC)
	longTerm  = aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	temporary = aws.Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
		SessionToken: "AQoDYXdzEJr//////////wEaEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="}
)

func invalidToken() *awserr.Error {
	return &awserr.Error{Code: "InvalidClientTokenId", Status: http.StatusForbidden, Message: "The security token included in the request is invalid."}
}

// testSecrets knows longTerm and temporary; a temporary key is only good
// with its own session token, as the real store will insist.
var testSecrets = SecretFunc(func(_ context.Context, akid, token string) (string, error) {
	switch {
	case akid == longTerm.AccessKeyID:
		return longTerm.SecretAccessKey, nil
	case akid == temporary.AccessKeyID && token == temporary.SessionToken:
		return temporary.SecretAccessKey, nil
	}
	return "", invalidToken()
})

func signer() *v4.Signer { return v4.NewSigner() }

// overTheWire sends a client request through HTTP/1.1 serialisation and
// parsing so the verifier sees exactly what a server would.
func overTheWire(t testing.TB, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		t.Fatal(err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(sr.Body)
	if err != nil {
		t.Fatal(err)
	}
	return sr, body
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// signQuery signs a Query-protocol POST as the SDK's IAM and STS clients do.
func signQuery(t testing.TB, host, service string, creds aws.Credentials, body string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "https://"+host+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hashHex([]byte(body)), service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return req
}

func presign(t testing.TB, rawURL, service string, creds aws.Credentials, hdr http.Header, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	signedURL, signedHdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, hashHex(nil), service, "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest(http.MethodGet, signedURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range signedHdr {
		if !strings.EqualFold(k, "host") {
			out.Header[k] = v
		}
	}
	return out
}

func TestSDKRoundTrip(t *testing.T) {
	v := NewVerifier(WithClock(func() time.Time { return testNow }))
	signedAt := testNow.Add(-2 * time.Minute).Truncate(time.Second)
	tests := []struct {
		name      string
		req       func(t testing.TB) *http.Request
		creds     aws.Credentials
		service   string
		presigned bool
	}{
		{"iam ListUsers", func(t testing.TB) *http.Request {
			return signQuery(t, "iam.amazonaws.com", "iam", longTerm, "Action=ListUsers&Version=2010-05-08", signedAt)
		}, longTerm, "iam", false},
		{"iam with session token", func(t testing.TB) *http.Request {
			return signQuery(t, "iam.amazonaws.com", "iam", temporary, "Action=GetUser&Version=2010-05-08&UserName=alice", signedAt)
		}, temporary, "iam", false},
		{"sts GetCallerIdentity", func(t testing.TB) *http.Request {
			return signQuery(t, "sts.amazonaws.com", "sts", longTerm, "Action=GetCallerIdentity&Version=2011-06-15", signedAt)
		}, longTerm, "sts", false},
		{"sts AssumeRole with session token", func(t testing.TB) *http.Request {
			return signQuery(t, "localhost:8080", "sts", temporary,
				"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=s%20%2B1&Version=2011-06-15", signedAt)
		}, temporary, "sts", false},
		{"empty body", func(t testing.TB) *http.Request {
			return signQuery(t, "iam.amazonaws.com", "iam", longTerm, "", signedAt)
		}, longTerm, "iam", false},
		{"GET with query and odd path", func(t testing.TB) *http.Request {
			req, _ := http.NewRequest(http.MethodGet, "http://localhost:8080/a%20b/c+d/%C3%A9?Action=ListUsers&Version=2010-05-08&Marker=a%2Fb+c&PathPrefix=%2F&Empty=", nil)
			req.Header.Set("X-Amz-Meta-Note", "  two   spaces  ")
			req.Header.Add("X-Amz-Meta-Multi", "one")
			req.Header.Add("X-Amz-Meta-Multi", "two")
			if err := v4.NewSigner().SignHTTP(context.Background(), longTerm, req, hashHex(nil), "iam", "us-east-1", signedAt); err != nil {
				t.Fatal(err)
			}
			return req
		}, longTerm, "iam", false},
		{"presigned sts GetCallerIdentity with token", func(t testing.TB) *http.Request {
			return presign(t, "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=900", "sts", temporary,
				http.Header{"X-K8s-Aws-Id": {"my-cluster"}}, signedAt)
		}, temporary, "sts", true},
		{"presigned iam without token", func(t testing.TB) *http.Request {
			return presign(t, "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08&X-Amz-Expires=60", "iam", longTerm, nil, testNow.Add(-30*time.Second))
		}, longTerm, "iam", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := overTheWire(t, tt.req(t))
			res, err := v.Verify(context.Background(), r, body, testSecrets)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := Result{AccessKeyID: tt.creds.AccessKeyID, SessionToken: tt.creds.SessionToken, Region: "us-east-1",
				Service: tt.service, SignedAt: res.SignedAt, Presigned: tt.presigned}
			if res != want {
				t.Errorf("result %+v, want %+v", res, want)
			}
			// ParseScope + VerifyScope is the same verification.
			sc, err := ParseScope(r)
			if err != nil || sc.Service != tt.service || sc.AccessKeyID != tt.creds.AccessKeyID {
				t.Fatalf("ParseScope = %+v, %v", sc, err)
			}
			if _, err := v.VerifyScope(context.Background(), r, body, &sc, testSecrets); err != nil {
				t.Errorf("VerifyScope: %v", err)
			}
		})
	}
}

func flip(s string, i int) string {
	b := []byte(s)
	b[i] ^= 0x01
	return string(b)
}

// TestSDKTamper changes one byte at every position of every signed part of
// SDK-signed requests; each change must be rejected.
func TestSDKTamper(t *testing.T) {
	v := NewVerifier(WithClock(func() time.Time { return testNow }))
	at := testNow.Add(-time.Minute).Truncate(time.Second)
	type part struct {
		name string
		n    func(r *http.Request, body []byte) int // positions to try
		mut  func(r *http.Request, body []byte, i int) []byte
		code string
	}
	header := func(name, code string) part {
		return part{"header " + name,
			func(r *http.Request, _ []byte) int { return len(r.Header.Get(name)) },
			func(r *http.Request, body []byte, i int) []byte {
				r.Header.Set(name, flip(r.Header.Get(name), i))
				return body
			}, code}
	}
	authzField := func(field, code string) part {
		return part{"authorization " + field,
			func(r *http.Request, _ []byte) int {
				a := r.Header.Get("Authorization")
				i := strings.Index(a, field+"=") + len(field) + 1
				j := strings.IndexByte(a[i:], ',')
				if j < 0 {
					j = len(a) - i
				}
				return j
			},
			func(r *http.Request, body []byte, k int) []byte {
				a := r.Header.Get("Authorization")
				i := strings.Index(a, field+"=") + len(field) + 1
				r.Header.Set("Authorization", flip(a, i+k))
				return body
			}, code}
	}
	parts := []part{
		{"method", func(r *http.Request, _ []byte) int { return len(r.Method) },
			func(r *http.Request, body []byte, i int) []byte { r.Method = flip(r.Method, i); return body }, "SignatureDoesNotMatch"},
		{"path", func(r *http.Request, _ []byte) int { return 1 },
			func(r *http.Request, body []byte, _ int) []byte { r.RequestURI = "/x"; return body }, "SignatureDoesNotMatch"},
		{"query", func(r *http.Request, _ []byte) int { return 1 },
			func(r *http.Request, body []byte, _ int) []byte { r.URL.RawQuery = "Action=DeleteUser"; return body }, "SignatureDoesNotMatch"},
		{"host", func(r *http.Request, _ []byte) int { return len(r.Host) },
			func(r *http.Request, body []byte, i int) []byte { r.Host = flip(r.Host, i); return body }, "SignatureDoesNotMatch"},
		{"body", func(_ *http.Request, body []byte) int { return len(body) },
			func(_ *http.Request, body []byte, i int) []byte {
				b := append([]byte(nil), body...)
				b[i] ^= 0x01
				return b
			}, "SignatureDoesNotMatch"},
		header("Content-Type", "SignatureDoesNotMatch"),
		header("Content-Length", "SignatureDoesNotMatch"),
		// Every digit of the time: other days fail the scope check, other
		// times the signature, invalid dates the parser.
		{"x-amz-date", func(r *http.Request, _ []byte) int { return len(r.Header.Get("X-Amz-Date")) },
			func(r *http.Request, body []byte, i int) []byte {
				r.Header.Set("X-Amz-Date", flip(r.Header.Get("X-Amz-Date"), i))
				return body
			}, "*"},
		header("X-Amz-Security-Token", "InvalidClientTokenId"),
		authzField("Signature", "SignatureDoesNotMatch"),
		authzField("SignedHeaders", "*"),
		authzField("Credential", "*"),
	}
	requests := map[string]func() *http.Request{
		"iam": func() *http.Request {
			return signQuery(t, "iam.amazonaws.com", "iam", longTerm, "Action=ListUsers&Version=2010-05-08", at)
		},
		"sts+token": func() *http.Request {
			return signQuery(t, "sts.amazonaws.com", "sts", temporary, "Action=GetCallerIdentity&Version=2011-06-15", at)
		},
	}
	for rname, mk := range requests {
		for _, p := range parts {
			t.Run(rname+"/"+p.name, func(t *testing.T) {
				r0, body0 := overTheWire(t, mk())
				n := p.n(r0, body0)
				if n == 0 && p.name == "header X-Amz-Security-Token" {
					t.Skip("no session token")
				}
				if n == 0 {
					t.Fatal("nothing to tamper with")
				}
				for i := 0; i < n; i++ {
					r, body := overTheWire(t, mk())
					body = p.mut(r, body, i)
					_, err := v.Verify(context.Background(), r, body, testSecrets)
					e := awserr.As(err)
					if e == nil {
						t.Fatalf("position %d: verified after tampering (err %v)", i, err)
					}
					if p.code != "*" && e.Code != p.code {
						t.Errorf("position %d: %s, want %s", i, e, p.code)
					}
				}
			})
		}
	}
}

func TestPresignedTamper(t *testing.T) {
	v := NewVerifier(WithClock(func() time.Time { return testNow }))
	mk := func() (*http.Request, []byte) {
		return overTheWire(t, presign(t, "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=900", "sts", temporary,
			http.Header{"X-K8s-Aws-Id": {"my-cluster"}}, testNow.Add(-time.Minute)))
	}
	r0, _ := mk()
	raw := r0.URL.RawQuery
	for i := 0; i < len(raw); i++ {
		if raw[i] == '&' || raw[i] == '=' {
			continue // changes the structure, tested below
		}
		r, body := mk()
		r.URL.RawQuery = flip(raw, i)
		r.RequestURI = "/?" + r.URL.RawQuery
		if _, err := v.Verify(context.Background(), r, body, testSecrets); err == nil {
			t.Errorf("query byte %d (%q) changed and still verified", i, raw[i])
		}
	}
	r, body := mk()
	r.Header.Set("X-K8s-Aws-Id", "other-cluster")
	if _, err := v.Verify(context.Background(), r, body, testSecrets); !awserr.HasCode(err, "SignatureDoesNotMatch") {
		t.Errorf("signed header changed: %v", err)
	}
	r, body = mk()
	r.URL.RawQuery += "&Extra=1"
	r.RequestURI = "/?" + r.URL.RawQuery
	if _, err := v.Verify(context.Background(), r, body, testSecrets); !awserr.HasCode(err, "SignatureDoesNotMatch") {
		t.Errorf("parameter added: %v", err)
	}
	// The signature must not be accepted for a request without it.
	r, body = mk()
	q, _ := url.ParseQuery(r.URL.RawQuery)
	q.Del("X-Amz-Signature")
	r.URL.RawQuery = q.Encode()
	if _, err := v.Verify(context.Background(), r, body, testSecrets); !awserr.HasCode(err, "IncompleteSignature") {
		t.Errorf("signature removed: %v", err)
	}
}
