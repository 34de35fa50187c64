// Package samltest is a SAML identity provider for tests: a signing key and
// certificate, its metadata document, and signed responses built from a few
// options.
package samltest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"html"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// IdP is a test identity provider.
type IdP struct {
	EntityID string
	Key      *rsa.PrivateKey
	Cert     *x509.Certificate
}

// New returns an IdP with a fresh 2048-bit key and a self-signed
// certificate.
func New(entityID string) (*IdP, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "samltest IdP"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &IdP{EntityID: entityID, Key: key, Cert: cert}, nil
}

// Metadata is the IdP's metadata document, as CreateSAMLProvider takes it
// (IAM wants at least 1000 characters; the padding is a harmless
// Organization element).
func (p *IdP) Metadata() string {
	cert := base64.StdEncoding.EncodeToString(p.Cert.Raw)
	return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="` + html.EscapeString(p.EntityID) + `">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="false">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data><ds:X509Certificate>` + cert + `</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
  <md:Organization>
    <md:OrganizationName xml:lang="en">samltest</md:OrganizationName>
    <md:OrganizationDisplayName xml:lang="en">samltest identity provider for mantle's tests</md:OrganizationDisplayName>
    <md:OrganizationURL xml:lang="en">https://idp.example.com/</md:OrganizationURL>
  </md:Organization>
</md:EntityDescriptor>
`
}

// Options shape a response. Zero values take working defaults.
type Options struct {
	Subject       string // default "alice"
	SubjectFormat string // default persistent
	// Roles are Role attribute values, "roleARN,providerARN".
	Roles           []string
	RoleSessionName string // omitted when empty
	// Attributes are extra attributes by name.
	Attributes map[string][]string
	Audience   string // default https://signin.aws.amazon.com/saml
	Recipient  string // default https://signin.aws.amazon.com/saml
	Issuer     string // default the IdP's entity ID
	// IssueInstant is when the response was made (default now); it is
	// valid for five minutes from then.
	IssueInstant time.Time
	// SessionNotOnOrAfter, when set, is the AuthnStatement's.
	SessionNotOnOrAfter time.Time
	// SignResponse signs the Response instead of the Assertion.
	SignResponse bool
}

// Response returns the base64 samlp:Response for o, signed.
func (p *IdP) Response(o Options) (string, error) {
	doc, err := p.ResponseXML(o)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString([]byte(doc)), nil
}

// ResponseXML returns the signed samlp:Response for o as XML.
func (p *IdP) ResponseXML(o Options) (string, error) {
	if o.Subject == "" {
		o.Subject = "alice"
	}
	if o.SubjectFormat == "" {
		o.SubjectFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	}
	if o.Audience == "" {
		o.Audience = "https://signin.aws.amazon.com/saml"
	}
	if o.Recipient == "" {
		o.Recipient = "https://signin.aws.amazon.com/saml"
	}
	if o.Issuer == "" {
		o.Issuer = p.EntityID
	}
	if o.IssueInstant.IsZero() {
		o.IssueInstant = time.Now()
	}
	t := o.IssueInstant.UTC()
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
	attrs := map[string][]string{}
	for k, v := range o.Attributes {
		attrs[k] = v
	}
	if len(o.Roles) > 0 {
		attrs["https://aws.amazon.com/SAML/Attributes/Role"] = o.Roles
	}
	if o.RoleSessionName != "" {
		attrs["https://aws.amazon.com/SAML/Attributes/RoleSessionName"] = []string{o.RoleSessionName}
	}
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	var as strings.Builder
	for _, n := range names {
		fmt.Fprintf(&as, `<saml:Attribute Name="%s">`, html.EscapeString(n))
		for _, v := range attrs[n] {
			fmt.Fprintf(&as, `<saml:AttributeValue>%s</saml:AttributeValue>`, html.EscapeString(v))
		}
		as.WriteString(`</saml:Attribute>`)
	}
	session := ""
	if !o.SessionNotOnOrAfter.IsZero() {
		session = ` SessionNotOnOrAfter="` + ts(o.SessionNotOnOrAfter) + `"`
	}
	xml := `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_resp` + nonce() + `" Version="2.0" IssueInstant="` + ts(t) + `" Destination="` + html.EscapeString(o.Recipient) + `">` +
		`<saml:Issuer>` + html.EscapeString(o.Issuer) + `</saml:Issuer>` +
		`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
		`<saml:Assertion ID="_assert` + nonce() + `" Version="2.0" IssueInstant="` + ts(t) + `">` +
		`<saml:Issuer>` + html.EscapeString(o.Issuer) + `</saml:Issuer>` +
		`<saml:Subject><saml:NameID Format="` + html.EscapeString(o.SubjectFormat) + `">` + html.EscapeString(o.Subject) + `</saml:NameID>` +
		`<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="` + ts(t.Add(5*time.Minute)) + `" Recipient="` + html.EscapeString(o.Recipient) + `"/></saml:SubjectConfirmation></saml:Subject>` +
		`<saml:Conditions NotBefore="` + ts(t.Add(-time.Minute)) + `" NotOnOrAfter="` + ts(t.Add(5*time.Minute)) + `"><saml:AudienceRestriction><saml:Audience>` + html.EscapeString(o.Audience) + `</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
		`<saml:AuthnStatement AuthnInstant="` + ts(t) + `"` + session + `><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
		`<saml:AttributeStatement>` + as.String() + `</saml:AttributeStatement>` +
		`</saml:Assertion></samlp:Response>`
	return p.Sign(xml, o.SignResponse)
}

// Sign adds an enveloped signature to the response's Assertion, or to the
// Response itself when response is true, and returns the document.
func (p *IdP) Sign(responseXML string, response bool) (string, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromString(responseXML); err != nil {
		return "", err
	}
	ctx := dsig.NewDefaultSigningContext(dsig.TLSCertKeyStore(tls.Certificate{Certificate: [][]byte{p.Cert.Raw}, PrivateKey: p.Key}))
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	root := doc.Root()
	if response {
		signed, err := ctx.SignEnveloped(root)
		if err != nil {
			return "", err
		}
		doc.SetRoot(signed)
		return doc.WriteToString()
	}
	target := root.SelectElement("saml:Assertion")
	// The assertion uses prefixes the response declares: sign it detached
	// with those declarations, as a verifier will check it.
	nsctx, err := etreeutils.NSBuildParentContext(target)
	if err != nil {
		return "", err
	}
	detached, err := etreeutils.NSDetatch(nsctx, target)
	if err != nil {
		return "", err
	}
	signed, err := ctx.SignEnveloped(detached)
	if err != nil {
		return "", err
	}
	root.InsertChildAt(target.Index(), signed)
	root.RemoveChild(target)
	return doc.WriteToString()
}

func nonce() string {
	b := make([]byte, 12)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}
