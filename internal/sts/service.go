package sts

import (
	"cmp"
	"context"
	"net/http"
	"sync"
	"time"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"

	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/federation/oidc"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/sts/authmsg"
	"github.com/mantle-iam/mantle/internal/token"
	"github.com/mantle-iam/mantle/internal/webtoken"
	"github.com/mantle-iam/mantle/policy"
)

// Authorizer is what STS needs of internal/authz: plain identity checks, and
// evaluation against a role's trust policy as the role's resource policy.
type Authorizer interface {
	Authorize(ctx context.Context, c *auth.Caller, action, resource string, keys ...auth.Key) error
	Evaluate(ctx context.Context, c *auth.Caller, action, resource string, resourcePolicy *policy.Policy, keys ...auth.Key) (policy.Result, error)
}

// MFAVerifier checks a TOTP code against a virtual MFA device enabled for a
// user (userID is the account ID for the root user). It returns nil or the
// *awserr.Error the caller should see. internal/iam implements it.
type MFAVerifier interface {
	VerifyMFA(ctx context.Context, accountID, serialNumber, userID, code string) error
}

// RoleUseRecorder notes successful AssumeRoles for GetRole's RoleLastUsed,
// a batch in one transaction. internal/iam implements it.
type RoleUseRecorder interface {
	RecordRoleUses(ctx context.Context, uses []RoleUse) error
}

// AuditRecorder stores the events of the sessions STS issues to AWS
// services (AssumeRoleForService), which no API request carries;
// *audit.Recorder implements it.
type AuditRecorder interface {
	Record(ctx context.Context, e *audit.Entry) error
}

// Config is what New needs. Store, Authorizer and Tokens are required.
type Config struct {
	// Store reads roles and access keys.
	Store      store.Repos
	Authorizer Authorizer
	Tokens     *token.Ring
	// MFA verifies SerialNumber/TokenCode; without it MFA codes are refused.
	MFA MFAVerifier
	// Generation is the store's (every change advances it): the roles
	// and providers STS caches are kept while it stays put. Without it
	// nothing is cached.
	Generation store.Generations
	// RoleUse records RoleLastUsed; optional.
	RoleUse RoleUseRecorder
	// RoleCache bounds the roles (with their compiled trust policies)
	// kept between changes; default 100,000. Past it a role loaded evicts
	// one at random.
	RoleCache int
	// Messages seals and opens encoded authorization messages; without it
	// DecodeAuthorizationMessage refuses every message.
	Messages *authmsg.Codec
	// OIDC verifies web identity tokens; default: an oidc.Verifier with
	// the system roots.
	OIDC *oidc.Verifier
	// Audit records AssumeRoleForService; without it those sessions have
	// no event.
	Audit AuditRecorder
	// Issuer signs GetWebIdentityToken's JWTs; without it that action
	// answers OutboundWebIdentityFederationDisabledException.
	Issuer *webtoken.Issuer
	// Now defaults to time.Now.
	Now func() time.Time
}

// Service implements the STS actions. Safe for concurrent use.
type Service struct {
	store    store.Repos
	authz    Authorizer
	tokens   *token.Ring
	mfa      MFAVerifier
	roleUse  RoleUseRecorder
	messages *authmsg.Codec
	audit    AuditRecorder
	now      func() time.Time

	oidc   *oidc.Verifier
	issuer *webtoken.Issuer

	roles         *store.Cache[string, *roleEntry]
	trusts        *store.Cache[string, *policy.Policy]      // by document
	oidcProviders *store.Cache[string, *store.OIDCProvider] // nil: no such provider
	samlProviders *store.Cache[string, *samlEntry]
	uses          roleUses
	bg            sync.WaitGroup
}

// New returns a Service for cfg.
func New(cfg Config) *Service {
	s := &Service{
		store: cfg.Store, authz: cfg.Authorizer, tokens: cfg.Tokens, mfa: cfg.MFA,
		roleUse: cfg.RoleUse, messages: cfg.Messages, audit: cfg.Audit, now: cfg.Now,
		roles:         store.NewCache[string, *roleEntry](cfg.Generation, cmp.Or(cfg.RoleCache, defaultRoleCache)),
		trusts:        store.NewCache[string, *policy.Policy](store.Forever, maxCached),
		oidcProviders: store.NewCache[string, *store.OIDCProvider](cfg.Generation, maxCached),
		samlProviders: store.NewCache[string, *samlEntry](cfg.Generation, maxCached),
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.uses = roleUses{rec: cfg.RoleUse, wg: &s.bg}
	s.oidc = cfg.OIDC
	s.issuer = cfg.Issuer
	if s.oidc == nil {
		s.oidc = oidc.New(oidc.Config{Now: s.now})
	}
	return s
}

// Wait blocks until background work (RoleLastUsed updates) has finished;
// call it before closing the store.
func (s *Service) Wait() { s.bg.Wait() }

// CacheStats reports each of the service's caches by name, for metrics.
func (s *Service) CacheStats(report func(name string, st store.CacheStats)) {
	report("sts_roles", s.roles.Stats())
	report("sts_oidc_providers", s.oidcProviders.Stats())
	report("sts_saml_providers", s.samlProviders.Stats())
}

// clock is the current time to the second, as session times are sealed.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Second) }

// issue seals claims into a new session and returns its credentials. The key
// ID encodes the account so that GetAccessKeyInfo can answer for it.
func (s *Service) issue(cl *token.Claims) (*stsapi.Credentials, error) {
	cl.AccessKeyID, cl.SecretAccessKey = newTemporaryKey(cl.AccountID)
	tok, err := s.tokens.Seal(cl)
	if err != nil {
		return nil, err
	}
	return &stsapi.Credentials{
		AccessKeyId:     cl.AccessKeyID,
		SecretAccessKey: cl.SecretAccessKey,
		SessionToken:    tok,
		Expiration:      cl.ExpiresAt,
	}, nil
}

// sessionCreds reports the AccessDenied AWS returns when an action cannot be
// called with temporary credentials.
func sessionCreds(action string) error {
	return awserr.AccessDenied("Cannot call %s with session credentials", action)
}

// notAuthorized is AWS's AccessDenied without a policy reason, for refusals
// that are not the policy engine's (session kinds AWS restricts, unknown
// roles).
func notAuthorized(c *auth.Caller, action, resource string) error {
	if c.Kind == auth.KindIdentityProvider {
		// AWS names neither the provider nor the role to a federated caller.
		return awserr.AccessDenied("Not authorized to perform %s", action)
	}
	msg := "User: " + c.ARN + " is not authorized to perform: " + action
	if resource != "" {
		msg += " on resource: " + resource
	}
	return awserr.AccessDenied("%s", msg)
}

// restrict enforces what AWS lets temporary credentials call in STS:
// GetSessionToken credentials call only AssumeRole and GetCallerIdentity;
// GetFederationToken credentials only GetCallerIdentity.
func restrict(c *auth.Caller, action string) error {
	switch {
	case c.Kind == auth.KindFederatedUser && action != "GetCallerIdentity",
		c.SessionToken && action != "AssumeRole" && action != "GetCallerIdentity":
		return notAuthorized(c, "sts:"+action, "")
	}
	return nil
}

// policyError maps the policy engine's validation error to AWS's.
func policyError(err error) error {
	if pe, ok := err.(*policy.Error); ok {
		status := http.StatusBadRequest
		if pe.Code == policy.CodeLimitExceeded {
			status = http.StatusConflict
		}
		return awserr.New(pe.Code, status, "%s", pe.Message)
	}
	return awserr.MalformedPolicyDocument("%s", err.Error())
}

// checkSessionPolicies validates an inline session policy and the managed
// policy ARNs, and returns the ARNs as the token keeps them.
func checkSessionPolicies(doc string, arns []stsapi.PolicyDescriptorType) ([]string, error) {
	if doc != "" {
		if _, err := policy.Parse(doc, policy.KindSession); err != nil {
			return nil, policyError(err)
		}
	}
	if len(arns) == 0 {
		return nil, nil
	}
	out := make([]string, len(arns))
	for i, a := range arns {
		if !isPolicyARN(a.Arn) {
			return nil, awserr.New("InvalidParameterValue", http.StatusBadRequest,
				"The policy ARN %s is invalid.", a.Arn)
		}
		out[i] = a.Arn
	}
	return out, nil
}

// isPolicyARN accepts arn:aws:iam::ACCOUNT:policy/… and AWS managed
// arn:aws:iam::aws:policy/….
func isPolicyARN(arn string) bool {
	const pfx = "arn:aws:iam::"
	if len(arn) <= len(pfx) || arn[:len(pfx)] != pfx {
		return false
	}
	rest := arn[len(pfx):]
	acct, res, ok := cut(rest, ':')
	if !ok || (acct != "aws" && !auth.IsAccountID(acct)) {
		return false
	}
	return len(res) > len("policy/") && res[:len("policy/")] == "policy/"
}

func cut(s string, sep byte) (before, after string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// packedSize returns PackedPolicySize for a session's policies and tags, and
// PackedPolicyTooLarge in AWS's words when it is over 100 percent.
func packedSize(doc string, arns []string, tags []token.Tag) (int, error) {
	var docs []string
	if doc != "" || len(arns) > 0 {
		docs = make([]string, 0, len(arns)+1)
		if doc != "" {
			docs = append(docs, doc)
		}
		docs = append(docs, arns...)
	}
	var ptags []policy.Tag
	if len(tags) > 0 {
		ptags = make([]policy.Tag, len(tags))
		for i, t := range tags {
			ptags[i] = policy.Tag{Key: t.Key, Value: t.Value}
		}
	}
	pct := policy.PackedPolicySize(docs, ptags)
	if pct > 100 {
		if len(docs) == 0 {
			return pct, awserr.New(policy.CodePackedPolicyTooLarge, http.StatusBadRequest,
				"Packed size of session tags consumes %d%% of allotted space.", pct)
		}
		return pct, awserr.New(policy.CodePackedPolicyTooLarge, http.StatusBadRequest,
			"Packed policy consumes %d%% of allotted space, please use smaller policy.", pct)
	}
	return pct, nil
}

// verifyMFA checks SerialNumber/TokenCode for the user (or root) behind c.
func (s *Service) verifyMFA(ctx context.Context, c *auth.Caller, serial, code string) error {
	if serial == "" && code == "" {
		return nil
	}
	if serial == "" || code == "" {
		// AWS needs both to authenticate with MFA.
		return awserr.AccessDenied("MultiFactorAuthentication failed, unable to validate MFA code.")
	}
	if s.mfa == nil {
		return awserr.AccessDenied("MultiFactorAuthentication failed with invalid MFA one time pass code. ")
	}
	userID := c.ID
	switch c.Kind {
	case auth.KindRoot:
		userID = c.AccountID
	case auth.KindUser:
	default:
		// A role session has no MFA device of its own.
		return awserr.AccessDenied("MultiFactorAuthentication failed, unable to validate MFA code.")
	}
	return s.mfa.VerifyMFA(ctx, c.AccountID, serial, userID, code)
}
