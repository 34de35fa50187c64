package iam

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/federation/saml/samltest"
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
	// IAM's answers to bad URLs, thumbprints and client IDs, as test
	// suites run against IAM record them: a URL without a scheme or host
	// is a ValidationError, anything else wrong an InvalidInput.
	const badURL = "Invalid Open ID Connect Provider URL."
	tests := []struct {
		name      string
		in        iamapi.CreateOpenIDConnectProviderInput
		code, msg string
	}{
		{"duplicate", iamapi.CreateOpenIDConnectProviderInput{Url: "https://token.example.com/path", ThumbprintList: []string{tp}}, "EntityAlreadyExists", "Provider with url https://token.example.com/path already exists."},
		{"no scheme", iamapi.CreateOpenIDConnectProviderInput{Url: "token.example.com"}, "ValidationError", "Invalid Open ID Connect Provider URL"},
		{"http", iamapi.CreateOpenIDConnectProviderInput{Url: "http://x.example.com"}, "InvalidInput", "Invalid Open ID Connect Provider URL. The URL must begin with https://."},
		{"upper-case scheme", iamapi.CreateOpenIDConnectProviderInput{Url: "HTTPS://x.example.com"}, "InvalidInput", "Invalid Open ID Connect Provider URL. The URL must begin with https://."},
		{"no host", iamapi.CreateOpenIDConnectProviderInput{Url: "https://"}, "ValidationError", "Invalid Open ID Connect Provider URL"},
		{"no host, path", iamapi.CreateOpenIDConnectProviderInput{Url: "https:///path"}, "ValidationError", "Invalid Open ID Connect Provider URL"},
		{"user info", iamapi.CreateOpenIDConnectProviderInput{Url: "https://user:pass@x.example.com"}, "InvalidInput", badURL},
		{"user info, evil host", iamapi.CreateOpenIDConnectProviderInput{Url: "https://token.example.com@evil.example.net/"}, "InvalidInput", badURL},
		{"query", iamapi.CreateOpenIDConnectProviderInput{Url: "https://x.example.com/?a=1"}, "InvalidInput", badURL},
		{"empty query", iamapi.CreateOpenIDConnectProviderInput{Url: "https://x.example.com/?"}, "InvalidInput", badURL},
		{"fragment", iamapi.CreateOpenIDConnectProviderInput{Url: "https://x.example.com/#frag"}, "InvalidInput", badURL},
		{"empty fragment", iamapi.CreateOpenIDConnectProviderInput{Url: "https://x.example.com#"}, "InvalidInput", badURL},
		{"underscore in host", iamapi.CreateOpenIDConnectProviderInput{Url: "https://exa_mple.com"}, "InvalidInput", badURL},
		{"bad port", iamapi.CreateOpenIDConnectProviderInput{Url: "https://x.example.com:99999"}, "InvalidInput", badURL},
		{"bad escape", iamapi.CreateOpenIDConnectProviderInput{Url: "https://x.example.com/%zz"}, "InvalidInput", badURL},
		{"@ in path", iamapi.CreateOpenIDConnectProviderInput{Url: "https://x.example.com/a@evil.example.net"}, "InvalidInput", badURL},
		{"space in path", iamapi.CreateOpenIDConnectProviderInput{Url: "https://x.example.com/a b"}, "InvalidInput", badURL},
		{"non-ASCII path", iamapi.CreateOpenIDConnectProviderInput{Url: "https://x.example.com/ä"}, "InvalidInput", badURL},
		{"control character", iamapi.CreateOpenIDConnectProviderInput{Url: "https://x.example.com/\x01"}, "InvalidInput", badURL},
		{"short thumbprint", iamapi.CreateOpenIDConnectProviderInput{Url: "https://y.example.com", ThumbprintList: []string{strings.Repeat("a", 39)}}, "InvalidInput", "Thumbprint must be exactly 40 characters."},
		{"six thumbprints", iamapi.CreateOpenIDConnectProviderInput{Url: "https://y.example.com", ThumbprintList: []string{tp, tp, tp, tp, tp, tp}}, "InvalidInput", "Thumbprint list must contain fewer than 5 entries."},
		{"long client ID", iamapi.CreateOpenIDConnectProviderInput{Url: "https://y.example.com", ClientIDList: []string{strings.Repeat("c", 256)}}, "ValidationError", "1 validation error detected: Value at 'clientID' failed to satisfy constraint: Member must have length less than or equal to 255"},
		{"empty client ID", iamapi.CreateOpenIDConnectProviderInput{Url: "https://y.example.com", ClientIDList: []string{""}}, "ValidationError", "1 validation error detected: Value at 'clientID' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"101 client IDs", iamapi.CreateOpenIDConnectProviderInput{Url: "https://y.example.com", ClientIDList: manyIDs(101)}, "LimitExceeded", "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100"},
		// Accepted: a port (self-hosted issuers need one), an IP literal,
		// five thumbprints, 100 client IDs.
		{"port", iamapi.CreateOpenIDConnectProviderInput{Url: "https://127.0.0.1:8443/realms/corp"}, "", ""},
		{"IPv6 literal", iamapi.CreateOpenIDConnectProviderInput{Url: "https://[::1]:8443"}, "", ""},
		{"limits", iamapi.CreateOpenIDConnectProviderInput{Url: "https://z.example.com", ThumbprintList: []string{tp, tp, tp, tp, tp}, ClientIDList: manyIDs(100)}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s.CreateOpenIDConnectProvider(e.ctx, e.root, &tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	// IAM stores thumbprints lower-cased.
	upper := must[*iamapi.CreateOpenIDConnectProviderOutput](t)(e.s.CreateOpenIDConnectProvider(e.ctx, e.root, &iamapi.CreateOpenIDConnectProviderInput{
		Url: "https://upper.example.com", ThumbprintList: []string{strings.Repeat("AB", 20)}}))
	if got := must[*iamapi.GetOpenIDConnectProviderOutput](t)(e.s.GetOpenIDConnectProvider(e.ctx, e.root, &iamapi.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: upper.OpenIDConnectProviderArn})); got.ThumbprintList[0] != strings.Repeat("ab", 20) {
		t.Errorf("thumbprint stored as %s", got.ThumbprintList[0])
	}
	_, err := e.s.AddClientIDToOpenIDConnectProvider(e.ctx, e.root, &iamapi.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: strings.Repeat("c", 256)})
	wantErr(t, err, "ValidationError", "1 validation error detected: Value at 'clientID' failed to satisfy constraint: Member must have length less than or equal to 255")
	_, err = e.s.UpdateOpenIDConnectProviderThumbprint(e.ctx, e.root, &iamapi.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: arn, ThumbprintList: []string{"abc"}})
	wantErr(t, err, "InvalidInput", "Thumbprint must be exactly 40 characters.")
	must[*iamapi.AddClientIDToOpenIDConnectProviderOutput](t)(e.s.AddClientIDToOpenIDConnectProvider(e.ctx, e.root, &iamapi.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: "app"}))
	must[*iamapi.RemoveClientIDFromOpenIDConnectProviderOutput](t)(e.s.RemoveClientIDFromOpenIDConnectProvider(e.ctx, e.root, &iamapi.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: "sts.amazonaws.com"}))
	must[*iamapi.UpdateOpenIDConnectProviderThumbprintOutput](t)(e.s.UpdateOpenIDConnectProviderThumbprint(e.ctx, e.root, &iamapi.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: arn, ThumbprintList: []string{strings.Repeat("b", 40)}}))
	must[*iamapi.TagOpenIDConnectProviderOutput](t)(e.s.TagOpenIDConnectProvider(e.ctx, e.root, &iamapi.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, Tags: []iamapi.Tag{{Key: "k", Value: "v"}}}))
	got := must[*iamapi.GetOpenIDConnectProviderOutput](t)(e.s.GetOpenIDConnectProvider(e.ctx, e.root, &iamapi.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn}))
	if got.Url != "token.example.com/path" || strings.Join(got.ClientIDList, ",") != "app" || got.ThumbprintList[0][0] != 'b' || len(got.Tags) != 1 {
		t.Errorf("provider %+v", got)
	}
	list := must[*iamapi.ListOpenIDConnectProvidersOutput](t)(e.s.ListOpenIDConnectProviders(e.ctx, e.root, &iamapi.ListOpenIDConnectProvidersInput{}))
	if len(list.OpenIDConnectProviderList) != 5 {
		t.Errorf("list %+v", list)
	}
	must[*iamapi.DeleteOpenIDConnectProviderOutput](t)(e.s.DeleteOpenIDConnectProvider(e.ctx, e.root, &iamapi.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn}))
	_, err = e.s.GetOpenIDConnectProvider(e.ctx, e.root, &iamapi.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn})
	wantErr(t, err, "NoSuchEntity", "OpenIDConnect Provider not found for arn "+arn)
}

func manyIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "client-" + strconv.Itoa(i)
	}
	return out
}

func TestSAMLProviders(t *testing.T) {
	e := newEnv(t)
	idp, err := samltest.New("https://idp.example.com")
	if err != nil {
		t.Fatal(err)
	}
	meta := strings.Replace(idp.Metadata(), `entityID=`, `validUntil="2030-01-01T00:00:00Z" entityID=`, 1)
	out := must[*iamapi.CreateSAMLProviderOutput](t)(e.s.CreateSAMLProvider(e.ctx, e.root, &iamapi.CreateSAMLProviderInput{Name: "idp", SAMLMetadataDocument: meta}))
	if out.SAMLProviderArn != "arn:aws:iam::123456789012:saml-provider/idp" {
		t.Errorf("arn %s", out.SAMLProviderArn)
	}
	_, err = e.s.CreateSAMLProvider(e.ctx, e.root, &iamapi.CreateSAMLProviderInput{Name: "idp", SAMLMetadataDocument: meta})
	wantErr(t, err, "EntityAlreadyExists", "")
	got := must[*iamapi.GetSAMLProviderOutput](t)(e.s.GetSAMLProvider(e.ctx, e.root, &iamapi.GetSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn}))
	if got.ValidUntil.Year() != 2030 || got.SAMLMetadataDocument != meta {
		t.Errorf("provider %+v", got.ValidUntil)
	}
	must[*iamapi.UpdateSAMLProviderOutput](t)(e.s.UpdateSAMLProvider(e.ctx, e.root, &iamapi.UpdateSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn, SAMLMetadataDocument: strings.Replace(meta, "2030", "2031", 1)}))
	list := must[*iamapi.ListSAMLProvidersOutput](t)(e.s.ListSAMLProviders(e.ctx, e.root, &iamapi.ListSAMLProvidersInput{}))
	if len(list.SAMLProviderList) != 1 || list.SAMLProviderList[0].ValidUntil.Year() != 2031 {
		t.Errorf("list %+v", list)
	}

	// Metadata that could never sign anyone in, or that attacks the
	// parser, is refused when stored, by both Create and Update, with
	// IAM's InvalidInput; the stored document is left as it was.
	for name, doc := range badMetadata(meta) {
		t.Run(name, func(t *testing.T) {
			_, err := e.s.CreateSAMLProvider(e.ctx, e.root, &iamapi.CreateSAMLProviderInput{Name: "bad", SAMLMetadataDocument: doc})
			wantErr(t, err, "InvalidInput", "Could not parse metadata")
			_, err = e.s.UpdateSAMLProvider(e.ctx, e.root, &iamapi.UpdateSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn, SAMLMetadataDocument: doc})
			wantErr(t, err, "InvalidInput", "Could not parse metadata")
		})
	}
	got = must[*iamapi.GetSAMLProviderOutput](t)(e.s.GetSAMLProvider(e.ctx, e.root, &iamapi.GetSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn}))
	if got.ValidUntil.Year() != 2031 {
		t.Errorf("a refused update changed the provider: %v", got.ValidUntil)
	}
	if _, err := e.s.GetSAMLProvider(e.ctx, e.root, &iamapi.GetSAMLProviderInput{SAMLProviderArn: "arn:aws:iam::123456789012:saml-provider/bad"}); err == nil {
		t.Error("a refused create stored the provider")
	}

	must[*iamapi.DeleteSAMLProviderOutput](t)(e.s.DeleteSAMLProvider(e.ctx, e.root, &iamapi.DeleteSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn}))
	_, err = e.s.GetSAMLProvider(e.ctx, e.root, &iamapi.GetSAMLProviderInput{SAMLProviderArn: out.SAMLProviderArn})
	wantErr(t, err, "NoSuchEntity", "")
}

// badMetadata derives refused documents (each at least 1,000 characters,
// so only the metadata check can refuse it) from valid metadata.
func badMetadata(valid string) map[string]string {
	pad := "<!-- " + strings.Repeat("x", 1000) + " -->"
	body := valid[strings.Index(valid, "<md:EntityDescriptor"):]
	lol := `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>`
	return map[string]string{
		"contains EntityDescriptor only": "EntityDescriptor " + strings.Repeat("x", 1000),
		"billion laughs":                 `<?xml version="1.0"?>` + lol + strings.Replace(body, "samltest</md:OrganizationName>", "&lol9;</md:OrganizationName>", 1),
		"external entity": `<?xml version="1.0"?><!DOCTYPE md [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
			strings.Replace(body, "samltest</md:OrganizationName>", "&xxe;</md:OrganizationName>", 1),
		"lower-case doctype":  `<!doctype md>` + body,
		"not XML":             strings.Repeat("<", 1000),
		"wrong root":          `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` + pad + `</md:EntitiesDescriptor>`,
		"wrong namespace":     strings.ReplaceAll(valid, "urn:oasis:names:tc:SAML:2.0:metadata", "urn:example"),
		"no entityID":         strings.Replace(valid, `entityID="https://idp.example.com"`, "", 1),
		"no IDPSSODescriptor": strings.ReplaceAll(valid, "IDPSSODescriptor", "SPSSODescriptor"),
		"no certificate":      regexp.MustCompile(`(?s)<md:KeyDescriptor.*</md:KeyDescriptor>`).ReplaceAllString(valid, pad),
		"encryption key only": strings.Replace(valid, `use="signing"`, `use="encryption"`, 1),
		"certificate not DER": regexp.MustCompile(`<ds:X509Certificate>[^<]*<`).ReplaceAllString(valid, "<ds:X509Certificate>AAAA<"),
		"certificate not b64": regexp.MustCompile(`<ds:X509Certificate>[^<]*<`).ReplaceAllString(valid, "<ds:X509Certificate>!!<"),
		"bad validUntil":      strings.Replace(valid, "2030-01-01T00:00:00Z", "next year", 1),
		"trailing element":    valid + "<x/>",
	}
}
