package sts

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"sort"
	"strings"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"

	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/federation/saml"
	"github.com/mantle-iam/mantle/internal/store"
)

// samlEntry is a SAML provider with its parsed metadata, cached like roles.
type samlEntry struct {
	provider *store.SAMLProvider // nil: no such provider
	md       *saml.Metadata      // nil when the metadata does not parse
}

// AssumeRoleWithSAML needs no AWS credentials: the IdP's signed assertion is
// the proof. The assertion must verify with the metadata of PrincipalArn (a
// SAML provider of the role's account), name the pair (RoleArn,
// PrincipalArn) in its Role attribute, and the role's trust policy must
// allow the provider (Principal {"Federated": PrincipalArn}) under the
// saml: condition keys.
func (s *Service) AssumeRoleWithSAML(ctx context.Context, c *auth.Caller, in *stsapi.AssumeRoleWithSAMLInput) (*stsapi.AssumeRoleWithSAMLOutput, error) {
	const action = "sts:AssumeRoleWithSAML"
	if err := checkRoleARN(in.RoleArn); err != nil {
		return nil, err
	}
	account, _, _, ok := parseRoleARN(in.RoleArn)
	if !ok {
		return nil, invalidARN(in.RoleArn)
	}
	providerName, ok := strings.CutPrefix(in.PrincipalArn, "arn:aws:iam::"+account+":saml-provider/")
	if !ok || providerName == "" {
		return nil, invalidIdentityToken("Specified provider doesn't exist")
	}
	pe, err := s.samlProvider(ctx, in.PrincipalArn)
	if err != nil {
		return nil, err
	}
	if pe.provider == nil {
		return nil, invalidIdentityToken("Specified provider doesn't exist")
	}
	if pe.md == nil {
		return nil, invalidIdentityToken("The metadata document of %s cannot be read; update the SAML provider.", in.PrincipalArn)
	}
	a, err := saml.Verify(in.SAMLAssertion, pe.md, saml.Config{Now: s.now})
	if err != nil {
		return nil, federationError(err)
	}

	idp := identityProvider(c, in.PrincipalArn)
	if !namesRole(a.Attributes[saml.AttrRole], in.RoleArn, in.PrincipalArn) {
		// The IdP did not grant this user that role.
		return nil, notAuthorized(idp, action, in.RoleArn)
	}
	sessionName, err := a.One(saml.AttrRoleSessionName)
	if err != nil {
		return nil, federationError(err)
	}
	if sessionName == "" {
		return nil, invalidIdentityToken("RoleSessionName is required in AuthnResponse")
	}
	if !sourceIdentityRe.MatchString(sessionName) {
		return nil, invalidIdentityToken("The RoleSessionName attribute must be 2 to 64 characters of [\\w+=,.@-].")
	}
	sourceIdentity, err := a.One(saml.AttrSourceIdentity)
	if err != nil {
		return nil, federationError(err)
	}
	if sourceIdentity != "" && !sourceIdentityRe.MatchString(sourceIdentity) {
		return nil, invalidIdentityToken("The SourceIdentity attribute must be 2 to 64 characters of [\\w+=,.@-].")
	}
	ftags, ftransitive, err := a.Tags()
	if err != nil {
		return nil, federationError(err)
	}
	tags, transitive, err := claimedTags(ftags, ftransitive)
	if err != nil {
		return nil, err
	}
	duration := in.DurationSeconds
	if duration == nil {
		// The console's session length attribute sets the default.
		if duration, err = a.SessionDuration(); err != nil {
			return nil, federationError(err)
		}
	}
	arns, err := checkSessionPolicies(in.Policy, in.PolicyArns)
	if err != nil {
		return nil, err
	}
	e, err := s.role(ctx, in.RoleArn)
	if err != nil {
		return nil, err
	}
	if e.role == nil || e.trust == nil {
		return nil, notAuthorized(idp, action, in.RoleArn)
	}

	audience := a.Recipient
	if audience == "" {
		audience = saml.Audiences[0]
	}
	qualifier := nameQualifier(a.Issuer, account, providerName)
	keys := make([]auth.Key, 0, 12+len(tags))
	keys = append(keys,
		auth.Key{Name: "saml:aud", Values: []string{audience}},
		auth.Key{Name: "saml:iss", Values: []string{a.Issuer}},
		auth.Key{Name: "saml:sub", Values: []string{a.Subject}},
		auth.Key{Name: "saml:namequalifier", Values: []string{qualifier}},
		auth.Key{Name: "saml:doc", Values: []string{account + "/" + providerName}},
	)
	if a.SubjectType != "" {
		keys = append(keys, auth.Key{Name: "saml:sub_type", Values: []string{a.SubjectType}})
	}
	keys = appendAttributeKeys(keys, a)
	keys = appendSessionKeys(keys, sessionName, sourceIdentity, tags, transitive)
	if err := s.trustSession(ctx, idp, action, e, keys, len(tags) > 0, sourceIdentity != ""); err != nil {
		return nil, err
	}

	out, err := s.issueRoleSession(s.clock(), &roleSession{
		entry:          e,
		name:           sessionName,
		duration:       duration,
		notAfter:       a.SessionNotOnOrAfter,
		region:         c.Region,
		sourceArn:      in.PrincipalArn,
		sourceIdentity: sourceIdentity,
		tags:           tags,
		transitive:     transitive,
		policy:         in.Policy,
		policyARNs:     arns,
	})
	if err != nil {
		return nil, err
	}
	audit.Durable(ctx)
	return &stsapi.AssumeRoleWithSAMLOutput{
		Credentials:      out.creds,
		AssumedRoleUser:  out.user,
		PackedPolicySize: out.packed,
		Subject:          a.Subject,
		SubjectType:      a.SubjectType,
		Issuer:           a.Issuer,
		Audience:         audience,
		NameQualifier:    qualifier,
		SourceIdentity:   sourceIdentity,
	}, nil
}

// namesRole reports whether a Role attribute value pairs the role with the
// provider, in either order, as AWS accepts it.
func namesRole(values []string, roleARN, providerARN string) bool {
	for _, v := range values {
		a, b, ok := strings.Cut(v, ",")
		a, b = strings.TrimSpace(a), strings.TrimSpace(b)
		if ok && ((a == roleARN && b == providerARN) || (a == providerARN && b == roleARN)) {
			return true
		}
	}
	return false
}

// nameQualifier is AWS's NameQualifier and saml:namequalifier:
// BASE64(SHA1(issuer + account ID + "/" + provider name)).
func nameQualifier(issuer, account, providerName string) string {
	sum := sha1.Sum([]byte(issuer + account + "/" + providerName))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// appendAttributeKeys adds the saml: keys AWS derives from well-known
// attributes (saml:edupersonaffiliation, saml:mail, …) present in a.
func appendAttributeKeys(keys []auth.Key, a *saml.Assertion) []auth.Key {
	names := make([]string, 0, len(saml.ConditionKeys))
	for k := range saml.ConditionKeys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if vals := a.Attributes[saml.ConditionKeys[k]]; len(vals) > 0 {
			keys = append(keys, auth.Key{Name: k, Values: vals})
		}
	}
	return keys
}

// samlProvider returns the SAML provider with that ARN and its parsed
// metadata, cached until the next change.
func (s *Service) samlProvider(ctx context.Context, arn string) (*samlEntry, error) {
	return s.samlProviders.Get(ctx, arn, func(ctx context.Context) (*samlEntry, error) {
		e := &samlEntry{}
		p, err := s.store.SAMLProviders().Get(ctx, arn)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			e.provider = p
			if md, err := saml.ParseMetadata(p.Metadata); err == nil {
				e.md = md
			}
		}
		return e, nil
	})
}
