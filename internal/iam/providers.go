package iam

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/federation/saml"
	"github.com/mantle-iam/mantle/internal/store"
)

const (
	maxClientIDs   = 100
	maxThumbprints = 5
)

func noSuchOIDC(arn string) *awserr.Error {
	return awserr.NoSuchEntity("OpenIDConnect Provider not found for arn %s", arn)
}

// oidcARN is the provider's ARN: the issuer URL without its scheme.
func oidcARN(account, rawURL string) string {
	return "arn:aws:iam::" + account + ":oidc-provider/" + strings.TrimSuffix(strings.TrimPrefix(rawURL, "https://"), "/")
}

// checkThumbprints applies IAM's rules to a ThumbprintList and returns it
// as IAM stores it, lower-cased. IAM checks the length only; a 40-character
// value that is not hex is accepted (and can never match a certificate).
func checkThumbprints(tps []string) ([]string, error) {
	if len(tps) > maxThumbprints {
		return nil, awserr.InvalidInput("Thumbprint list must contain fewer than %d entries.", maxThumbprints)
	}
	out := make([]string, len(tps))
	for i, tp := range tps {
		if utf8.RuneCountInString(tp) != 40 {
			return nil, awserr.InvalidInput("Thumbprint must be exactly 40 characters.")
		}
		out[i] = strings.ToLower(tp)
	}
	return out, nil
}

// checkClientID enforces a client ID's length (1 to 255) wherever one
// arrives in a list, which the wire decoder checks only as a whole.
func checkClientID(id string) error {
	switch n := utf8.RuneCountInString(id); {
	case n < 1:
		return awserr.ValidationError("1 validation error detected: Value at 'clientID' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case n > 255:
		return awserr.ValidationError("1 validation error detected: Value at 'clientID' failed to satisfy constraint: Member must have length less than or equal to 255")
	}
	return nil
}

// checkOIDCURL validates a provider URL as IAM does, with IAM's errors: it
// must be https:// with a host and nothing that could make two URLs name
// one issuer or smuggle a second one (user info, query, fragment, and an
// "@" anywhere, which URL parsers disagree about). The messages are AWS's, as recorded by test suites run against IAM. Unlike
// IAM, a port is accepted: IAM only says a URL "should not" carry one, and
// a self-hosted issuer (Keycloak on :8443, a test IdP on a loopback port)
// often must.
func checkOIDCURL(raw string) error {
	const invalid = "Invalid Open ID Connect Provider URL"
	u, err := url.Parse(raw)
	if err != nil {
		if strings.HasPrefix(raw, "https://") {
			return awserr.InvalidInput(invalid + ".")
		}
		return awserr.ValidationError(invalid)
	}
	switch {
	case u.Scheme == "" || u.Opaque != "":
		return awserr.ValidationError(invalid)
	case !strings.HasPrefix(raw, "https://"):
		return awserr.InvalidInput(invalid + ". The URL must begin with https://.")
	case u.Host == "":
		return awserr.ValidationError(invalid)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(raw, "#@") || !printableASCII(raw) || !validHost(u):
		return awserr.InvalidInput(invalid + ".")
	}
	return nil
}

// printableASCII reports whether s holds only visible ASCII: Go's URL
// parser lets spaces and raw non-ASCII through in a path, IAM does not.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// validHost accepts a DNS name (letters, digits, hyphens, dots) or an IP
// literal, with an optional numeric port.
func validHost(u *url.URL) bool {
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return false
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return false
	}
	h := u.Hostname()
	if h == "" {
		return false
	}
	if net.ParseIP(h) != nil {
		return true
	}
	if strings.HasPrefix(u.Host, "[") {
		return false // brackets hold only an IPv6 literal
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// oidcTarget loads a provider of the caller's account and authorizes
// action on its ARN.
func (s *Service) oidcTarget(ctx context.Context, c *auth.Caller, action, arn string, keys ...auth.Key) (*store.OIDCProvider, error) {
	p, err := s.store.OIDCProviders().Get(ctx, arn)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if err := s.authorize(ctx, c, action, arn, keys...); err != nil {
		return nil, err
	}
	if p == nil || p.AccountID != c.AccountID {
		return nil, noSuchOIDC(arn)
	}
	return p, nil
}

func (s *Service) updateOIDC(ctx context.Context, c *auth.Caller, action, arn string, f func(p *store.OIDCProvider) error, keys ...auth.Key) error {
	if _, err := s.oidcTarget(ctx, c, action, arn, keys...); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		p, err := tx.OIDCProviders().Get(ctx, arn)
		if err != nil {
			return notFoundAs(err, noSuchOIDC(arn))
		}
		if err := f(p); err != nil {
			return err
		}
		return tx.OIDCProviders().Update(ctx, p)
	})
}

func (s *Service) CreateOpenIDConnectProvider(ctx context.Context, c *auth.Caller, in *iamapi.CreateOpenIDConnectProviderInput) (*iamapi.CreateOpenIDConnectProviderOutput, error) {
	if err := checkOIDCURL(in.Url); err != nil {
		return nil, err
	}
	thumbprints, err := checkThumbprints(in.ThumbprintList)
	if err != nil {
		return nil, err
	}
	for _, id := range in.ClientIDList {
		if err := checkClientID(id); err != nil {
			return nil, err
		}
	}
	clientIDs := dedupe(in.ClientIDList)
	if len(clientIDs) > maxClientIDs {
		return nil, awserr.LimitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", maxClientIDs)
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	arn := oidcARN(c.AccountID, in.Url)
	if err := s.authorize(ctx, c, "CreateOpenIDConnectProvider", arn, requestTagKeys(in.Tags)...); err != nil {
		return nil, err
	}
	p := &store.OIDCProvider{AccountID: c.AccountID, ARN: arn, URL: strings.TrimSuffix(in.Url, "/"), ClientIDs: clientIDs,
		Thumbprints: thumbprints, Tags: storeTags(in.Tags), CreatedAt: s.clock()}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := tx.OIDCProviders().Create(ctx, p); err != nil {
			if isExists(err) {
				return awserr.EntityAlreadyExists("Provider with url %s already exists.", in.Url)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateOpenIDConnectProviderOutput{OpenIDConnectProviderArn: arn, Tags: tagsOut(p.Tags)}, nil
}

func dedupe(xs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func (s *Service) GetOpenIDConnectProvider(ctx context.Context, c *auth.Caller, in *iamapi.GetOpenIDConnectProviderInput) (*iamapi.GetOpenIDConnectProviderOutput, error) {
	p, err := s.oidcTarget(ctx, c, "GetOpenIDConnectProvider", in.OpenIDConnectProviderArn)
	if err != nil {
		return nil, err
	}
	// Both lists and Tags are sent even when empty, as AWS does.
	return &iamapi.GetOpenIDConnectProviderOutput{Url: strings.TrimPrefix(p.URL, "https://"), ClientIDList: append([]string{}, p.ClientIDs...),
		ThumbprintList: append([]string{}, p.Thumbprints...), CreateDate: p.CreatedAt, Tags: append([]iamapi.Tag{}, tagsOut(p.Tags)...)}, nil
}

// DeleteOpenIDConnectProvider words a missing provider its own way
// ("OpenId connect Provider ARN cannot be found.", where Get says
// "OpenIDConnect Provider not found for arn ARN": localstack's recorded AWS
// snapshots, test_iam_oidc.snapshot.json).
func (s *Service) DeleteOpenIDConnectProvider(ctx context.Context, c *auth.Caller, in *iamapi.DeleteOpenIDConnectProviderInput) (*iamapi.DeleteOpenIDConnectProviderOutput, error) {
	arn := in.OpenIDConnectProviderArn
	gone := awserr.NoSuchEntity("OpenId connect Provider %s cannot be found.", arn)
	if _, err := s.oidcTarget(ctx, c, "DeleteOpenIDConnectProvider", arn); err != nil {
		if ae := awserr.As(err); ae != nil && ae.Code == "NoSuchEntity" {
			return nil, gone
		}
		return nil, err
	}
	return result[iamapi.DeleteOpenIDConnectProviderOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		return notFoundAs(tx.OIDCProviders().Delete(ctx, arn), gone)
	}))
}

func (s *Service) ListOpenIDConnectProviders(ctx context.Context, c *auth.Caller, _ *iamapi.ListOpenIDConnectProvidersInput) (*iamapi.ListOpenIDConnectProvidersOutput, error) {
	if err := s.authorize(ctx, c, "ListOpenIDConnectProviders", "*"); err != nil {
		return nil, err
	}
	ps, err := s.store.OIDCProviders().List(ctx, c.AccountID)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListOpenIDConnectProvidersOutput{OpenIDConnectProviderList: []iamapi.OpenIDConnectProviderListEntry{}}
	for _, p := range ps {
		out.OpenIDConnectProviderList = append(out.OpenIDConnectProviderList, iamapi.OpenIDConnectProviderListEntry{Arn: p.ARN})
	}
	return out, nil
}

func (s *Service) AddClientIDToOpenIDConnectProvider(ctx context.Context, c *auth.Caller, in *iamapi.AddClientIDToOpenIDConnectProviderInput) (*iamapi.AddClientIDToOpenIDConnectProviderOutput, error) {
	if err := checkClientID(in.ClientID); err != nil {
		return nil, err
	}
	return result[iamapi.AddClientIDToOpenIDConnectProviderOutput](s.updateOIDC(ctx, c, "AddClientIDToOpenIDConnectProvider", in.OpenIDConnectProviderArn, func(p *store.OIDCProvider) error {
		p.ClientIDs = dedupe(append(p.ClientIDs, in.ClientID))
		if len(p.ClientIDs) > maxClientIDs {
			return awserr.LimitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", maxClientIDs)
		}
		return nil
	}))
}

// RemoveClientIDFromOpenIDConnectProvider succeeds when the client ID is
// absent, as AWS documents.
func (s *Service) RemoveClientIDFromOpenIDConnectProvider(ctx context.Context, c *auth.Caller, in *iamapi.RemoveClientIDFromOpenIDConnectProviderInput) (*iamapi.RemoveClientIDFromOpenIDConnectProviderOutput, error) {
	return result[iamapi.RemoveClientIDFromOpenIDConnectProviderOutput](s.updateOIDC(ctx, c, "RemoveClientIDFromOpenIDConnectProvider", in.OpenIDConnectProviderArn, func(p *store.OIDCProvider) error {
		var kept []string
		for _, id := range p.ClientIDs {
			if id != in.ClientID {
				kept = append(kept, id)
			}
		}
		p.ClientIDs = kept
		return nil
	}))
}

func (s *Service) UpdateOpenIDConnectProviderThumbprint(ctx context.Context, c *auth.Caller, in *iamapi.UpdateOpenIDConnectProviderThumbprintInput) (*iamapi.UpdateOpenIDConnectProviderThumbprintOutput, error) {
	thumbprints, err := checkThumbprints(in.ThumbprintList)
	if err != nil {
		return nil, err
	}
	return result[iamapi.UpdateOpenIDConnectProviderThumbprintOutput](s.updateOIDC(ctx, c, "UpdateOpenIDConnectProviderThumbprint", in.OpenIDConnectProviderArn, func(p *store.OIDCProvider) error {
		p.Thumbprints = thumbprints
		return nil
	}))
}

func (s *Service) TagOpenIDConnectProvider(ctx context.Context, c *auth.Caller, in *iamapi.TagOpenIDConnectProviderInput) (*iamapi.TagOpenIDConnectProviderOutput, error) {
	return result[iamapi.TagOpenIDConnectProviderOutput](s.oidcTags().tag(ctx, c, "TagOpenIDConnectProvider", in.OpenIDConnectProviderArn, in.Tags))
}

func (s *Service) UntagOpenIDConnectProvider(ctx context.Context, c *auth.Caller, in *iamapi.UntagOpenIDConnectProviderInput) (*iamapi.UntagOpenIDConnectProviderOutput, error) {
	return result[iamapi.UntagOpenIDConnectProviderOutput](s.oidcTags().untag(ctx, c, "UntagOpenIDConnectProvider", in.OpenIDConnectProviderArn, in.TagKeys))
}

func (s *Service) ListOpenIDConnectProviderTags(ctx context.Context, c *auth.Caller, in *iamapi.ListOpenIDConnectProviderTagsInput) (*iamapi.ListOpenIDConnectProviderTagsOutput, error) {
	out, err := s.oidcTags().list(ctx, c, "ListOpenIDConnectProviderTags", in.OpenIDConnectProviderArn, in.Marker, in.MaxItems)
	return (*iamapi.ListOpenIDConnectProviderTagsOutput)(out), err
}

// GetOIDCProvider returns a provider by ARN for STS AssumeRoleWithWebIdentity.
func (s *Service) GetOIDCProvider(ctx context.Context, arn string) (*store.OIDCProvider, error) {
	p, err := s.store.OIDCProviders().Get(ctx, arn)
	return p, notFoundAs(err, noSuchOIDC(arn))
}

func noSuchSAML(arn string) *awserr.Error {
	return awserr.NoSuchEntity("SAMLProvider %s does not exist.", arn)
}

// samlMetadata validates a metadata document as IAM does at
// CreateSAMLProvider and UpdateSAMLProvider, so a provider that can never
// sign anyone in (or a document built to attack the parser: a DTD, an
// entity bomb) is refused when it is stored rather than at sign-in. The
// document must parse, be one md:EntityDescriptor with an entityID and an
// IDPSSODescriptor holding at least one signing certificate; a DTD is
// refused unparsed. It returns the provider's ValidUntil: the metadata's
// validUntil, or a year from now (an arbitrary but finite default) without
// one. The document's length (1,000 to 10,000,000 characters, AWS's model)
// is the wire decoder's to check, before any of this runs.
func samlMetadata(doc string, now time.Time) (time.Time, error) {
	md, err := saml.ParseMetadata(doc)
	if err != nil {
		return time.Time{}, awserr.InvalidInput("Could not parse metadata")
	}
	if md.ValidUntil.IsZero() {
		return now.AddDate(1, 0, 0), nil
	}
	return md.ValidUntil.UTC().Truncate(time.Second), nil
}

func (s *Service) samlTarget(ctx context.Context, c *auth.Caller, action, arn string, keys ...auth.Key) (*store.SAMLProvider, error) {
	p, err := s.store.SAMLProviders().Get(ctx, arn)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if err := s.authorize(ctx, c, action, arn, keys...); err != nil {
		return nil, err
	}
	if p == nil || p.AccountID != c.AccountID {
		return nil, noSuchSAML(arn)
	}
	return p, nil
}

func (s *Service) CreateSAMLProvider(ctx context.Context, c *auth.Caller, in *iamapi.CreateSAMLProviderInput) (*iamapi.CreateSAMLProviderOutput, error) {
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	arn := "arn:aws:iam::" + c.AccountID + ":saml-provider/" + in.Name
	if err := s.authorize(ctx, c, "CreateSAMLProvider", arn, requestTagKeys(in.Tags)...); err != nil {
		return nil, err
	}
	now := s.clock()
	validUntil, err := samlMetadata(in.SAMLMetadataDocument, now)
	if err != nil {
		return nil, err
	}
	p := &store.SAMLProvider{AccountID: c.AccountID, ARN: arn, Name: in.Name, Metadata: in.SAMLMetadataDocument,
		ValidUntil: validUntil, Tags: storeTags(in.Tags), CreatedAt: now}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := tx.SAMLProviders().Create(ctx, p); err != nil {
			if isExists(err) {
				return awserr.EntityAlreadyExists("SAMLProvider %s already exists.", in.Name)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateSAMLProviderOutput{SAMLProviderArn: arn, Tags: tagsOut(p.Tags)}, nil
}

func (s *Service) GetSAMLProvider(ctx context.Context, c *auth.Caller, in *iamapi.GetSAMLProviderInput) (*iamapi.GetSAMLProviderOutput, error) {
	p, err := s.samlTarget(ctx, c, "GetSAMLProvider", in.SAMLProviderArn)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetSAMLProviderOutput{SAMLMetadataDocument: p.Metadata, CreateDate: p.CreatedAt, ValidUntil: p.ValidUntil, Tags: tagsOut(p.Tags)}, nil
}

func (s *Service) UpdateSAMLProvider(ctx context.Context, c *auth.Caller, in *iamapi.UpdateSAMLProviderInput) (*iamapi.UpdateSAMLProviderOutput, error) {
	if _, err := s.samlTarget(ctx, c, "UpdateSAMLProvider", in.SAMLProviderArn); err != nil {
		return nil, err
	}
	validUntil, err := samlMetadata(in.SAMLMetadataDocument, s.clock())
	if err != nil {
		return nil, err
	}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		p, err := tx.SAMLProviders().Get(ctx, in.SAMLProviderArn)
		if err != nil {
			return notFoundAs(err, noSuchSAML(in.SAMLProviderArn))
		}
		p.Metadata, p.ValidUntil = in.SAMLMetadataDocument, validUntil
		return tx.SAMLProviders().Update(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateSAMLProviderOutput{SAMLProviderArn: in.SAMLProviderArn}, nil
}

func (s *Service) DeleteSAMLProvider(ctx context.Context, c *auth.Caller, in *iamapi.DeleteSAMLProviderInput) (*iamapi.DeleteSAMLProviderOutput, error) {
	if _, err := s.samlTarget(ctx, c, "DeleteSAMLProvider", in.SAMLProviderArn); err != nil {
		return nil, err
	}
	return result[iamapi.DeleteSAMLProviderOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		return notFoundAs(tx.SAMLProviders().Delete(ctx, in.SAMLProviderArn), noSuchSAML(in.SAMLProviderArn))
	}))
}

func (s *Service) ListSAMLProviders(ctx context.Context, c *auth.Caller, _ *iamapi.ListSAMLProvidersInput) (*iamapi.ListSAMLProvidersOutput, error) {
	if err := s.authorize(ctx, c, "ListSAMLProviders", "*"); err != nil {
		return nil, err
	}
	ps, err := s.store.SAMLProviders().List(ctx, c.AccountID)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListSAMLProvidersOutput{SAMLProviderList: []iamapi.SAMLProviderListEntry{}}
	for _, p := range ps {
		out.SAMLProviderList = append(out.SAMLProviderList, iamapi.SAMLProviderListEntry{Arn: p.ARN, ValidUntil: p.ValidUntil, CreateDate: p.CreatedAt})
	}
	return out, nil
}

// GetSAMLProviderByARN returns a provider for STS AssumeRoleWithSAML.
func (s *Service) GetSAMLProviderByARN(ctx context.Context, arn string) (*store.SAMLProvider, error) {
	p, err := s.store.SAMLProviders().Get(ctx, arn)
	return p, notFoundAs(err, noSuchSAML(arn))
}
