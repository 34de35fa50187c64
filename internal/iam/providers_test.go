package iam

import (
	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	"strings"
	"testing"
)

func TestOIDCProviders(t *testing.T) {
	e := newEnv(t)
	tp := strings.Repeat("a", 40)
	out := must[*iamapi.CreateOpenIDConnectProviderOutput](t)(e.s.CreateOpenIDConnectProvider(e.ctx, e.root, &iamapi.CreateOpenIDConnectProviderInput{
		Url: "https://token.example.com/path", ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{tp}}))
	arn := "arn:aws:iam::123456789012:oidc-provider/token.example.com/path"
	if out.OpenIDConnectProviderArn != arn {
		t.Errorf("arn %s", out.OpenIDConnectProviderArn)
	}
	tests := []struct {
		name string
		in   iamapi.CreateOpenIDConnectProviderInput
		code string
	}{
		{"duplicate", iamapi.CreateOpenIDConnectProviderInput{Url: "https://token.example.com/path", ThumbprintList: []string{tp}}, "EntityAlreadyExists"},
		{"http", iamapi.CreateOpenIDConnectProviderInput{Url: "http://x.example.com"}, "ValidationError"},
		{"bad thumbprint", iamapi.CreateOpenIDConnectProviderInput{Url: "https://y.example.com", ThumbprintList: []string{"abc"}}, "ValidationError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s.CreateOpenIDConnectProvider(e.ctx, e.root, &tc.in)
			wantErr(t, err, tc.code, "")
		})
	}
	must[*iamapi.AddClientIDToOpenIDConnectProviderOutput](t)(e.s.AddClientIDToOpenIDConnectProvider(e.ctx, e.root, &iamapi.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: "app"}))
	must[*iamapi.RemoveClientIDFromOpenIDConnectProviderOutput](t)(e.s.RemoveClientIDFromOpenIDConnectProvider(e.ctx, e.root, &iamapi.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: "sts.amazonaws.com"}))
	must[*iamapi.UpdateOpenIDConnectProviderThumbprintOutput](t)(e.s.UpdateOpenIDConnectProviderThumbprint(e.ctx, e.root, &iamapi.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: arn, ThumbprintList: []string{strings.Repeat("b", 40)}}))
	must[*iamapi.TagOpenIDConnectProviderOutput](t)(e.s.TagOpenIDConnectProvider(e.ctx, e.root, &iamapi.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, Tags: []iamapi.Tag{{Key: "k", Value: "v"}}}))
	got := must[*iamapi.GetOpenIDConnectProviderOutput](t)(e.s.GetOpenIDConnectProvider(e.ctx, e.root, &iamapi.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn}))
	if got.Url != "token.example.com/path" || strings.Join(got.ClientIDList, ",") != "app" || got.ThumbprintList[0][0] != 'b' || len(got.Tags) != 1 {
		t.Errorf("provider %+v", got)
	}
	list := must[*iamapi.ListOpenIDConnectProvidersOutput](t)(e.s.ListOpenIDConnectProviders(e.ctx, e.root, &iamapi.ListOpenIDConnectProvidersInput{}))
	if len(list.OpenIDConnectProviderList) != 1 {
		t.Errorf("list %+v", list)
	}
	must[*iamapi.DeleteOpenIDConnectProviderOutput](t)(e.s.DeleteOpenIDConnectProvider(e.ctx, e.root, &iamapi.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn}))
	_, err := e.s.GetOpenIDConnectProvider(e.ctx, e.root, &iamapi.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn})
	wantErr(t, err, "NoSuchEntity", "OpenIDConnect Provider not found for arn "+arn)
}

func TestSAMLProviders(t *testing.T) {
	e := newEnv(t)
	meta := `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" validUntil="2030-01-01T00:00:00Z" entityID="https://idp.example.com">` +
		strings.Repeat(" ", 1000) + `</EntityDescriptor>`
	out := must[*iamapi.CreateSAMLProviderOutput](t)(e.s.CreateSAMLProvider(e.ctx, e.root, &iamapi.CreateSAMLProviderInput{Name: "idp", SAMLMetadataDocument: meta}))
	if out.SAMLProviderArn != "arn:aws:iam::123456789012:saml-provider/idp" {
		t.Errorf("arn %s", out.SAMLProviderArn)
	}
	_, err := e.s.CreateSAMLProvider(e.ctx, e.root, &iamapi.CreateSAMLProviderInput{Name: "idp", SAMLMetadataDocument: meta})
	wantErr(t, err, "EntityAlreadyExists", "")
	_, err = e.s.CreateSAMLProvider(e.ctx, e.root, &iamapi.CreateSAMLProviderInput{Name: "bad", SAMLMetadataDocument: strings.Repeat("x", 1000)})
	wantErr(t, err, "InvalidInput", "")
	got := must[*iamapi.GetSAMLProviderOutput](t)(e.s.GetSAMLProvider(e.ctx, e.root, &iamapi.GetSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn}))
	if got.ValidUntil.Year() != 2030 || got.SAMLMetadataDocument != meta {
		t.Errorf("provider %+v", got.ValidUntil)
	}
	must[*iamapi.UpdateSAMLProviderOutput](t)(e.s.UpdateSAMLProvider(e.ctx, e.root, &iamapi.UpdateSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn, SAMLMetadataDocument: strings.Replace(meta, "2030", "2031", 1)}))
	list := must[*iamapi.ListSAMLProvidersOutput](t)(e.s.ListSAMLProviders(e.ctx, e.root, &iamapi.ListSAMLProvidersInput{}))
	if len(list.SAMLProviderList) != 1 || list.SAMLProviderList[0].ValidUntil.Year() != 2031 {
		t.Errorf("list %+v", list)
	}
	must[*iamapi.DeleteSAMLProviderOutput](t)(e.s.DeleteSAMLProvider(e.ctx, e.root, &iamapi.DeleteSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn}))
	_, err = e.s.GetSAMLProvider(e.ctx, e.root, &iamapi.GetSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn})
	wantErr(t, err, "NoSuchEntity", "")
}
