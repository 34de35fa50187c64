package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
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

var pages = template.Must(template.ParseFS(assets, "assets/pages.html"))

// IAM is what the console needs of internal/iam.
type IAM interface {
	ConsoleUser(ctx context.Context, account, userName, password string) (*store.User, bool, error)
	ListUsers(ctx context.Context, c *auth.Caller, in *iamapi.ListUsersInput) (*iamapi.ListUsersOutput, error)
	CreateUser(ctx context.Context, c *auth.Caller, in *iamapi.CreateUserInput) (*iamapi.CreateUserOutput, error)
	CreateLoginProfile(ctx context.Context, c *auth.Caller, in *iamapi.CreateLoginProfileInput) (*iamapi.CreateLoginProfileOutput, error)
	ListRoles(ctx context.Context, c *auth.Caller, in *iamapi.ListRolesInput) (*iamapi.ListRolesOutput, error)
	GetRole(ctx context.Context, c *auth.Caller, in *iamapi.GetRoleInput) (*iamapi.GetRoleOutput, error)
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
	IAM    IAM
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
	token   string // the user's own console session (sealed claims)
	role    *roleSession
	recent  []roleLink
	expires time.Time
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
	h := &Console{cfg: cfg, mux: http.NewServeMux(), guard: newGuard(), sessions: map[string]*session{}}
	static, _ := fs.Sub(assets, "assets")
	h.mux.Handle("GET /console/assets/", http.StripPrefix("/console/assets/", http.FileServerFS(static)))
	h.mux.HandleFunc("GET /console", h.signinPage)
	h.mux.HandleFunc("GET /console/{account}", h.signinPage)
	h.mux.HandleFunc("POST "+SigninPath, h.signin)
	h.mux.HandleFunc("POST /console/auth/signout", h.withSession(h.signout))
	h.mux.HandleFunc("GET /console/iam/users", h.withSession(h.users))
	h.mux.HandleFunc("POST /console/iam/users", h.withSession(h.createUser))
	h.mux.HandleFunc("GET /console/iam/roles", h.withSession(h.roles))
	h.mux.HandleFunc("GET /console/iam/roles/{name}", h.withSession(h.role))
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
	return path == "/console" || strings.HasPrefix(path, "/console/") || path == "/switchrole" || strings.HasPrefix(path, "/switchrole/")
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
	// SwitchLink and SwitchLinkAbs are the role page's switch-role link.
	SwitchLink, SwitchLinkAbs string
}

type sessionView struct {
	CSRF, Account, Name string
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

func (h *Console) signinPage(w http.ResponseWriter, r *http.Request) {
	if s := h.session(r); s != nil {
		http.Redirect(w, r, "/console/iam/users", http.StatusSeeOther)
		return
	}
	h.showSignin(w, r, http.StatusOK, r.PathValue("account"), "", "")
}

func (h *Console) showSignin(w http.ResponseWriter, r *http.Request, status int, account, user, msg string) {
	csrf := randomString()
	setCookie(w, r, csrfCookie, csrf, 3600)
	h.render(w, status, "signin", &view{Title: "Sign in", CSRF: csrf, Account: account, UserName: user, Error: msg})
}

// badSignin is what the console says to every failed sign-in, whatever
// failed, as AWS's does.
const badSignin = "Your authentication information is incorrect. Please try again."

func (h *Console) signin(w http.ResponseWriter, r *http.Request) {
	ck, _ := r.Cookie(csrfCookie)
	if ck == nil || !sameToken(ck.Value, r.PostFormValue("csrf")) {
		h.forbidden(w)
		return
	}
	account := strings.TrimSpace(r.PostFormValue("account"))
	name := strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	now := h.cfg.Now()
	key := strings.ToLower(account + "/" + name)
	if wait, locked := h.guard.check(key, now); locked {
		h.showSignin(w, r, http.StatusTooManyRequests, account, name,
			"Too many failed sign-in attempts for this user. Try again in "+wait.Round(time.Minute).String()+".")
		return
	} else if wait > 0 {
		// Each failure beyond the first few costs the next attempt a
		// little more time, before the lock.
		select {
		case <-time.After(wait):
		case <-r.Context().Done():
			return
		}
	}
	u, _, err := h.cfg.IAM.ConsoleUser(r.Context(), account, name, password)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			h.guard.fail(key, now)
			h.recordSignin(r, account, name, nil, false)
			h.showSignin(w, r, http.StatusUnauthorized, account, name, badSignin)
			return
		}
		h.cfg.Log.Error("console sign-in", "err", err)
		h.showSignin(w, r, http.StatusInternalServerError, account, name, "Sign-in is unavailable. Try again later.")
		return
	}
	h.guard.reset(key)
	c := h.caller(r)
	c.SetUser(u.AccountID, u.ID, u.Name, u.Path)
	e := h.entry(r, "signin", "ConsoleLogin", c)
	ctx := audit.With(r.Context(), e)
	out, err := h.cfg.STS.GetSessionToken(ctx, c, &stsapi.GetSessionTokenInput{})
	if err != nil {
		h.showSignin(w, r, http.StatusInternalServerError, account, name, errorMessage(err))
		return
	}
	e.Output = signinResult{"ConsoleLogin", "Success"}
	if err := h.cfg.Audit.Record(ctx, e); err != nil {
		h.showSignin(w, r, http.StatusServiceUnavailable, account, name, "Sign-in is unavailable. Try again later.")
		return
	}
	s := &session{id: randomString(), csrf: randomString(), account: u.AccountID, name: u.Name,
		token: out.Credentials.SessionToken, expires: out.Credentials.Expiration}
	if !h.add(s, now) {
		h.showSignin(w, r, http.StatusServiceUnavailable, account, name, "Too many console sessions. Try again later.")
		return
	}
	setCookie(w, r, csrfCookie, "", -1)
	setCookie(w, r, cookieName, s.id, int(s.expires.Sub(now).Seconds()))
	http.Redirect(w, r, "/console/iam/users", http.StatusSeeOther)
}

// recordSignin records a failed ConsoleLogin: AWS records it with the user
// name tried, and "Failed authentication".
func (h *Console) recordSignin(r *http.Request, account, name string, c *auth.Caller, ok bool) {
	if c == nil {
		c = h.caller(r)
		c.SetUser(account, "", name, "/")
	}
	e := h.entry(r, "signin", "ConsoleLogin", c)
	e.Err = awserr.New("ConsoleLogin", http.StatusUnauthorized, "Failed authentication")
	if err := h.cfg.Audit.Record(r.Context(), e); err != nil {
		h.cfg.Log.Warn("console sign-in event not recorded", "err", err)
	}
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
		fn(w, r, s)
	}
}

func (h *Console) signout(w http.ResponseWriter, r *http.Request, s *session) {
	h.mu.Lock()
	delete(h.sessions, s.id)
	h.mu.Unlock()
	setCookie(w, r, cookieName, "", -1)
	http.Redirect(w, r, "/console/"+s.account, http.StatusSeeOther)
}

// caller is a Caller with the request's facts; the console's user agent
// marks the calls made from it, as AWS marks its console's.
func (h *Console) caller(r *http.Request) *auth.Caller {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	return &auth.Caller{
		Region: "us-east-1", SourceIP: ip, SecureTransport: r.TLS != nil,
		UserAgent: "mantle-console", RequestTime: h.cfg.Now(), RequestID: awsproto.NewRequestID(),
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
	return &audit.Entry{
		EventID: audit.NewEventID(c.RequestTime), RequestID: c.RequestID, Time: c.RequestTime, Service: service, Action: action,
		Caller: c, Region: c.Region, SourceIP: c.SourceIP, UserAgent: c.UserAgent, TLS: r.TLS, Host: r.Host,
	}
}

// call runs one action as the session's identity, recorded in the trail as
// the API records it.
func call[I, O interface {
	comparable
	wire.Auditable
}](h *Console, r *http.Request, s *session, action string, in I, fn func(context.Context, *auth.Caller, I) (O, error)) (O, error) {
	var zero O
	c, err := h.acting(r, s)
	if err != nil {
		return zero, err
	}
	e := h.entry(r, "iam", action, c)
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

// errorMessage is what the page shows for a failed action: AWS's own
// message, as the API returns it.
func errorMessage(err error) string {
	if ae := awserr.As(err); ae != nil {
		return ae.Message
	}
	return "An internal error occurred."
}

func (s *session) view() *sessionView {
	return &sessionView{CSRF: s.csrf, Account: s.account, Name: s.name, Role: s.role, Recent: s.recent}
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
	_, err := call(h, r, s, "CreateUser", &iamapi.CreateUserInput{UserName: name}, h.cfg.IAM.CreateUser)
	if err == nil && pw != "" {
		_, err = call(h, r, s, "CreateLoginProfile", &iamapi.CreateLoginProfileInput{UserName: name, Password: pw}, h.cfg.IAM.CreateLoginProfile)
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

func (h *Console) role(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.page(s, "Role")
	out, err := call(h, r, s, "GetRole", &iamapi.GetRoleInput{RoleName: r.PathValue("name")}, h.cfg.IAM.GetRole)
	status := http.StatusOK
	if err != nil {
		v.Error, status = errorMessage(err), statusOf(err)
	} else {
		v.Role = out.Role
		account := strings.Split(out.Role.Arn, ":")[4]
		v.SwitchLink = roleLink{Account: account, RoleName: out.Role.RoleName, DisplayName: out.Role.RoleName}.Link()
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		v.SwitchLinkAbs = scheme + "://" + r.Host + v.SwitchLink
	}
	h.render(w, status, "role", v)
}

func statusOf(err error) int {
	if ae := awserr.As(err); ae != nil && ae.Status != 0 {
		return ae.Status
	}
	return http.StatusInternalServerError
}

var (
	colorPattern = regexp.MustCompile(`^[0-9A-Fa-f]{6}$`)
	accountID    = regexp.MustCompile(`^[0-9]{12}$`)
)

func switchParams(get func(string) string) roleLink {
	l := roleLink{Account: strings.TrimSpace(get("account")), RoleName: strings.TrimSpace(get("roleName")),
		DisplayName: strings.TrimSpace(get("displayName")), Color: strings.TrimPrefix(strings.TrimSpace(get("color")), "#")}
	if !colorPattern.MatchString(l.Color) {
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
	h.render(w, http.StatusOK, "switchrole", v)
}

// switchRole assumes the role as the signed-in identity (never as the role
// switched to before: AWS's console switches from the original identity).
func (h *Console) switchRole(w http.ResponseWriter, r *http.Request, s *session) {
	l := switchParams(r.PostFormValue)
	fail := func(status int, msg string) {
		v := h.page(s, "Switch Role")
		v.Switch, v.Error = l, msg
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
		l.Color = "F2B0A9"
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
