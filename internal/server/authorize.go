package server

import (
	"context"
	"encoding/json"
	"errors"
	"hash/maphash"
	"net/http"
	"strings"
	"sync"

	"github.com/mantle-iam/mantle/internal/api/wire"
	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/authz"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/gate/authzapi"
	"github.com/mantle-iam/mantle/internal/netlimit"
	"github.com/mantle-iam/mantle/internal/sigv4"
	"github.com/mantle-iam/mantle/policy"
)

// invokeParams is a data event's requestParameters.
type invokeParams struct {
	HTTPMethod string `json:"httpMethod"`
	Path       string `json:"path"`
	Action     string `json:"action,omitempty"`
}

func (p *invokeParams) AppendAudit(b []byte) ([]byte, bool) {
	j, err := json.Marshal(p)
	if err != nil {
		return b, false
	}
	return append(b, j...), true
}
func (p *invokeParams) StringField(string) string      { return "" }
func (p *invokeParams) StructField(string) wire.Fields { return nil }

// requestAuthorizer serves AuthorizeRequest.
type requestAuthorizer struct {
	auth  *SigV4Authenticator
	authz *authz.Authorizer
	// failures limits, per client address, the failed authentications
	// recorded as events.
	failures *netlimit.PerAddress
	// resource policies by content: a gateway sends its API's policy
	// with every request.
	mu       sync.RWMutex
	policies map[uint64]parsedPolicy
	seed     maphash.Seed
}

type parsedPolicy struct {
	doc string
	pol *policy.Policy
	err error
}

const maxCachedResourcePolicies = 1024

func newRequestAuthorizer(a *SigV4Authenticator, az *authz.Authorizer, limit netlimit.RateLimit) *requestAuthorizer {
	return &requestAuthorizer{auth: a, authz: az, policies: make(map[uint64]parsedPolicy), seed: maphash.MakeSeed(),
		failures: netlimit.NewPerAddress(limit, maxLimitedAddrs, nil)}
}

func validation(format string, args ...any) error {
	return awserr.New("ValidationException", http.StatusBadRequest, format, args...)
}

// AuthorizeRequest authenticates the client's request and decides the
// action with the engine, then makes the call's event the request's data
// event (the client's identity, its source address, the API's account).
func (ra *requestAuthorizer) AuthorizeRequest(ctx context.Context, asker *auth.Caller, body []byte) (wire.Auditable, error) {
	var in authzapi.Input
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, awserr.New("SerializationException", http.StatusBadRequest, "Start of structure or map found where not expected.")
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if err := ra.authz.Authorize(ctx, asker, authzapi.AskAction, in.Resource); err != nil {
		return nil, err
	}
	var rp *policy.Policy
	if in.ResourcePolicy != "" {
		var err error
		if rp, err = ra.resourcePolicy(in.ResourcePolicy); err != nil {
			return nil, err
		}
	}
	service := in.Service
	if service == "" {
		service, _, _ = strings.Cut(in.Action, ":")
	}

	e := audit.From(ctx)
	var info RequestInfo
	if asker != nil {
		info = RequestInfo{ID: asker.RequestID, Time: asker.RequestTime}
	}
	info.SourceIP, info.SecureTransport, info.UserAgent = in.Request.SourceIP, in.Request.SecureTransport, in.Request.UserAgent
	if e != nil {
		// The event is the client's call of the API, not the gateway's
		// question: CloudTrail records the invocation as a data event of
		// the API's service, in the API owner's history.
		e.Service, e.Action = service, actionName(in.Action)
		e.Data = true
		e.SourceIP, e.UserAgent = info.SourceIP, info.UserAgent
		e.Recipient = arnAccount(in.Resource)
		e.Resources = []audit.ResourceRef{{ARN: in.Resource, AccountID: e.Recipient, Type: resourceType(service)}}
		e.Input = &invokeParams{HTTPMethod: in.Request.Method, Path: in.Request.Path}
		e.TLS = nil
	}

	out := &authzapi.Output{}
	caller, err := ra.authenticate(ctx, &in, service, &info)
	if err != nil {
		if awserr.As(err) == nil {
			return nil, err // the store failed: the gateway retries
		}
		out.Status, out.ErrorType, out.Message = gatewayError(err)
		if e != nil && !ra.failures.Allow(info.SourceIP) {
			// Answered, not recorded: as for the unsigned federation
			// calls, each failure would otherwise be an event anyone
			// can cause.
			e.Unrecorded = true
		}
		if e != nil {
			// No identity: the record keeps the key the request claimed.
			e.Caller = &auth.Caller{AccessKeyID: claimedKey(&in.Request), AccountID: e.Recipient}
			e.Err = awserr.New(out.ErrorType, out.Status, "%s", out.Message)
		}
		return out, nil
	}
	out.Authenticated = true
	out.Principal, err = ra.principalInfo(ctx, caller)
	if err != nil {
		return nil, err
	}
	if e != nil {
		e.Caller, e.Region = caller, caller.Region
	}
	res, err := ra.authz.Evaluate(ctx, caller, in.Action, in.Resource, rp)
	if err != nil {
		if ae := awserr.As(err); ae != nil && ae.Code == "AccessDenied" {
			// A refusal worded by authz itself (an unreadable session
			// policy): API Gateway's shape, its message.
			out.Decision, out.Status, out.ErrorType, out.Message = policy.ImplicitDeny.String(), http.StatusForbidden, "AccessDeniedException", ae.Message
			if e != nil {
				e.Err = awserr.New("AccessDenied", http.StatusForbidden, "%s", ae.Message)
			}
			return out, nil
		}
		return nil, err
	}
	out.Decision = res.Decision.String()
	for _, ref := range res.Matched() {
		st := ref.Statement()
		out.MatchedStatements = append(out.MatchedStatements, authzapi.MatchedStatement{
			PolicyID: ref.Policy.ID(), PolicyType: ref.Set.String(), Sid: st.Sid, Effect: st.Effect.String(),
		})
	}
	if res.Allowed() {
		out.Allowed = true
		return out, nil
	}
	// API Gateway's AccessDeniedException, worded as IAM words every
	// denial: "User: ARN is not authorized to perform: execute-api:Invoke
	// on resource: ARN because no identity-based policy allows …" (the
	// knowledge center's "troubleshoot signature mismatch errors with IAM
	// authentication for API Gateway" quotes this form).
	out.Status, out.ErrorType, out.Message = http.StatusForbidden, "AccessDeniedException", res.DeniedMessage(caller.ARN, in.Resource)
	if e != nil {
		e.Err = awserr.New("AccessDenied", http.StatusForbidden, "%s", out.Message)
	}
	return out, nil
}

// actionName is the operation of SERVICE:ACTION, the event's name.
func actionName(action string) string {
	_, name, _ := strings.Cut(action, ":")
	return name
}

// resourceType is the data event's resource type.
func resourceType(service string) string {
	if service == "execute-api" {
		return "AWS::ApiGateway::Stage"
	}
	return ""
}

// claimedKey is the access key the request says it was signed with.
func claimedKey(r *authzapi.SignedRequest) string {
	req, err := r.HTTPRequest()
	if err != nil {
		return ""
	}
	sc, err := sigv4.ParseScope(req)
	if err != nil {
		return ""
	}
	return sc.AccessKeyID
}

// authenticate verifies the client's signature over the body hash the
// gateway computed, with the API's own resolver of keys and session
// tokens.
func (ra *requestAuthorizer) authenticate(ctx context.Context, in *authzapi.Input, service string, info *RequestInfo) (*auth.Caller, error) {
	req, err := in.Request.HTTPRequest()
	if err != nil {
		return nil, awserr.New("MissingAuthenticationToken", http.StatusForbidden, "Request is missing Authentication Token")
	}
	sc, err := sigv4.ParseScope(req)
	if err != nil {
		return nil, err
	}
	if sc.Service != service {
		return nil, awserr.New("SignatureDoesNotMatch", http.StatusForbidden, "Credential should be scoped to correct service: '%s'. ", service)
	}
	return ra.auth.authenticate(ctx, &sc, info, func(src sigv4.SecretSource) error {
		_, err := ra.auth.Verifier.VerifyScopeHash(ctx, req, in.Request.BodySHA256, &sc, src)
		return err
	})
}

func (ra *requestAuthorizer) principalInfo(ctx context.Context, c *auth.Caller) (*authzapi.PrincipalInfo, error) {
	p := &authzapi.PrincipalInfo{ARN: c.ARN, AccountID: c.AccountID, UserID: c.UserID, Type: c.Kind.String(),
		AccessKeyID: c.AccessKeyID, SourceIdentity: c.SourceIdentity}
	switch c.Kind {
	case auth.KindUser:
		p.UserName = c.Name
	case auth.KindAssumedRole:
		p.SessionName = c.SessionName
		p.RoleARN = "arn:aws:iam::" + c.AccountID + ":role" + c.Path + c.Name
	case auth.KindFederatedUser:
		p.SessionName = c.SessionName
	}
	tags, err := ra.authz.PrincipalTags(ctx, c)
	if err != nil {
		return nil, err
	}
	for _, t := range tags {
		p.Tags = append(p.Tags, authzapi.KeyValue{Key: t.Key, Value: t.Value})
	}
	return p, nil
}

// resourcePolicy parses a resource's policy as IAM validates resource-based
// policies, cached by content.
func (ra *requestAuthorizer) resourcePolicy(doc string) (*policy.Policy, error) {
	h := maphash.String(ra.seed, doc)
	ra.mu.RLock()
	p, ok := ra.policies[h]
	ra.mu.RUnlock()
	if !ok || p.doc != doc {
		pol, err := policy.Parse(doc, policy.KindResource)
		p = parsedPolicy{doc: doc, err: err}
		if err == nil {
			p.pol = pol.WithID("resource-policy")
		}
		ra.mu.Lock()
		if len(ra.policies) >= maxCachedResourcePolicies {
			clear(ra.policies)
		}
		ra.policies[h] = p
		ra.mu.Unlock()
	}
	if p.err != nil {
		var pe *policy.Error
		if errors.As(p.err, &pe) {
			return nil, awserr.New(pe.Code+"Exception", http.StatusBadRequest, "ResourcePolicy: %s", pe.Message)
		}
		return nil, validation("ResourcePolicy: %s", p.err.Error())
	}
	return p.pol, nil
}

// gatewayError is API Gateway's answer to a request that does not
// authenticate: status, x-amzn-ErrorType and message, from the table of
// "How do I troubleshoot HTTP 403 errors from API Gateway?"
// (https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden):
// an unsigned request is MissingAuthenticationTokenException "Missing
// Authentication Token"; keys that are not valid AccessDeniedException
// "The security token included in the request is invalid."; an expired
// signature InvalidSignatureException "Signature expired: …".
func gatewayError(err error) (int, string, string) {
	ae := awserr.As(err)
	switch ae.Code {
	case "MissingAuthenticationToken":
		return http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token"
	case "InvalidClientTokenId":
		return http.StatusForbidden, "AccessDeniedException", ae.Message
	case "ExpiredToken":
		return http.StatusForbidden, "ExpiredTokenException", ae.Message
	case "SignatureDoesNotMatch", "RequestExpired":
		return http.StatusForbidden, "InvalidSignatureException", ae.Message
	case "IncompleteSignature", "AuthorizationQueryParametersError":
		return http.StatusForbidden, "IncompleteSignatureException", ae.Message
	}
	return http.StatusForbidden, "AccessDeniedException", ae.Message
}

// arnAccount is an ARN's account field, "" when it has none.
func arnAccount(arn string) string {
	f := strings.SplitN(arn, ":", 6)
	if len(f) < 6 {
		return ""
	}
	return f[4]
}
