package saml

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/mantle-iam/mantle/internal/federation"
)

// XML namespaces of SAML 2.0 and XML-DSig.
const (
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
)

// Attribute names AWS reads from an assertion.
const (
	AttrRole              = "https://aws.amazon.com/SAML/Attributes/Role"
	AttrRoleSessionName   = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	AttrSessionDuration   = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	AttrSourceIdentity    = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
	AttrPrincipalTag      = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
	AttrTransitiveTagKeys = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
)

// Audiences are the audiences AWS accepts for AssumeRoleWithSAML.
var Audiences = []string{"https://signin.aws.amazon.com/saml", "urn:amazon:webservices"}

// MaxAssertionSize is AssumeRoleWithSAML's limit on SAMLAssertion (base64).
const MaxAssertionSize = 100000

// Metadata is what verification needs of a SAML provider's metadata
// document: the IdP's entity ID and its signing certificates.
type Metadata struct {
	EntityID string
	Certs    []*x509.Certificate
	// ValidUntil is the EntityDescriptor's validUntil, zero when absent.
	ValidUntil time.Time
}

// ParseMetadata reads an IdP's EntityDescriptor. It is the one parser of
// metadata: IAM's CreateSAMLProvider and UpdateSAMLProvider validate with
// it before storing, and STS reads stored metadata with it at sign-in. A
// document with a DTD is refused before it is parsed.
func ParseMetadata(doc string) (*Metadata, error) {
	root, err := parseXML([]byte(doc))
	if err != nil {
		return nil, err
	}
	if !is(root, nsMetadata, "EntityDescriptor") {
		return nil, errors.New("metadata: the root element is not an md:EntityDescriptor")
	}
	md := &Metadata{EntityID: root.SelectAttrValue("entityID", "")}
	if md.EntityID == "" {
		return nil, errors.New("metadata: EntityDescriptor has no entityID")
	}
	if md.ValidUntil, err = timeAttr(root, "validUntil"); err != nil {
		return nil, errors.New("metadata: validUntil is not an xs:dateTime")
	}
	for _, idp := range children(root, nsMetadata, "IDPSSODescriptor") {
		for _, kd := range children(idp, nsMetadata, "KeyDescriptor") {
			if use := kd.SelectAttrValue("use", ""); use != "" && use != "signing" {
				continue
			}
			for _, ki := range children(kd, nsDSig, "KeyInfo") {
				for _, xd := range children(ki, nsDSig, "X509Data") {
					for _, xc := range children(xd, nsDSig, "X509Certificate") {
						der, err := base64.StdEncoding.DecodeString(stripSpace(text(xc)))
						if err != nil {
							return nil, errors.New("metadata: an X509Certificate is not base64")
						}
						cert, err := x509.ParseCertificate(der)
						if err != nil {
							return nil, errors.New("metadata: an X509Certificate does not parse: " + err.Error())
						}
						md.Certs = append(md.Certs, cert)
					}
				}
			}
		}
	}
	if len(md.Certs) == 0 {
		return nil, errors.New("metadata: the IDPSSODescriptor has no signing certificate")
	}
	return md, nil
}

// Assertion is what a verified SAML response asserts.
type Assertion struct {
	Issuer string
	// Subject is the NameID; SubjectType its Format, shortened as AWS
	// does (urn:oasis:names:tc:SAML:2.0:nameid-format:persistent →
	// persistent).
	Subject     string
	SubjectType string
	// Recipient is SubjectConfirmationData's Recipient (saml:aud).
	Recipient string
	// SessionNotOnOrAfter is the AuthnStatement's, zero when absent.
	SessionNotOnOrAfter time.Time
	// Attributes are every attribute's values by attribute Name.
	Attributes map[string][]string
}

// Config tunes Verify.
type Config struct {
	Now func() time.Time
	// Skew is the clock skew allowed on NotBefore/NotOnOrAfter (default
	// 60 s).
	Skew time.Duration
}

func rejectf(k federation.Kind, msg string) *federation.Error { return federation.New(k, msg) }

func invalid(msg string) *federation.Error { return rejectf(federation.Invalid, msg) }

// Verify decodes a base64 samlp:Response, checks its XML signature (of the
// Response or of its one Assertion) with the metadata's certificates and
// the assertion's issuer, audience and validity window, and returns what the
// signed assertion says. Nothing is read from outside the element the
// signature verifier returns. Errors are *federation.Error.
func Verify(b64 string, md *Metadata, cfg Config) (*Assertion, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Skew <= 0 {
		cfg.Skew = time.Minute
	}
	if len(b64) > MaxAssertionSize {
		return nil, invalid("The SAML assertion is larger than 100000 characters.")
	}
	raw, err := base64.StdEncoding.DecodeString(stripSpace(b64))
	if err != nil {
		return nil, invalid("Invalid base64 SAMLResponse (check that you passed the base64-encoded response).")
	}
	resp, err := parseXML(raw)
	if err != nil {
		return nil, invalid("Invalid SAML response: " + err.Error())
	}
	if !is(resp, nsProtocol, "Response") {
		return nil, invalid("Invalid SAML response: the root element is not a samlp:Response.")
	}
	if len(children(resp, nsAssertion, "EncryptedAssertion")) > 0 {
		return nil, invalid("Encrypted SAML assertions are not supported; configure the identity provider to sign, not encrypt, the assertion.")
	}
	now := cfg.Now()
	a, err := verifiedAssertion(resp, md, now)
	if err != nil {
		return nil, err
	}
	return readAssertion(a, md, now, cfg.Skew)
}

// verifiedAssertion returns the one Assertion covered by a valid signature:
// the Response's, or else the Assertion's own. The returned element is the
// verifier's copy of what was signed, so an unsigned element placed beside
// or around the signed one (signature wrapping) is never read.
func verifiedAssertion(resp *etree.Element, md *Metadata, now time.Time) (*etree.Element, error) {
	if signedChild(resp) {
		vr, err := validate(resp, md, now)
		if err != nil {
			return nil, err
		}
		if st := statusCode(vr); st != "urn:oasis:names:tc:SAML:2.0:status:Success" {
			return nil, rejectf(federation.Rejected, "The SAML response's status is "+st+".")
		}
		as := children(vr, nsAssertion, "Assertion")
		if len(as) != 1 {
			return nil, invalid("Invalid SAML response: it must hold exactly one Assertion.")
		}
		return as[0], nil
	}
	if st := statusCode(resp); st != "urn:oasis:names:tc:SAML:2.0:status:Success" {
		return nil, rejectf(federation.Rejected, "The SAML response's status is "+st+".")
	}
	as := children(resp, nsAssertion, "Assertion")
	if len(as) != 1 {
		return nil, invalid("Invalid SAML response: it must hold exactly one Assertion.")
	}
	if !signedChild(as[0]) {
		return nil, invalid("The SAML response is not signed: neither the Response nor its Assertion carries a signature.")
	}
	return validate(as[0], md, now)
}

// signedChild reports whether el has a ds:Signature child: the enveloped
// signature of el itself.
func signedChild(el *etree.Element) bool { return len(children(el, nsDSig, "Signature")) > 0 }

// validate checks el's enveloped signature with each metadata certificate
// and returns the verified copy of el.
func validate(el *etree.Element, md *Metadata, now time.Time) (*etree.Element, error) {
	// An assertion inside a response uses namespace prefixes declared on
	// the response: detach it with them before checking its digest.
	nsctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, invalid("Invalid SAML response: undeclared namespace prefix.")
	}
	if el, err = etreeutils.NSDetatch(nsctx, el); err != nil {
		return nil, invalid("Invalid SAML response: undeclared namespace prefix.")
	}
	for _, cert := range md.Certs {
		ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
		// IAM does not enforce the validity dates of metadata signing
		// certificates, which many IdPs let lapse; the certificate is a
		// key container here, trusted because the metadata names it.
		ctx.Clock = dsig.NewFakeClockAt(cert.NotBefore.Add(time.Second))
		if v, err := ctx.Validate(el); err == nil {
			return v, nil
		}
	}
	return nil, invalid("Invalid SAML response: the signature does not verify with the identity provider's signing certificates.")
}

func statusCode(resp *etree.Element) string {
	for _, st := range children(resp, nsProtocol, "Status") {
		for _, sc := range children(st, nsProtocol, "StatusCode") {
			return sc.SelectAttrValue("Value", "")
		}
	}
	return ""
}

// readAssertion checks and reads a verified assertion.
func readAssertion(a *etree.Element, md *Metadata, now time.Time, skew time.Duration) (*Assertion, error) {
	out := &Assertion{Attributes: make(map[string][]string)}
	iss := children(a, nsAssertion, "Issuer")
	if len(iss) != 1 {
		return nil, invalid("Invalid SAML response: the assertion must have one Issuer.")
	}
	out.Issuer = text(iss[0])
	if out.Issuer != md.EntityID {
		return nil, invalid("Issuer " + out.Issuer + " does not match the SAML provider's entity ID " + md.EntityID + ".")
	}

	subj := children(a, nsAssertion, "Subject")
	if len(subj) != 1 {
		return nil, invalid("Invalid SAML response: the assertion must have one Subject.")
	}
	if ids := children(subj[0], nsAssertion, "NameID"); len(ids) == 1 {
		out.Subject = text(ids[0])
		out.SubjectType = shortFormat(ids[0].SelectAttrValue("Format", ""))
	}
	if out.Subject == "" {
		return nil, invalid("Invalid SAML response: the Subject has no NameID.")
	}
	bearer := false
	for _, sc := range children(subj[0], nsAssertion, "SubjectConfirmation") {
		if sc.SelectAttrValue("Method", "") != "urn:oasis:names:tc:SAML:2.0:cm:bearer" {
			continue
		}
		for _, d := range children(sc, nsAssertion, "SubjectConfirmationData") {
			notAfter, err := timeAttr(d, "NotOnOrAfter")
			if err != nil || notAfter.IsZero() {
				return nil, invalid("Invalid SAML response: SubjectConfirmationData needs a NotOnOrAfter.")
			}
			if !now.Before(notAfter.Add(skew)) {
				return nil, rejectf(federation.Expired, "The SAML assertion expired at "+notAfter.UTC().Format(time.RFC3339)+" (SubjectConfirmationData NotOnOrAfter).")
			}
			if nb, err := timeAttr(d, "NotBefore"); err != nil || (!nb.IsZero() && now.Add(skew).Before(nb)) {
				return nil, invalid("The SAML assertion is not yet valid (SubjectConfirmationData NotBefore).")
			}
			out.Recipient = d.SelectAttrValue("Recipient", "")
			bearer = true
		}
	}
	if !bearer {
		return nil, invalid("Invalid SAML response: the Subject has no bearer SubjectConfirmation.")
	}
	if out.Recipient != "" && !awsRecipient(out.Recipient) {
		return nil, invalid("The SAML assertion's Recipient " + out.Recipient + " is not the AWS sign-in endpoint (https://signin.aws.amazon.com/saml).")
	}

	conds := children(a, nsAssertion, "Conditions")
	if len(conds) != 1 {
		return nil, invalid("Invalid SAML response: the assertion must have one Conditions element.")
	}
	if nb, err := timeAttr(conds[0], "NotBefore"); err != nil || (!nb.IsZero() && now.Add(skew).Before(nb)) {
		return nil, invalid("The SAML assertion is not yet valid (Conditions NotBefore).")
	}
	if na, err := timeAttr(conds[0], "NotOnOrAfter"); err != nil {
		return nil, invalid("Invalid SAML response: Conditions NotOnOrAfter is not a time.")
	} else if !na.IsZero() && !now.Before(na.Add(skew)) {
		return nil, rejectf(federation.Expired, "The SAML assertion expired at "+na.UTC().Format(time.RFC3339)+" (Conditions NotOnOrAfter).")
	}
	audOK := false
	for _, ar := range children(conds[0], nsAssertion, "AudienceRestriction") {
		for _, au := range children(ar, nsAssertion, "Audience") {
			for _, want := range Audiences {
				audOK = audOK || text(au) == want
			}
		}
	}
	if !audOK {
		return nil, invalid("The SAML assertion's audience must include https://signin.aws.amazon.com/saml.")
	}

	for _, as := range children(a, nsAssertion, "AuthnStatement") {
		t, err := timeAttr(as, "SessionNotOnOrAfter")
		if err != nil {
			return nil, invalid("Invalid SAML response: SessionNotOnOrAfter is not a time.")
		}
		if !t.IsZero() && (out.SessionNotOnOrAfter.IsZero() || t.Before(out.SessionNotOnOrAfter)) {
			out.SessionNotOnOrAfter = t
		}
	}
	for _, st := range children(a, nsAssertion, "AttributeStatement") {
		for _, at := range children(st, nsAssertion, "Attribute") {
			name := at.SelectAttrValue("Name", "")
			for _, v := range children(at, nsAssertion, "AttributeValue") {
				out.Attributes[name] = append(out.Attributes[name], text(v))
			}
		}
	}
	return out, nil
}

// awsRecipient accepts AWS's sign-in endpoints, global and regional.
func awsRecipient(r string) bool {
	if r == "https://signin.aws.amazon.com/saml" || r == "urn:amazon:webservices" {
		return true
	}
	host, ok := strings.CutPrefix(r, "https://")
	if !ok {
		return false
	}
	host, ok = strings.CutSuffix(host, ".signin.aws.amazon.com/saml")
	return ok && host != "" && !strings.ContainsAny(host, "/.")
}

// shortFormat is a NameID Format as AWS reports SubjectType.
func shortFormat(f string) string {
	if s, ok := strings.CutPrefix(f, "urn:oasis:names:tc:SAML:2.0:nameid-format:"); ok {
		return s
	}
	return f
}

// Tags returns the PrincipalTag attributes as session tags and the
// TransitiveTagKeys attribute's values.
func (a *Assertion) Tags() ([]federation.Tag, []string, error) {
	var tags []federation.Tag
	for name, vals := range a.Attributes {
		key, ok := strings.CutPrefix(name, AttrPrincipalTag)
		if !ok {
			continue
		}
		if len(vals) != 1 {
			return nil, nil, invalid("The session tag attribute " + name + " must have exactly one value.")
		}
		tags = append(tags, federation.Tag{Key: key, Value: vals[0]})
	}
	sortTags(tags)
	return tags, a.Attributes[AttrTransitiveTagKeys], nil
}

func sortTags(tags []federation.Tag) {
	for i := 1; i < len(tags); i++ {
		for j := i; j > 0 && tags[j].Key < tags[j-1].Key; j-- {
			tags[j], tags[j-1] = tags[j-1], tags[j]
		}
	}
}

// One returns an attribute's single value, "" when absent, and an error
// when it has several.
func (a *Assertion) One(name string) (string, error) {
	vals := a.Attributes[name]
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
		return vals[0], nil
	}
	return "", invalid("The attribute " + name + " must have exactly one value.")
}

// SessionDuration returns the SessionDuration attribute, nil when absent.
func (a *Assertion) SessionDuration() (*int, error) {
	v, err := a.One(AttrSessionDuration)
	if err != nil || v == "" {
		return nil, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 900 || n > 43200 {
		return nil, invalid("The SessionDuration attribute must be a number of seconds from 900 to 43200.")
	}
	return &n, nil
}

// parseXML reads one XML document, refusing DTDs (no entity tricks: XXE,
// billion laughs) before anything is parsed, in any letter case, and
// trailing content.
func parseXML(b []byte) (*etree.Element, error) {
	if hasDTD(b) {
		return nil, errors.New("a document type declaration is not allowed")
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, errors.New("the XML does not parse")
	}
	if len(doc.ChildElements()) != 1 {
		return nil, errors.New("the XML must have exactly one root element")
	}
	return doc.Root(), nil
}

// hasDTD reports whether b holds a markup declaration (<!DOCTYPE, <!ENTITY,
// <!ELEMENT, <!ATTLIST, <!NOTATION) in any letter case. Comments and CDATA
// sections start with <!- and <![ and are let through.
func hasDTD(b []byte) bool {
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '<' && b[i+1] == '!' {
			c := b[i+2]
			if c != '-' && c != '[' {
				return true
			}
		}
	}
	return false
}

func is(el *etree.Element, ns, tag string) bool { return el.Tag == tag && el.NamespaceURI() == ns }

func children(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for c := range el.ChildElementsSeq() {
		if is(c, ns, tag) {
			out = append(out, c)
		}
	}
	return out
}

// text is all of an element's character data. etree's Text stops at the
// first comment, which would let a comment inside a signed NameID
// (signatures ignore comments) truncate it to another user's name.
func text(el *etree.Element) string {
	var sb strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			sb.WriteString(cd.Data)
		}
	}
	return strings.TrimSpace(sb.String())
}

func timeAttr(el *etree.Element, name string) (time.Time, error) {
	v := el.SelectAttrValue(name, "")
	if v == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, v)
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\n', '\r', '\t':
			return -1
		}
		return r
	}, s)
}

// ConditionKeys maps the saml: condition keys AWS derives from attributes
// (besides saml:aud, iss, sub, sub_type, namequalifier and doc, which come
// from the assertion itself) to the attribute names that carry them: the
// eduPerson, eduOrg and X.500 object identifiers of "Available keys for
// SAML-based AWS STS federation".
var ConditionKeys = map[string]string{
	"saml:cn":                           "urn:oid:2.5.4.3",
	"saml:commonName":                   "urn:oid:2.5.4.3",
	"saml:givenName":                    "urn:oid:2.5.4.42",
	"saml:surname":                      "urn:oid:2.5.4.4",
	"saml:name":                         "urn:oid:2.5.4.41",
	"saml:x500UniqueIdentifier":         "urn:oid:2.5.4.45",
	"saml:mail":                         "urn:oid:0.9.2342.19200300.100.1.3",
	"saml:uid":                          "urn:oid:0.9.2342.19200300.100.1.1",
	"saml:edupersonaffiliation":         "urn:oid:1.3.6.1.4.1.5923.1.1.1.1",
	"saml:edupersonnickname":            "urn:oid:1.3.6.1.4.1.5923.1.1.1.2",
	"saml:edupersonorgdn":               "urn:oid:1.3.6.1.4.1.5923.1.1.1.3",
	"saml:edupersonorgunitdn":           "urn:oid:1.3.6.1.4.1.5923.1.1.1.4",
	"saml:edupersonprimaryaffiliation":  "urn:oid:1.3.6.1.4.1.5923.1.1.1.5",
	"saml:edupersonprincipalname":       "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
	"saml:edupersonentitlement":         "urn:oid:1.3.6.1.4.1.5923.1.1.1.7",
	"saml:edupersonprimaryorgunitdn":    "urn:oid:1.3.6.1.4.1.5923.1.1.1.8",
	"saml:edupersonscopedaffiliation":   "urn:oid:1.3.6.1.4.1.5923.1.1.1.9",
	"saml:edupersontargetedid":          "urn:oid:1.3.6.1.4.1.5923.1.1.1.10",
	"saml:edupersonassurance":           "urn:oid:1.3.6.1.4.1.5923.1.1.1.11",
	"saml:eduorghomepageuri":            "urn:oid:1.3.6.1.4.1.5923.1.2.1.2",
	"saml:eduorgidentityauthnpolicyuri": "urn:oid:1.3.6.1.4.1.5923.1.2.1.3",
	"saml:eduorglegalname":              "urn:oid:1.3.6.1.4.1.5923.1.2.1.4",
	"saml:eduorgsuperioruri":            "urn:oid:1.3.6.1.4.1.5923.1.2.1.5",
	"saml:eduorgwhitepagesuri":          "urn:oid:1.3.6.1.4.1.5923.1.2.1.6",
}
