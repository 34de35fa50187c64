package integration

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The browser suite drives Debian's chromium, headless, through the
// DevTools protocol (chromedp): the console is played as a person plays
// it, by the labels the issue names, and the DOM and screenshots are
// checked. chromedp keeps the suite in Go next to the HTTP-level console
// tests, on the same in-process mantle and with the SDK for the setup the
// tutorial does not show (organizations, MFA devices, federation
// credentials), with no Node runtime in the Go stage.
//
// MANTLE_CHROMIUM names the browser (default: chromium on the PATH).
// Without one the suite is skipped, except under CI (CI=true), where
// scripts/test.sh installs it and a missing browser is a failure.
// MANTLE_CONSOLE_SCREENSHOTS names a directory for the screenshots
// (docs/console to refresh the docs' pictures); a temporary one otherwise.

func chromium(t *testing.T) string {
	if p := os.Getenv("MANTLE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium: scripts/test.sh installs Debian's chromium for the browser suite")
	}
	t.Skip("no chromium on the PATH (apt-get install chromium) and MANTLE_CHROMIUM unset")
	return ""
}

// tab is one browser tab with its own cookies (a fresh browser context).
type tab struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
}

// newBrowserContext starts chromium once for the test; each tab then
// opens in a browser context of its own.
func newChromium(t *testing.T) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.WindowSize(1280, 800),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	// The first run starts the browser and must have no deadline.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return bctx
}

func (e *env) tab(t *testing.T, browser context.Context) *tab {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("MANTLE_CONSOLE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	return &tab{t: t, ctx: ctx, base: e.URL, shots: dir}
}

func (b *tab) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, 45*time.Second)
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v (page %s)", err, b.url())
	}
}

func (b *tab) url() string {
	ctx, cancel := b.step()
	defer cancel()
	u, _ := chromedp.Run(ctx, chromedp.Location())
	return u
}

// open loads a page of the console and returns its HTTP status.
func (b *tab) open(path string) int64 {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	return res.Status
}

// press runs the steps that submit a form and waits for the page that
// answers, returning its status (after redirects).
func (b *tab) press(steps ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	res, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.t.Fatalf("submit: %v (page %s)", err, b.url())
	}
	return res.Status
}

// field is the control a <label> with exactly this text names.
func field(label string) string {
	return fmt.Sprintf(`//*[@id=//label[normalize-space()=%q]/@for]`, label)
}

// button is the button with exactly this text.
func button(text string) string { return fmt.Sprintf(`//button[normalize-space()=%q]`, text) }

func (b *tab) fill(kv ...string) {
	b.t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		b.do(chromedp.SetValue(field(kv[i]), kv[i+1]))
	}
}

func (b *tab) click(text string) int64 { return b.press(chromedp.Click(button(text))) }

func evalAs[T any](b *tab, js string) T {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// alert is the text of the page's role="alert" element, "" when none.
func (b *tab) alert() string {
	return evalAs[string](b, `(document.querySelector('[role=alert]')||{}).textContent||''`)
}

func (b *tab) text(css string) string {
	return evalAs[string](b, fmt.Sprintf(`(document.querySelector(%q)||{}).textContent||''`, css))
}

// shot saves a screenshot of the viewport as NAME.png and checks it is one.
func (b *tab) shot(name string) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil || len(png) < 1000 || string(png[1:4]) != "PNG" {
		b.t.Fatalf("screenshot %s: %d bytes, %v", name, len(png), err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// accessible checks what a screen reader or keyboard user needs of every
// page: each control has a label, and nothing is wider than the window.
func (b *tab) accessible() {
	b.t.Helper()
	if bad := evalAs[[]string](b, `[...document.querySelectorAll('input:not([type=hidden]),select,textarea,button')]
		.filter(e => e.tagName === 'BUTTON' ? !e.textContent.trim() : !(e.labels && e.labels.length))
		.map(e => e.outerHTML.slice(0, 80))`); len(bad) > 0 {
		b.t.Errorf("%s: controls without a label: %q", b.url(), bad)
	}
	if w := evalAs[[]int](b, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
		b.t.Errorf("%s: %d px wide in a %d px window", b.url(), w[0], w[1])
	}
}

func (b *tab) signinUser(account, user, password string) int64 {
	b.open("/console/" + account)
	if got := evalAs[string](b, `document.getElementById('account').value`); got != account {
		b.t.Fatalf("the account's sign-in URL fills in %q, want %q", got, account)
	}
	b.fill("IAM user name", user, "Password", password)
	return b.click("Sign in")
}

func (b *tab) signinRoot(email, password string) int64 {
	b.open("/console")
	b.do(chromedp.Click(`//label[normalize-space()='Root user']/input`))
	if visible := evalAs[bool](b, `document.getElementById('username').offsetParent !== null`); visible {
		b.t.Error("IAM user name still shown with Root user chosen")
	}
	b.fill("Email", email, "Password", password)
	return b.click("Sign in")
}

func (b *tab) signout() {
	if status := b.click("Sign out"); status != 200 {
		b.t.Fatalf("sign out: %d", status)
	}
}

const redAlert = "rgb(164, 38, 15)"

// TestConsoleBrowser plays the tutorial in chromium, then the
// sign-in paths around it.
func TestConsoleBrowser(t *testing.T) {
	browser := newChromium(t)
	e := startConsole(t)
	// The whole tutorial shares one context: it takes far longer than one
	// API call's default allowance on a loaded machine.
	c, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	admin := e.iam(e.root())
	const stsPassword = "Tutorial-pass-12"
	denied := "User: arn:aws:iam::" + testAccount + ":user/sts_user is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::" + testAccount + ":user/ because no identity-based policy allows the iam:ListUsers action"

	t.Run("tutorial", func(t *testing.T) {
		b := e.tab(t, browser)
		// 1. Root signs in with email and password, creates sts_user with
		// a console password and no permissions, and ReadIAM.
		if status := b.signinRoot(rootEmail, rootPassword); status != 200 || b.alert() != "" {
			t.Fatalf("root sign-in: %d %q", status, b.alert())
		}
		if got := b.text("[data-testid=identity]"); got != "Root user @ "+testAccount {
			t.Fatalf("header %q", got)
		}
		b.fill("User name", "sts_user", "Console password", stsPassword)
		b.shot("01-create-user")
		if status := b.click("Create user"); status != 200 || b.alert() != "" || !strings.Contains(b.text("main table"), "sts_user") {
			t.Fatalf("create user: %d %q", status, b.alert())
		}
		b.accessible()
		b.open("/console/iam/roles")
		b.press(chromedp.Click(`//a[normalize-space()='Create role']`))
		trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/sts_user"},"Action":"sts:AssumeRole"}]}`
		b.fill("Role name", "ReadIAM", "Custom trust policy", trust)
		// Choose IAMReadOnlyAccess among every AWS managed policy.
		if n := evalAs[int](b, `(() => { const s = document.getElementById('policies'); let n = 0;
			for (const o of s.options) { if (o.textContent === 'IAMReadOnlyAccess (AWS managed)') { o.selected = true; n++ } } return n })()`); n != 1 {
			t.Fatalf("IAMReadOnlyAccess offered %d times", n)
		}
		b.accessible()
		b.shot("02-create-role")
		if status := b.click("Create role"); status != 200 || b.alert() != "" {
			t.Fatalf("create role: %d %q", status, b.alert())
		}
		if arn := b.text("[data-testid=role-arn]"); arn != "arn:aws:iam::"+testAccount+":role/ReadIAM" {
			t.Fatalf("role ARN %q", arn)
		}
		if att := b.text("[data-testid=attached]"); !strings.Contains(att, "IAMReadOnlyAccess") {
			t.Fatalf("attached %q", att)
		}
		link := b.text("[data-testid=switch-link]")
		if want := e.URL + "/switchrole?account=" + testAccount + "&displayName=ReadIAM&roleName=ReadIAM"; link != want {
			t.Fatalf("switch-role link %q, want %q", link, want)
		}
		b.shot("03-role-summary")
		b.signout()

		// 2. sts_user signs in at the account's sign-in URL (by keyboard:
		// Enter in the password field) and is refused Users.
		b.open("/console/" + testAccount)
		b.fill("IAM user name", "sts_user")
		b.press(chromedp.SendKeys(field("Password"), stsPassword+kb.Enter))
		if got := b.alert(); got != denied {
			t.Fatalf("Users as sts_user: %q, want %q", got, denied)
		}
		if color := evalAs[string](b, `getComputedStyle(document.querySelector('[role=alert]')).color`); color != redAlert {
			t.Errorf("alert colour %s, want red %s", color, redAlert)
		}
		b.shot("04-access-denied")

		// 3. The switch-role link, a display name and colour: Users listed,
		// the header shows the display name in that colour.
		u, _ := url.Parse(link)
		b.open(u.RequestURI())
		for label, want := range map[string]string{"Account ID": testAccount, "IAM role name": "ReadIAM", "Display name": "ReadIAM"} {
			if got := evalAs[string](b, fmt.Sprintf(`document.evaluate(%q, document, null, 9, null).singleNodeValue.value`, field(label))); got != want {
				t.Errorf("%s = %q, want %q", label, got, want)
			}
		}
		b.do(chromedp.Clear(field("Display name")))
		b.fill("Display name", "Reader", "Display color", "99BCE3")
		b.accessible()
		b.shot("05-switch-role")
		if status := b.click("Switch Role"); status != 200 || b.alert() != "" || !strings.Contains(b.text("main table"), "sts_user") {
			t.Fatalf("after switching: %d %q", status, b.alert())
		}
		if got := b.text("[data-testid=role-display]"); got != "Reader" {
			t.Fatalf("header shows %q", got)
		}
		if bg := evalAs[string](b, `getComputedStyle(document.querySelector('[data-testid=role-display]')).backgroundColor`); bg != "rgb(153, 188, 227)" {
			t.Errorf("display colour %s", bg)
		}
		b.shot("06-switched")
		// Readable at phone width too.
		b.do(chromedp.EmulateViewport(390, 844))
		b.accessible()
		b.shot("07-phone")
		b.do(chromedp.EmulateViewport(1280, 800))

		// 4. Switch back: refused again; the role is among the recent ones.
		if status := b.click("Switch back"); status != http.StatusForbidden || b.alert() != denied {
			t.Fatalf("after switching back: %d %q", status, b.alert())
		}
		if recent := b.text("details ul"); !strings.Contains(recent, "Reader") {
			t.Errorf("recent roles %q", recent)
		}
		b.signout()

		// 5. The event history shows sts_user's ConsoleLogin and SwitchRole.
		b.signinRoot(rootEmail, rootPassword)
		b.open("/console/cloudtrail/events")
		b.do(chromedp.SetValue(field("Lookup attribute"), "Username"))
		b.fill("Attribute value", "sts_user")
		b.click("Look up events")
		events := b.text("[data-testid=events] tbody")
		for _, name := range []string{"ConsoleLogin", "SwitchRole"} {
			if !strings.Contains(events, name) {
				t.Errorf("event history for sts_user lacks %s:\n%s", name, events)
			}
		}
		b.accessible()
		b.shot("08-event-history")
	})

	t.Run("wrong password and lock", func(t *testing.T) {
		if _, err := admin.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("locky")}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.CreateLoginProfile(c, &iam.CreateLoginProfileInput{UserName: aws.String("locky"), Password: aws.String("Locky-pass-123")}); err != nil {
			t.Fatal(err)
		}
		b := e.tab(t, browser)
		if status := b.signinUser(testAccount, "locky", "Wrong-pass-123"); status != http.StatusUnauthorized || b.alert() != badSigninMessage {
			t.Fatalf("wrong password: %d %q", status, b.alert())
		}
		// Nine more failures from elsewhere lock the name for a while.
		var wg sync.WaitGroup
		for range 9 {
			wg.Go(func() {
				h := newBrowser(t, e)
				h.do("GET", "/console", nil)
				h.do("POST", "/console/auth/signin", url.Values{"csrf": {h.csrf}, "account": {testAccount}, "username": {"locky"}, "password": {"Wrong-pass-123"}})
			})
		}
		wg.Wait()
		if status := b.signinUser(testAccount, "locky", "Locky-pass-123"); status != http.StatusTooManyRequests ||
			!strings.HasPrefix(b.alert(), "Too many failed sign-in attempts for this user.") {
			t.Fatalf("locked: %d %q", status, b.alert())
		}
		b.shot("09-locked")
	})

	t.Run("CSRF token missing", func(t *testing.T) {
		b := e.tab(t, browser)
		b.open("/console/" + testAccount)
		b.fill("IAM user name", "sts_user", "Password", stsPassword)
		b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name=csrf]').remove()`))
		if status := b.click("Sign in"); status != http.StatusForbidden || !strings.HasPrefix(b.alert(), "The form expired") {
			t.Fatalf("sign-in without CSRF token: %d %q", status, b.alert())
		}
		b.signinUser(testAccount, "sts_user", stsPassword)
		b.open("/switchrole?account=" + testAccount + "&roleName=ReadIAM")
		b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector('main input[name=csrf]').value = 'forged'`))
		if status := b.click("Switch Role"); status != http.StatusForbidden || !strings.HasPrefix(b.alert(), "The form expired") {
			t.Fatalf("switch role with a forged CSRF token: %d %q", status, b.alert())
		}
	})

	t.Run("MFA sign-in", func(t *testing.T) {
		if _, err := admin.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("mfa_user")}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.CreateLoginProfile(c, &iam.CreateLoginProfileInput{UserName: aws.String("mfa_user"), Password: aws.String("Mfa-user-pass-1")}); err != nil {
			t.Fatal(err)
		}
		_, code := e.virtualMFA(t, "mfa_user")
		b := e.tab(t, browser)
		if status := b.signinUser(testAccount, "mfa_user", "Mfa-user-pass-1"); status != 200 || b.alert() != "" {
			t.Fatalf("password step: %d %q", status, b.alert())
		}
		b.accessible()
		b.shot("10-mfa")
		b.fill("MFA code", "000000")
		if status := b.click("Submit"); status != http.StatusUnauthorized || b.alert() != badSigninMessage {
			t.Fatalf("wrong MFA code: %d %q", status, b.alert())
		}
		b.fill("MFA code", code(time.Now().Add(30*time.Second)))
		b.click("Submit")
		if got := b.text("[data-testid=identity]"); got != "mfa_user @ "+testAccount {
			t.Fatalf("after the MFA code: %q %q", got, b.alert())
		}
		// The session carries the MFA sign-in into a role switch, as AWS's
		// console does: a role that requires MFA accepts it.
		e.newRole("NeedsMFA", trustFor(userARN("mfa_user"), `"sts:AssumeRole"`, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), policyDoc(allowOn("iam:ListUsers", "*")), 0)
		b.open("/switchrole?account=" + testAccount + "&roleName=NeedsMFA")
		if status := b.click("Switch Role"); status != 200 || b.alert() != "" || !strings.Contains(b.text("main table"), "mfa_user") {
			t.Fatalf("switch to a role requiring MFA: %d %q", status, b.alert())
		}
	})

	t.Run("forced password change", func(t *testing.T) {
		if _, err := admin.UpdateAccountPasswordPolicy(c, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(14),
			RequireNumbers: true, AllowUsersToChangePassword: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("new_user")}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.CreateLoginProfile(c, &iam.CreateLoginProfileInput{UserName: aws.String("new_user"), Password: aws.String("First-password-1"),
			PasswordResetRequired: true}); err != nil {
			t.Fatal(err)
		}
		b := e.tab(t, browser)
		b.signinUser(testAccount, "new_user", "First-password-1")
		if rules := b.text("#rules"); !strings.Contains(rules, "At least 14 characters") || !strings.Contains(rules, "At least one number") {
			t.Fatalf("new password page shows rules %q (page %s)", rules, b.url())
		}
		// Every other page waits for the new password.
		b.open("/console/iam/roles")
		if !strings.HasSuffix(b.url(), "/console/auth/password") {
			t.Fatalf("roles before the new password: %s", b.url())
		}
		b.accessible()
		b.fill("Old password", "First-password-1", "New password", "Short-1", "Retype new password", "Short-1")
		b.shot("11-new-password")
		if status := b.click("Confirm password change"); status != http.StatusBadRequest || b.alert() != "Password does not conform to the account password policy." {
			t.Fatalf("weak new password: %d %q", status, b.alert())
		}
		b.fill("Old password", "First-password-1", "New password", "Second-password-2", "Retype new password", "Second-password-2")
		b.click("Confirm password change")
		if !strings.HasSuffix(b.url(), "/console/iam/users") {
			t.Fatalf("after the new password: %s %q", b.url(), b.alert())
		}
		b.signout()
		if status := b.signinUser(testAccount, "new_user", "Second-password-2"); status == http.StatusUnauthorized || strings.HasSuffix(b.url(), "/console/auth/password") {
			t.Fatalf("sign-in with the new password: %d %s", status, b.url())
		}
	})

	t.Run("cross-account switch", func(t *testing.T) {
		o := e.orgs(e.root())
		if _, err := o.CreateOrganization(c, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
			t.Fatal(err)
		}
		ca := must[*organizations.CreateAccountOutput](t)(o.CreateAccount(c, &organizations.CreateAccountInput{AccountName: aws.String("dev"), Email: aws.String("dev@example.com")}))
		st := must[*organizations.DescribeCreateAccountStatusOutput](t)(o.DescribeCreateAccountStatus(c, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: ca.CreateAccountStatus.Id}))
		member := aws.ToString(st.CreateAccountStatus.AccountId)
		if _, err := admin.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("ops")}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.AttachUserPolicy(c, &iam.AttachUserPolicyInput{UserName: aws.String("ops"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.CreateLoginProfile(c, &iam.CreateLoginProfileInput{UserName: aws.String("ops"), Password: aws.String("Ops-password-123")}); err != nil {
			t.Fatal(err)
		}
		b := e.tab(t, browser)
		b.signinUser(testAccount, "ops", "Ops-password-123")
		b.open("/switchrole?account=" + member + "&roleName=OrganizationAccountAccessRole&displayName=dev&color=B7CA9D")
		if status := b.click("Switch Role"); status != 200 || b.alert() != "" {
			t.Fatalf("switch into %s: %d %q", member, status, b.alert())
		}
		if got := b.text("header"); !strings.Contains(got, "arn:aws:sts::"+member+":assumed-role/OrganizationAccountAccessRole/ops") {
			t.Fatalf("header %q", got)
		}
		// The member account's users (none), not the management account's.
		if users := b.text("main"); strings.Contains(users, "sts_user") || !strings.Contains(users, "No users.") {
			t.Fatalf("users in the member account: %q", users)
		}
		b.shot("12-cross-account")
	})

	t.Run("federation sign-in", func(t *testing.T) {
		broker := e.newUser("fed_broker", policyDoc(allowOn("sts:GetFederationToken", "*"), allowOn("iam:ListUsers", "*")))
		fed := must[*sts.GetFederationTokenOutput](t)(e.sts(broker).GetFederationToken(c, &sts.GetFederationTokenInput{
			Name: aws.String("carol"), Policy: aws.String(policyDoc(allowOn("iam:ListUsers", "*")))}))
		status, tok := fedSigninToken(t, e, fed.Credentials, "")
		if status != 200 {
			t.Fatalf("getSigninToken: %d %s", status, tok)
		}
		b := e.tab(t, browser)
		if status := b.open(fedLoginURL(e, tok, "https://console.aws.amazon.com/")); status != 200 || b.alert() != "" {
			t.Fatalf("federation login: %d %q", status, b.alert())
		}
		if got := b.text("[data-testid=identity]"); got != "carol @ "+testAccount || !strings.Contains(b.text("main table"), "sts_user") {
			t.Fatalf("federated console: %q", got)
		}
		b.shot("13-federation")
	})

	t.Run("every page", func(t *testing.T) {
		b := e.tab(t, browser)
		b.signinRoot(rootEmail, rootPassword)
		browsePages(t, b)
		b.open("/console/iam/policy?arn=arn:aws:iam::aws:policy/IAMReadOnlyAccess")
		b.shot("14-policy")
		b.open("/console/organizations/accounts")
		b.shot("15-accounts")
	})
}

// pages: every page at 1280×800 and phone width has its controls labelled
// and nothing wider than the window.
func browsePages(t *testing.T, b *tab) {
	for _, path := range []string{"/console/iam/users", "/console/iam/users/sts_user", "/console/iam/groups", "/console/iam/roles",
		"/console/iam/roles/ReadIAM", "/console/iam/roles/create", "/console/iam/policies", "/console/iam/policy?arn=arn:aws:iam::aws:policy/IAMReadOnlyAccess",
		"/console/iam/providers", "/console/iam/account", "/console/iam/simulator?principal=arn:aws:iam::" + testAccount + ":user/sts_user&actions=iam:ListUsers",
		"/console/cloudtrail/events", "/console/organizations/accounts", "/switchrole"} {
		for _, width := range []int64{1280, 390} {
			b.do(chromedp.EmulateViewport(width, 800))
			if status := b.open(path); status != 200 || b.alert() != "" {
				t.Errorf("%s: %d %q", path, status, b.alert())
			}
			b.accessible()
		}
	}
	b.do(chromedp.EmulateViewport(1280, 800))
}

const badSigninMessage = "Your authentication information is incorrect. Please try again."
