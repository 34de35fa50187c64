package sts

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"

	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/federation"
	"github.com/mantle-iam/mantle/internal/federation/oidc"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/token"
)

// AssumeRoleWithWebIdentity needs no AWS credentials: the ID token is the
// proof. The token's issuer must be an IAM OIDC provider of the role's
// account, and the role's trust policy must allow that provider (Principal
// {"Federated": provider ARN}) under the token's claims (HOST:aud, HOST:sub,
// …). c carries only the request's facts (source IP, time); who signed the
// request, if anyone, does not matter.
func (s *Service) AssumeRoleWithWebIdentity(ctx context.Context, c *auth.Caller, in *stsapi.AssumeRoleWithWebIdentityInput) (*stsapi.AssumeRoleWithWebIdentityOutput, error) {
	const action = "sts:AssumeRoleWithWebIdentity"
	if in.ProviderId != "" {
		// ProviderId names an OAuth 2.0 provider (Login with Amazon,
		// Facebook) whose access tokens only AWS can check.
		return nil, awserr.New("InvalidParameterValue", http.StatusBadRequest,
			"ProviderId is for OAuth 2.0 access tokens, which mantle does not accept; omit it and pass an OpenID Connect ID token.")
	}
	if err := checkRoleARN(in.RoleArn); err != nil {
		return nil, err
	}
	account, _, _, ok := parseRoleARN(in.RoleArn)
	if !ok {
		return nil, invalidARN(in.RoleArn)
	}
	tok, err := oidc.Parse(in.WebIdentityToken)
	if err != nil {
		return nil, federationError(err)
	}
	iss := tok.Issuer()
	host := strings.TrimSuffix(strings.TrimPrefix(iss, "https://"), "/")
	providerARN := "arn:aws:iam::" + account + ":oidc-provider/" + host
	p, err := s.oidcProvider(ctx, providerARN)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, invalidIdentityToken("No OpenIDConnect provider found in your account for %s", iss)
	}
	id, err := s.oidc.Verify(ctx, tok, oidc.Provider{URL: p.URL, ClientIDs: p.ClientIDs, Thumbprints: p.Thumbprints})
	if err != nil {
		return nil, federationError(err)
	}
	tags, transitive, err := claimedTags(id.Tags, id.TransitiveTagKeys)
	if err != nil {
		return nil, err
	}
	if id.SourceIdentity != "" && !sourceIdentityRe.MatchString(id.SourceIdentity) {
		return nil, invalidIdentityToken("The source identity in the token must be 2 to 64 characters of [\\w+=,.@-].")
	}
	arns, err := checkSessionPolicies(in.Policy, in.PolicyArns)
	if err != nil {
		return nil, err
	}

	idp := identityProvider(c, providerARN)
	idp.FederatedProvider = providerARN
	e, err := s.role(ctx, in.RoleArn)
	if err != nil {
		return nil, err
	}
	if e.role == nil || e.trust == nil {
		return nil, notAuthorized(idp, action, in.RoleArn)
	}

	// The token's claims as the trust policy sees them, named after the
	// provider (its URL without https://), as IAM names them.
	keys := make([]auth.Key, 0, 8+len(tags))
	keys = append(keys,
		auth.Key{Name: host + ":aud", Values: []string{id.Audience}},
		auth.Key{Name: host + ":sub", Values: []string{id.Subject}})
	if len(id.OtherAudiences) > 0 {
		keys = append(keys, auth.Key{Name: host + ":oaud", Values: id.OtherAudiences})
	}
	if len(id.AMR) > 0 {
		keys = append(keys, auth.Key{Name: host + ":amr", Values: id.AMR})
	}
	keys = appendSessionKeys(keys, in.RoleSessionName, id.SourceIdentity, tags, transitive)
	if err := s.trustSession(ctx, idp, action, e, keys, len(tags) > 0, id.SourceIdentity != ""); err != nil {
		return nil, err
	}

	out, err := s.issueRoleSession(s.clock(), &roleSession{
		entry:             e,
		name:              in.RoleSessionName,
		duration:          in.DurationSeconds,
		region:            c.Region,
		sourceArn:         providerARN,
		sourceIdentity:    id.SourceIdentity,
		tags:              tags,
		transitive:        transitive,
		policy:            in.Policy,
		policyARNs:        arns,
		federatedProvider: providerARN,
	})
	if err != nil {
		return nil, err
	}
	audit.Durable(ctx)
	return &stsapi.AssumeRoleWithWebIdentityOutput{
		Credentials:                 out.creds,
		SubjectFromWebIdentityToken: id.Subject,
		AssumedRoleUser:             out.user,
		PackedPolicySize:            out.packed,
		Provider:                    providerARN,
		Audience:                    id.Audience,
		SourceIdentity:              id.SourceIdentity,
	}, nil
}

// identityProvider is the principal a federated request presents to a
// trust policy: the provider, with the request's facts from c.
func identityProvider(c *auth.Caller, providerARN string) *auth.Caller {
	return &auth.Caller{
		Kind:            auth.KindIdentityProvider,
		ARN:             providerARN,
		SourceIP:        c.SourceIP,
		SecureTransport: c.SecureTransport,
		Region:          c.Region,
		UserAgent:       c.UserAgent,
		RequestTime:     c.RequestTime,
		RequestID:       c.RequestID,
	}
}

// oidcProvider returns the account's OIDC provider with that ARN, or nil,
// cached like roles.
func (s *Service) oidcProvider(ctx context.Context, arn string) (*store.OIDCProvider, error) {
	return s.oidcProviders.Get(ctx, arn, func(ctx context.Context) (*store.OIDCProvider, error) {
		p, err := s.store.OIDCProviders().Get(ctx, arn)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return p, err
	})
}

var (
	sourceIdentityRe = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	tagKeyRe         = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)
	tagValueRe       = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$`)
)

// claimedTags checks session tags an identity provider asserts with the
// limits of AssumeRole's Tags and TransitiveTagKeys.
func claimedTags(in []federation.Tag, transitive []string) ([]token.Tag, []string, error) {
	if len(in) == 0 {
		if len(transitive) > 0 {
			return nil, nil, invalidIdentityToken("The transitive tag key %s is not one of the session tags the identity provider asserts.", transitive[0])
		}
		return nil, nil, nil
	}
	if len(in) > 50 {
		return nil, nil, invalidIdentityToken("The identity provider asserts more than 50 session tags.")
	}
	tags := make([]token.Tag, len(in))
	for i, t := range in {
		tg := token.Tag{Key: t.Key, Value: t.Value}
		if !tagKeyRe.MatchString(tg.Key) || !tagValueRe.MatchString(tg.Value) {
			return nil, nil, invalidIdentityToken("The session tag %s the identity provider asserts is not a valid tag.", tg.Key)
		}
		for _, u := range tags[:i] {
			if strings.EqualFold(u.Key, tg.Key) {
				return nil, nil, invalidIdentityToken("The identity provider asserts duplicate session tag keys; tag keys are case insensitive.")
			}
		}
		tags[i] = tg
	}
	for _, k := range transitive {
		found := false
		for _, t := range tags {
			found = found || strings.EqualFold(t.Key, k)
		}
		if !found {
			return nil, nil, invalidIdentityToken("The transitive tag key %s is not one of the session tags the identity provider asserts.", k)
		}
	}
	return tags, transitive, nil
}

func invalidIdentityToken(format string, args ...any) error {
	return awserr.New("InvalidIdentityToken", http.StatusBadRequest, format, args...)
}

// federationError maps a verifier's refusal to AWS's error.
func federationError(err error) error {
	var e *federation.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Kind {
	case federation.Expired:
		return awserr.New("ExpiredTokenException", http.StatusBadRequest, "%s", e.Message)
	case federation.Unreachable:
		return awserr.New("IDPCommunicationError", http.StatusBadRequest, "%s", e.Message)
	case federation.Rejected:
		return awserr.New("IDPRejectedClaim", http.StatusForbidden, "%s", e.Message)
	}
	return invalidIdentityToken("%s", e.Message)
}
