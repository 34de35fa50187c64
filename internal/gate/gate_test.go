package gate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/mantle-iam/mantle/internal/gate/authzapi"
)

// fakeAuthorizer answers with out (or err) and remembers the question.
type fakeAuthorizer struct {
	mu  sync.Mutex
	in  *authzapi.Input
	out *authzapi.Output
	err error
}

func (f *fakeAuthorizer) Authorize(_ context.Context, in *authzapi.Input) (*authzapi.Output, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.in = in
	return f.out, f.err
}

var allowedOut = &authzapi.Output{Authenticated: true, Allowed: true, Decision: "allowed", Principal: &authzapi.PrincipalInfo{
	ARN: "arn:aws:sts::111122223333:assumed-role/pets-reader/s1", AccountID: "111122223333", UserID: "AROAEXAMPLE:s1",
	Type: "AssumedRole", SessionName: "s1", AccessKeyID: "ASIAEXAMPLE",
	Tags: []authzapi.KeyValue{{Key: "team", Value: "blue"}, {Key: "cost center", Value: "a&b"}},
}}

type upstream struct {
	mu     sync.Mutex
	header http.Header
	uri    string
	body   string
}

func newTestGate(t testing.TB, az Authorizer, authRequest bool) (*Gate, *upstream) {
	t.Helper()
	up := &upstream{}
	rt := &Route{APIID: "abc123", Stage: "prod", Account: "111122223333", Region: "eu-west-1"}
	if !authRequest {
		rt.Upstream, _ = url.Parse("http://upstream.internal/base")
	}
	g, err := New(Config{Routes: []*Route{rt}, Authorizer: az, AuthRequest: authRequest, MaxBody: 64,
		Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			var b []byte
			if r.Body != nil {
				b, _ = io.ReadAll(r.Body)
			}
			up.mu.Lock()
			up.header, up.uri, up.body = r.Header.Clone(), r.URL.RequestURI(), string(b)
			up.mu.Unlock()
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/plain"}}, Body: io.NopCloser(strings.NewReader("ok")), Request: r}, nil
		})})
	if err != nil {
		t.Fatal(err)
	}
	return g, up
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestGateAsksAndForwards(t *testing.T) {
	az := &fakeAuthorizer{out: allowedOut}
	g, up := newTestGate(t, az, false)
	r := httptest.NewRequest("PUT", "http://abc123.execute-api.eu-west-1.amazonaws.com/prod/pets/a%2Fb?x=1&y=%20", strings.NewReader(`{"n":1}`))
	r.RemoteAddr = "192.0.2.7:5555"
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=…")
	r.Header.Set("X-Amz-Security-Token", "secret-token")
	r.Header.Set("X-Mantle-Principal-Arn", "forged")
	r.Header.Set("X-Mantle-Anything", "forged")
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	if w.Code != 200 || w.Body.String() != "ok" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	in := az.in
	sum := sha256.Sum256([]byte(`{"n":1}`))
	if in.Action != "execute-api:Invoke" || in.Resource != "arn:aws:execute-api:eu-west-1:111122223333:abc123/prod/PUT/pets/a/b" ||
		in.Request.Path != "/prod/pets/a%2Fb" || in.Request.Query != "x=1&y=%20" || in.Request.SourceIP != "192.0.2.7" ||
		in.Request.BodySHA256 != hex.EncodeToString(sum[:]) || in.Request.Headers["Host"][0] != "abc123.execute-api.eu-west-1.amazonaws.com" ||
		in.Request.SecureTransport {
		t.Errorf("question %+v", in)
	}
	if up.uri != "/base/pets/a%2Fb?x=1&y=%20" || up.body != `{"n":1}` {
		t.Errorf("upstream got %s %q", up.uri, up.body)
	}
	for k, want := range map[string]string{
		HeaderPrincipalARN: allowedOut.Principal.ARN, HeaderSessionName: "s1", HeaderUserID: "AROAEXAMPLE:s1",
		HeaderPrincipalTags: "team=blue&cost+center=a%26b", "X-Mantle-Anything": "", "Authorization": "", "X-Amz-Security-Token": "",
		"X-Forwarded-For": "192.0.2.7",
	} {
		if got := strings.Join(up.header.Values(k), ","); got != want {
			t.Errorf("upstream header %s = %q, want %q", k, got, want)
		}
	}
}

// Refusals have API Gateway's shape: the status, x-amzn-ErrorType,
// x-amzn-RequestId and {"message": …}.
func TestGateRefusals(t *testing.T) {
	denied := &authzapi.Output{Authenticated: true, Status: 403, ErrorType: "AccessDeniedException", Message: "User: x is not authorized"}
	unauth := &authzapi.Output{Status: 403, ErrorType: "MissingAuthenticationTokenException", Message: "Missing Authentication Token"}
	for _, tt := range []struct {
		name, target, body string
		out                *authzapi.Output
		err                error
		status             int
		errType, msg       string
		unsigned           bool
	}{
		{"unsigned", "/prod/pets", "", allowedOut, nil, 403, "MissingAuthenticationTokenException", "Missing Authentication Token", true},
		{"denied", "/prod/pets", "", denied, nil, 403, "AccessDeniedException", "User: x is not authorized", false},
		{"unauthenticated", "/prod/pets", "", unauth, nil, 403, "MissingAuthenticationTokenException", "Missing Authentication Token", false},
		{"unknown stage", "/dev/pets", "", allowedOut, nil, 403, "MissingAuthenticationTokenException", "Missing Authentication Token", false},
		{"mantle down", "/prod/pets", "", nil, errors.New("connection refused"), 500, "InternalServerErrorException", "Internal server error", false},
		{"body too large", "/prod/pets", strings.Repeat("x", 65), allowedOut, nil, 413, "RequestTooLargeException", "Request Too Long", false},
		{"bad escape", "/prod/%zz", "", allowedOut, nil, 403, "MissingAuthenticationTokenException", "Missing Authentication Token", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			az := &fakeAuthorizer{out: tt.out, err: tt.err}
			g, up := newTestGate(t, az, false)
			r := httptest.NewRequest("POST", "http://gate/", strings.NewReader(tt.body))
			r.RequestURI = tt.target
			if !tt.unsigned {
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 …")
			}
			w := httptest.NewRecorder()
			g.ServeHTTP(w, r)
			var m map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || len(m) != 1 {
				t.Fatalf("body %q", w.Body)
			}
			if w.Code != tt.status || w.Header().Get("X-Amzn-Errortype") != tt.errType || m["message"] != tt.msg || w.Header().Get("X-Amzn-Requestid") == "" {
				t.Errorf("got %d %s %q", w.Code, w.Header().Get("X-Amzn-Errortype"), m["message"])
			}
			if up.uri != "" {
				t.Errorf("a refused request reached the upstream")
			}
			if tt.unsigned && az.in != nil {
				t.Errorf("mantle was asked about an unsigned request")
			}
		})
	}
}

// In auth_request mode the client's request is described by nginx's
// headers, and an allowed one is answered 200 with the identity headers.
func TestGateAuthRequest(t *testing.T) {
	az := &fakeAuthorizer{out: allowedOut}
	g, _ := newTestGate(t, az, true)
	r := httptest.NewRequest("GET", "http://127.0.0.1:9/auth", nil)
	r.Host = "api.example.com"
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 …")
	r.Header.Set("X-Original-Method", "DELETE")
	r.Header.Set("X-Original-Uri", "/prod/pets/7?force=1")
	r.Header.Set("X-Real-Ip", "198.51.100.9")
	r.Header.Set("X-Forwarded-Proto", "https")
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	if w.Code != 200 || w.Header().Get(HeaderPrincipalARN) != allowedOut.Principal.ARN {
		t.Fatalf("%d %v", w.Code, w.Header())
	}
	in := az.in
	if in.Request.Method != "DELETE" || in.Resource != "arn:aws:execute-api:eu-west-1:111122223333:abc123/prod/DELETE/pets/7" ||
		in.Request.Query != "force=1" || in.Request.SourceIP != "198.51.100.9" || !in.Request.SecureTransport {
		t.Errorf("question %+v", in)
	}
	r.Header.Del("X-Original-Uri")
	w = httptest.NewRecorder()
	g.ServeHTTP(w, r)
	if w.Code != 500 {
		t.Errorf("without X-Original-URI: %d", w.Code)
	}
}

func TestRouteByHost(t *testing.T) {
	a := &Route{APIID: "aaa", Stage: "prod"}
	b := &Route{APIID: "bbb", Stage: "prod"}
	c := &Route{APIID: "ccc", Stage: "test"}
	g := &Gate{routes: []*Route{a, b, c}}
	for _, tt := range []struct {
		stage, host string
		want        *Route
	}{
		{"prod", "aaa.execute-api.us-east-1.amazonaws.com", a},
		{"prod", "bbb.example", b},
		{"prod", "localhost:8080", nil}, // two APIs have a prod stage
		{"test", "localhost", c},
		{"dev", "aaa.example", nil},
	} {
		if got := g.route(tt.stage, tt.host); got != tt.want {
			t.Errorf("route(%s, %s) = %v", tt.stage, tt.host, got)
		}
	}
}

func TestExpandPolicy(t *testing.T) {
	const prefix = "arn:aws:execute-api:us-east-1:111122223333:abc/"
	got, err := ExpandPolicy([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke",
		"NotResource":["execute-api:/prod/GET/health","arn:aws:execute-api:us-east-1:111122223333:abc/prod/GET/"]}}`), prefix)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, `"NotResource":["`+prefix+`prod/GET/health","`+prefix+`prod/GET/"]`) || strings.Contains(got, `"Resource"`) {
		t.Errorf("expanded: %s", got)
	}
	for doc, want := range map[string]string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}`: "Policy document should not specify a principal",
		`{"Statement":[`: "Syntax errors in policy.",
		`[]`:             "Syntax errors in policy.",
	} {
		_, err := ExpandPolicy([]byte(doc), prefix)
		if err == nil || !strings.Contains(err.Error(), "MalformedPolicyDocument") {
			t.Errorf("%s: %v, want MalformedPolicyDocument (%s)", doc, err, want)
		}
	}
}

// FuzzGate feeds arbitrary request targets and methods to the gate: it
// answers every one (no panic), refuses with API Gateway's shape or asks,
// and never forwards what it did not ask about.
func FuzzGate(f *testing.F) {
	for _, s := range []string{"/prod/pets", "/prod", "/", "/prod/%2F..%2F", "//prod//x", "/prod/a?b=%zz", "*", "/prod/\x00"} {
		f.Add("GET", s)
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		az := &fakeAuthorizer{out: allowedOut}
		g, up := newTestGate(t, az, false)
		r := httptest.NewRequest("GET", "http://gate/", nil)
		r.Method, r.RequestURI = method, target
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 …")
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		if up.uri != "" && az.in == nil {
			t.Fatalf("forwarded %q without asking", target)
		}
		if w.Code != 200 && w.Header().Get("X-Amzn-Errortype") == "" {
			t.Fatalf("%q: %d without an error type", target, w.Code)
		}
	})
}
