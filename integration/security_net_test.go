package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/mantle-iam/mantle/internal/netlimit"
	"github.com/mantle-iam/mantle/internal/netlimit/netlimittest"
	"github.com/mantle-iam/mantle/internal/server"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
)

// The security regressions of mantle's network-facing layer (issue 9):
// the body is signed, resources are bounded, responses always parse,
// shutdown is prompt, unauthenticated clients cannot grow the store.

// signedRequest builds a Query POST of form signed by the root key with
// payloadHash as its payload line; a non-empty payloadHash is also sent
// (and signed) as X-Amz-Content-Sha256, as S3-style signers do.
func signedRequest(t *testing.T, e *env, service, form, payloadHash string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.URL+"/", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if payloadHash == "" {
		sum := sha256.Sum256([]byte(form))
		payloadHash = hex.EncodeToString(sum[:])
	} else {
		req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	}
	cr := aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), cr, req, payloadHash, service, testRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

// replay sends a captured request again with body in place of its own.
func replay(t *testing.T, req *http.Request, body string) (int, []byte) {
	t.Helper()
	r2 := req.Clone(context.Background())
	r2.Body = io.NopCloser(strings.NewReader(body))
	r2.ContentLength = int64(len(body))
	if req.Header.Get("Content-Length") != "" {
		r2.Header.Del("Content-Length")
	}
	resp, err := http.DefaultClient.Do(r2)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// queryError is AWS's Query error document.
type queryError struct {
	Error struct {
		Type, Code, Message string
	}
	RequestID string `xml:"RequestId"`
}

func parseQueryError(t *testing.T, body []byte) queryError {
	t.Helper()
	var qe queryError
	if err := xml.Unmarshal(body, &qe); err != nil {
		t.Fatalf("error response does not parse: %v\n%q", err, body)
	}
	return qe
}

// TestSwappedBodyIsRefused replays captured signed requests with another
// body. The payload line of the signature is always the SHA-256 of the body
// received, so only the body that was signed is accepted, whatever
// X-Amz-Content-Sha256 claims (issue 9 item 3). AWS's services other than
// S3 answer SignatureDoesNotMatch (apache/opendal-reqsign#346).
func TestSwappedBodyIsRefused(t *testing.T) {
	e := start(t)
	const signed = "Action=ListUsers&Version=2010-05-08"
	const evil = "Action=CreateUser&UserName=mallory&Version=2010-05-08"
	for _, hash := range []string{"", "UNSIGNED-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "x", hashOf(evil)} {
		t.Run("header="+hash, func(t *testing.T) {
			req := signedRequest(t, e, "iam", signed, hash)
			status, body := replay(t, req, evil)
			if qe := parseQueryError(t, body); status != http.StatusForbidden || qe.Error.Code != "SignatureDoesNotMatch" {
				t.Fatalf("swapped body: %d %s %s", status, qe.Error.Code, qe.Error.Message)
			}
			if hash != "" && hash != hashOf(signed) {
				// A signature over anything but the body is never valid,
				// even with the body it was made for.
				status, body = replay(t, req, signed)
				if qe := parseQueryError(t, body); status != http.StatusForbidden || qe.Error.Code != "SignatureDoesNotMatch" {
					t.Fatalf("payload hash %q: %d %s", hash, status, qe.Error.Code)
				}
			}
		})
	}
	// The honest request still works, and mallory was never created.
	if status, body := replay(t, signedRequest(t, e, "iam", signed, hashOf(signed)), signed); status != http.StatusOK {
		t.Fatalf("honest request: %d %s", status, body)
	}
	if bytes.Contains(mustBody(t, e, "Action=ListUsers&Version=2010-05-08"), []byte("mallory")) {
		t.Fatal("the swapped body was executed")
	}
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func mustBody(t *testing.T, e *env, form string) []byte {
	t.Helper()
	status, body := replay(t, signedRequest(t, e, "iam", form, ""), form)
	if status != http.StatusOK {
		t.Fatalf("%s: %d %s", form, status, body)
	}
	return body
}

// TestControlCharactersInResponses: values echoed in errors (and results)
// never make a response unparseable (issue 9 item 6). XML 1.0 cannot carry
// C0 controls at all, so they come back as U+FFFD, as encoding/xml writes
// them.
func TestControlCharactersInResponses(t *testing.T) {
	e := start(t)
	for _, name := range []string{"a\x01b", "a\x00b", "\x1b[31mred", "a\xffb", "a\ufffeb"} {
		t.Run(name, func(t *testing.T) {
			form := "Action=CreateUser&Version=2010-05-08&UserName=" + url.QueryEscape(name)
			status, body := replay(t, signedRequest(t, e, "iam", form, ""), form)
			qe := parseQueryError(t, body)
			if status != http.StatusBadRequest || qe.Error.Code != "ValidationError" {
				t.Fatalf("%d %s %q", status, qe.Error.Code, qe.Error.Message)
			}
			if !strings.Contains(qe.Error.Message, "at 'userName'") {
				t.Errorf("message %q", qe.Error.Message)
			}
			// And the SDK reads it as the AWS error it is.
			_, err := e.iam(e.root()).CreateUser(ctx(t), &iamsdk.CreateUserInput{UserName: aws.String(name)})
			wantCode(t, err, "ValidationError", "at 'userName'")
		})
	}
}

// TestHealthWhileExhausted: idle connections and slow bodies far beyond
// the connection bound neither take every descriptor nor keep the health
// check out (issue 9 item 2). The bound is set low so the test stays small;
// scripts/soak.sh holds 20,000 idle connections and 1,000 slow bodies
// against the default bound.
func TestHealthWhileExhausted(t *testing.T) {
	const bound = 60
	e := startConfig(t, func(c *server.Config) {
		c.Listener = netlimit.Config{MaxConns: bound, Reserve: 4, ReadHeaderTimeout: time.Minute, ReadTimeout: time.Minute}
	})
	addr := strings.TrimPrefix(e.URL, "http://")
	for range 40 {
		netlimittest.SlowBody(t, addr)
	}
	var idle []net.Conn
	for range 600 {
		idle = append(idle, netlimittest.Dial(t, addr))
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range 20 {
		start := time.Now()
		resp, err := client.Get(e.URL + "/_mantle/health")
		if err != nil {
			t.Fatalf("health %d: %v", i, err)
		}
		resp.Body.Close()
		if d := time.Since(start); resp.StatusCode != http.StatusOK || d > time.Second {
			t.Fatalf("health %d: %s after %v", i, resp.Status, d)
		}
	}
	// Signed calls still get through too: idle connections made room.
	if _, err := e.sts(e.root()).GetCallerIdentity(ctx(t), nil); err != nil {
		t.Fatal(err)
	}
	// Most idle connections were closed by the server to stay in bound.
	closed := 0
	for _, c := range idle {
		c.SetReadDeadline(time.Now().Add(time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err == io.EOF {
			closed++
		}
	}
	if closed < len(idle)-bound {
		t.Fatalf("only %d of %d idle connections closed with a bound of %d", closed, len(idle), bound)
	}
}

// TestShutdownWithSlowClient: a client in the middle of a slow request
// delays shutdown by the grace period only; Serve returns nil having
// drained the audit queue (issue 9 item 9: it took 30 s, failed, and
// skipped the drain).
func TestShutdownWithSlowClient(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "mantle.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const grace = 500 * time.Millisecond
	sctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := server.New(sctx, server.Config{
		DataDir: dir, Store: st, AccountID: testAccount, RootAccessKeyID: rootKeyID, RootSecretAccessKey: rootSecret,
		Listener: netlimit.Config{Grace: grace},
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, l) }()
	e := &env{t: t, URL: "http://" + l.Addr().String(), srv: srv, dir: dir}

	// Calls whose events are still queued when shutdown begins.
	const calls = 50
	for range calls {
		if _, err := e.sts(e.root()).GetCallerIdentity(ctx(t), nil); err != nil {
			t.Fatal(err)
		}
	}
	netlimittest.SlowBody(t, l.Addr().String())
	time.Sleep(100 * time.Millisecond) // the slow request is in progress
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v", err)
		}
	case <-time.After(grace + 5*time.Second):
		t.Fatal("Serve did not return")
	}
	t.Logf("shut down in %v", time.Since(start))
	events, err := st.Events().Lookup(context.Background(), store.EventQuery{
		AccountID: testAccount, Attribute: store.EventByName, Value: "GetCallerIdentity",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != calls {
		t.Fatalf("%d GetCallerIdentity events stored, want %d", len(events), calls)
	}
}

// TestUnsignedCallsAreThrottled: 3,000 unsigned failing federation calls
// from one address add a bounded number of events to the trail; the rest
// get AWS's Throttling error (issue 9 item 11: they added 5 MB of events,
// kept 90 days). Another address is not affected.
func TestUnsignedCallsAreThrottled(t *testing.T) {
	limit := netlimit.RateLimit{Rate: 5, Burst: 50}
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "mantle.db"))
	if err != nil {
		t.Fatal(err)
	}
	e := startStore(t, st, dir, func(c *server.Config) { c.UnsignedLimit = limit })
	form := "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleSessionName=session" +
		"&RoleArn=arn%3Aaws%3Aiam%3A%3A" + testAccount + "%3Arole%2Fnobody&WebIdentityToken=not.a.jwt"
	client := &http.Client{Timeout: 10 * time.Second}
	start := time.Now()
	codes := map[string]int{}
	const calls = 3000
	for range calls {
		resp, err := client.Post(e.URL+"/", "application/x-www-form-urlencoded", strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		qe := parseQueryError(t, body)
		codes[qe.Error.Code]++
		if qe.Error.Code == "Throttling" && (resp.StatusCode != http.StatusBadRequest || qe.Error.Message != "Rate exceeded") {
			t.Fatalf("throttled as %d %q", resp.StatusCode, qe.Error.Message)
		}
	}
	elapsed := time.Since(start)
	if err := e.srv.Audit.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	events, err := st.Events().Lookup(ctx(t), store.EventQuery{
		AccountID: testAccount, Attribute: store.EventByName, Value: "AssumeRoleWithWebIdentity",
	})
	if err != nil {
		t.Fatal(err)
	}
	bound := limit.Burst + int(limit.Rate*elapsed.Seconds()) + 1
	t.Logf("%d calls in %v: %v; %d events (bound %d)", calls, elapsed, codes, len(events), bound)
	if len(events) > bound || codes["Throttling"] < calls-bound {
		t.Fatalf("%d events, %d throttled; bound %d", len(events), codes["Throttling"], bound)
	}
	if len(events) == 0 {
		t.Fatal("no call got through: the limit is not per burst")
	}
	// Signed calls from the same address are not limited.
	if _, err := e.sts(e.root()).GetCallerIdentity(ctx(t), nil); err != nil {
		t.Fatal(err)
	}
}

// TestServicesNotServed: a client pointed at mantle for every service (one
// AWS_ENDPOINT_URL) is told that mantle does not serve that service and
// which it does, in an error document its SDK parses, not an invalid key
// (issue 16).
func TestServicesNotServed(t *testing.T) {
	e := start(t)
	tests := []struct {
		service, method, path, target, body string
		decode                              func(t *testing.T, body []byte) (code, msg string)
	}{
		{"s3", http.MethodGet, "/", "", "", func(t *testing.T, b []byte) (string, string) {
			var v struct{ Code, Message, RequestId string }
			if err := xml.Unmarshal(b, &v); err != nil || v.RequestId == "" {
				t.Fatalf("REST-XML error: %v %q", err, b)
			}
			return v.Code, v.Message
		}},
		{"ec2", http.MethodPost, "/", "", "Action=DescribeInstances&Version=2016-11-15", func(t *testing.T, b []byte) (string, string) {
			var v struct {
				Errors struct {
					Error struct{ Code, Message string }
				}
				RequestID string
			}
			if err := xml.Unmarshal(b, &v); err != nil || v.RequestID == "" {
				t.Fatalf("EC2 error: %v %q", err, b)
			}
			return v.Errors.Error.Code, v.Errors.Error.Message
		}},
		{"sns", http.MethodPost, "/", "", "Action=ListTopics&Version=2010-03-31", func(t *testing.T, b []byte) (string, string) {
			qe := parseQueryError(t, b)
			return qe.Error.Code, qe.Error.Message
		}},
		{"dynamodb", http.MethodPost, "/", "DynamoDB_20120810.ListTables", "{}", decodeJSONError},
		{"lambda", http.MethodGet, "/2015-03-31/functions/", "", "", decodeJSONError},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, e.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.target != "" {
				req.Header.Set("X-Amz-Target", tt.target)
				req.Header.Set("Content-Type", "application/x-amz-json-1.0")
			} else if tt.body != "" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			}
			cr := aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret}
			if err := v4.NewSigner().SignHTTP(context.Background(), cr, req, hashOf(tt.body), tt.service, testRegion, time.Now()); err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code, msg := tt.decode(t, body)
			if resp.StatusCode != http.StatusBadRequest || code != "InvalidAction" ||
				!strings.Contains(msg, "mantle does not serve '"+tt.service+"'") || !strings.Contains(msg, "iam, sts, organizations, cloudtrail") {
				t.Fatalf("%d %s %q", resp.StatusCode, code, msg)
			}
		})
	}
}

func decodeJSONError(t *testing.T, b []byte) (string, string) {
	t.Helper()
	var v struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("JSON error: %v %q", err, b)
	}
	return v.Type, v.Message
}
