package iam

import (
	"strings"
	"testing"
)

func TestOIDCProviders(t *testing.T) {
	e := newEnv(t)
	tp := strings.Repeat("a", 40)
	out := must[*CreateOpenIDConnectProviderOutput](t)(e.s.CreateOpenIDConnectProvider(e.ctx, e.root, &CreateOpenIDConnectProviderInput{
		Url: "https://token.example.com/path", ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{tp}}))
	arn := "arn:aws:iam::123456789012:oidc-provider/token.example.com/path"
	if out.OpenIDConnectProviderArn != arn {
		t.Errorf("arn %s", out.OpenIDConnectProviderArn)
	}
	tests := []struct {
		name string
		in   CreateOpenIDConnectProviderInput
		code string
	}{
		{"duplicate", CreateOpenIDConnectProviderInput{Url: "https://token.example.com/path", ThumbprintList: []string{tp}}, "EntityAlreadyExists"},
		{"http", CreateOpenIDConnectProviderInput{Url: "http://x.example.com"}, "ValidationError"},
		{"bad thumbprint", CreateOpenIDConnectProviderInput{Url: "https://y.example.com", ThumbprintList: []string{"abc"}}, "ValidationError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s.CreateOpenIDConnectProvider(e.ctx, e.root, &tc.in)
			wantErr(t, err, tc.code, "")
		})
	}
	must[*AddClientIDToOpenIDConnectProviderOutput](t)(e.s.AddClientIDToOpenIDConnectProvider(e.ctx, e.root, &AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: "app"}))
	must[*RemoveClientIDFromOpenIDConnectProviderOutput](t)(e.s.RemoveClientIDFromOpenIDConnectProvider(e.ctx, e.root, &RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: "sts.amazonaws.com"}))
	must[*UpdateOpenIDConnectProviderThumbprintOutput](t)(e.s.UpdateOpenIDConnectProviderThumbprint(e.ctx, e.root, &UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: arn, ThumbprintList: []string{strings.Repeat("b", 40)}}))
	must[*TagOpenIDConnectProviderOutput](t)(e.s.TagOpenIDConnectProvider(e.ctx, e.root, &TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, Tags: []Tag{{"k", "v"}}}))
	got := must[*GetOpenIDConnectProviderOutput](t)(e.s.GetOpenIDConnectProvider(e.ctx, e.root, &GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn}))
	if got.Url != "token.example.com/path" || strings.Join(got.ClientIDList, ",") != "app" || got.ThumbprintList[0][0] != 'b' || len(got.Tags) != 1 {
		t.Errorf("provider %+v", got)
	}
	list := must[*ListOpenIDConnectProvidersOutput](t)(e.s.ListOpenIDConnectProviders(e.ctx, e.root, &ListOpenIDConnectProvidersInput{}))
	if len(list.OpenIDConnectProviderList) != 1 {
		t.Errorf("list %+v", list)
	}
	must[*DeleteOpenIDConnectProviderOutput](t)(e.s.DeleteOpenIDConnectProvider(e.ctx, e.root, &DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn}))
	_, err := e.s.GetOpenIDConnectProvider(e.ctx, e.root, &GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn})
	wantErr(t, err, "NoSuchEntity", "OpenIDConnect Provider not found for arn "+arn)
}

func TestSAMLProviders(t *testing.T) {
	e := newEnv(t)
	meta := `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" validUntil="2030-01-01T00:00:00Z" entityID="https://idp.example.com">` +
		strings.Repeat(" ", 1000) + `</EntityDescriptor>`
	out := must[*CreateSAMLProviderOutput](t)(e.s.CreateSAMLProvider(e.ctx, e.root, &CreateSAMLProviderInput{Name: "idp", SAMLMetadataDocument: meta}))
	if out.SAMLProviderArn != "arn:aws:iam::123456789012:saml-provider/idp" {
		t.Errorf("arn %s", out.SAMLProviderArn)
	}
	_, err := e.s.CreateSAMLProvider(e.ctx, e.root, &CreateSAMLProviderInput{Name: "idp", SAMLMetadataDocument: meta})
	wantErr(t, err, "EntityAlreadyExists", "")
	_, err = e.s.CreateSAMLProvider(e.ctx, e.root, &CreateSAMLProviderInput{Name: "bad", SAMLMetadataDocument: strings.Repeat("x", 1000)})
	wantErr(t, err, "InvalidInput", "")
	got := must[*GetSAMLProviderOutput](t)(e.s.GetSAMLProvider(e.ctx, e.root, &GetSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn}))
	if got.ValidUntil.Year() != 2030 || got.SAMLMetadataDocument != meta {
		t.Errorf("provider %+v", got.ValidUntil)
	}
	must[*UpdateSAMLProviderOutput](t)(e.s.UpdateSAMLProvider(e.ctx, e.root, &UpdateSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn, SAMLMetadataDocument: strings.Replace(meta, "2030", "2031", 1)}))
	list := must[*ListSAMLProvidersOutput](t)(e.s.ListSAMLProviders(e.ctx, e.root, &ListSAMLProvidersInput{}))
	if len(list.SAMLProviderList) != 1 || list.SAMLProviderList[0].ValidUntil.Year() != 2031 {
		t.Errorf("list %+v", list)
	}
	must[*DeleteSAMLProviderOutput](t)(e.s.DeleteSAMLProvider(e.ctx, e.root, &DeleteSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn}))
	_, err = e.s.GetSAMLProvider(e.ctx, e.root, &GetSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn})
	wantErr(t, err, "NoSuchEntity", "")
}
