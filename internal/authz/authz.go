// Package authz authorizes every call mantle serves with the policy engine:
// it assembles the caller's policies (identity, permissions boundary, session
// policies), compiles and caches them, builds the request context and returns
// AWS's AccessDenied when the engine denies.
package authz

import (
	"context"
	"errors"
	"hash/maphash"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/policy"
)

// Doc is one policy document that applies to a principal, labelled for
// explanations (a managed policy ARN or "user/NAME/inline-name").
type Doc struct {
	ID       string
	Document string
}

// Principal is what the store says about a user or role at the moment of
// the request: its policies, boundary, tags and path.
type Principal struct {
	Identity []Doc
	Boundary *Doc
	Tags     []store.Tag
	Name     string
	Path     string
}

// Source reads principals and managed policies. internal/iam implements it.
type Source interface {
	// Principal returns the user or role with that ID, or an error wrapping
	// store.ErrNotFound when it no longer exists.
	Principal(ctx context.Context, kind store.EntityType, id string) (*Principal, error)
	// ManagedPolicyDocument returns the default version of a managed policy.
	ManagedPolicyDocument(ctx context.Context, arn string) (string, error)
	// OrganizationID is the account's organization, "" when none.
	OrganizationID(ctx context.Context, accountID string) (string, error)
	// Generation increases after every write that can change a principal.
	Generation() uint64
}

// Authorizer implements auth.Authorizer. Safe for concurrent use.
type Authorizer struct {
	// Policies is set once at wiring time, before the first request.
	Policies Source
	// Orgs, also set at wiring time, feeds the organization's policies
	// (SCPs, RCPs) and paths; without it only aws:PrincipalOrgID is known
	// (from Policies) and no organization policy applies.
	Orgs OrgSource
	now  func() time.Time

	// compiled principals and each account's organization controls, until
	// the next change anywhere (the store's generation, through Policies).
	compiled *store.Cache[principalKey, *compiledPrincipal]
	orgs     *store.Cache[string, *orgControls]

	mu        sync.RWMutex
	sessions  map[uint64]*policy.Policy // session and organization documents by hash
	hashSeed  maphash.Seed
	maxCached int

	// decisions counts Evaluate's results by policy.Decision, errors in
	// the last slot, for the metrics endpoint.
	decisions [4]atomic.Uint64
}

// Decisions are the authorizer's results since it was made.
type Decisions struct {
	Allowed, ExplicitDeny, ImplicitDeny, Errors uint64
}

// Decisions returns how many evaluations ended each way.
func (a *Authorizer) Decisions() Decisions {
	return Decisions{
		Allowed:      a.decisions[policy.Allowed].Load(),
		ExplicitDeny: a.decisions[policy.ExplicitDeny].Load(),
		ImplicitDeny: a.decisions[policy.ImplicitDeny].Load(),
		Errors:       a.decisions[3].Load(),
	}
}

// CacheStats reports each of the authorizer's caches by name.
func (a *Authorizer) CacheStats(report func(name string, s store.CacheStats)) {
	report("authz_principals", a.compiled.Stats())
	report("authz_organizations", a.orgs.Stats())
}

// sourceGeneration reads the generation of Policies, which is set after
// New.
type sourceGeneration struct{ a *Authorizer }

func (g sourceGeneration) Generation() uint64 { return g.a.Policies.Generation() }

type principalKey struct {
	kind store.EntityType
	id   string
}

type compiledPrincipal struct {
	identity []*policy.Policy
	boundary *policy.Policy
	tags     []policy.Tag
	path     string
	name     string
	err      error // a principal that no longer exists is cached as such
}

// New returns an Authorizer; set Policies before use.
func New(now func() time.Time) *Authorizer {
	if now == nil {
		now = time.Now
	}
	a := &Authorizer{
		now:       now,
		sessions:  make(map[uint64]*policy.Policy),
		hashSeed:  maphash.MakeSeed(),
		maxCached: 10000,
	}
	a.compiled = store.NewCache[principalKey, *compiledPrincipal](sourceGeneration{a}, a.maxCached)
	a.orgs = store.NewCache[string, *orgControls](sourceGeneration{a}, a.maxCached)
	return a
}

// Authorize decides a call against the caller's own policies: the path of
// every IAM and STS action that has no resource-based policy.
func (a *Authorizer) Authorize(ctx context.Context, c *auth.Caller, action, resource string, keys ...auth.Key) error {
	res, err := a.Evaluate(ctx, c, action, resource, nil, keys...)
	if err != nil {
		return err
	}
	if !res.Allowed() {
		return awserr.AccessDenied("%s", res.DeniedMessage(c.ARN, resource))
	}
	return nil
}

// Evaluate runs the policy engine for the caller with an optional
// resource-based policy (a role's trust policy for sts:AssumeRole) and
// returns the engine's result, for callers that word their own denial.
func (a *Authorizer) Evaluate(ctx context.Context, c *auth.Caller, action, resource string, resourcePolicy *policy.Policy, keys ...auth.Key) (policy.Result, error) {
	res, err := a.evaluate(ctx, c, action, resource, resourcePolicy, keys...)
	if err != nil || res.Decision > policy.ExplicitDeny {
		a.decisions[3].Add(1)
	} else {
		a.decisions[res.Decision].Add(1)
	}
	return res, err
}

func (a *Authorizer) evaluate(ctx context.Context, c *auth.Caller, action, resource string, resourcePolicy *policy.Policy, keys ...auth.Key) (policy.Result, error) {
	req := policy.Request{Action: action, Resource: resource}
	in := policy.Input{Resource: resourcePolicy}
	var caller *orgControls
	// Service-linked roles are beyond SCPs and RCPs.
	exempt := false

	switch c.Kind {
	case auth.KindRoot:
		req.Principal = policy.Principal{Type: policy.PrincipalRoot, ARN: c.ARN, Account: c.AccountID, UserID: c.AccountID}
		var err error
		if caller, err = a.controls(ctx, c.AccountID); err != nil {
			return policy.Result{}, err
		}
		if resourcePolicy == nil && caller.scps == nil && sameAccount(c.AccountID, resource) {
			// Root may do anything in its own account; only organization
			// policies (SCPs, a member account's root included) say otherwise.
			return allowed(), nil
		}
	case auth.KindUser, auth.KindAssumedRole, auth.KindFederatedUser:
		kind := store.EntityUser
		if c.Kind == auth.KindAssumedRole {
			kind = store.EntityRole
		}
		var p *compiledPrincipal
		if c.Kind == auth.KindFederatedUser && c.ID == c.AccountID {
			// A federation token the root user obtained: root's
			// everything, narrowed by the session policy below.
			p = rootPrincipal
		} else {
			var err error
			if p, err = a.principal(ctx, kind, c.ID); err != nil {
				return policy.Result{}, err
			}
		}
		if p != nil {
			in.Identity, in.Boundary = p.identity, p.boundary
			req.Principal.Tags = p.tags
		}
		req.Principal.Type = principalType(c.Kind)
		req.Principal.ARN = c.ARN
		req.Principal.Account = c.AccountID
		req.Principal.UserID = c.UserID
		switch c.Kind {
		case auth.KindUser:
			req.Principal.Username = c.Name
		case auth.KindAssumedRole:
			path := c.Path
			if p != nil {
				path = p.path
			}
			req.Principal.RoleARN = "arn:aws:iam::" + c.AccountID + ":role" + path + c.Name
			exempt = serviceLinked(path)
		case auth.KindFederatedUser:
			// The federated user's permissions are the broker user's,
			// narrowed by the session policy.
			if p != nil && p.name != "" {
				req.Principal.SourceUserARN = "arn:aws:iam::" + c.AccountID + ":user" + p.path + p.name
			}
		}
		if len(c.SessionTags) > 0 {
			req.Principal.Tags = mergeTags(req.Principal.Tags, c.SessionTags)
		}
	case auth.KindIdentityProvider:
		// Only a trust policy can name an identity provider; it has no
		// policies of its own and no organization.
		req.Principal = policy.Principal{Type: policy.PrincipalFederated, ARN: c.ARN}
		req.Context = requestContext(c, keys)
		// The role's organization still caps what is done to it (RCPs).
		if err := a.resourceOrg(ctx, &req, &in, false, "", nil); err != nil {
			return policy.Result{}, err
		}
		return policy.Evaluate(&req, &in), nil
	default:
		return policy.Result{}, awserr.AccessDenied("Unknown principal")
	}

	if c.Temporary && c.Kind != auth.KindRoot {
		sess, err := a.sessionPolicies(ctx, c)
		if err != nil {
			return policy.Result{}, err
		}
		in.Session = sess
		if c.Kind == auth.KindFederatedUser && len(sess) == 0 {
			// GetFederationToken without a policy grants nothing: there is
			// no session policy to allow anything.
			return deniedBy(policy.SetSession, action), nil
		}
	}
	req.Context = requestContext(c, keys)
	if resourcePolicy == nil && arnAccount(resource) == store.AWSAccount {
		// AWS managed policies (arn:aws:iam::aws:policy/…) are every
		// account's to read and attach: they are not another account's
		// resources, which only a resource-based policy could open. IAM
		// itself refuses every write to them.
		req.ResourceAccount = c.AccountID
	}
	if caller == nil {
		var err error
		if caller, err = a.controls(ctx, c.AccountID); err != nil {
			return policy.Result{}, err
		}
	}
	if caller.org != "" {
		req.Context = append(req.Context, policy.ContextEntry{Key: "aws:PrincipalOrgID", Value: caller.org})
		if caller.paths != nil {
			req.Context = append(req.Context, policy.ContextEntry{Key: "aws:PrincipalOrgPaths", Values: caller.paths})
		}
		if !exempt {
			in.SCPs = caller.scps
		}
	}
	if err := a.resourceOrg(ctx, &req, &in, exempt, c.AccountID, caller); err != nil {
		return policy.Result{}, err
	}
	return policy.Evaluate(&req, &in), nil
}

// resourceOrg adds what the resource owner's organization contributes:
// aws:ResourceOrgID and aws:ResourceOrgPaths, and its RCPs for the actions
// RCPs govern. callerCtl is the caller's, reused when the caller owns the
// resource.
func (a *Authorizer) resourceOrg(ctx context.Context, req *policy.Request, in *policy.Input, exempt bool, callerAcct string, callerCtl *orgControls) error {
	acct := arnAccount(req.Resource)
	if acct == "" || acct == store.AWSAccount {
		return nil
	}
	ctl := callerCtl
	if acct != callerAcct || ctl == nil {
		var err error
		if ctl, err = a.controls(ctx, acct); err != nil {
			return err
		}
	}
	if ctl.org == "" {
		return nil
	}
	req.Context = append(req.Context, policy.ContextEntry{Key: "aws:ResourceOrgID", Value: ctl.org})
	if ctl.paths != nil {
		req.Context = append(req.Context, policy.ContextEntry{Key: "aws:ResourceOrgPaths", Values: ctl.paths})
	}
	if !exempt && rcpService(req.Action) {
		in.RCPs = ctl.rcps
	}
	return nil
}

var rootPrincipal = &compiledPrincipal{
	identity: []*policy.Policy{policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, policy.KindIdentity).WithID("root")},
	path:     "/",
}

func allowed() policy.Result { return policy.Result{Decision: policy.Allowed} }

// deniedBy builds an implicit deny attributed to one policy type.
func deniedBy(set policy.PolicySet, action string) policy.Result {
	r := policy.Evaluate(&policy.Request{Action: action, Resource: "*"}, &policy.Input{})
	r.Cause = set
	return r
}

func principalType(k auth.Kind) policy.PrincipalType {
	switch k {
	case auth.KindUser:
		return policy.PrincipalUser
	case auth.KindAssumedRole:
		return policy.PrincipalAssumedRole
	case auth.KindFederatedUser:
		return policy.PrincipalFederatedUser
	case auth.KindRoot:
		return policy.PrincipalRoot
	}
	return policy.PrincipalAnonymous
}

// sameAccount reports whether an IAM/STS resource ARN (or "*") belongs to
// the account.
func sameAccount(account, resource string) bool {
	if resource == "*" || resource == "" {
		return true
	}
	acct, ok := arnAccountOK(resource)
	return ok && (acct == "" || acct == account || acct == store.AWSAccount)
}

// arnAccount is the account field of an ARN, "" when there is none.
func arnAccount(resource string) string {
	acct, _ := arnAccountOK(resource)
	return acct
}

// arnAccountOK returns an ARN's account field (arn:aws:SERVICE:REGION:
// ACCOUNT:…) and whether resource has one at all.
func arnAccountOK(resource string) (string, bool) {
	colons := 0
	start := 0
	for i := 0; i < len(resource); i++ {
		if resource[i] == ':' {
			colons++
			if colons == 4 {
				start = i + 1
			} else if colons == 5 {
				return resource[start:i], true
			}
		}
	}
	return "", false
}

func mergeTags(base []policy.Tag, session []auth.Tag) []policy.Tag {
	out := make([]policy.Tag, 0, len(base)+len(session))
	for _, t := range base {
		overridden := false
		for _, s := range session {
			if strings.EqualFold(s.Key, t.Key) {
				overridden = true
				break
			}
		}
		if !overridden {
			out = append(out, t)
		}
	}
	for _, s := range session {
		out = append(out, policy.Tag{Key: s.Key, Value: s.Value})
	}
	return out
}

// requestContext fills the global condition keys AWS sets for every request
// ("AWS global condition context keys"), then the action's own keys.
func requestContext(c *auth.Caller, keys []auth.Key) []policy.ContextEntry {
	t := c.RequestTime
	if t.IsZero() {
		t = time.Now()
	}
	// Room for every global key and the organization's four, so adding
	// them does not grow the slice.
	ctx := make([]policy.ContextEntry, 0, 16+len(keys))
	ctx = append(ctx,
		policy.ContextEntry{Key: "aws:CurrentTime", Value: t.UTC().Format(time.RFC3339)},
		policy.ContextEntry{Key: "aws:EpochTime", Value: strconv.FormatInt(t.Unix(), 10)},
		policy.ContextEntry{Key: "aws:SecureTransport", Value: strconv.FormatBool(c.SecureTransport)},
	)
	if c.SourceIP != "" {
		ctx = append(ctx, policy.ContextEntry{Key: "aws:SourceIp", Value: c.SourceIP})
	}
	if c.Region != "" {
		ctx = append(ctx, policy.ContextEntry{Key: "aws:RequestedRegion", Value: c.Region})
	}
	if c.UserAgent != "" {
		ctx = append(ctx, policy.ContextEntry{Key: "aws:UserAgent", Value: c.UserAgent})
	}
	if c.Temporary {
		// Long-term keys carry no MFA facts: AWS leaves these keys absent
		// rather than false for them.
		ctx = append(ctx,
			policy.ContextEntry{Key: "aws:MultiFactorAuthPresent", Value: strconv.FormatBool(c.MFA)},
			policy.ContextEntry{Key: "aws:TokenIssueTime", Value: c.TokenIssueTime.UTC().Format(time.RFC3339)},
		)
		if c.MFA && !c.MFAAuthTime.IsZero() {
			age := int64(t.Sub(c.MFAAuthTime) / time.Second)
			ctx = append(ctx, policy.ContextEntry{Key: "aws:MultiFactorAuthAge", Value: strconv.FormatInt(age, 10)})
		}
		if c.Kind == auth.KindAssumedRole || c.Kind == auth.KindFederatedUser {
			ctx = append(ctx, policy.ContextEntry{Key: "aws:ViaAWSService", Value: "false"})
		}
	}
	if c.SourceIdentity != "" {
		ctx = append(ctx, policy.ContextEntry{Key: "aws:SourceIdentity", Value: c.SourceIdentity})
	}
	if c.FederatedProvider != "" {
		ctx = append(ctx, policy.ContextEntry{Key: "aws:FederatedProvider", Value: c.FederatedProvider})
	}
	for _, k := range keys {
		if len(k.Values) == 1 {
			ctx = append(ctx, policy.ContextEntry{Key: k.Name, Value: k.Values[0]})
		} else {
			ctx = append(ctx, policy.ContextEntry{Key: k.Name, Values: k.Values})
		}
	}
	return ctx
}

// principal returns the compiled policies of a user or role, from the cache
// while no write has happened since they were compiled.
func (a *Authorizer) principal(ctx context.Context, kind store.EntityType, id string) (*compiledPrincipal, error) {
	p, err := a.compiled.Get(ctx, principalKey{kind, id}, func(ctx context.Context) (*compiledPrincipal, error) {
		return a.compile(ctx, kind, id)
	})
	if err != nil {
		return nil, err
	}
	return p, p.err
}

func (a *Authorizer) compile(ctx context.Context, kind store.EntityType, id string) (*compiledPrincipal, error) {
	src, err := a.Policies.Principal(ctx, kind, id)
	if err != nil {
		if isNotFound(err) {
			// The user or role is gone: its sessions keep authenticating
			// until they expire but may no longer do anything.
			return &compiledPrincipal{}, nil
		}
		return nil, err
	}
	p := &compiledPrincipal{path: src.Path, name: src.Name}
	for _, d := range src.Identity {
		pol, err := a.parse(d, policy.KindIdentity)
		if err != nil {
			// A stored document was valid when written; one the engine now
			// rejects grants nothing rather than failing every call.
			continue
		}
		p.identity = append(p.identity, pol)
	}
	if src.Boundary != nil {
		pol, err := a.parse(*src.Boundary, policy.KindBoundary)
		if err != nil {
			// An unreadable boundary must not widen access: it allows nothing.
			pol = policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, policy.KindBoundary).WithID(src.Boundary.ID)
		}
		p.boundary = pol
	}
	for _, t := range src.Tags {
		p.tags = append(p.tags, policy.Tag{Key: t.Key, Value: t.Value})
	}
	return p, nil
}

// parse compiles a principal's document, sharing AWS managed ones.
func (a *Authorizer) parse(d Doc, kind policy.Kind) (*policy.Policy, error) {
	if strings.HasPrefix(d.ID, awsManagedPrefix) {
		return a.parseCached(d.Document, d.ID, kind)
	}
	p, err := policy.Parse(d.Document, kind)
	if err != nil {
		return nil, err
	}
	return p.WithID(d.ID), nil
}

// sessionPolicies compiles a session's inline policy and managed policy
// ARNs. Inline documents are cached by content: every request of a session
// carries the same one.
func (a *Authorizer) sessionPolicies(ctx context.Context, c *auth.Caller) ([]*policy.Policy, error) {
	if c.SessionPolicy == "" && len(c.SessionPolicyARNs) == 0 {
		return nil, nil
	}
	var out []*policy.Policy
	if c.SessionPolicy != "" {
		p, err := a.sessionDoc(c.SessionPolicy, "session-policy")
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	for _, arn := range c.SessionPolicyARNs {
		doc, err := a.Policies.ManagedPolicyDocument(ctx, arn)
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return nil, err
		}
		p, err := a.sessionDoc(doc, arn)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		// Every named policy is gone: the session keeps no permission,
		// rather than gaining the role's full set.
		out = append(out, policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, policy.KindSession).WithID("deleted-session-policy"))
	}
	return out, nil
}

func (a *Authorizer) sessionDoc(doc, id string) (*policy.Policy, error) {
	p, err := a.parseCached(doc, id, policy.KindSession)
	if err != nil {
		return nil, awserr.New("AccessDenied", http.StatusForbidden, "The session policy can no longer be read.")
	}
	return p, nil
}

// parseCached compiles a document labelled id once for as long as it stays
// cached, whoever uses it: the result depends on nothing else.
func (a *Authorizer) parseCached(doc, id string, kind policy.Kind) (*policy.Policy, error) {
	h := maphash.String(a.hashSeed, strconv.Itoa(int(kind))+"\x00"+id+"\x00"+doc)
	a.mu.RLock()
	p, ok := a.sessions[h]
	a.mu.RUnlock()
	if ok {
		return p, nil
	}
	p, err := policy.Parse(doc, kind)
	if err != nil {
		return nil, err
	}
	p = p.WithID(id)
	a.mu.Lock()
	if len(a.sessions) >= a.maxCached {
		clear(a.sessions)
	}
	a.sessions[h] = p
	a.mu.Unlock()
	return p, nil
}

// awsManagedPrefix starts the ARN of every AWS managed policy. Their
// documents are the same for every principal of every account and some are
// large (ReadOnlyAccess: 94 KB, 3 ms to compile), so they are compiled once
// and shared rather than again for each principal after every change.
const awsManagedPrefix = "arn:aws:iam::aws:policy/"

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// PrincipalTags are the caller's aws:PrincipalTag values: the user's or
// role's tags overridden by the session's, read as Evaluate reads them (so
// a tag change applies at once). Root has none.
func (a *Authorizer) PrincipalTags(ctx context.Context, c *auth.Caller) ([]policy.Tag, error) {
	var base []policy.Tag
	switch c.Kind {
	case auth.KindUser, auth.KindAssumedRole, auth.KindFederatedUser:
		kind := store.EntityUser
		if c.Kind == auth.KindAssumedRole {
			kind = store.EntityRole
		}
		if c.Kind == auth.KindFederatedUser && c.ID == c.AccountID {
			break // root's federation token: root has no tags
		}
		p, err := a.principal(ctx, kind, c.ID)
		if err != nil {
			return nil, err
		}
		base = p.tags
	default:
		return nil, nil
	}
	if len(c.SessionTags) == 0 {
		return base, nil
	}
	return mergeTags(base, c.SessionTags), nil
}
