package integration

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/go-jose/go-jose/v4"

	"github.com/mantle-iam/mantle/internal/federation/saml/samltest"
)

// TestSecuritySAMLAttacks guards AssumeRoleWithSAML against forged
// assertions: XML entity tricks (XXE, billion laughs), XML signature
// wrapping in its usual forms, an unsigned assertion, one signed by a key
// the provider's metadata does not hold, one altered after signing, and a
// replayed expired one. Each is refused with STS's error for an invalid (or
// expired) token, and no credentials are issued. The role at stake is an
// administrator role; the IdP's genuine response for a harmless role works,
// so the refusals are the attacks', not the setup's.
func TestSecuritySAMLAttacks(t *testing.T) {
	e := start(t)
	c := ctx(t)
	const entity = "https://idp.example.com/metadata"
	idp, err := samltest.New(entity)
	if err != nil {
		t.Fatal(err)
	}
	// Same entity ID, another key: what an attacker who forges the IdP's
	// name but not its key can sign.
	impostor, err := samltest.New(entity)
	if err != nil {
		t.Fatal(err)
	}
	prov := must[*iam.CreateSAMLProviderOutput](t)(e.iam(e.root()).CreateSAMLProvider(c, &iam.CreateSAMLProviderInput{
		Name: aws.String("corp"), SAMLMetadataDocument: aws.String(idp.Metadata())}))
	providerARN := aws.ToString(prov.SAMLProviderArn)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + providerARN + `"},"Action":"sts:AssumeRoleWithSAML"}]}`
	readerARN := e.newRole("reader", trust, allowDoc("iam:GetUser", "*"), 0)
	adminARN := e.newRole("admin", trust, adminDoc, 0)
	opts := func(role string) samltest.Options {
		return samltest.Options{Subject: "alice", Roles: []string{role + "," + providerARN}, RoleSessionName: "alice"}
	}
	signed := func(p *samltest.IdP, o samltest.Options) string {
		t.Helper()
		x, err := p.ResponseXML(o)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	assume := func(role, responseXML string) (*sts.AssumeRoleWithSAMLOutput, error) {
		return e.anonymousSTS().AssumeRoleWithSAML(c, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(role), PrincipalArn: aws.String(providerARN),
			SAMLAssertion: aws.String(base64.StdEncoding.EncodeToString([]byte(responseXML)))})
	}
	if _, err := assume(readerARN, signed(idp, opts(readerARN))); err != nil {
		t.Fatalf("the genuine response is refused: %v", err)
	}
	// evil is an unsigned assertion of the IdP's issuer granting the
	// administrator role.
	evil := func(id string) string {
		exp := time.Now().Add(5 * time.Minute).UTC().Format(time.RFC3339)
		return `<saml:Assertion ID="` + id + `" Version="2.0" IssueInstant="` + time.Now().UTC().Format(time.RFC3339) + `"><saml:Issuer>` + entity + `</saml:Issuer>` +
			`<saml:Subject><saml:NameID>mallory</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="` + exp + `" Recipient="https://signin.aws.amazon.com/saml"/></saml:SubjectConfirmation></saml:Subject>` +
			`<saml:Conditions><saml:AudienceRestriction><saml:Audience>https://signin.aws.amazon.com/saml</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
			`<saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>` + adminARN + "," + providerARN + `</saml:AttributeValue></saml:Attribute>` +
			`<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>mallory</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>`
	}
	between := func(s, from, to string) string {
		i := strings.Index(s, from) + len(from)
		return s[i : i+strings.Index(s[i:], to)]
	}
	const badSignature = "Invalid SAML response: the signature does not verify with the identity provider's signing certificates."
	const dtd = "Invalid SAML response: a document type declaration is not allowed"
	tests := []struct {
		name      string
		response  func() string
		code, msg string
	}{
		{"XXE: external entity in the NameID", func() string {
			x := signed(idp, opts(readerARN))
			return `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + strings.Replace(x, ">alice<", ">&xxe;<", 1)
		}, "InvalidIdentityToken", dtd},
		{"billion laughs", func() string {
			return `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>` +
				strings.Replace(signed(idp, opts(readerARN)), ">alice<", ">&c;<", 1)
		}, "InvalidIdentityToken", dtd},
		{"unsigned assertion", func() string {
			x := signed(idp, opts(adminARN))
			return x[:strings.Index(x, "<ds:Signature")] + x[strings.Index(x, "</ds:Signature>")+len("</ds:Signature>"):]
		}, "InvalidIdentityToken", "The SAML response is not signed: neither the Response nor its Assertion carries a signature."},
		{"signed by another key", func() string { return signed(impostor, opts(adminARN)) }, "InvalidIdentityToken", badSignature},
		{"response signed by another key", func() string {
			o := opts(adminARN)
			o.SignResponse = true
			return signed(impostor, o)
		}, "InvalidIdentityToken", badSignature},
		{"role altered after signing", func() string {
			return strings.Replace(signed(idp, opts(readerARN)), "role/reader", "role/admin", 1)
		}, "InvalidIdentityToken", badSignature},
		{"wrapping: signed assertion hidden inside an unsigned one", func() string {
			x := signed(idp, opts(readerARN))
			i, j := strings.Index(x, "<saml:Assertion"), strings.Index(x, "</saml:Assertion>")+len("</saml:Assertion>")
			orig := x[i:j]
			sig := orig[strings.Index(orig, "<ds:Signature") : strings.Index(orig, "</ds:Signature>")+len("</ds:Signature>")]
			w := strings.Replace(evil(between(orig, `ID="`, `"`)), "</saml:Issuer>", "</saml:Issuer>"+sig, 1)
			w = strings.Replace(w, "</saml:Assertion>", "<saml:Advice>"+orig+"</saml:Advice></saml:Assertion>", 1)
			return x[:i] + w + x[j:]
		}, "InvalidIdentityToken", badSignature},
		{"wrapping: unsigned assertion beside the signed one", func() string {
			x := signed(idp, opts(readerARN))
			i := strings.Index(x, "<saml:Assertion")
			return x[:i] + evil("_evil") + x[i:]
		}, "InvalidIdentityToken", "Invalid SAML response: it must hold exactly one Assertion."},
		{"wrapping: signed response with an assertion added after", func() string {
			o := opts(readerARN)
			o.SignResponse = true
			return strings.Replace(signed(idp, o), "</samlp:Response>", evil("_evil")+"</samlp:Response>", 1)
		}, "InvalidIdentityToken", badSignature},
		{"wrapping: signed response moved inside an unsigned one", func() string {
			o := opts(readerARN)
			o.SignResponse = true
			x := signed(idp, o)
			body := x[strings.Index(x, "<samlp:Response"):]
			return `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_outer" Version="2.0">` +
				`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` + evil("_evil") +
				`<samlp:Extensions>` + body + `</samlp:Extensions></samlp:Response>`
		}, "InvalidIdentityToken", "The SAML response is not signed: neither the Response nor its Assertion carries a signature."},
		{"replayed after it expired", func() string {
			o := opts(readerARN)
			o.IssueInstant = time.Now().Add(-time.Hour)
			return signed(idp, o)
		}, "ExpiredTokenException", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := assume(adminARN, tc.response())
			if err == nil {
				t.Fatalf("credentials issued: %s", aws.ToString(out.AssumedRoleUser.Arn))
			}
			if tc.msg == "" {
				wantCode(t, err, tc.code, "The SAML assertion expired at ")
				return
			}
			wantAPIError(t, err, tc.code, tc.msg)
		})
	}
}

// signJWT signs claims as a compact JWS with key, adding the header fields
// extra and, when embed is set, the key itself ("jwk").
func signJWT(t testing.TB, key any, alg jose.SignatureAlgorithm, extra map[jose.HeaderKey]any, embed bool, claims map[string]any) string {
	t.Helper()
	o := (&jose.SignerOptions{EmbedJWK: embed}).WithType("JWT")
	for k, v := range extra {
		o = o.WithHeader(k, v)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, o)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// jwtPart is base64url without padding, as JWS compact serialization uses.
func jwtPart(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestSecurityJWTAttacks guards AssumeRoleWithWebIdentity against forged
// ID tokens: alg "none", HS256 signed with the issuer's RSA public key as
// the HMAC secret (key confusion), a key the issuer does not publish (under
// the issuer's kid, under an unknown kid, or embedded in the header as
// "jwk" or pointed at by "jku"), an expired token, a token for another
// audience, and one altered after signing. Each is refused with STS's
// error and wording; no credentials are issued.
func TestSecurityJWTAttacks(t *testing.T) {
	e := start(t)
	c := ctx(t)
	is := newOIDCIssuer(t)
	providerARN := is.register(t, e)
	roleARN := e.newRole("ci", webIdentityTrust(providerARN, `{"StringEquals":{"`+is.host()+`:aud":"sts.amazonaws.com"}}`), adminDoc, 0)
	anon := e.anonymousSTS()
	assume := func(tok string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		return anon.AssumeRoleWithWebIdentity(c, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ci"), WebIdentityToken: aws.String(tok)})
	}
	if _, err := assume(is.token(t, nil)); err != nil {
		t.Fatalf("the genuine token is refused: %v", err)
	}
	now := time.Now()
	claims := map[string]any{"iss": is.srv.URL, "aud": "sts.amazonaws.com", "sub": "repo:acme/app:ref:refs/heads/main", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signWith := func(key any, alg jose.SignatureAlgorithm, extra map[jose.HeaderKey]any, embed bool) string {
		return signJWT(t, key, alg, extra, embed, claims)
	}
	// hs256 signs with HMAC-SHA256 and secret, by hand: go-jose refuses
	// to build the confused token, an attacker does not.
	hs256 := func(secret []byte) string {
		signingInput := jwtPart(map[string]string{"alg": "HS256", "typ": "JWT", "kid": "k1"}) + "." + jwtPart(claims)
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(signingInput))
		return signingInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&is.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	const notJWT = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
	const badAlg = "The ID Token is signed with an algorithm mantle does not accept; use RS256, RS384, RS512, ES256, ES384 or ES512."
	const badSig = "The ID Token signature could not be verified with the identity provider's keys."
	tests := []struct {
		name      string
		token     func() string
		code, msg string
	}{
		{"alg none, no signature", func() string {
			return jwtPart(map[string]string{"alg": "none", "typ": "JWT"}) + "." + jwtPart(claims) + "."
		}, "InvalidIdentityToken", notJWT},
		{"alg none, genuine signature kept", func() string {
			parts := strings.Split(is.token(t, nil), ".")
			return jwtPart(map[string]string{"alg": "none", "typ": "JWT", "kid": "k1"}) + "." + parts[1] + "." + parts[2]
		}, "InvalidIdentityToken", notJWT},
		{"alg None in another case", func() string {
			return jwtPart(map[string]string{"alg": "None", "typ": "JWT"}) + "." + jwtPart(claims) + "."
		}, "InvalidIdentityToken", notJWT},
		{"HS256 keyed with the RSA public key (PEM)", func() string { return hs256(pubPEM) }, "InvalidIdentityToken", badAlg},
		{"HS256 keyed with the RSA public key (DER)", func() string { return hs256(pubDER) }, "InvalidIdentityToken", badAlg},
		{"attacker's key under the issuer's kid", func() string {
			return signWith(attacker, jose.RS256, map[jose.HeaderKey]any{"kid": "k1"}, false)
		}, "InvalidIdentityToken", badSig},
		{"attacker's key under an unknown kid", func() string {
			return signWith(attacker, jose.RS256, map[jose.HeaderKey]any{"kid": "k2"}, false)
		}, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"},
		{"attacker's key embedded in the header (jwk)", func() string {
			return signWith(attacker, jose.RS256, nil, true)
		}, "InvalidIdentityToken", badSig},
		{"attacker's key set named in the header (jku)", func() string {
			return signWith(attacker, jose.RS256, map[jose.HeaderKey]any{"kid": "evil", "jku": "https://attacker.example.com/jwks"}, false)
		}, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"},
		{"claims altered after signing", func() string {
			parts := strings.Split(is.token(t, nil), ".")
			forged := map[string]any{}
			for k, v := range claims {
				forged[k] = v
			}
			forged["sub"] = "repo:evil/app:ref:refs/heads/main"
			return parts[0] + "." + jwtPart(forged) + "." + parts[2]
		}, "InvalidIdentityToken", badSig},
		{"expired", func() string { return is.token(t, map[string]any{"exp": now.Add(-time.Minute).Unix()}) }, "ExpiredTokenException", ""},
		{"another audience", func() string { return is.token(t, map[string]any{"aud": "app.example.com"}) }, "InvalidIdentityToken", "Incorrect token audience"},
		{"not yet valid", func() string { return is.token(t, map[string]any{"nbf": now.Add(time.Hour).Unix()}) }, "InvalidIdentityToken", "The ID Token provided is not yet valid (nbf)."},
		{"empty parts", func() string { return "a.b.c" }, "InvalidIdentityToken", notJWT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := assume(tc.token())
			if err == nil {
				t.Fatalf("credentials issued: %s", aws.ToString(out.AssumedRoleUser.Arn))
			}
			if tc.msg == "" {
				wantCode(t, err, tc.code, "Token expired")
				return
			}
			wantAPIError(t, err, tc.code, tc.msg)
		})
	}
}

// TestSecurityProviderValidation guards the create-time checks of identity
// providers (issue 9 item 7) through the wire: SAML metadata carrying a DTD
// (an entity bomb) or no signing certificate is refused when stored, not at
// the first sign-in, and so is an OIDC URL whose user info, query or
// fragment could make one provider stand for another issuer.
func TestSecurityProviderValidation(t *testing.T) {
	e := start(t)
	c := ctx(t)
	root := e.iam(e.root())
	idp, err := samltest.New("https://idp.example.com/metadata")
	if err != nil {
		t.Fatal(err)
	}
	good := idp.Metadata()
	body := good[strings.Index(good, "<md:EntityDescriptor"):]
	metadata := []struct {
		name, doc, code, msg string
	}{
		{"entity bomb", `<!DOCTYPE md [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>` +
			strings.Replace(body, ">samltest<", ">&c;<", 1), "InvalidInput", "Could not parse metadata"},
		{"external entity", `<!DOCTYPE md [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + strings.Replace(body, ">samltest<", ">&x;<", 1), "InvalidInput", "Could not parse metadata"},
		{"only the word EntityDescriptor", "EntityDescriptor" + strings.Repeat(" ", 1000), "InvalidInput", "Could not parse metadata"},
		{"no signing certificate", strings.Replace(good, `use="signing"`, `use="encryption"`, 1), "InvalidInput", "Could not parse metadata"},
	}
	for _, tc := range metadata {
		t.Run("SAML/"+tc.name, func(t *testing.T) {
			_, err := root.CreateSAMLProvider(c, &iam.CreateSAMLProviderInput{Name: aws.String("corp"), SAMLMetadataDocument: aws.String(tc.doc)})
			wantAPIError(t, err, tc.code, tc.msg)
		})
	}
	t.Run("SAML/shorter than 1000 characters", func(t *testing.T) {
		_, err := root.CreateSAMLProvider(c, &iam.CreateSAMLProviderInput{Name: aws.String("corp"), SAMLMetadataDocument: aws.String("<x/>")})
		wantCode(t, err, "ValidationError", "Member must have length greater than or equal to 1000")
	})
	prov := must[*iam.CreateSAMLProviderOutput](t)(root.CreateSAMLProvider(c, &iam.CreateSAMLProviderInput{Name: aws.String("corp"), SAMLMetadataDocument: aws.String(good)}))
	_, err = root.UpdateSAMLProvider(c, &iam.UpdateSAMLProviderInput{SAMLProviderArn: prov.SAMLProviderArn, SAMLMetadataDocument: aws.String(metadata[0].doc)})
	wantAPIError(t, err, "InvalidInput", "Could not parse metadata")

	for _, u := range []string{"https://user:pass@issuer.example.com", "https://issuer.example.com@evil.example.net",
		"https://issuer.example.com/?iss=https://evil.example.net", "https://issuer.example.com/#https://evil.example.net"} {
		t.Run("OIDC/"+u, func(t *testing.T) {
			_, err := root.CreateOpenIDConnectProvider(c, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(u), ThumbprintList: []string{strings.Repeat("0", 40)}})
			wantAPIError(t, err, "InvalidInput", "Invalid Open ID Connect Provider URL.")
		})
	}
}
