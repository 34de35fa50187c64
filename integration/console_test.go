package integration

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/mantle-iam/mantle/internal/server"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

type browser struct {
	t    *testing.T
	e    *env
	c    *http.Client
	csrf string
}

func newBrowser(t *testing.T, e *env) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, e: e, c: &http.Client{Jar: jar}}
}

func (b *browser) do(method, path string, form url.Values) (int, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.e.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	page, _ := io.ReadAll(res.Body)
	if m := csrfField.FindSubmatch(page); m != nil {
		b.csrf = string(m[1])
	}
	return res.StatusCode, string(page)
}

func alert(page string) string {
	i := strings.Index(page, `role="alert">`)
	if i < 0 {
		return ""
	}
	rest := page[i+len(`role="alert">`):]
	return html.UnescapeString(rest[:strings.Index(rest, "</div>")])
}

// TestConsoleTutorial plays the console part of the roles tutorial over
// HTTP: sts_user, with no permissions, is refused Users with IAM's own
// AccessDenied, switches to ReadIAM by its switch-role link and sees the
// users, switches back and is refused again.
func TestConsoleTutorial(t *testing.T) {
	e := start(t)
	c := ctx(t)
	admin := e.iam(e.root())
	if _, err := admin.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("sts_user")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateLoginProfile(c, &iam.CreateLoginProfileInput{UserName: aws.String("sts_user"), Password: aws.String("Tutorial-pass-1")}); err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/sts_user"},"Action":"sts:AssumeRole"}]}`
	if _, err := admin.CreateRole(c, &iam.CreateRoleInput{RoleName: aws.String("ReadIAM"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AttachRolePolicy(c, &iam.AttachRolePolicyInput{RoleName: aws.String("ReadIAM"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, e)
	status, page := b.do("GET", "/console/"+testAccount, nil)
	for _, label := range []string{">Account ID or alias</label>", ">IAM user name</label>", ">Password</label>", ">Sign in</button>", `value="` + testAccount + `"`} {
		if status != 200 || !strings.Contains(page, label) {
			t.Fatalf("sign-in page %d lacks %s:\n%s", status, label, page)
		}
	}
	// Without the form's CSRF token: refused.
	if status, _ := b.do("POST", "/console/auth/signin", url.Values{"account": {testAccount}, "username": {"sts_user"}, "password": {"Tutorial-pass-1"}}); status != http.StatusForbidden {
		t.Fatalf("sign-in without CSRF token: %d, want 403", status)
	}
	b.do("GET", "/console/"+testAccount, nil)
	if status, page := b.do("POST", "/console/auth/signin", url.Values{"csrf": {b.csrf}, "account": {testAccount}, "username": {"sts_user"}, "password": {"wrong-pass"}}); status != http.StatusUnauthorized || alert(page) != "Your authentication information is incorrect. Please try again." {
		t.Fatalf("wrong password: %d %q", status, alert(page))
	}
	status, page = b.do("POST", "/console/auth/signin", url.Values{"csrf": {b.csrf}, "account": {testAccount}, "username": {"sts_user"}, "password": {"Tutorial-pass-1"}})
	// IAM's own message for a user without permissions (ListUsers on
	// arn:aws:iam::ACCOUNT:user/).
	denied := "User: arn:aws:iam::" + testAccount + ":user/sts_user is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::" + testAccount + ":user/ because no identity-based policy allows the iam:ListUsers action"
	if status != http.StatusForbidden || alert(page) != denied {
		t.Fatalf("Users as sts_user: %d alert %q, want %q", status, alert(page), denied)
	}
	if !strings.Contains(page, ">Sign out</button>") {
		t.Fatal("no Sign out")
	}

	// The role page (as root would see it) names the link; here it is built
	// as AWS's: account, roleName, displayName.
	link := "/switchrole?account=" + testAccount + "&displayName=ReadIAM&roleName=ReadIAM"
	status, page = b.do("GET", link, nil)
	for _, label := range []string{">Account ID</label>", ">IAM role name</label>", ">Display name</label>", ">Display color</label>", ">Switch Role</button>", `value="ReadIAM"`} {
		if status != 200 || !strings.Contains(page, label) {
			t.Fatalf("switch-role page %d lacks %s", status, label)
		}
	}
	status, page = b.do("POST", "/switchrole", url.Values{"csrf": {b.csrf}, "account": {testAccount}, "roleName": {"ReadIAM"}, "displayName": {"Reader"}, "color": {"99BCE3"}})
	if status != 200 || alert(page) != "" || !strings.Contains(page, ">sts_user</a></td>") || !strings.Contains(page, `class="role c-99BCE3" data-testid="role-display">Reader</span>`) {
		t.Fatalf("after switching: %d alert %q\n%s", status, alert(page), page)
	}
	// As ReadIAM the role's page shows its ARN and AWS's switch-role link.
	status, page = b.do("GET", "/console/iam/roles/ReadIAM", nil)
	if status != 200 || !strings.Contains(page, "arn:aws:iam::"+testAccount+":role/ReadIAM") ||
		!strings.Contains(page, ">Link to switch roles in console</dt>") ||
		!strings.Contains(page, `href="/switchrole?account=`+testAccount+`&amp;displayName=ReadIAM&amp;roleName=ReadIAM"`) {
		t.Fatalf("role page: %d\n%s", status, page)
	}
	status, page = b.do("POST", "/switchrole/back", url.Values{"csrf": {b.csrf}})
	if status != http.StatusForbidden || alert(page) != denied {
		t.Fatalf("after switching back: %d %q", status, alert(page))
	}
	if !strings.Contains(page, `href="/switchrole?account=`+testAccount+`&amp;color=99BCE3&amp;displayName=Reader&amp;roleName=ReadIAM"`) {
		t.Fatal("recent roles lack ReadIAM")
	}
	// Both sign-in events are in the trail at once (recorded durably), as
	// CloudTrail's AwsConsoleSignIn events from signin.amazonaws.com.
	ct := e.cloudtrail(e.root())
	for _, name := range []string{"ConsoleLogin", "SwitchRole"} {
		var ok bool
		for _, ev := range lookup(t, ct, cttypes.LookupAttributeKeyEventName, name) {
			r := record(t, ev)
			var raw struct {
				EventType, UserAgent string
				ResponseElements     map[string]string
			}
			json.Unmarshal([]byte(aws.ToString(ev.CloudTrailEvent)), &raw)
			// The browser's user agent (Go's here), as AWS records sign-ins.
			if r.EventSource == "signin.amazonaws.com" && raw.EventType == "AwsConsoleSignIn" && r.ErrorCode == "" && strings.Contains(r.UserIdentity.ARN, "sts_user") &&
				raw.UserAgent == "Go-http-client/1.1" && raw.ResponseElements[name] == "Success" {
				ok = true
			}
		}
		if !ok {
			t.Errorf("no successful %s event for sts_user", name)
		}
	}
	// The refused ListUsers is in the trail with the console's user agent.
	var refused bool
	for _, ev := range lookup(t, ct, cttypes.LookupAttributeKeyEventName, "ListUsers") {
		var raw struct{ UserAgent, ErrorCode string }
		json.Unmarshal([]byte(aws.ToString(ev.CloudTrailEvent)), &raw)
		if raw.UserAgent == "console.amazonaws.com" && raw.ErrorCode == "AccessDenied" {
			refused = true
		}
	}
	if !refused {
		t.Error("no refused ListUsers from the console in the trail")
	}
	// A failed sign-in: {"ConsoleLogin":"Failure"} and "Failed authentication".
	var failed bool
	for _, ev := range lookup(t, ct, cttypes.LookupAttributeKeyEventName, "ConsoleLogin") {
		var raw struct {
			ErrorMessage     string
			ResponseElements map[string]string
		}
		json.Unmarshal([]byte(aws.ToString(ev.CloudTrailEvent)), &raw)
		if raw.ErrorMessage == "Failed authentication" && raw.ResponseElements["ConsoleLogin"] == "Failure" {
			failed = true
		}
	}
	if !failed {
		t.Error("no failed ConsoleLogin in the trail")
	}
	// Switch back without the token: refused; signing out ends the session.
	if status, _ := b.do("POST", "/switchrole/back", url.Values{}); status != http.StatusForbidden {
		t.Fatalf("switch back without CSRF: %d", status)
	}
	b.do("POST", "/console/auth/signout", url.Values{"csrf": {b.csrf}})
	if status, page := b.do("GET", "/console/iam/users", nil); status != 200 || !strings.Contains(page, ">IAM user name</label>") {
		t.Fatalf("after sign-out: %d", status)
	}
}

// The sign-in form is the console's one unauthenticated form and each
// failure is a CloudTrail event: past the per-address burst an address is
// throttled (issue 9 item 11), whatever user names it tries.
func TestConsoleSigninThrottledPerAddress(t *testing.T) {
	e := start(t)
	b := newBrowser(t, e)
	throttled := 0
	for i := range 80 {
		status, _ := b.do("POST", "/console/auth/signin", url.Values{"account": {testAccount}, "username": {fmt.Sprintf("u%d", i)}, "password": {"x"}})
		if status == http.StatusTooManyRequests {
			throttled++
		}
	}
	if throttled < 20 {
		t.Fatalf("%d of 80 sign-in attempts throttled, want at least 20 past the burst of 50", throttled)
	}
}

const (
	rootEmail    = "ops@example.com"
	rootPassword = "Root-pass-1"
)

// startConsole is start with the root user's console sign-in chosen, as
// MANTLE_ROOT_EMAIL and MANTLE_ROOT_PASSWORD choose it.
func startConsole(t *testing.T) *env {
	return startConfig(t, func(c *server.Config) { c.RootEmail, c.RootPassword = rootEmail, rootPassword })
}

// The root user signs in with the account's email and password, works
// with root's permissions, and IAM's own messages come back on the forms.
func TestConsoleRootSignin(t *testing.T) {
	e := startConsole(t)
	b := newBrowser(t, e)
	_, page := b.do("GET", "/console", nil)
	for _, label := range []string{"> Root user</label>", ">Email</label>", ">Password</label>"} {
		if !strings.Contains(page, label) {
			t.Fatalf("sign-in page lacks %s", label)
		}
	}
	signin := func(email, pw string) (int, string) {
		b.do("GET", "/console", nil)
		return b.do("POST", "/console/auth/signin", url.Values{"csrf": {b.csrf}, "kind": {"root"}, "email": {email}, "password": {pw}})
	}
	for _, tt := range []struct{ email, pw string }{{rootEmail, "Root-pass-2"}, {"other@example.com", rootPassword}, {"", ""}} {
		if status, page := signin(tt.email, tt.pw); status != http.StatusUnauthorized || alert(page) != "Your authentication information is incorrect. Please try again." {
			t.Fatalf("root sign-in %q/%q: %d %q", tt.email, tt.pw, status, alert(page))
		}
	}
	status, page := signin("OPS@example.com", rootPassword)
	if status != 200 || alert(page) != "" || !strings.Contains(page, "Root user @ "+testAccount) {
		t.Fatalf("root sign-in: %d %q", status, alert(page))
	}
	// A trust policy IAM refuses: its own message, on the form.
	_, page = b.do("GET", "/console/iam/roles/create", nil)
	if !strings.Contains(page, ">Custom trust policy</label>") || !strings.Contains(page, "IAMReadOnlyAccess (AWS managed)") {
		t.Fatal("create role form lacks the trust policy editor or AWS's managed policies")
	}
	status, page = b.do("POST", "/console/iam/roles", url.Values{"csrf": {b.csrf}, "rolename": {"Bad"}, "trust": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`}})
	if status != http.StatusBadRequest || alert(page) != "Missing required field Principal" {
		t.Fatalf("malformed trust policy: %d %q", status, alert(page))
	}
	status, page = b.do("POST", "/console/iam/roles", url.Values{"csrf": {b.csrf}, "rolename": {"bad name!"}, "trust": {"{}"}})
	if status != http.StatusBadRequest || !strings.Contains(alert(page), "at 'roleName' failed to satisfy constraint") {
		t.Fatalf("bad role name: %d %q", status, alert(page))
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	status, page = b.do("POST", "/console/iam/roles", url.Values{"csrf": {b.csrf}, "rolename": {"Reader"}, "trust": {trust},
		"policies": {"arn:aws:iam::aws:policy/IAMReadOnlyAccess"}})
	if status != 200 || alert(page) != "" || !strings.Contains(page, "arn:aws:iam::"+testAccount+":role/Reader") || !strings.Contains(page, "IAMReadOnlyAccess <code>") {
		t.Fatalf("create role: %d %q", status, alert(page))
	}
	// Root may not switch roles: STS's own refusal.
	status, page = b.do("POST", "/switchrole", url.Values{"csrf": {b.csrf}, "account": {testAccount}, "roleName": {"Reader"}})
	if status != http.StatusForbidden || alert(page) == "" {
		t.Fatalf("root switching role: %d %q", status, alert(page))
	}
	// The event history shows the root's sign-ins, the failed ones too.
	_, page = b.do("GET", "/console/cloudtrail/events?key=EventName&value=ConsoleLogin", nil)
	if !strings.Contains(page, "Failure (ConsoleLogin)") || !strings.Contains(page, "<td>Success</td>") {
		t.Fatalf("event history:\n%s", page)
	}
}

// fedLink is an identity broker's use of the federation endpoint: trade
// temporary credentials for a sign-in token (getSigninToken), as AWS's
// broker examples do.
func fedSigninToken(t *testing.T, e *env, k *ststypes.Credentials, duration string) (int, string) {
	t.Helper()
	sess, _ := json.Marshal(map[string]string{"sessionId": aws.ToString(k.AccessKeyId), "sessionKey": aws.ToString(k.SecretAccessKey), "sessionToken": aws.ToString(k.SessionToken)})
	q := url.Values{"Action": {"getSigninToken"}, "Session": {string(sess)}}
	if duration != "" {
		q.Set("SessionDuration", duration)
	}
	res, err := http.Get(e.URL + "/federation?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var out struct{ SigninToken string }
	if res.StatusCode == 200 {
		if err := json.Unmarshal(body, &out); err != nil || out.SigninToken == "" {
			t.Fatalf("getSigninToken: %s", body)
		}
		return 200, out.SigninToken
	}
	return res.StatusCode, string(body)
}

func fedLoginURL(e *env, signinToken, dest string) string {
	return "/federation?" + url.Values{"Action": {"login"}, "Issuer": {"https://broker.example.com/"}, "Destination": {dest}, "SigninToken": {signinToken}}.Encode()
}

// The federation endpoint opens a console session for GetFederationToken
// and AssumeRole credentials (AWS's custom identity broker flow), and for
// nothing else.
func TestConsoleFederation(t *testing.T) {
	e := startConsole(t)
	c := ctx(t)
	broker := e.newUser("broker", policyDoc(allowOn("sts:GetFederationToken", "*"), allowOn("iam:ListUsers", "*"), allowOn("sts:AssumeRole", "*")))
	fed := must[*sts.GetFederationTokenOutput](t)(e.sts(broker).GetFederationToken(c, &sts.GetFederationTokenInput{
		Name: aws.String("alice"), Policy: aws.String(policyDoc(allowOn("iam:ListUsers", "*")))}))
	status, tok := fedSigninToken(t, e, fed.Credentials, "")
	if status != 200 {
		t.Fatalf("getSigninToken: %d %s", status, tok)
	}
	// A foreign destination is refused (no open redirect); the token is
	// still good.
	b := newBrowser(t, e)
	if status, _ := b.do("GET", fedLoginURL(e, tok, "https://evil.example.com/"), nil); status != http.StatusBadRequest {
		t.Fatalf("foreign destination: %d", status)
	}
	status, page := b.do("GET", fedLoginURL(e, tok, "https://console.aws.amazon.com/"), nil)
	if status != 200 || alert(page) != "" || !strings.Contains(page, ">broker</a></td>") || !strings.Contains(page, "alice @ "+testAccount) {
		t.Fatalf("federated console: %d %q\n%s", status, alert(page), page)
	}
	// The session acts as the federated user: Roles is refused with IAM's
	// message naming it.
	_, page = b.do("GET", "/console/iam/roles", nil)
	if want := "User: arn:aws:sts::" + testAccount + ":federated-user/alice is not authorized to perform: iam:ListRoles"; !strings.HasPrefix(alert(page), want) {
		t.Fatalf("roles as alice: %q", alert(page))
	}
	// A sign-in token opens one session.
	if status, _ := newBrowser(t, e).do("GET", fedLoginURL(e, tok, "/console/iam/users"), nil); status != http.StatusBadRequest {
		t.Fatalf("sign-in token used twice: %d", status)
	}
	bad := *fed.Credentials
	bad.SecretAccessKey = aws.String("x" + aws.ToString(bad.SecretAccessKey)[1:])
	for name, tt := range map[string]struct {
		k        *ststypes.Credentials
		duration string
	}{
		"wrong secret":                  {&bad, ""},
		"SessionDuration for federated": {fed.Credentials, "3600"},
	} {
		if status, msg := fedSigninToken(t, e, tt.k, tt.duration); status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", name, status, msg)
		}
	}
	// Role credentials, with a console session of their own length; the
	// ConsoleLogin event names the role session.
	arn := e.newRole("Broker", trustFor(userARN("broker"), `"sts:AssumeRole"`, ""), policyDoc(allowOn("iam:ListUsers", "*")), 0)
	role := must[*sts.AssumeRoleOutput](t)(e.sts(broker).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("bob")}))
	for _, d := range []string{"899", "43201", "x"} {
		if status, _ := fedSigninToken(t, e, role.Credentials, d); status != http.StatusBadRequest {
			t.Errorf("SessionDuration %s: %d", d, status)
		}
	}
	status, tok = fedSigninToken(t, e, role.Credentials, "900")
	if status != 200 {
		t.Fatal(tok)
	}
	b = newBrowser(t, e)
	if status, page := b.do("GET", fedLoginURL(e, tok, "/console/iam/users"), nil); status != 200 || !strings.Contains(page, "Broker/bob @ "+testAccount) {
		t.Fatalf("role console: %d %q", status, alert(page))
	}
	// Signing out returns to the broker's page (Issuer).
	b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, _ := http.NewRequest("POST", e.URL+"/console/auth/signout", strings.NewReader(url.Values{"csrf": {b.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); loc != "https://broker.example.com/" {
		t.Fatalf("sign-out goes to %q", loc)
	}
	var found bool
	for _, ev := range lookup(t, e.cloudtrail(e.root()), cttypes.LookupAttributeKeyEventName, "ConsoleLogin") {
		if r := record(t, ev); r.UserIdentity.Type == "AssumedRole" && strings.HasSuffix(r.UserIdentity.ARN, ":assumed-role/Broker/bob") {
			found = true
		}
	}
	if !found {
		t.Error("no ConsoleLogin event for Broker/bob")
	}
}

// Every page acts through the API's own handlers: as root each works, its
// forms return IAM's own messages; as a user without permissions each
// shows the real AccessDenied.
func TestConsolePages(t *testing.T) {
	e := startConsole(t)
	b := newBrowser(t, e)
	b.do("GET", "/console", nil)
	if status, page := b.do("POST", "/console/auth/signin", url.Values{"csrf": {b.csrf}, "kind": {"root"}, "email": {rootEmail}, "password": {rootPassword}}); status != 200 {
		t.Fatalf("root sign-in: %d %q", status, alert(page))
	}
	post := func(path string, kv ...string) (int, string) {
		t.Helper()
		q := url.Values{"csrf": {b.csrf}}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Add(kv[i], kv[i+1])
		}
		return b.do("POST", path, q)
	}
	steps := []struct {
		name     string
		status   int
		alert    string // exact, or a prefix ending in "…"
		contains string
		run      func() (int, string)
	}{
		{"create user", 200, "", "<td><a href=\"/console/iam/users/dev\">dev</a></td>", func() (int, string) {
			return post("/console/iam/users", "username", "dev", "password", "Dev-password-12")
		}},
		{"create group", 200, "", "<h1>devs</h1>", func() (int, string) { return post("/console/iam/groups", "group", "devs") }},
		{"group taken", 409, "Group with name devs already exists.", "", func() (int, string) { return post("/console/iam/groups", "group", "devs") }},
		{"add to group", 200, "", `href="/console/iam/groups/devs">devs</a>`, func() (int, string) {
			return post("/console/iam/users/dev/groups", "group", "devs")
		}},
		{"attach to group", 200, "", "IAMReadOnlyAccess <code>", func() (int, string) {
			return post("/console/iam/groups/devs/attach", "policy", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
		}},
		{"attach to user", 200, "", "ReadOnlyAccess <code>", func() (int, string) {
			return post("/console/iam/users/dev/attach", "policy", "arn:aws:iam::aws:policy/ReadOnlyAccess")
		}},
		{"attach unknown", 404, "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable.", "", func() (int, string) {
			return post("/console/iam/users/dev/attach", "policy", "arn:aws:iam::aws:policy/Nope")
		}},
		{"create access key", 200, "", `data-testid="new-key-secret"`, func() (int, string) { return post("/console/iam/users/dev/keys") }},
		{"user page", 200, "", "Console password set", func() (int, string) { return b.do("GET", "/console/iam/users/dev", nil) }},
		{"policy syntax", 400, "Syntax errors in policy.", "", func() (int, string) {
			return post("/console/iam/policies", "name", "bad", "document", `{"Version":"2012-10-17","Statement":[`)
		}},
		{"create policy", 200, "", `&#34;Action&#34;: &#34;s3:GetObject&#34;`, func() (int, string) {
			return post("/console/iam/policies", "name", "reader", "document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
		}},
		{"policy version", 200, "", ">v2</a>", func() (int, string) {
			return post("/console/iam/policy/versions", "arn", "arn:aws:iam::"+testAccount+":policy/reader", "default", "1",
				"document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)
		}},
		{"AWS managed policies", 200, "", "AdministratorAccess</a>", func() (int, string) { return b.do("GET", "/console/iam/policies?scope=AWS", nil) }},
		{"provider URL", 400, "…", "", func() (int, string) {
			return post("/console/iam/providers", "url", "http://insecure.example.com", "audiences", "sts.amazonaws.com")
		}},
		{"alias", 200, "", `data-testid="alias">acme-prod</strong>`, func() (int, string) { return post("/console/iam/account/alias", "alias", "acme-prod") }},
		{"password policy", 200, "", `id="min" name="min" min="6" max="128" value="14"`, func() (int, string) {
			return post("/console/iam/account/password-policy", "min", "14", "RequireNumbers", "1", "AllowUsersToChangePassword", "1")
		}},
		{"simulator", 200, "", `<td>iam:ListUsers</td><td><code>*</code></td><td class="allowed">allowed</td>`, func() (int, string) {
			return b.do("GET", "/console/iam/simulator?"+url.Values{"principal": {"arn:aws:iam::" + testAccount + ":user/dev"}, "actions": {"iam:ListUsers\niam:CreateUser"}}.Encode(), nil)
		}},
		{"accounts without organization", 400, "Your account is not a member of an organization.", "", func() (int, string) {
			return b.do("GET", "/console/organizations/accounts", nil)
		}},
		{"providers", 200, "", "No identity providers.", func() (int, string) { return b.do("GET", "/console/iam/providers", nil) }},
	}
	for _, st := range steps {
		status, page := st.run()
		got := alert(page)
		okAlert := got == st.alert || (strings.HasSuffix(st.alert, "…") && strings.HasPrefix(got, strings.TrimSuffix(st.alert, "…")) && got != "")
		if status != st.status || !okAlert || !strings.Contains(page, st.contains) {
			t.Errorf("%s: %d %q, want %d %q with %q", st.name, status, got, st.status, st.alert, st.contains)
		}
	}
	if _, page := b.do("GET", "/console/iam/simulator?"+url.Values{"principal": {"arn:aws:iam::" + testAccount + ":user/dev"}, "actions": {"iam:CreateUser"}}.Encode(), nil); !strings.Contains(page, `<td class="denied">implicitDeny</td>`) {
		t.Error("the simulator does not deny iam:CreateUser to a read-only user")
	}
	// A user without permissions: every page shows IAM's refusal.
	admin := e.iam(e.root())
	c := ctx(t)
	if _, err := admin.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("nobody")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateLoginProfile(c, &iam.CreateLoginProfileInput{UserName: aws.String("nobody"), Password: aws.String("Nobody-pass-123")}); err != nil {
		t.Fatal(err)
	}
	n := newBrowser(t, e)
	n.do("GET", "/console/acme-prod", nil) // the alias is the account's sign-in URL too
	n.do("POST", "/console/auth/signin", url.Values{"csrf": {n.csrf}, "account": {"acme-prod"}, "username": {"nobody"}, "password": {"Nobody-pass-123"}})
	for path, action := range map[string]string{
		"/console/iam/users/dev": "iam:GetUser", "/console/iam/groups": "iam:ListGroups", "/console/iam/groups/devs": "iam:GetGroup",
		"/console/iam/policies": "iam:ListPolicies", "/console/iam/policy?arn=arn:aws:iam::aws:policy/ReadOnlyAccess": "iam:GetPolicy",
		"/console/iam/providers": "iam:ListOpenIDConnectProviders", "/console/iam/account": "iam:ListAccountAliases",
		"/console/iam/simulator": "iam:ListUsers", "/console/cloudtrail/events": "cloudtrail:LookupEvents",
		"/console/organizations/accounts": "organizations:ListAccounts", "/console/iam/roles/create": "iam:ListPolicies",
	} {
		status, page := n.do("GET", path, nil)
		want := "User: arn:aws:iam::" + testAccount + ":user/nobody is not authorized to perform: " + action
		if status != http.StatusForbidden || !strings.HasPrefix(alert(page), want) {
			t.Errorf("%s as nobody: %d %q, want 403 %q…", path, status, alert(page), want)
		}
	}
}

// The password policy's MaxPasswordAge: once it has passed since the
// password was set, sign-in asks for a new one; under HardExpiry it is
// refused. The console password page shows the policy's rules.
func TestConsolePasswordExpiry(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := startConfig(t, func(c *server.Config) { c.Now, c.RootEmail, c.RootPassword = clock, rootEmail, rootPassword })
	admin, c := e.iam(e.root()), ctx(t)
	for _, u := range []string{"old", "older"} {
		if _, err := admin.CreateUser(c, &iam.CreateUserInput{UserName: aws.String(u)}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.CreateLoginProfile(c, &iam.CreateLoginProfileInput{UserName: aws.String(u), Password: aws.String("Old-password-1")}); err != nil {
			t.Fatal(err)
		}
	}
	policy := func(hard bool) {
		if _, err := admin.UpdateAccountPasswordPolicy(c, &iam.UpdateAccountPasswordPolicyInput{MaxPasswordAge: aws.Int32(30), HardExpiry: aws.Bool(hard),
			AllowUsersToChangePassword: true, MinimumPasswordLength: aws.Int32(12)}); err != nil {
			t.Fatal(err)
		}
	}
	policy(false)
	signin := func(user, pw string) (*browser, int, string) {
		b := newBrowser(t, e)
		b.do("GET", "/console", nil)
		status, page := b.do("POST", "/console/auth/signin", url.Values{"csrf": {b.csrf}, "account": {testAccount}, "username": {user}, "password": {pw}})
		return b, status, page
	}
	if _, status, page := signin("old", "Old-password-1"); status != http.StatusForbidden || strings.Contains(page, ">New password</label>") {
		t.Fatalf("a fresh password: %d", status)
	}
	mu.Lock()
	now = now.Add(31 * 24 * time.Hour)
	mu.Unlock()
	b, _, page := signin("old", "Old-password-1")
	if !strings.Contains(page, ">New password</label>") || !strings.Contains(page, "At least 12 characters") {
		t.Fatalf("an expired password: no new password step:\n%s", page)
	}
	if status, page := b.do("POST", "/console/auth/password", url.Values{"csrf": {b.csrf}, "oldpassword": {"Old-password-1"}, "newpassword": {"New-password-22"}, "confirm": {"New-password-22"}}); status != http.StatusForbidden || strings.Contains(page, ">New password</label>") {
		t.Fatalf("new password: %d %q", status, alert(page))
	}
	if _, _, page := signin("old", "New-password-22"); strings.Contains(page, ">New password</label>") {
		t.Fatal("the new password is expired too")
	}
	// Back to the SDK's time to change the policy (signatures carry it).
	mu.Lock()
	now = now.Add(-31 * 24 * time.Hour)
	mu.Unlock()
	policy(true)
	mu.Lock()
	now = now.Add(31 * 24 * time.Hour)
	mu.Unlock()
	if _, status, page := signin("older", "Old-password-1"); status != http.StatusUnauthorized || alert(page) != "Your password has expired. Ask your administrator to set a new one." {
		t.Fatalf("hard expiry: %d %q", status, alert(page))
	}
}
