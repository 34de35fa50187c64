package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/sigv4"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/token"
)

// KeyLookup resolves a long-term access key to its secret and owner (a nil
// user for the root user's keys). Unknown and inactive keys are errors.
type KeyLookup interface {
	LookupAccessKey(ctx context.Context, id string) (*store.AccessKey, string, *store.User, error)
}

// SigV4Authenticator authenticates requests signed with long-term keys or
// with temporary credentials whose session token the ring opens.
type SigV4Authenticator struct {
	Verifier *sigv4.Verifier
	Keys     KeyLookup
	Tokens   *token.Ring
	// Usage, when set, records the last use of long-term keys.
	Usage *keyUsage
}

func invalidToken() error {
	return awserr.New("InvalidClientTokenId", http.StatusForbidden, "The security token included in the request is invalid.")
}

func expiredToken() error {
	return awserr.New("ExpiredToken", http.StatusForbidden, "The security token included in the request is expired")
}

func (a *SigV4Authenticator) Authenticate(ctx context.Context, r *http.Request, body []byte, sc *sigv4.Scope, info *RequestInfo) (*auth.Caller, error) {
	return a.authenticate(ctx, sc, info, func(src sigv4.SecretSource) error {
		_, err := a.Verifier.VerifyScope(ctx, r, body, sc, src)
		return err
	})
}

// authenticate runs verify with the per-request resolver and turns what it
// found into the caller: the API's requests and the requests a gateway
// asks about (AuthorizeRequest) are authenticated alike.
func (a *SigV4Authenticator) authenticate(ctx context.Context, sc *sigv4.Scope, info *RequestInfo, verify func(sigv4.SecretSource) error) (*auth.Caller, error) {
	res := resolver{a: a, now: info.Time}
	if err := verify(&res); err != nil {
		return nil, err
	}
	c := &res.caller
	if a.Usage != nil && !c.Temporary {
		a.Usage.note(sc.AccessKeyID, sc.Service, sc.Region, info.Time)
	}
	c.AccessKeyID = sc.AccessKeyID
	c.Region = sc.Region
	c.SourceIP = info.SourceIP
	c.SecureTransport = info.SecureTransport
	c.UserAgent = info.UserAgent
	c.RequestTime = info.Time
	c.RequestID = info.ID
	return c, nil
}

// resolver is the per-request SecretSource: it finds the secret and, as it
// goes, who the key belongs to, so nothing is looked up twice.
type resolver struct {
	a      *SigV4Authenticator
	now    time.Time
	caller auth.Caller
}

func (r *resolver) SecretKey(ctx context.Context, id, sessionToken string) (string, error) {
	if token.IsTemporaryAccessKeyID(id) {
		if sessionToken == "" || r.a.Tokens == nil {
			return "", invalidToken()
		}
		claims, err := r.a.Tokens.Open(sessionToken)
		if err != nil || claims.AccessKeyID != id {
			return "", invalidToken()
		}
		if claims.Expired(r.now) {
			return "", expiredToken()
		}
		r.caller.SetSession(claims)
		return claims.SecretAccessKey, nil
	}
	if sessionToken != "" {
		// A long-term key with a session token is refused as IAM refuses
		// it (a stale AWS_SESSION_TOKEN beside new keys): the token is
		// never silently ignored.
		return "", invalidToken()
	}
	k, secret, user, err := r.a.Keys.LookupAccessKey(ctx, id)
	if err != nil {
		if awserr.As(err) != nil || errors.Is(err, context.Canceled) {
			return "", err
		}
		// Unknown, inactive, or unreadable: AWS says no more than this.
		return "", invalidToken()
	}
	c := &r.caller
	c.AccountID = k.AccountID
	if user == nil {
		c.SetRoot(k.AccountID)
	} else {
		setUser(c, user)
	}
	return secret, nil
}

func setUser(c *auth.Caller, u *store.User) {
	c.SetUser(u.AccountID, u.ID, u.Name, u.Path)
}
