package imds

import (
	"context"
	"encoding/json"
	stsapi "github.com/mantle-iam/mantle/internal/api/sts"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
	"github.com/mantle-iam/mantle/internal/sts"
)

const (
	acct       = "111122223333"
	instanceID = "i-0123456789abcdef0"
)

// fakeIssuer issues numbered credentials valid for an hour from the test
// clock, or refuses when deny is set.
type fakeIssuer struct {
	now    func() time.Time
	n      atomic.Int32
	deny   atomic.Bool
	last   atomic.Pointer[sts.ServiceSessionInput]
	expiry time.Duration
}

func (f *fakeIssuer) AssumeRoleForService(_ context.Context, in *sts.ServiceSessionInput) (*stsapi.AssumeRoleOutput, error) {
	f.last.Store(in)
	if f.deny.Load() {
		return nil, awserr.AccessDenied("%s is not authorized", in.Service)
	}
	n := f.n.Add(1)
	d := f.expiry
	if d == 0 {
		d = time.Hour
	}
	return &stsapi.AssumeRoleOutput{Credentials: &stsapi.Credentials{
		AccessKeyId:     "ASIAFAKE" + string(rune('A'+n)),
		SecretAccessKey: "secret",
		SessionToken:    "token",
		Expiration:      f.now().Add(d).UTC().Truncate(time.Second),
	}}, nil
}

type fixture struct {
	t      testing.TB
	st     *sqlite.Store
	now    time.Time
	issuer *fakeIssuer
	role   *store.Role
	prof   *store.InstanceProfile
	m      *Instance
	srv    *httptest.Server
}

func newFixture(t testing.TB) *fixture {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "mantle.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, st: st, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	f.issuer = &fakeIssuer{now: f.clock}
	if err := st.Accounts().Create(ctx, &store.Account{ID: acct, Name: "a", Status: "ACTIVE", CreatedAt: f.now}); err != nil {
		t.Fatal(err)
	}
	f.role = &store.Role{AccountID: acct, ID: "AROAXXXXXXXXXXXXXXX1", Name: "web", Path: "/", TrustPolicy: "{}", CreatedAt: f.now}
	if err := st.Roles().Create(ctx, f.role); err != nil {
		t.Fatal(err)
	}
	f.prof = &store.InstanceProfile{AccountID: acct, ID: "AIPAXXXXXXXXXXXXXXX1", Name: "web-profile", Path: "/", RoleID: f.role.ID, CreatedAt: f.now}
	if err := st.InstanceProfiles().Create(ctx, f.prof); err != nil {
		t.Fatal(err)
	}
	f.m, err = NewInstance(InstanceConfig{Store: st, Issuer: f.issuer, AccountID: acct, InstanceProfile: "web-profile",
		InstanceID: instanceID, Region: "eu-west-1", Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.m)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) clock() time.Time { return f.now }

func (f *fixture) do(method, path string, hdr map[string]string) (int, http.Header, string) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func (f *fixture) token(ttl string) string {
	f.t.Helper()
	code, _, body := f.do(http.MethodPut, "/latest/api/token", map[string]string{headerTokenTTL: ttl})
	if code != http.StatusOK {
		f.t.Fatalf("token: %d %s", code, body)
	}
	return body
}

func (f *fixture) get(tok, path string) (int, string) {
	f.t.Helper()
	code, _, body := f.do(http.MethodGet, path, map[string]string{headerToken: tok})
	return code, body
}

func TestToken(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"min ttl", map[string]string{headerTokenTTL: "1"}, 200},
		{"max ttl", map[string]string{headerTokenTTL: "21600"}, 200},
		{"zero ttl", map[string]string{headerTokenTTL: "0"}, 400},
		{"ttl too long", map[string]string{headerTokenTTL: "21601"}, 400},
		{"ttl not a number", map[string]string{headerTokenTTL: "1h"}, 400},
		{"no ttl", nil, 400},
		{"through a proxy", map[string]string{headerTokenTTL: "60", "X-Forwarded-For": "10.0.0.1"}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, hdr, _ := f.do(http.MethodPut, "/latest/api/token", tt.hdr)
			if code != tt.want {
				t.Fatalf("status %d, want %d", code, tt.want)
			}
			if code == 200 && hdr.Get(headerTokenTTL) != tt.hdr[headerTokenTTL] {
				t.Errorf("ttl header %q", hdr.Get(headerTokenTTL))
			}
		})
	}
	if code, _, _ := f.do(http.MethodGet, "/latest/api/token", nil); code != http.StatusMethodNotAllowed {
		t.Errorf("GET token: %d", code)
	}
}

func TestTokenRequired(t *testing.T) {
	f := newFixture(t)
	tok := f.token("60")
	other, _ := NewInstance(InstanceConfig{Store: f.st, Issuer: f.issuer, AccountID: acct, InstanceProfile: "p", InstanceID: instanceID})
	tests := []struct {
		name  string
		token string
		after time.Duration
		want  int
	}{
		{"valid", tok, 0, 200},
		{"still valid", tok, 59 * time.Second, 200},
		{"expired", tok, 60 * time.Second, 401},
		{"IMDSv1 (no token)", "", 0, 401},
		{"garbage", "not-a-token", 0, 401},
		{"another instance's", other.key.mint(f.now.Add(time.Hour)), 0, 401},
		{"tampered", tok[:len(tok)-2] + "AA", 0, 401},
	}
	start := f.now
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.now = start.Add(tt.after)
			if code, _ := f.get(tt.token, "/latest/meta-data/instance-id"); code != tt.want {
				t.Fatalf("status %d, want %d", code, tt.want)
			}
		})
	}
}

func TestMetadata(t *testing.T) {
	f := newFixture(t)
	tok := f.token("21600")
	tests := []struct {
		path string
		want int
		body string
	}{
		{"/latest/meta-data/", 200, "iam/\ninstance-id\nplacement/"},
		{"/latest/meta-data", 200, "iam/\ninstance-id\nplacement/"},
		{"/latest/meta-data/instance-id", 200, instanceID},
		{"/latest/meta-data/placement/", 200, "availability-zone\nregion"},
		{"/latest/meta-data/placement/region", 200, "eu-west-1"},
		{"/latest/meta-data/placement/availability-zone", 200, "eu-west-1a"},
		{"/latest/meta-data/iam/", 200, "info\nsecurity-credentials/"},
		{"/latest/meta-data/iam/security-credentials/", 200, "web"},
		{"/latest/meta-data/iam/security-credentials/other", 404, ""},
		{"/latest/meta-data/ami-id", 404, ""},
		{"/latest/user-data", 404, ""},
		{"/nope", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			code, body := f.get(tok, tt.path)
			if code != tt.want || (tt.body != "" && body != tt.body) {
				t.Fatalf("got %d %q, want %d %q", code, body, tt.want, tt.body)
			}
		})
	}

	code, body := f.get(tok, "/latest/meta-data/iam/info")
	var info map[string]string
	if err := json.Unmarshal([]byte(body), &info); code != 200 || err != nil {
		t.Fatalf("info: %d %v %s", code, err, body)
	}
	if info["Code"] != "Success" || info["InstanceProfileArn"] != "arn:aws:iam::"+acct+":instance-profile/web-profile" ||
		info["InstanceProfileId"] != f.prof.ID || info["LastUpdated"] == "" {
		t.Errorf("info %v", info)
	}
	if !strings.Contains(body, `"Code" : "Success"`) {
		t.Errorf("not in IMDS's JSON layout: %s", body)
	}

	code, body = f.get(tok, "/latest/dynamic/instance-identity/document")
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); code != 200 || err != nil {
		t.Fatalf("document: %d %v %s", code, err, body)
	}
	if doc["region"] != "eu-west-1" || doc["instanceId"] != instanceID || doc["accountId"] != acct || doc["availabilityZone"] != "eu-west-1a" {
		t.Errorf("document %v", doc)
	}
}

func (f *fixture) creds(tok string) map[string]string {
	f.t.Helper()
	code, body := f.get(tok, "/latest/meta-data/iam/security-credentials/web")
	var c map[string]string
	if err := json.Unmarshal([]byte(body), &c); code != 200 || err != nil {
		f.t.Fatalf("credentials: %d %v %s", code, err, body)
	}
	return c
}

func TestCredentialsRotation(t *testing.T) {
	f := newFixture(t)
	tok := f.token("21600")
	start := f.now
	first := f.creds(tok)
	if first["Code"] != "Success" || first["Type"] != "AWS-HMAC" || first["Token"] != "token" || first["SecretAccessKey"] != "secret" ||
		first["Expiration"] != "2026-03-01T13:00:00Z" || first["LastUpdated"] != "2026-03-01T12:00:00Z" {
		t.Fatalf("credentials %v", first)
	}
	in := f.issuer.last.Load()
	if in.Service != sts.ServiceEC2 || in.SessionName != instanceID || in.RoleArn != "arn:aws:iam::"+acct+":role/web" ||
		in.SourceArn != "arn:aws:ec2:eu-west-1:"+acct+":instance/"+instanceID {
		t.Errorf("issued with %+v", in)
	}
	tests := []struct {
		after time.Duration
		same  bool
	}{
		{time.Minute, true},
		{39 * time.Minute, true},              // 21 minutes left: outside the window
		{40*time.Minute + time.Second, false}, // inside the 20-minute window
	}
	for _, tt := range tests {
		f.now = start.Add(tt.after)
		got := f.creds(tok)
		if same := got["AccessKeyId"] == first["AccessKeyId"]; same != tt.same {
			t.Fatalf("after %v: same credentials %v, want %v", tt.after, same, tt.same)
		}
	}
	if n := f.issuer.n.Load(); n != 2 {
		t.Errorf("issued %d times, want 2", n)
	}
	_, info := f.get(tok, "/latest/meta-data/iam/info")
	if !strings.Contains(info, `"LastUpdated" : "2026-03-01T12:40:01Z"`) {
		t.Errorf("info LastUpdated not the rotation's: %s", info)
	}
}

func TestCredentialsFollowTheProfile(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tok := f.token("21600")
	first := f.creds(tok)

	// Another role in the profile: new credentials at once.
	other := &store.Role{AccountID: acct, ID: "AROAXXXXXXXXXXXXXXX2", Name: "api", Path: "/svc/", TrustPolicy: "{}", CreatedAt: f.now}
	if err := f.st.Roles().Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	f.prof.RoleID = other.ID
	if err := f.st.InstanceProfiles().Update(ctx, f.prof); err != nil {
		t.Fatal(err)
	}
	if _, body := f.get(tok, "/latest/meta-data/iam/security-credentials/"); body != "api" {
		t.Fatalf("role list %q", body)
	}
	if code, _ := f.get(tok, "/latest/meta-data/iam/security-credentials/web"); code != 404 {
		t.Fatalf("old role: %d", code)
	}
	code, body := f.get(tok, "/latest/meta-data/iam/security-credentials/api")
	if code != 200 || strings.Contains(body, first["AccessKeyId"]) {
		t.Fatalf("new role: %d %s", code, body)
	}
	if arn := f.issuer.last.Load().RoleArn; arn != "arn:aws:iam::"+acct+":role/svc/api" {
		t.Errorf("issued for %s", arn)
	}

	// The service no longer trusted: EC2 says so in the document.
	f.now = f.now.Add(59 * time.Minute)
	f.issuer.deny.Store(true)
	code, body = f.get(tok, "/latest/meta-data/iam/security-credentials/api")
	var doc map[string]string
	if err := json.Unmarshal([]byte(body), &doc); code != 200 || err != nil || doc["Code"] != "AssumeRoleUnauthorizedAccess" ||
		doc["Message"] != "EC2 cannot assume the role api." || doc["AccessKeyId"] != "" {
		t.Fatalf("refused: %d %s", code, body)
	}

	// No role in the profile, then no profile: no iam/ documents.
	f.prof.RoleID = ""
	if err := f.st.InstanceProfiles().Update(ctx, f.prof); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/latest/meta-data/iam/info", "/latest/meta-data/iam/security-credentials/"} {
		if code, _ := f.get(tok, p); code != 404 {
			t.Errorf("%s without a role: %d", p, code)
		}
	}
	if _, body := f.get(tok, "/latest/meta-data/"); body != "instance-id\nplacement/" {
		t.Errorf("listing without a role: %q", body)
	}
	if err := f.st.InstanceProfiles().Delete(ctx, f.prof.ID); err != nil {
		t.Fatal(err)
	}
	if code, _ := f.get(tok, "/latest/meta-data/iam/info"); code != 404 {
		t.Errorf("info without a profile: %d", code)
	}
}

func TestRotatorWindow(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		life     time.Duration
		refresh  time.Duration
		after    time.Duration
		reissued bool
	}{
		{"hour, before window", time.Hour, 0, 39 * time.Minute, false},
		{"hour, in window", time.Hour, 0, 40 * time.Minute, true},
		{"custom window", time.Hour, 5 * time.Minute, 54 * time.Minute, false},
		{"custom window reached", time.Hour, 5 * time.Minute, 55 * time.Minute, true},
		{"short session kept a quarter of its life", 15 * time.Minute, 0, 3 * time.Minute, false},
		{"short session renewed before SDKs' 10-minute mark", 15 * time.Minute, 0, 4 * time.Minute, true},
		{"expired", time.Hour, 0, 2 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := now
			r := &Rotator{Now: func() time.Time { return cur }, Refresh: tt.refresh}
			n := 0
			issue := func(context.Context) (*Credentials, error) {
				n++
				return &Credentials{AccessKeyID: string(rune('A' + n)), LastUpdated: cur, Expiration: cur.Add(tt.life)}, nil
			}
			ctx := context.Background()
			if _, err := r.Get(ctx, "k", issue); err != nil {
				t.Fatal(err)
			}
			cur = now.Add(tt.after)
			if _, err := r.Get(ctx, "k", issue); err != nil {
				t.Fatal(err)
			}
			if got := n == 2; got != tt.reissued {
				t.Fatalf("reissued %v, want %v", got, tt.reissued)
			}
			before := n
			if _, err := r.Get(ctx, "other", issue); err != nil || n != before+1 {
				t.Fatal("another key must reissue")
			}
		})
	}
}

func TestNewInstanceValidation(t *testing.T) {
	for _, tt := range []struct {
		id, profile string
		ok          bool
	}{
		{"i-0123456789abcdef0", "p", true},
		{"i-01234567", "arn:aws:iam::111122223333:instance-profile/a/p", true},
		{"i-0123456789ABCDEF0", "p", false},
		{"0123456789abcdef0", "p", false},
		{"i-0123456789abcdef0", "", false},
	} {
		m, err := NewInstance(InstanceConfig{InstanceID: tt.id, InstanceProfile: tt.profile, AccountID: acct})
		if (err == nil) != tt.ok {
			t.Errorf("%s %s: %v", tt.id, tt.profile, err)
		}
		if err == nil && m.cfg.InstanceProfile != "p" {
			t.Errorf("profile name %q", m.cfg.InstanceProfile)
		}
	}
}
