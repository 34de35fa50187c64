package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/mantle-iam/mantle/internal/gate"
	"github.com/mantle-iam/mantle/internal/gate/authzapi"
	"github.com/mantle-iam/mantle/internal/netlimit"
	"github.com/mantle-iam/mantle/internal/server"
)

const (
	gateAPI   = "a1b2c3d4e5"
	gateStage = "prod"
	apiARN    = "arn:aws:execute-api:" + testRegion + ":" + testAccount + ":" + gateAPI
)

// upstreamSeen is what the trivial upstream received.
type upstreamSeen struct {
	mu     sync.Mutex
	header http.Header
	path   string
	body   string
}

func (u *upstreamSeen) last() (http.Header, string, string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.header, u.path, u.body
}

// gateEnv is mantle, a trivial upstream and mantle gate in front of it,
// the gate asking mantle as a user allowed mantle:AuthorizeRequest on the
// API.
type gateEnv struct {
	*env
	gate     *gate.Gate
	url      string
	seen     *upstreamSeen
	policy   string // the resource policy file
	upstream *httptest.Server
	route    *gate.Route
}

func startGate(t *testing.T, resourcePolicy string) *gateEnv {
	t.Helper()
	return startGateOn(t, start(t), resourcePolicy)
}

func startGateOn(t *testing.T, e *env, resourcePolicy string) *gateEnv {
	t.Helper()
	seen := &upstreamSeen{}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen.mu.Lock()
		seen.header, seen.path, seen.body = r.Header.Clone(), r.URL.Path, string(b)
		seen.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"pets":["rex"]}`)
	}))
	t.Cleanup(up.Close)
	keeper := e.newUser("gatekeeper", allowDoc(authzapi.AskAction, apiARN+"/*"))
	u, _ := url.Parse(up.URL)
	rt := &gate.Route{APIID: gateAPI, Stage: gateStage, Account: testAccount, Region: testRegion, Upstream: u}
	ge := &gateEnv{env: e, seen: seen, upstream: up}
	if resourcePolicy != "" {
		ge.policy = filepath.Join(t.TempDir(), "policy.json")
		if err := os.WriteFile(ge.policy, []byte(resourcePolicy), 0o600); err != nil {
			t.Fatal(err)
		}
		pf, err := gate.LoadPolicyFile(ge.policy, testRegion, testAccount, gateAPI)
		if err != nil {
			t.Fatal(err)
		}
		rt.Policy = pf
	}
	g, err := gate.New(gate.Config{
		Routes:     []*gate.Route{rt},
		Authorizer: gate.NewClient(e.URL, testRegion, credentials.NewStaticCredentialsProvider(keeper.id, keeper.secret, "")),
	})
	if err != nil {
		t.Fatal(err)
	}
	gs := httptest.NewServer(g)
	t.Cleanup(gs.Close)
	ge.gate, ge.url, ge.route = g, gs.URL, rt
	return ge
}

// gateAnswer is a response from the gate.
type gateAnswer struct {
	status  int
	errType string
	message string
	body    string
}

// call signs a request for execute-api as a client SDK does and sends it.
func (g *gateEnv) call(t *testing.T, c creds, method, path, body string, opts ...func(*http.Request)) gateAnswer {
	t.Helper()
	req := g.signed(t, c, method, path, body, time.Now())
	for _, o := range opts {
		o(req)
	}
	return sendGate(t, req)
}

func (g *gateEnv) signed(t *testing.T, c creds, method, path, body string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, g.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx(t), aws.Credentials{AccessKeyID: c.id, SecretAccessKey: c.secret, SessionToken: c.token},
		req, hex.EncodeToString(sum[:]), "execute-api", testRegion, at); err != nil {
		t.Fatal(err)
	}
	return req
}

func sendGate(t *testing.T, req *http.Request) gateAnswer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := gateAnswer{status: resp.StatusCode, errType: resp.Header.Get("X-Amzn-Errortype"), body: string(b)}
	if resp.StatusCode != http.StatusOK {
		var m struct{ Message string }
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("refusal is not API Gateway's JSON: %q", b)
		}
		a.message = m.Message
	}
	return a
}

func (a gateAnswer) want(t *testing.T, status int, errType, msg string) {
	t.Helper()
	if a.status != status || a.errType != errType || !strings.HasPrefix(a.message, msg) {
		t.Fatalf("got %d %s %q (%s), want %d %s %q", a.status, a.errType, a.message, a.body, status, errType, msg)
	}
}

// petsReader creates the role of the scenario (execute-api:Invoke
// on …/prod/GET/pets/*), a user allowed to assume it, and a session.
func (g *gateEnv) petsReader(t *testing.T) (creds, string) {
	t.Helper()
	dana := g.newUser("dana", allowDoc("sts:AssumeRole", "*"))
	roleARN := g.newRole("pets-reader", trustFor(userARN("dana"), `"sts:AssumeRole"`, ""),
		allowDoc("execute-api:Invoke", apiARN+"/prod/GET/pets/*"), 0)
	out := must[*sts.AssumeRoleOutput](t)(g.sts(dana).AssumeRole(ctx(t), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"),
	}))
	return session(out.Credentials), roleARN
}

// The scenario: a role session allowed GET on /pets/* gets through
// with its identity in the headers the upstream reads, forged copies
// dropped and its credentials kept from the upstream; another method or
// path is refused with API Gateway's message, which since 2024 names the
// policy type ("User: … is not authorized to perform: execute-api:Invoke on
// resource: … because no identity-based policy allows the
// execute-api:Invoke action", repost.aws knowledge center
// "api-gateway-iam-sigv4-mismatch").
func TestGateRoleSession(t *testing.T) {
	g := startGate(t, "")
	s1, _ := g.petsReader(t)
	sessionARN := "arn:aws:sts::" + testAccount + ":assumed-role/pets-reader/s1"

	a := g.call(t, s1, "GET", "/prod/pets/1?color=brown", "", func(r *http.Request) {
		r.Header.Set("X-Mantle-Principal-Arn", "arn:aws:iam::"+testAccount+":root")
	})
	if a.status != 200 || a.body != `{"pets":["rex"]}` {
		t.Fatalf("GET /prod/pets/1: %d %s", a.status, a.body)
	}
	h, path, _ := g.seen.last()
	if path != "/pets/1" {
		t.Errorf("upstream path %q, want /pets/1 (the stage is the gate's)", path)
	}
	for k, want := range map[string]string{
		gate.HeaderPrincipalARN:  sessionARN,
		gate.HeaderAccountID:     testAccount,
		gate.HeaderSessionName:   "s1",
		gate.HeaderPrincipalType: "AssumedRole",
		gate.HeaderRoleARN:       "arn:aws:iam::" + testAccount + ":role/pets-reader",
		gate.HeaderAccessKeyID:   s1.id,
		"Authorization":          "",
		"X-Amz-Security-Token":   "",
	} {
		if got := h.Values(k); strings.Join(got, ",") != want {
			t.Errorf("upstream header %s = %q, want %q", k, got, want)
		}
	}
	if uid := h.Get(gate.HeaderUserID); !strings.HasSuffix(uid, ":s1") || !strings.HasPrefix(uid, "AROA") {
		t.Errorf("user ID %q, want AROA…:s1", uid)
	}

	g.call(t, s1, "POST", "/prod/pets/1", `{"name":"tom"}`).want(t, 403, "AccessDeniedException",
		"User: "+sessionARN+" is not authorized to perform: execute-api:Invoke on resource: "+apiARN+"/prod/POST/pets/1 because no identity-based policy allows the execute-api:Invoke action")
	g.call(t, s1, "GET", "/prod/owners/1", "").want(t, 403, "AccessDeniedException",
		"User: "+sessionARN+" is not authorized to perform: execute-api:Invoke on resource: "+apiARN+"/prod/GET/owners/1")
	// A stage the gate does not serve: API Gateway does not say whether
	// it exists.
	g.call(t, s1, "GET", "/test/pets/1", "").want(t, 403, "MissingAuthenticationTokenException", "Missing Authentication Token")
}

// Requests that do not authenticate get API Gateway's answers, from the
// table of "How do I troubleshoot HTTP 403 errors from API Gateway?"
// (repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden).
func TestGateAuthenticationFailures(t *testing.T) {
	g := startGate(t, "")
	s1, _ := g.petsReader(t)

	unsigned, _ := http.NewRequest("GET", g.url+"/prod/pets/1", nil)
	sendGate(t, unsigned).want(t, 403, "MissingAuthenticationTokenException", "Missing Authentication Token")

	g.call(t, creds{"AKIAUNKNOWNKEY000000", "x", ""}, "GET", "/prod/pets/1", "").
		want(t, 403, "AccessDeniedException", "The security token included in the request is invalid.")
	tampered := s1
	tampered.token = s1.token[:len(s1.token)-4] + "AAAA"
	g.call(t, tampered, "GET", "/prod/pets/1", "").
		want(t, 403, "AccessDeniedException", "The security token included in the request is invalid.")
	wrongSecret := s1
	wrongSecret.secret = "x" + s1.secret[1:]
	g.call(t, wrongSecret, "GET", "/prod/pets/1", "").
		want(t, 403, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.")

	// A signature from 20 minutes ago is past SigV4's 15-minute window.
	old := g.signed(t, s1, "GET", "/prod/pets/1", "", time.Now().Add(-20*time.Minute))
	sendGate(t, old).want(t, 403, "InvalidSignatureException", "Signature expired: ")

	// A body other than the one signed (a captured request replayed
	// with a new body).
	swapped := g.signed(t, s1, "GET", "/prod/pets/1", `{"a":1}`, time.Now())
	swapped.Body = io.NopCloser(strings.NewReader(`{"a":2}`))
	sendGate(t, swapped).want(t, 403, "InvalidSignatureException", "The request signature we calculated does not match")

	// A path other than the one signed.
	moved := g.signed(t, s1, "GET", "/prod/pets/1", "", time.Now())
	moved.URL.Path = "/prod/pets/2"
	sendGate(t, moved).want(t, 403, "InvalidSignatureException", "The request signature we calculated does not match")

	// Signed for another service.
	req, _ := http.NewRequest("GET", g.url+"/prod/pets/1", nil)
	sum := sha256.Sum256(nil)
	v4.NewSigner().SignHTTP(ctx(t), aws.Credentials{AccessKeyID: s1.id, SecretAccessKey: s1.secret, SessionToken: s1.token},
		req, hex.EncodeToString(sum[:]), "iam", testRegion, time.Now())
	sendGate(t, req).want(t, 403, "InvalidSignatureException", "Credential should be scoped to correct service: 'execute-api'.")

	// A presigned URL works as well as a signed header.
	pre, _ := http.NewRequest("GET", g.url+"/prod/pets/1", nil)
	signedURL, _, err := v4.NewSigner().PresignHTTP(ctx(t), aws.Credentials{AccessKeyID: s1.id, SecretAccessKey: s1.secret, SessionToken: s1.token},
		pre, hex.EncodeToString(sum[:]), "execute-api", testRegion, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pre, _ = http.NewRequest("GET", signedURL, nil)
	if a := sendGate(t, pre); a.status != 200 {
		t.Fatalf("presigned: %d %s", a.status, a.body)
	}
}

// Role permissions are read at every request: a revoked grant refuses the
// very next request, a restored one admits it, and a role tag reaches the
// upstream as soon as it is set.
func TestGateRoleChangeAppliesAtOnce(t *testing.T) {
	g := startGate(t, "")
	s1, _ := g.petsReader(t)
	root := g.iam(g.root())
	c := ctx(t)
	if a := g.call(t, s1, "GET", "/prod/pets/1", ""); a.status != 200 {
		t.Fatalf("before: %d %s", a.status, a.body)
	}
	must[*iam.DeleteRolePolicyOutput](t)(root.DeleteRolePolicy(c, &iam.DeleteRolePolicyInput{RoleName: aws.String("pets-reader"), PolicyName: aws.String("p")}))
	g.call(t, s1, "GET", "/prod/pets/1", "").want(t, 403, "AccessDeniedException", "User: arn:aws:sts::")
	must[*iam.PutRolePolicyOutput](t)(root.PutRolePolicy(c, &iam.PutRolePolicyInput{RoleName: aws.String("pets-reader"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(allowDoc("execute-api:Invoke", apiARN+"/prod/GET/pets/*"))}))
	must[*iam.TagRoleOutput](t)(root.TagRole(c, &iam.TagRoleInput{RoleName: aws.String("pets-reader"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue green")}}}))
	if a := g.call(t, s1, "GET", "/prod/pets/1", ""); a.status != 200 {
		t.Fatalf("after: %d %s", a.status, a.body)
	}
	h, _, _ := g.seen.last()
	if got := h.Get(gate.HeaderPrincipalTags); got != "team=blue+green" {
		t.Errorf("principal tags %q, want team=blue+green", got)
	}
}

// The API's resource policy: a Deny on a source address refuses the
// request whatever the caller's policies allow, with API Gateway's
// explicit-deny message; a fixed file is reloaded; an Allow for another
// account's principal lets it in (both sides must allow across accounts),
// and without it that principal is refused.
func TestGateResourcePolicy(t *testing.T) {
	deny := `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Principal":{"AWS":"` + testAccount + `"},"Action":"execute-api:Invoke","Resource":"execute-api:/*"},
	  {"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/prod/GET/pets/*",
	   "Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}]}`
	g := startGate(t, deny)
	s1, _ := g.petsReader(t)
	g.call(t, s1, "GET", "/prod/pets/1", "").want(t, 403, "AccessDeniedException",
		"User: arn:aws:sts::"+testAccount+":assumed-role/pets-reader/s1 is not authorized to perform: execute-api:Invoke on resource: "+apiARN+"/prod/GET/pets/1 with an explicit deny in a resource-based policy")

	_, member := g.orgWithMember(t, "partner")
	partner := g.memberAdmin(t, member)
	partnerRole := "arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"
	partnerSession := "arn:aws:sts::" + member + ":assumed-role/OrganizationAccountAccessRole/admin"
	g.call(t, partner, "GET", "/prod/orders/1", "").want(t, 403, "AccessDeniedException",
		"User: "+partnerSession+" is not authorized to perform: execute-api:Invoke on resource: "+apiARN+"/prod/GET/orders/1")

	allow := `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Principal":{"AWS":["` + testAccount + `","` + partnerRole + `"]},"Action":"execute-api:Invoke","Resource":"execute-api:/*"},
	  {"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/prod/GET/pets/*",
	   "Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}`
	// A file that does not validate leaves the policy in force.
	if err := os.WriteFile(g.policy, []byte(`{"Statement":[{"Effect":"Allow"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := g.route.Policy.Reload(); err == nil {
		t.Fatal("an invalid resource policy was accepted")
	}
	g.call(t, s1, "GET", "/prod/pets/1", "").want(t, 403, "AccessDeniedException", "User: ")
	if err := os.WriteFile(g.policy, []byte(allow), 0o600); err != nil {
		t.Fatal(err)
	}
	// Same size and second as the bad file would be: force a new mtime.
	future := time.Now().Add(2 * time.Second)
	os.Chtimes(g.policy, future, future)
	g.gate.Reload()
	if a := g.call(t, s1, "GET", "/prod/pets/1", ""); a.status != 200 {
		t.Fatalf("after reload: %d %s", a.status, a.body)
	}
	if a := g.call(t, partner, "GET", "/prod/orders/1", ""); a.status != 200 {
		t.Fatalf("the partner account's role, allowed by the resource policy: %d %s", a.status, a.body)
	}
	h, _, _ := g.seen.last()
	if h.Get(gate.HeaderAccountID) != member || h.Get(gate.HeaderPrincipalARN) != partnerSession {
		t.Errorf("upstream saw %s / %s", h.Get(gate.HeaderAccountID), h.Get(gate.HeaderPrincipalARN))
	}
}

// Every decision is a CloudTrail data event in the API owner's history:
// lookup-events by event source shows who invoked what with which key,
// allowed and refused alike.
func TestGateAuditDataEvents(t *testing.T) {
	g := startGate(t, "")
	s1, _ := g.petsReader(t)
	g.call(t, s1, "GET", "/prod/pets/1", "")
	g.call(t, s1, "DELETE", "/prod/pets/1", "")
	ct := g.cloudtrail(g.root())
	evs := lookup(t, ct, cttypes.LookupAttributeKeyEventSource, "execute-api.amazonaws.com")
	if len(evs) != 2 {
		t.Fatalf("%d execute-api events, want 2", len(evs))
	}
	// Newest first.
	denied, allowed := record(t, evs[0]), record(t, evs[1])
	for _, r := range []trailRecord{denied, allowed} {
		if r.EventName != "Invoke" || r.UserIdentity.Type != "AssumedRole" || r.UserIdentity.AccessKeyID != s1.id ||
			r.UserIdentity.ARN != "arn:aws:sts::"+testAccount+":assumed-role/pets-reader/s1" || r.RecipientAccountID != testAccount {
			t.Errorf("record %+v", r)
		}
	}
	if allowed.ErrorCode != "" || denied.ErrorCode != "AccessDenied" {
		t.Errorf("error codes %q / %q, want none / AccessDenied", allowed.ErrorCode, denied.ErrorCode)
	}
	if allowed.RequestParameters["httpMethod"] != "GET" || allowed.RequestParameters["path"] != "/prod/pets/1" {
		t.Errorf("requestParameters %v", allowed.RequestParameters)
	}
	var raw map[string]any
	json.Unmarshal([]byte(aws.ToString(evs[1].CloudTrailEvent)), &raw)
	if raw["eventCategory"] != "Data" || raw["managementEvent"] != false {
		t.Errorf("eventCategory %v managementEvent %v, want Data false", raw["eventCategory"], raw["managementEvent"])
	}
	// The key's invocations, and the AssumeRole that issued it (the key
	// is a resource of that event).
	if evs := lookup(t, ct, cttypes.LookupAttributeKeyAccessKeyId, s1.id); len(evs) != 2 {
		t.Errorf("%d events signed with the session key, want both invocations", len(evs))
	}
	issued := lookup(t, ct, cttypes.LookupAttributeKeyResourceName, s1.id)
	if len(issued) != 1 || aws.ToString(issued[0].EventName) != "AssumeRole" || aws.ToString(issued[0].Username) != "dana" {
		t.Errorf("the key's issuing event: %+v", issued)
	}
}

// Failed authentications are events only within the client address's
// allowance (the unsigned federation calls' limit): an anonymous client
// cannot grow the trail without bound. Unsigned requests never reach
// mantle at all.
func TestGateFailedAuthenticationsBounded(t *testing.T) {
	e := startConfig(t, func(c *server.Config) { c.UnsignedLimit = netlimit.RateLimit{Rate: 0.001, Burst: 2} })
	g := startGateOn(t, e, "")
	for range 5 {
		g.call(t, creds{"AKIAUNKNOWNKEY000000", "x", ""}, "GET", "/prod/pets/1", "").
			want(t, 403, "AccessDeniedException", "The security token included in the request is invalid.")
		unsigned, _ := http.NewRequest("GET", g.url+"/prod/pets/1", nil)
		sendGate(t, unsigned).want(t, 403, "MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	evs := lookup(t, g.cloudtrail(g.root()), cttypes.LookupAttributeKeyEventSource, "execute-api.amazonaws.com")
	if len(evs) != 2 {
		t.Fatalf("%d events of failed authentications, want the burst of 2", len(evs))
	}
	if r := record(t, evs[0]); r.UserIdentity.Type != "Unknown" || r.UserIdentity.AccessKeyID != "AKIAUNKNOWNKEY000000" || r.ErrorCode != "AccessDeniedException" {
		t.Errorf("record %+v", r)
	}
}

// Asking needs mantle:AuthorizeRequest on the resource: a principal
// without it, or asking about another account's API, is refused, and the
// gate then answers 500 as API Gateway does when its authorizer fails.
func TestGateAskerNeedsPermission(t *testing.T) {
	g := startGate(t, "")
	s1, _ := g.petsReader(t)
	nobody := g.newUser("nobody", "")
	cl := gate.NewClient(g.URL, testRegion, credentials.NewStaticCredentialsProvider(nobody.id, nobody.secret, ""))
	req := g.signed(t, s1, "GET", "/prod/pets/1", "", time.Now())
	in := &authzapi.Input{Action: gate.Action, Resource: apiARN + "/prod/GET/pets/1", Request: authzapi.SignedRequest{
		Method: "GET", Path: "/prod/pets/1", Headers: map[string][]string(req.Header.Clone()), SourceIP: "127.0.0.1",
		BodySHA256: hex.EncodeToString(sha256.New().Sum(nil)),
	}}
	in.Request.Headers["Host"] = []string{req.Host}
	_, err := cl.Authorize(ctx(t), in)
	if ae, ok := err.(*gate.APIError); !ok || ae.Status != 403 || ae.Code != "AccessDeniedException" {
		t.Fatalf("asking without permission: %v", err)
	}
	// Root may ask about its own account's APIs only.
	other := *in
	other.Resource = "arn:aws:execute-api:" + testRegion + ":999988887777:" + gateAPI + "/prod/GET/pets/1"
	g2 := gate.NewClient(g.URL, testRegion, credentials.NewStaticCredentialsProvider(rootKeyID, rootSecret, ""))
	if _, err := g2.Authorize(ctx(t), &other); err == nil {
		t.Fatal("root asked about another account's API")
	}
	out, err := g2.Authorize(ctx(t), in)
	if err != nil || !out.Allowed || out.Principal.SessionName != "s1" || out.Decision != "allowed" {
		t.Fatalf("root asking about its own API: %+v %v", out, err)
	}
	// The explanation: the statement that allowed.
	if len(out.MatchedStatements) != 1 || out.MatchedStatements[0].PolicyType != "identity-based policy" || out.MatchedStatements[0].Effect != "Allow" {
		t.Errorf("matched statements %+v", out.MatchedStatements)
	}
}

// BenchmarkAuthorizeRequest is mantle's side of a request through the
// gate, in process: verify the gate's signature, then the client's (a role
// session), evaluate execute-api:Invoke, record the data event.
func BenchmarkAuthorizeRequest(b *testing.B) {
	e := start(b)
	c := context.Background()
	keeper := e.newUser("gatekeeper", allowDoc(authzapi.AskAction, apiARN+"/*"))
	dana := e.newUser("dana", allowDoc("sts:AssumeRole", "*"))
	roleARN := e.newRole("pets-reader", trustFor(userARN("dana"), `"sts:AssumeRole"`, ""), allowDoc("execute-api:Invoke", apiARN+"/prod/GET/pets/*"), 0)
	out, err := e.sts(dana).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")})
	if err != nil {
		b.Fatal(err)
	}
	s1 := session(out.Credentials)
	client, _ := http.NewRequest("GET", "http://"+gateAPI+".example/prod/pets/1", nil)
	empty := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(c, aws.Credentials{AccessKeyID: s1.id, SecretAccessKey: s1.secret, SessionToken: s1.token},
		client, hex.EncodeToString(empty[:]), "execute-api", testRegion, time.Now()); err != nil {
		b.Fatal(err)
	}
	hdr := map[string][]string(client.Header.Clone())
	hdr["Host"] = []string{client.Host}
	body, _ := json.Marshal(&authzapi.Input{Action: gate.Action, Resource: apiARN + "/prod/GET/pets/1", Request: authzapi.SignedRequest{
		Method: "GET", Path: "/prod/pets/1", Headers: hdr, BodySHA256: hex.EncodeToString(empty[:]), SourceIP: "127.0.0.1",
	}})
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", authzapi.Target)
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(c, aws.Credentials{AccessKeyID: keeper.id, SecretAccessKey: keeper.secret}, req,
		hex.EncodeToString(sum[:]), authzapi.Service, testRegion, time.Now()); err != nil {
		b.Fatal(err)
	}
	req.RemoteAddr = "127.0.0.1:40000"
	rd := bytes.NewReader(body)
	req.Body = nopCloser{rd}
	rec := httptest.NewRecorder()
	e.srv.Handler.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), `"Allowed":true`) {
		b.Fatalf("not allowed: %s", rec.Body)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		rd := bytes.NewReader(body)
		r := req.Clone(context.Background())
		r.Body = nopCloser{rd}
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			rd.Reset(body)
			clear(w.h)
			w.code = 0
			e.srv.Handler.ServeHTTP(w, r)
			if w.code != 200 {
				b.Fatalf("status %d", w.code)
			}
		}
	})
}

// Condition keys reach the engine from the request as the gate saw it:
// aws:SecureTransport is true only on the gate's TLS listener, and
// aws:PrincipalTag is the role's tag, read at request time.
func TestGateConditionKeys(t *testing.T) {
	g := startGate(t, "")
	s1, _ := g.petsReader(t)
	root := g.iam(g.root())
	must[*iam.PutRolePolicyOutput](t)(root.PutRolePolicy(ctx(t), &iam.PutRolePolicyInput{RoleName: aws.String("pets-reader"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"` + apiARN + `/prod/GET/pets/*",
		  "Condition":{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}`)}))
	tlsGate := httptest.NewTLSServer(g.gate)
	t.Cleanup(tlsGate.Close)
	overTLS := func() gateAnswer {
		req := g.signed(t, s1, "GET", "/prod/pets/1", "", time.Now())
		u, _ := url.Parse(tlsGate.URL + "/prod/pets/1")
		req.URL, req.Host = u, u.Host
		// Signed for the TLS gate's host.
		req.Header.Del("Authorization")
		req.Header.Del("X-Amz-Date")
		req.Header.Del("X-Amz-Security-Token")
		sum := sha256.Sum256(nil)
		v4.NewSigner().SignHTTP(ctx(t), aws.Credentials{AccessKeyID: s1.id, SecretAccessKey: s1.secret, SessionToken: s1.token},
			req, hex.EncodeToString(sum[:]), "execute-api", testRegion, time.Now())
		resp, err := tlsGate.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return gateAnswer{status: resp.StatusCode, body: string(b)}
	}
	if a := overTLS(); a.status != 403 {
		t.Fatalf("untagged role over TLS: %d %s", a.status, a.body)
	}
	must[*iam.TagRoleOutput](t)(root.TagRole(ctx(t), &iam.TagRoleInput{RoleName: aws.String("pets-reader"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}))
	if a := overTLS(); a.status != 200 {
		t.Fatalf("tagged role over TLS: %d %s", a.status, a.body)
	}
	g.call(t, s1, "GET", "/prod/pets/1", "").want(t, 403, "AccessDeniedException", "User: ")
}
