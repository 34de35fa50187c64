package console

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mantle-iam/mantle/internal/token"
)

// FederationPath is AWS's federation endpoint
// (https://signin.aws.amazon.com/federation): an identity broker trades
// temporary credentials for a sign-in token (Action=getSigninToken), then
// sends the browser to Action=login with it, which opens a console session
// for those credentials.
const FederationPath = "/federation"

// AWS's limits: a sign-in token is good for 15 minutes, and a console
// session asked of it (SessionDuration) lasts 15 minutes to 12 hours.
const (
	signinTokenTTL     = 15 * time.Minute
	minSessionDuration = 900
	maxSessionDuration = 43200
)

// signinToken is what a sign-in token stands for: the credentials' sealed
// session token and the console session's end.
type signinToken struct {
	sessionToken string
	claims       *token.Claims
	sessionEnd   time.Time
	expires      time.Time
}

type tokenTable struct {
	mu sync.Mutex
	m  map[string]*signinToken
}

func (t *tokenTable) put(key string, v *signinToken, now time.Time) bool {
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
	t.m[key] = v
	return true
}

// take returns the token's entry and forgets it: a sign-in token opens one
// session.
func (t *tokenTable) take(key string, now time.Time) *signinToken {
	t.mu.Lock()
	defer t.mu.Unlock()
	v := t.m[key]
	delete(t.m, key)
	if v != nil && now.After(v.expires) {
		return nil
	}
	return v
}

func (h *Console) federation(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch q.Get("Action") {
	case "getSigninToken":
		h.getSigninToken(w, q)
	case "login":
		h.federatedLogin(w, r, q)
	default:
		fedError(w, http.StatusBadRequest, "Action must be getSigninToken or login.")
	}
}

func fedError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}

// fedSession is the Session parameter: the temporary credentials, as AWS's
// identity broker examples send them.
type fedSession struct {
	SessionID    string `json:"sessionId"`
	SessionKey   string `json:"sessionKey"`
	SessionToken string `json:"sessionToken"`
}

// getSigninToken checks the credentials (the key ID and secret must be the
// ones sealed in the session token, which must be unexpired and from
// AssumeRole* or GetFederationToken) and answers {"SigninToken": "…"}.
func (h *Console) getSigninToken(w http.ResponseWriter, q url.Values) {
	now := h.cfg.Now()
	var sess fedSession
	if err := json.Unmarshal([]byte(q.Get("Session")), &sess); err != nil || sess.SessionID == "" || sess.SessionKey == "" || sess.SessionToken == "" {
		fedError(w, http.StatusBadRequest, "Session must be the JSON {\"sessionId\":…,\"sessionKey\":…,\"sessionToken\":…} of temporary credentials.")
		return
	}
	cl, err := h.cfg.Tokens.Open(sess.SessionToken)
	if err != nil || cl.AccessKeyID != sess.SessionID ||
		subtle.ConstantTimeCompare([]byte(cl.SecretAccessKey), []byte(sess.SessionKey)) != 1 {
		fedError(w, http.StatusBadRequest, "The credentials in Session are not valid.")
		return
	}
	if cl.Expired(now) {
		fedError(w, http.StatusBadRequest, "The credentials in Session have expired.")
		return
	}
	if cl.Kind != token.KindAssumedRole && cl.Kind != token.KindFederatedUser {
		fedError(w, http.StatusBadRequest, "Session must hold credentials from AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity or GetFederationToken.")
		return
	}
	end := cl.ExpiresAt
	if d := q.Get("SessionDuration"); d != "" {
		n, err := strconv.Atoi(d)
		switch {
		case cl.Kind == token.KindFederatedUser:
			// A federated user's console session is its credentials'.
			fedError(w, http.StatusBadRequest, "SessionDuration is not allowed with GetFederationToken credentials.")
			return
		case err != nil || n < minSessionDuration || n > maxSessionDuration:
			fedError(w, http.StatusBadRequest, "SessionDuration must be between 900 and 43200 seconds.")
			return
		}
		// The console acts with these credentials, so the session ends
		// when they do at the latest.
		if e := now.Add(time.Duration(n) * time.Second); e.Before(end) {
			end = e
		}
	}
	key := randomString()
	if !h.signinTokens.put(key, &signinToken{sessionToken: sess.SessionToken, claims: cl, sessionEnd: end, expires: now.Add(signinTokenTTL)}, now) {
		fedError(w, http.StatusServiceUnavailable, "Too many sign-in tokens outstanding. Try again later.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	b, _ := json.Marshal(map[string]string{"SigninToken": key})
	_, _ = w.Write(b)
}

// federatedLogin opens the console session of a sign-in token and sends
// the browser to Destination: a page of this console, or AWS's console
// (https://console.aws.amazon.com/…), which means this console's start.
func (h *Console) federatedLogin(w http.ResponseWriter, r *http.Request, q url.Values) {
	now := h.cfg.Now()
	dest, ok := destination(q.Get("Destination"), r.Host)
	if !ok {
		fedError(w, http.StatusBadRequest, "Destination must be a page of this console or of AWS's console.")
		return
	}
	t := h.signinTokens.take(q.Get("SigninToken"), now)
	if t == nil || !now.Before(t.sessionEnd) {
		fedError(w, http.StatusBadRequest, "The sign-in token is not valid or has expired.")
		return
	}
	cl := t.claims
	name := cl.PrincipalName
	if cl.Kind == token.KindAssumedRole {
		name += "/" + cl.SessionName
	}
	s := &session{id: randomString(), csrf: randomString(), account: cl.AccountID, name: name, token: t.sessionToken,
		expires: t.sessionEnd, issuer: issuer(q.Get("Issuer"))}
	c := h.caller(r)
	c.SetSession(cl)
	c.AccessKeyID = cl.AccessKeyID
	e := h.entry(r, "signin", "ConsoleLogin", c)
	e.Output = signinResult{"ConsoleLogin", "Success"}
	if err := h.cfg.Audit.Record(r.Context(), e); err != nil {
		fedError(w, http.StatusServiceUnavailable, "Sign-in is unavailable. Try again later.")
		return
	}
	if !h.add(s, now) {
		fedError(w, http.StatusServiceUnavailable, "Too many console sessions. Try again later.")
		return
	}
	setCookie(w, r, cookieName, s.id, int(s.expires.Sub(now).Seconds()))
	http.Redirect(w, r, dest, http.StatusFound)
}

// destination maps Destination to a path of this console; anything else
// is refused, so the endpoint redirects nowhere else (no open redirect).
func destination(raw, host string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return "", false
	}
	if u.Host != "" && u.Host != host {
		if u.Scheme == "https" && (u.Host == "console.aws.amazon.com" || strings.HasSuffix(u.Host, ".console.aws.amazon.com")) {
			return "/console/iam/users", true
		}
		return "", false
	}
	// Cleaned, so "/console/../x" cannot leave the console.
	clean := path.Clean("/" + u.Path)
	if !Serves(clean) || clean == FederationPath {
		return "", false
	}
	return (&url.URL{Path: clean, RawQuery: u.RawQuery}).String(), true
}

// issuer is where signing out sends a federated user: the broker's page,
// when it is an http(s) URL.
func issuer(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return u.String()
}
