package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/awserr"
)

// vectorsDir holds AWS's published SigV4 test suite (Apache-2.0; see its
// SOURCE.md), checked in so that every clone runs it.
const vectorsDir = "testdata/aws-sig-v4-test-suite"

type vectorContext struct {
	Credentials struct {
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
		Token           string `json:"token"`
	} `json:"credentials"`
	Normalize        bool   `json:"normalize"`
	Region           string `json:"region"`
	Service          string `json:"service"`
	SignBody         bool   `json:"sign_body"`
	OmitSessionToken bool   `json:"omit_session_token"`
	Timestamp        string `json:"timestamp"`
}

// parseWireRequest reads a request the way a server would see it on the
// wire. It is hand-rolled because the suite's requests are deliberately
// beyond what net/http accepts (a raw space in the path, folded headers),
// and it keeps the raw request target in RequestURI as net/http does.
func parseWireRequest(t *testing.T, raw string) (*http.Request, []byte) {
	t.Helper()
	head, body, _ := strings.Cut(raw, "\n\n")
	lines := strings.Split(head, "\n")
	reqLine := lines[0]
	sp := strings.IndexByte(reqLine, ' ')
	proto := strings.LastIndex(reqLine, " HTTP/")
	if sp < 0 || proto <= sp {
		t.Fatalf("bad request line %q", reqLine)
	}
	method, target := reqLine[:sp], reqLine[sp+1:proto]
	r := &http.Request{Method: method, RequestURI: target, Header: http.Header{}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
	path, query, _ := strings.Cut(target, "?")
	r.URL = &url.URL{Path: path, RawQuery: query}
	var last string
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			// obs-fold: a continuation of the previous header's last value
			vals := r.Header[last]
			vals[len(vals)-1] += " " + strings.TrimSpace(l)
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("bad header line %q", l)
		}
		last = textproto.CanonicalMIMEHeaderKey(name)
		r.Header[last] = append(r.Header[last], strings.Trim(value, " \t"))
	}
	if h := r.Header["Host"]; len(h) > 0 {
		r.Host = h[0]
		delete(r.Header, "Host")
	}
	if cl := r.Header.Get("Content-Length"); cl != "" {
		r.ContentLength, _ = strconv.ParseInt(cl, 10, 64)
	}
	return r, []byte(body)
}

// canonicalStrings rebuilds the canonical request and string to sign the
// verifier would use for r, for comparison with the suite's files.
func canonicalStrings(t *testing.T, v *Verifier, r *http.Request, body []byte, skipToken bool) (string, string) {
	t.Helper()
	sc, err := ParseScope(r)
	if err != nil {
		t.Fatalf("ParseScope: %v", err)
	}
	amzDate, _, err := v.checkScope(&sc)
	if err != nil {
		t.Fatalf("checkScope: %v", err)
	}
	s := &scratch{}
	ph, _, err := v.payloadHash(r, body, &sc, s)
	if err != nil {
		t.Fatalf("payloadHash: %v", err)
	}
	creq := appendCanonicalRequest(nil, r, &sc, ph, !v.rawPath[sc.Service], skipToken, s)
	sum := sha256.Sum256(creq)
	sts := appendStringToSign(nil, amzDate, sc.scope, &sum)
	return string(creq), string(sts)
}

type staticSecrets map[string]string // access key ID -> secret

func (m staticSecrets) SecretKey(_ context.Context, akid, _ string) (string, error) {
	if s, ok := m[akid]; ok {
		return s, nil
	}
	return "", &awserr.Error{Code: "InvalidClientTokenId", Status: http.StatusForbidden, Message: "The security token included in the request is invalid."}
}

func TestAWSTestSuite(t *testing.T) {
	dirs, err := os.ReadDir(vectorsDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join(vectorsDir, d.Name())
		var c vectorContext
		if err := json.Unmarshal(readFile(t, dir, "context.json"), &c); err != nil {
			t.Fatal(err)
		}
		now, err := time.Parse(time.RFC3339, c.Timestamp)
		if err != nil {
			t.Fatal(err)
		}
		opts := []Option{WithClock(func() time.Time { return now })}
		if !c.Normalize {
			opts = append(opts, WithUnnormalizedPaths(c.Service))
		}
		v := NewVerifier(opts...)
		src := SecretFunc(func(_ context.Context, akid, token string) (string, error) {
			if akid != c.Credentials.AccessKeyID {
				t.Errorf("access key %q", akid)
			}
			if token != c.Credentials.Token && token != "" {
				t.Errorf("session token %q, want %q", token, c.Credentials.Token)
			}
			return c.Credentials.SecretAccessKey, nil
		})
		for _, kind := range []string{"header", "query"} {
			n++
			t.Run(d.Name()+"/"+kind, func(t *testing.T) {
				r, body := parseWireRequest(t, string(readFile(t, dir, kind+"-signed-request.txt")))
				creq, sts := canonicalStrings(t, v, r, body, kind == "query" && c.OmitSessionToken)
				if want := string(readFile(t, dir, kind+"-canonical-request.txt")); creq != want {
					t.Errorf("canonical request:\n%s\nwant:\n%s", creq, want)
				}
				if want := string(readFile(t, dir, kind+"-string-to-sign.txt")); sts != want {
					t.Errorf("string to sign:\n%s\nwant:\n%s", sts, want)
				}
				res, err := v.Verify(context.Background(), r, body, src)
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if res.AccessKeyID != c.Credentials.AccessKeyID || res.Region != c.Region || res.Service != c.Service ||
					!res.SignedAt.Equal(now) || res.Presigned != (kind == "query") {
					t.Errorf("result %+v", res)
				}
				// The signature file and the signed request agree.
				sig := strings.TrimSpace(string(readFile(t, dir, kind+"-signature.txt")))
				if _, err := hex.DecodeString(sig); err != nil || !strings.Contains(string(readFile(t, dir, kind+"-signed-request.txt")), sig) {
					t.Errorf("signature %q not in signed request", sig)
				}
			})
		}
	}
	if n == 0 {
		t.Fatal("no test vectors found")
	}
}

func readFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
