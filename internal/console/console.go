package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	cloudtrailapi "github.com/mantle-iam/mantle/internal/api/cloudtrail"
	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	orgsapi "github.com/mantle-iam/mantle/internal/api/organizations"
	stsapi "github.com/mantle-iam/mantle/internal/api/sts"
	"github.com/mantle-iam/mantle/internal/api/wire"
	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/awsproto"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/token"
)

//go:embed assets
var assets embed.FS

var pages = template.Must(template.New("pages").Funcs(template.FuncMap{
	"awsManaged": func(arn string) bool { return strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") },
	"deref":      func(p any) any { return deref(p) },
	"box": func(name, label string, on any) any {
		b, _ := on.(bool)
		return struct {
			Name, Label string
			On          bool
		}{name, label, b}
	},
	// picker passes a policy <select>'s ID, name and choices to the
	// "policypicker" template.
	"picker": func(id, name string, multiple bool, ps []iamapi.Policy) any {
		return struct {
			ID, Name string
			Multiple bool
			Policies []iamapi.Policy
		}{id, name, multiple, ps}
	},
}).ParseFS(assets, "assets/pages.html"))

// SignIn is what the console needs of internal/iam to sign people in:
// checks that no API action makes (an API caller is already signed).
type SignIn interface {
	ConsoleUser(ctx context.Context, account, userName, password string) (*store.User, bool, error)
	ConsoleRoot(ctx context.Context, email, password string) (*store.Account, error)
	ConsoleMFA(ctx context.Context, userID string) (string, error)
	ConsolePasswordPolicy(ctx context.Context, account string) (*store.PasswordPolicy, error)
}

// STS is what the console needs of internal/sts: the console session and
// role switches are STS sessions.
type STS interface {
	GetSessionToken(ctx context.Context, c *auth.Caller, in *stsapi.GetSessionTokenInput) (*stsapi.GetSessionTokenOutput, error)
	AssumeRole(ctx context.Context, c *auth.Caller, in *stsapi.AssumeRoleInput) (*stsapi.AssumeRoleOutput, error)
}

// Recorder takes the console's audit events (audit.Recorder).
type Recorder interface {
	Record(ctx context.Context, e *audit.Entry) error
}

// Config wires the console to mantle's services.
type Config struct {
	SignIn SignIn
	// IAM, Orgs and Trail are the API's own tables of operations (the
	// functions the server dispatches to), so a page does exactly what
	// the API call does; an operation mantle does not serve is nil.
	IAM    *iamapi.Handlers
	Orgs   *orgsapi.Handlers
	Trail  *cloudtrailapi.Handlers
	STS    STS
	Tokens *token.Ring
	Audit  Recorder
	Now    func() time.Time
	Log    *slog.Logger
}

// Limits. AWS's console session for an IAM user lasts 12 hours (the
// GetSessionToken default mantle's session takes); a switched role's
// session lasts one hour, AWS's console default for role switching.
const (
	roleSessionSeconds = 3600
	maxSessions        = 100000
	recentRoles        = 5
	cookieName         = "mantle-console"
	csrfCookie         = "mantle-console-csrf"
)

// Console serves the web console.
type Console struct {
	cfg   Config
	mux   *http.ServeMux
	guard *guard
	// signinTokens are the federation endpoint's sign-in tokens.
	signinTokens tokenTable
	// pending are sign-ins waiting for their MFA code.
	pending pendingTable

	mu       sync.Mutex
	sessions map[string]*session
}

// session is one signed-in browser. Its credentials never leave the
// server: the cookie carries only a random ID.
type session struct {
	id      string
	csrf    string
	account string
	name    string
	root    bool
	// issuer is the identity broker's page of a federation sign-in, where
	// signing out returns.
	issuer string
	// newPassword holds every page until the user sets a new password
	// (the login profile requires it).
	newPassword bool
	token       string // the user's own console session (sealed claims)
	role        *roleSession
	recent      []roleLink
	expires     time.Time
}

type roleSession struct {
	token       string
	ARN         string
	DisplayName string
	Color       string
	expires     time.Time
}

type roleLink struct {
	Account, RoleName, DisplayName, Color string
}

// Link is the role's AWS-style switch-role link on this console.
func (l roleLink) Link() string {
	v := url.Values{"account": {l.Account}, "roleName": {l.RoleName}, "displayName": {l.DisplayName}}
	if l.Color != "" {
		v.Set("color", l.Color)
	}
	return "/switchrole?" + v.Encode()
}

// New returns the console for cfg.
func New(cfg Config) *Console {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	h := &Console{cfg: cfg, mux: http.NewServeMux(), guard: newGuard(), pending: pendingTable{m: map[string]*pendingMFA{}}, signinTokens: tokenTable{m: map[string]*signinToken{}}, sessions: map[string]*session{}}
	static, _ := fs.Sub(assets, "assets")
	h.mux.Handle("GET /console/assets/", http.StripPrefix("/console/assets/", http.FileServerFS(static)))
	h.mux.HandleFunc("GET /console", h.signinPage)
	h.mux.HandleFunc("GET /console/{account}", h.signinPage)
	h.mux.HandleFunc("POST "+SigninPath, h.signin)
	h.mux.HandleFunc("POST "+mfaPath, h.signinMFA)
	h.mux.HandleFunc("GET "+FederationPath, h.federation)
	h.mux.HandleFunc("GET /console/auth/password", h.withSession(h.passwordPage))
	h.mux.HandleFunc("POST /console/auth/password", h.withSession(h.changePassword))
	h.mux.HandleFunc("POST /console/auth/signout", h.withSession(h.signout))
	h.mux.HandleFunc("GET /console/iam/users", h.withSession(h.users))
	h.mux.HandleFunc("POST /console/iam/users", h.withSession(h.createUser))
	h.mux.HandleFunc("GET /console/iam/roles", h.withSession(h.roles))
	h.mux.HandleFunc("GET /console/iam/roles/create", h.withSession(h.createRolePage))
	h.mux.HandleFunc("POST /console/iam/roles", h.withSession(h.createRole))
	h.mux.HandleFunc("GET /console/iam/roles/{name}", h.withSession(h.role))
	h.mux.HandleFunc("POST /console/iam/roles/{name}/attach", h.withSession(h.attachRolePolicy))
	h.mux.HandleFunc("GET /console/cloudtrail/events", h.withSession(h.events))
	h.mux.HandleFunc("GET /console/iam/users/{name}", h.withSession(h.user))
	h.mux.HandleFunc("POST /console/iam/users/{name}/{action}", h.withSession(h.userAction))
	h.mux.HandleFunc("GET /console/iam/groups", h.withSession(h.groups))
	h.mux.HandleFunc("POST /console/iam/groups", h.withSession(h.createGroup))
	h.mux.HandleFunc("GET /console/iam/groups/{name}", h.withSession(h.group))
	h.mux.HandleFunc("POST /console/iam/groups/{name}/attach", h.withSession(h.attachGroupPolicy))
	h.mux.HandleFunc("GET /console/iam/policies", h.withSession(h.policies))
	h.mux.HandleFunc("POST /console/iam/policies", h.withSession(h.createPolicy))
	h.mux.HandleFunc("GET /console/iam/policy", h.withSession(h.policy))
	h.mux.HandleFunc("POST /console/iam/policy/versions", h.withSession(h.createPolicyVersion))
	h.mux.HandleFunc("GET /console/iam/providers", h.withSession(h.providers))
	h.mux.HandleFunc("POST /console/iam/providers", h.withSession(h.createProvider))
	h.mux.HandleFunc("GET /console/iam/account", h.withSession(h.account))
	h.mux.HandleFunc("POST /console/iam/account/{action}", h.withSession(h.accountAction))
	h.mux.HandleFunc("GET /console/iam/simulator", h.withSession(h.simulator))
	h.mux.HandleFunc("GET /console/organizations/accounts", h.withSession(h.accounts))
	h.mux.HandleFunc("GET /switchrole", h.withSession(h.switchPage))
	h.mux.HandleFunc("POST /switchrole", h.withSession(h.switchRole))
	h.mux.HandleFunc("POST /switchrole/back", h.withSession(h.switchBack))
	return h
}

// SigninPath is where the sign-in form posts: the one unauthenticated
// form, which the server limits per source address.
const SigninPath = "/console/auth/signin"

// Serves reports whether path is the console's.
func Serves(path string) bool {
	return path == "/console" || strings.HasPrefix(path, "/console/") || path == "/switchrole" || strings.HasPrefix(path, "/switchrole/") ||
		path == FederationPath
}

// Limited reports whether r is a sign-in attempt: unauthenticated, so the
// server limits it per source address.
func Limited(r *http.Request) bool {
	return (r.Method == http.MethodPost && (r.URL.Path == SigninPath || r.URL.Path == mfaPath)) || r.URL.Path == FederationPath
}

func (h *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// The console's pages reference only their own origin; nothing may
	// frame them (clickjacking of the switch-role form).
	hd.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	h.mux.ServeHTTP(w, r)
}

// view is what every page template receives.
type view struct {
	Title    string
	Session  *sessionView
	Error    string
	Notice   string
	CSRF     string
	Account  string
	UserName string
	Users    []iamapi.User
	Roles    []iamapi.Role
	Role     *iamapi.Role
	Switch   roleLink
	Colors   []roleColor
	Root     bool   // the sign-in form's choice
	Email    string // the root user's, on the sign-in form
	Policy   *store.PasswordPolicy
	// SwitchLink and SwitchLinkAbs are the role page's switch-role link.
	SwitchLink, SwitchLinkAbs string
	// RoleName and Document are a create form's values.
	RoleName, Document string
	Attached           []iamapi.AttachedPolicy
	Policies           []iamapi.Policy
	Events             []eventRow
	Lookup             lookupForm
	// D is the page's own data.
	D any
}

type sessionView struct {
	CSRF, Account, Name string
	Root                bool
	Role                *roleSession
	Recent              []roleLink
}

func (h *Console) render(w http.ResponseWriter, status int, page string, v *view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, page, v); err != nil {
		h.cfg.Log.Warn("console page", "page", page, "err", err)
	}
}

func randomString() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// forbidden is the answer to a form without its CSRF token.
func (h *Console) forbidden(w http.ResponseWriter) {
	h.render(w, http.StatusForbidden, "signin", &view{Title: "Refused", Error: "The form expired or did not come from this console. Reload the page and try again."})
}

func (h *Console) add(s *session, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.sessions) >= maxSessions {
		for id, o := range h.sessions {
			if !now.Before(o.expires) {
				delete(h.sessions, id)
			}
		}
		if len(h.sessions) >= maxSessions {
			return false
		}
	}
	h.sessions[s.id] = s
	return true
}

// session is the request's live session, nil when signed out or expired.
func (h *Console) session(r *http.Request) *session {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.sessions[ck.Value]
	if s != nil && !h.cfg.Now().Before(s.expires) {
		delete(h.sessions, s.id)
		return nil
	}
	return s
}

// withSession sends a signed-out browser to the sign-in page and refuses a
// form without the session's CSRF token.
func (h *Console) withSession(fn func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := h.session(r)
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/console?redirect="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			h.forbidden(w)
			return
		}
		if r.Method == http.MethodPost && !sameToken(s.csrf, r.PostFormValue("csrf")) {
			h.forbidden(w)
			return
		}
		if s.newPassword && r.URL.Path != passwordPath && r.URL.Path != "/console/auth/signout" {
			http.Redirect(w, r, passwordPath, http.StatusSeeOther)
			return
		}
		fn(w, r, s)
	}
}

// consoleAgent is the user agent of every action a page makes, as
// CloudTrail records AWS's console's calls.
const consoleAgent = "console.amazonaws.com"

// caller is a Caller with the request's facts; the console's user agent
// marks the calls made from it, as AWS marks its console's.
func (h *Console) caller(r *http.Request) *auth.Caller {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	return &auth.Caller{
		Region: "us-east-1", SourceIP: ip, SecureTransport: r.TLS != nil,
		UserAgent: consoleAgent, RequestTime: h.cfg.Now(), RequestID: awsproto.NewRequestID(),
	}
}

// acting is the Caller of the session's current identity, opened from its
// sealed token exactly as the API opens a temporary key's.
func (h *Console) acting(r *http.Request, s *session) (*auth.Caller, error) {
	h.mu.Lock()
	tok := s.token
	if s.role != nil {
		if h.cfg.Now().Before(s.role.expires) {
			tok = s.role.token
		} else {
			s.role = nil
		}
	}
	h.mu.Unlock()
	cl, err := h.cfg.Tokens.Open(tok)
	if err != nil {
		return nil, err
	}
	if cl.Expired(h.cfg.Now()) {
		return nil, awserr.New("ExpiredToken", http.StatusForbidden, "The security token included in the request is expired")
	}
	c := h.caller(r)
	c.SetSession(cl)
	c.AccessKeyID = cl.AccessKeyID
	return c, nil
}

func (h *Console) entry(r *http.Request, service, action string, c *auth.Caller) *audit.Entry {
	e := &audit.Entry{
		EventID: audit.NewEventID(c.RequestTime), RequestID: c.RequestID, Time: c.RequestTime, Service: service, Action: action,
		Caller: c, Region: c.Region, SourceIP: c.SourceIP, UserAgent: c.UserAgent, TLS: r.TLS, Host: r.Host,
	}
	if service == "signin" {
		// Sign-in events carry the browser's user agent, as AWS's do.
		e.UserAgent = truncate(r.UserAgent(), 1024)
	}
	return e
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// call runs one action as the session's identity, recorded in the trail as
// the API records it. in must be valid: pages build inputs with query or
// jsonInput, which decode and validate them as the API does.
func call[I, O interface {
	comparable
	wire.Auditable
}](h *Console, r *http.Request, s *session, action string, in I, fn func(context.Context, *auth.Caller, I) (O, error)) (O, error) {
	var zero O
	if fn == nil {
		return zero, awserr.New("NotImplemented", http.StatusNotImplemented, "%s is not implemented by mantle.", action)
	}
	c, err := h.acting(r, s)
	if err != nil {
		return zero, err
	}
	e := h.entry(r, serviceOf(in), action, c)
	e.Input = in
	ctx := audit.With(r.Context(), e)
	out, err := fn(ctx, c, in)
	if err == nil && out != zero {
		e.Output = out
	}
	e.Err = err
	if rerr := h.cfg.Audit.Record(ctx, e); rerr != nil && err == nil {
		return zero, rerr
	}
	return out, err
}

// serviceOf names the service of a generated input by its package.
func serviceOf(in any) string {
	t := reflect.TypeOf(in).Elem().PkgPath()
	switch t[strings.LastIndexByte(t, '/')+1:] {
	case "cloudtrail":
		return "cloudtrail"
	case "organizations":
		return "organizations"
	case "sts":
		return "sts"
	}
	return "iam"
}

// query decodes a Query-protocol input from its wire parameters
// (RoleName=…, PolicyArns.member.1=…) and validates it, as the API decodes
// a request: the page gets the API's ValidationError.
func query[T any, I interface {
	*T
	DecodeQuery(url.Values) error
}](q url.Values) (I, error) {
	in := I(new(T))
	return in, in.DecodeQuery(q)
}

// act decodes a Query-protocol input from name, value pairs (empty values
// left out) and runs it as the session's identity.
func act[T any, I interface {
	*T
	comparable
	wire.Auditable
	DecodeQuery(url.Values) error
}, O interface {
	comparable
	wire.Auditable
}](h *Console, r *http.Request, s *session, action string, fn func(context.Context, *auth.Caller, I) (O, error), kv ...string) (O, error) {
	in, err := query[T, I](form(kv...))
	if err != nil {
		var zero O
		return zero, err
	}
	return call(h, r, s, action, in, fn)
}

// form is url.Values from name, value pairs, leaving out empty values.
func form(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	return q
}

// errorMessage is what the page shows for a failed action: AWS's own
// message, as the API returns it.
func errorMessage(err error) string {
	if ae := awserr.As(err); ae != nil {
		return ae.Message
	}
	return "An internal error occurred."
}

func (s *session) view() *sessionView {
	return &sessionView{CSRF: s.csrf, Account: s.account, Name: s.name, Root: s.root, Role: s.role, Recent: s.recent}
}

func (h *Console) page(s *session, title string) *view {
	h.mu.Lock()
	defer h.mu.Unlock()
	return &view{Title: title, Session: s.view()}
}

func (h *Console) users(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.page(s, "Users")
	out, err := call(h, r, s, "ListUsers", &iamapi.ListUsersInput{}, h.cfg.IAM.ListUsers)
	status := http.StatusOK
	if err != nil {
		v.Error, status = errorMessage(err), statusOf(err)
	} else {
		v.Users = out.Users
	}
	h.render(w, status, "users", v)
}

func (h *Console) createUser(w http.ResponseWriter, r *http.Request, s *session) {
	name, pw := r.PostFormValue("username"), r.PostFormValue("password")
	in, err := query[iamapi.CreateUserInput](form("UserName", name))
	if err == nil {
		_, err = call(h, r, s, "CreateUser", in, h.cfg.IAM.CreateUser)
	}
	if err == nil && pw != "" {
		var lp *iamapi.CreateLoginProfileInput
		reset := ""
		if r.PostFormValue("reset") != "" {
			reset = "true"
		}
		if lp, err = query[iamapi.CreateLoginProfileInput](form("UserName", name, "Password", pw, "PasswordResetRequired", reset)); err == nil {
			_, err = call(h, r, s, "CreateLoginProfile", lp, h.cfg.IAM.CreateLoginProfile)
		}
	}
	if err != nil {
		v := h.page(s, "Users")
		v.Error = errorMessage(err)
		h.render(w, statusOf(err), "users", v)
		return
	}
	http.Redirect(w, r, "/console/iam/users", http.StatusSeeOther)
}

func (h *Console) roles(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.page(s, "Roles")
	out, err := call(h, r, s, "ListRoles", &iamapi.ListRolesInput{}, h.cfg.IAM.ListRoles)
	status := http.StatusOK
	if err != nil {
		v.Error, status = errorMessage(err), statusOf(err)
	} else {
		v.Roles = out.Roles
	}
	h.render(w, status, "roles", v)
}

func statusOf(err error) int {
	if ae := awserr.As(err); ae != nil && ae.Status != 0 {
		return ae.Status
	}
	return http.StatusInternalServerError
}

var (
	accountID = regexp.MustCompile(`^[0-9]{12}$`)
)

// roleColor is one of the display colours AWS's switch-role form offers;
// a link naming another is shown in the first. A fixed set, so the header
// is styled by class under the console's content security policy (no
// inline styles).
type roleColor struct{ Hex, Name string }

var roleColors = []roleColor{{"F2B0A9", "Red"}, {"FBBF93", "Orange"}, {"FAD791", "Yellow"}, {"B7CA9D", "Green"}, {"99BCE3", "Blue"}}

func switchParams(get func(string) string) roleLink {
	l := roleLink{Account: strings.TrimSpace(get("account")), RoleName: strings.TrimSpace(get("roleName")),
		DisplayName: strings.TrimSpace(get("displayName")), Color: strings.TrimPrefix(strings.TrimSpace(get("color")), "#")}
	l.Color = strings.ToUpper(l.Color)
	if !slices.ContainsFunc(roleColors, func(c roleColor) bool { return c.Hex == l.Color }) {
		l.Color = ""
	}
	if r := []rune(l.DisplayName); len(r) > 64 {
		l.DisplayName = string(r[:64])
	}
	return l
}

func (h *Console) switchPage(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.page(s, "Switch Role")
	v.Switch = switchParams(r.URL.Query().Get)
	v.Colors = roleColors
	h.render(w, http.StatusOK, "switchrole", v)
}

// switchRole assumes the role as the signed-in identity (never as the role
// switched to before: AWS's console switches from the original identity).
func (h *Console) switchRole(w http.ResponseWriter, r *http.Request, s *session) {
	l := switchParams(r.PostFormValue)
	fail := func(status int, msg string) {
		v := h.page(s, "Switch Role")
		v.Switch, v.Error, v.Colors = l, msg, roleColors
		h.render(w, status, "switchrole", v)
	}
	if !accountID.MatchString(l.Account) {
		fail(http.StatusBadRequest, "Account ID must be a 12-digit AWS account ID.")
		return
	}
	if l.DisplayName == "" {
		l.DisplayName = l.RoleName
	}
	if l.Color == "" {
		l.Color = roleColors[0].Hex
	}
	h.mu.Lock()
	base := &session{token: s.token, expires: s.expires}
	h.mu.Unlock()
	c, err := h.acting(r, base)
	if err != nil {
		fail(http.StatusForbidden, errorMessage(err))
		return
	}
	arn := "arn:aws:iam::" + l.Account + ":role/" + l.RoleName
	e := h.entry(r, "signin", "SwitchRole", c)
	ctx := audit.With(r.Context(), e)
	out, err := h.cfg.STS.AssumeRole(ctx, c, &stsapi.AssumeRoleInput{RoleArn: arn, RoleSessionName: s.name, DurationSeconds: ptr(roleSessionSeconds)})
	if err != nil {
		e.Err = err
		_ = h.cfg.Audit.Record(ctx, e)
		fail(statusOf(err), errorMessage(err))
		return
	}
	e.Output = signinResult{"SwitchRole", "Success"}
	if err := h.cfg.Audit.Record(ctx, e); err != nil {
		fail(http.StatusServiceUnavailable, "The role switch could not be recorded. Try again later.")
		return
	}
	h.mu.Lock()
	s.role = &roleSession{token: out.Credentials.SessionToken, ARN: out.AssumedRoleUser.Arn, DisplayName: l.DisplayName, Color: l.Color, expires: out.Credentials.Expiration}
	recent := []roleLink{l}
	for _, o := range s.recent {
		if len(recent) < recentRoles && (o.Account != l.Account || o.RoleName != l.RoleName) {
			recent = append(recent, o)
		}
	}
	s.recent = recent
	h.mu.Unlock()
	http.Redirect(w, r, "/console/iam/users", http.StatusSeeOther)
}

func (h *Console) switchBack(w http.ResponseWriter, r *http.Request, s *session) {
	h.mu.Lock()
	s.role = nil
	h.mu.Unlock()
	http.Redirect(w, r, "/console/iam/users", http.StatusSeeOther)
}

func ptr[T any](v T) *T { return &v }

// deref is what a generated pointer member (*int, *bool) points to, for
// templates.
func deref(p any) any {
	switch v := p.(type) {
	case *int:
		if v != nil {
			return *v
		}
		return 0
	case *bool:
		return v != nil && *v
	}
	return p
}
