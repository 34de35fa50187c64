package iam

import (
	"context"
	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	"regexp"
	"strings"
	"time"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
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

func checkThumbprints(tps []string) error {
	if len(tps) > maxThumbprints {
		return awserr.LimitExceeded("Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: %d", maxThumbprints)
	}
	for _, tp := range tps {
		if len(tp) != 40 {
			return awserr.ValidationError("1 validation error detected: Value '%s' at 'thumbprintList' failed to satisfy constraint: Member must have length greater than or equal to 40", tp)
		}
	}
	return nil
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
	if !strings.HasPrefix(in.Url, "https://") || len(in.Url) <= len("https://") {
		return nil, awserr.ValidationError("The url must begin with https:// and contain a host.")
	}
	if err := checkThumbprints(in.ThumbprintList); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	arn := oidcARN(c.AccountID, in.Url)
	if err := s.authorize(ctx, c, "CreateOpenIDConnectProvider", arn, requestTagKeys(in.Tags)...); err != nil {
		return nil, err
	}
	p := &store.OIDCProvider{AccountID: c.AccountID, ARN: arn, URL: strings.TrimSuffix(in.Url, "/"), ClientIDs: dedupe(in.ClientIDList),
		Thumbprints: in.ThumbprintList, Tags: storeTags(in.Tags), CreatedAt: s.clock()}
	err := s.write(ctx, func(ctx context.Context, tx store.Repos) error {
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
	return &iamapi.GetOpenIDConnectProviderOutput{Url: strings.TrimPrefix(p.URL, "https://"), ClientIDList: p.ClientIDs,
		ThumbprintList: p.Thumbprints, CreateDate: p.CreatedAt, Tags: tagsOut(p.Tags)}, nil
}

func (s *Service) DeleteOpenIDConnectProvider(ctx context.Context, c *auth.Caller, in *iamapi.DeleteOpenIDConnectProviderInput) (*iamapi.DeleteOpenIDConnectProviderOutput, error) {
	if _, err := s.oidcTarget(ctx, c, "DeleteOpenIDConnectProvider", in.OpenIDConnectProviderArn); err != nil {
		return nil, err
	}
	return result[iamapi.DeleteOpenIDConnectProviderOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		return notFoundAs(tx.OIDCProviders().Delete(ctx, in.OpenIDConnectProviderArn), noSuchOIDC(in.OpenIDConnectProviderArn))
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
	if err := checkThumbprints(in.ThumbprintList); err != nil {
		return nil, err
	}
	return result[iamapi.UpdateOpenIDConnectProviderThumbprintOutput](s.updateOIDC(ctx, c, "UpdateOpenIDConnectProviderThumbprint", in.OpenIDConnectProviderArn, func(p *store.OIDCProvider) error {
		p.Thumbprints = in.ThumbprintList
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

var validUntilRe = regexp.MustCompile(`validUntil="([^"]+)"`)

// samlValidUntil reads the metadata's validUntil; without one the provider
// is valid for a year, an arbitrary but finite default.
func samlValidUntil(meta string, now time.Time) time.Time {
	if m := validUntilRe.FindStringSubmatch(meta); m != nil {
		if t, err := time.Parse(time.RFC3339, m[1]); err == nil {
			return t.UTC().Truncate(time.Second)
		}
	}
	return now.AddDate(1, 0, 0)
}

func checkSAMLMetadata(meta string) error {
	if !strings.Contains(meta, "EntityDescriptor") {
		return awserr.InvalidInput("Could not parse metadata")
	}
	return nil
}

func (s *Service) samlTarget(ctx context.Context, c *auth.Caller, action, arn string) (*store.SAMLProvider, error) {
	p, err := s.store.SAMLProviders().Get(ctx, arn)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if err := s.authorize(ctx, c, action, arn); err != nil {
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
	if err := checkSAMLMetadata(in.SAMLMetadataDocument); err != nil {
		return nil, err
	}
	now := s.clock()
	p := &store.SAMLProvider{AccountID: c.AccountID, ARN: arn, Name: in.Name, Metadata: in.SAMLMetadataDocument,
		ValidUntil: samlValidUntil(in.SAMLMetadataDocument, now), Tags: storeTags(in.Tags), CreatedAt: now}
	err := s.write(ctx, func(ctx context.Context, tx store.Repos) error {
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
	if err := checkSAMLMetadata(in.SAMLMetadataDocument); err != nil {
		return nil, err
	}
	err := s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		p, err := tx.SAMLProviders().Get(ctx, in.SAMLProviderArn)
		if err != nil {
			return notFoundAs(err, noSuchSAML(in.SAMLProviderArn))
		}
		p.Metadata, p.ValidUntil = in.SAMLMetadataDocument, samlValidUntil(in.SAMLMetadataDocument, s.clock())
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
