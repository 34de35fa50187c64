package console

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	stsapi "github.com/mantle-iam/mantle/internal/api/sts"
	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/iam"
	"github.com/mantle-iam/mantle/internal/store"
)

const (
	passwordPath = "/console/auth/password"
	mfaPath      = "/console/auth/mfa"
	mfaCookie    = "mantle-console-mfa"
	// mfaWait is how long a sign-in waits for its MFA code.
	mfaWait = 5 * time.Minute
)

// identity is who a sign-in's password proved: an IAM user or a root user.
type identity struct {
	root          bool
	account       string
	userID, name  string
	path          string
	mfaSerial     string
	resetRequired bool
	guardKey      string
}

func (id *identity) caller(c *auth.Caller) *auth.Caller {
	if id.root {
		c.SetRoot(id.account)
	} else {
		c.SetUser(id.account, id.userID, id.name, id.path)
	}
	return c
}

// pendingMFA is a sign-in whose password was right, waiting for its MFA
// code. Only its random ID leaves the server.
type pendingMFA struct {
	csrf    string
	id      *identity
	expires time.Time
}

type pendingTable struct {
	mu sync.Mutex
	m  map[string]*pendingMFA
}

func (t *pendingTable) put(key string, p *pendingMFA, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= maxSessions {
		for k, o := range t.m {
			if now.After(o.expires) {
				delete(t.m, k)
			}
		}
		if len(t.m) >= maxSessions {
			return false
		}
	}
	t.m[key] = p
	return true
}

func (t *pendingTable) get(key string, now time.Time) *pendingMFA {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.m[key]
	if p != nil && now.After(p.expires) {
		delete(t.m, key)
		return nil
	}
	return p
}

func (t *pendingTable) drop(key string) {
	t.mu.Lock()
	delete(t.m, key)
	t.mu.Unlock()
}

func (h *Console) signinPage(w http.ResponseWriter, r *http.Request) {
	if s := h.session(r); s != nil {
		http.Redirect(w, r, "/console/iam/users", http.StatusSeeOther)
		return
	}
	h.showSignin(w, r, http.StatusOK, &view{Account: r.PathValue("account"), Root: r.URL.Query().Get("kind") == "root"})
}

func (h *Console) showSignin(w http.ResponseWriter, r *http.Request, status int, v *view) {
	v.CSRF = randomString()
	v.Title = "Sign in"
	setCookie(w, r, csrfCookie, v.CSRF, 3600)
	h.render(w, status, "signin", v)
}

// badSignin is what the console says to every failed sign-in, whatever
// failed, as AWS's does.
const badSignin = "Your authentication information is incorrect. Please try again."

// signin checks the password of an IAM user (account, user name) or of a
// root user (email); then asks for the MFA code when the identity has a
// device, and opens the session.
func (h *Console) signin(w http.ResponseWriter, r *http.Request) {
	ck, _ := r.Cookie(csrfCookie)
	if ck == nil || !sameToken(ck.Value, r.PostFormValue("csrf")) {
		h.forbidden(w)
		return
	}
	form := &view{Root: r.PostFormValue("kind") == "root", Account: strings.TrimSpace(r.PostFormValue("account")),
		UserName: strings.TrimSpace(r.PostFormValue("username")), Email: strings.TrimSpace(r.PostFormValue("email"))}
	password := r.PostFormValue("password")
	key := "user/" + strings.ToLower(form.Account+"/"+form.UserName)
	if form.Root {
		key = "root/" + strings.ToLower(form.Email)
	}
	if !h.wait(w, r, key, func(status int, msg string) {
		form.Error = msg
		h.showSignin(w, r, status, form)
	}) {
		return
	}
	id, err := h.verify(r, form, password)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			h.guard.fail(key, h.cfg.Now())
			h.recordFailure(r, form, id)
			form.Error = badSignin
			h.showSignin(w, r, http.StatusUnauthorized, form)
			return
		}
		if errors.Is(err, iam.ErrPasswordExpired) {
			h.recordFailure(r, form, id)
			form.Error = "Your password has expired. Ask your administrator to set a new one."
			h.showSignin(w, r, http.StatusUnauthorized, form)
			return
		}
		h.cfg.Log.Error("console sign-in", "err", err)
		form.Error = "Sign-in is unavailable. Try again later."
		h.showSignin(w, r, http.StatusInternalServerError, form)
		return
	}
	id.guardKey = key
	if id.mfaSerial == "" {
		h.open(w, r, id, "", func(status int, msg string) {
			form.Error = msg
			h.showSignin(w, r, status, form)
		})
		return
	}
	p := &pendingMFA{csrf: randomString(), id: id, expires: h.cfg.Now().Add(mfaWait)}
	pid := randomString()
	if !h.pending.put(pid, p, h.cfg.Now()) {
		form.Error = "Too many sign-ins in progress. Try again later."
		h.showSignin(w, r, http.StatusServiceUnavailable, form)
		return
	}
	setCookie(w, r, csrfCookie, "", -1)
	setCookie(w, r, mfaCookie, pid, int(mfaWait.Seconds()))
	h.render(w, http.StatusOK, "mfa", &view{Title: "Multi-factor authentication", CSRF: p.csrf})
}

// wait applies the per-user failure guard: a locked name is refused, and
// past the first few failures each attempt waits a little longer.
func (h *Console) wait(w http.ResponseWriter, r *http.Request, key string, refuse func(int, string)) bool {
	wait, locked := h.guard.check(key, h.cfg.Now())
	if locked {
		refuse(http.StatusTooManyRequests, "Too many failed sign-in attempts for this user. Try again in "+wait.Round(time.Minute).String()+".")
		return false
	}
	if wait > 0 {
		select {
		case <-time.After(wait):
		case <-r.Context().Done():
			return false
		}
	}
	return true
}

func (h *Console) verify(r *http.Request, form *view, password string) (*identity, error) {
	ctx := r.Context()
	if form.Root {
		a, err := h.cfg.SignIn.ConsoleRoot(ctx, form.Email, password)
		if err != nil {
			if a != nil { // a wrong password: the failure is the account's event
				return &identity{root: true, account: a.ID}, err
			}
			return nil, err
		}
		id := &identity{root: true, account: a.ID, name: "root"}
		id.mfaSerial, err = h.cfg.SignIn.ConsoleMFA(ctx, a.ID)
		return id, err
	}
	u, reset, err := h.cfg.SignIn.ConsoleUser(ctx, form.Account, form.UserName, password)
	if err != nil {
		return nil, err
	}
	id := &identity{account: u.AccountID, userID: u.ID, name: u.Name, path: u.Path, resetRequired: reset}
	id.mfaSerial, err = h.cfg.SignIn.ConsoleMFA(ctx, u.ID)
	return id, err
}

// signinMFA takes the MFA code of a pending sign-in. STS checks it, as it
// does for GetSessionToken with a code, so the session is MFA-authenticated.
func (h *Console) signinMFA(w http.ResponseWriter, r *http.Request) {
	ck, _ := r.Cookie(mfaCookie)
	var p *pendingMFA
	if ck != nil {
		p = h.pending.get(ck.Value, h.cfg.Now())
	}
	if p == nil || !sameToken(p.csrf, r.PostFormValue("csrf")) {
		h.forbidden(w)
		return
	}
	again := func(status int, msg string) {
		h.render(w, status, "mfa", &view{Title: "Multi-factor authentication", CSRF: p.csrf, Error: msg})
	}
	if !h.wait(w, r, p.id.guardKey, func(status int, msg string) {
		h.pending.drop(ck.Value)
		again(status, msg)
	}) {
		return
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	if h.open(w, r, p.id, code, again) {
		h.pending.drop(ck.Value)
		setCookie(w, r, mfaCookie, "", -1)
	}
}

// open issues the session's credentials (GetSessionToken as the identity,
// with the MFA code when it has a device), records ConsoleLogin before
// answering, and opens the session. It reports whether it did.
func (h *Console) open(w http.ResponseWriter, r *http.Request, id *identity, code string, refuse func(int, string)) bool {
	now := h.cfg.Now()
	c := id.caller(h.caller(r))
	e := h.entry(r, "signin", "ConsoleLogin", c)
	ctx := audit.With(r.Context(), e)
	in := &stsapi.GetSessionTokenInput{}
	if id.mfaSerial != "" {
		in.SerialNumber, in.TokenCode = id.mfaSerial, code
	}
	out, err := h.cfg.STS.GetSessionToken(ctx, c, in)
	if err != nil {
		if ae := awserr.As(err); ae != nil && ae.Status < 500 {
			// A wrong MFA code: a failed sign-in like a wrong password.
			h.guard.fail(id.guardKey, now)
			e.Err = awserr.New("ConsoleLogin", http.StatusUnauthorized, "Failed authentication")
			e.Output = signinResult{"ConsoleLogin", "Failure"}
			_ = h.cfg.Audit.Record(ctx, e)
			refuse(http.StatusUnauthorized, badSignin)
			return false
		}
		refuse(statusOf(err), errorMessage(err))
		return false
	}
	e.Output = signinResult{"ConsoleLogin", "Success"}
	if err := h.cfg.Audit.Record(ctx, e); err != nil {
		refuse(http.StatusServiceUnavailable, "Sign-in is unavailable. Try again later.")
		return false
	}
	h.guard.reset(id.guardKey)
	s := &session{id: randomString(), csrf: randomString(), account: id.account, name: id.name, root: id.root,
		newPassword: id.resetRequired, token: out.Credentials.SessionToken, expires: out.Credentials.Expiration}
	if !h.add(s, now) {
		refuse(http.StatusServiceUnavailable, "Too many console sessions. Try again later.")
		return false
	}
	setCookie(w, r, csrfCookie, "", -1)
	setCookie(w, r, cookieName, s.id, int(s.expires.Sub(now).Seconds()))
	next := "/console/iam/users"
	if s.newPassword {
		next = passwordPath
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return true
}

// recordFailure records a failed ConsoleLogin: AWS records the name tried,
// "Failed authentication" and {"ConsoleLogin":"Failure"}.
func (h *Console) recordFailure(r *http.Request, form *view, id *identity) {
	c := h.caller(r)
	if form.Root {
		if id == nil { // no account has that email: nobody's trail
			return
		}
		c.SetRoot(id.account)
	} else {
		c.SetUser(form.Account, "", form.UserName, "/")
	}
	e := h.entry(r, "signin", "ConsoleLogin", c)
	e.Err = awserr.New("ConsoleLogin", http.StatusUnauthorized, "Failed authentication")
	e.Output = signinResult{"ConsoleLogin", "Failure"}
	if err := h.cfg.Audit.Record(r.Context(), e); err != nil {
		h.cfg.Log.Warn("console sign-in event not recorded", "err", err)
	}
}

// passwordPage asks for a new password when the login profile requires
// one, showing the account's password policy.
func (h *Console) passwordPage(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.page(s, "Set a new password")
	h.showPassword(w, r, s, v, http.StatusOK)
}

func (h *Console) showPassword(w http.ResponseWriter, r *http.Request, s *session, v *view, status int) {
	pp, err := h.cfg.SignIn.ConsolePasswordPolicy(r.Context(), s.account)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.cfg.Log.Warn("console password policy", "err", err)
	}
	v.Policy = pp
	h.render(w, status, "password", v)
}

// changePassword is IAM's ChangePassword as the signed-in user, so the
// account's password policy and IAM's messages apply.
func (h *Console) changePassword(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.page(s, "Set a new password")
	if r.PostFormValue("newpassword") != r.PostFormValue("confirm") {
		v.Error = "The new passwords do not match."
		h.showPassword(w, r, s, v, http.StatusBadRequest)
		return
	}
	in := &iamapi.ChangePasswordInput{OldPassword: r.PostFormValue("oldpassword"), NewPassword: r.PostFormValue("newpassword")}
	if _, err := call(h, r, s, "ChangePassword", in, h.cfg.IAM.ChangePassword); err != nil {
		v.Error = errorMessage(err)
		h.showPassword(w, r, s, v, statusOf(err))
		return
	}
	h.mu.Lock()
	s.newPassword = false
	h.mu.Unlock()
	http.Redirect(w, r, "/console/iam/users", http.StatusSeeOther)
}

func (h *Console) signout(w http.ResponseWriter, r *http.Request, s *session) {
	h.mu.Lock()
	delete(h.sessions, s.id)
	h.mu.Unlock()
	setCookie(w, r, cookieName, "", -1)
	if s.issuer != "" {
		http.Redirect(w, r, s.issuer, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/console/"+s.account, http.StatusSeeOther)
}
