package saml_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/federation"
	"github.com/mantle-iam/mantle/internal/federation/saml"
	"github.com/mantle-iam/mantle/internal/federation/saml/samltest"
)

const (
	roleAttr = "arn:aws:iam::111122223333:role/admin,arn:aws:iam::111122223333:saml-provider/corp"
	entityID = "https://idp.example.com/metadata"
)

var idp, otherIdP = mustIdP(entityID), mustIdP(entityID)

func mustIdP(id string) *samltest.IdP {
	p, err := samltest.New(id)
	if err != nil {
		panic(err)
	}
	return p
}

func metadata(t testing.TB, p *samltest.IdP) *saml.Metadata {
	t.Helper()
	md, err := saml.ParseMetadata(p.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	return md
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func signed(t testing.TB, o samltest.Options) string {
	t.Helper()
	x, err := idp.ResponseXML(o)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestVerify(t *testing.T) {
	md := metadata(t, idp)
	now := time.Now()
	base := samltest.Options{Roles: []string{roleAttr}, RoleSessionName: "alice@example.com",
		Attributes: map[string][]string{
			"https://aws.amazon.com/SAML/Attributes/PrincipalTag:team": {"blue"},
			"urn:oid:2.5.4.3": {"Alice Example"},
		}}
	withOpts := func(f func(*samltest.Options)) samltest.Options {
		o := base
		f(&o)
		return o
	}
	tests := []struct {
		name     string
		doc      func() string // XML; encoded before Verify
		md       *saml.Metadata
		wantKind federation.Kind
		wantMsg  string
		check    func(*testing.T, *saml.Assertion)
	}{
		{name: "assertion signed", doc: func() string { return signed(t, base) },
			check: func(t *testing.T, a *saml.Assertion) {
				if a.Issuer != entityID || a.Subject != "alice" || a.SubjectType != "persistent" || a.Recipient != "https://signin.aws.amazon.com/saml" {
					t.Errorf("assertion = %+v", a)
				}
				if got := a.Attributes[saml.AttrRole]; len(got) != 1 || got[0] != roleAttr {
					t.Errorf("Role = %v", got)
				}
				tags, _, err := a.Tags()
				if err != nil || len(tags) != 1 || tags[0] != (federation.Tag{Key: "team", Value: "blue"}) {
					t.Errorf("tags = %v, %v", tags, err)
				}
			}},
		{name: "response signed", doc: func() string { return signed(t, withOpts(func(o *samltest.Options) { o.SignResponse = true })) }},
		{name: "transient subject", doc: func() string {
			return signed(t, withOpts(func(o *samltest.Options) {
				o.SubjectFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
			}))
		}, check: func(t *testing.T, a *saml.Assertion) {
			if a.SubjectType != "transient" {
				t.Errorf("SubjectType = %q", a.SubjectType)
			}
		}},
		{name: "legacy audience", doc: func() string {
			return signed(t, withOpts(func(o *samltest.Options) { o.Audience = "urn:amazon:webservices" }))
		}},
		{name: "session not on or after", doc: func() string {
			return signed(t, withOpts(func(o *samltest.Options) { o.SessionNotOnOrAfter = now.Add(20 * time.Minute) }))
		}, check: func(t *testing.T, a *saml.Assertion) {
			if a.SessionNotOnOrAfter.IsZero() {
				t.Error("SessionNotOnOrAfter not read")
			}
		}},
		{name: "tampered after signing", doc: func() string {
			return strings.Replace(signed(t, base), ">alice<", ">mallory<", 1)
		}, wantKind: federation.Invalid, wantMsg: "signature"},
		{name: "tampered signed response", doc: func() string {
			return strings.Replace(signed(t, withOpts(func(o *samltest.Options) { o.SignResponse = true })), "role/admin", "role/root", 1)
		}, wantKind: federation.Invalid, wantMsg: "signature"},
		{name: "signed by another key", doc: func() string { return signed(t, base) },
			md: metadata(t, otherIdP), wantKind: federation.Invalid, wantMsg: "signature"},
		{name: "unsigned", doc: func() string {
			x := signed(t, base)
			i, j := strings.Index(x, "<ds:Signature"), strings.Index(x, "</ds:Signature>")
			return x[:i] + x[j+len("</ds:Signature>"):]
		}, wantKind: federation.Invalid, wantMsg: "not signed"},
		{name: "wrong issuer", doc: func() string {
			return signed(t, withOpts(func(o *samltest.Options) { o.Issuer = "https://evil.example.com" }))
		}, wantKind: federation.Invalid, wantMsg: "does not match"},
		{name: "wrong audience", doc: func() string {
			return signed(t, withOpts(func(o *samltest.Options) { o.Audience = "https://app.example.com" }))
		}, wantKind: federation.Invalid, wantMsg: "audience"},
		{name: "wrong recipient", doc: func() string {
			return signed(t, withOpts(func(o *samltest.Options) { o.Recipient = "https://app.example.com/acs" }))
		}, wantKind: federation.Invalid, wantMsg: "Recipient"},
		{name: "regional recipient", doc: func() string {
			return signed(t, withOpts(func(o *samltest.Options) { o.Recipient = "https://eu-west-1.signin.aws.amazon.com/saml" }))
		}},
		{name: "expired", doc: func() string {
			return signed(t, withOpts(func(o *samltest.Options) { o.IssueInstant = now.Add(-time.Hour) }))
		}, wantKind: federation.Expired, wantMsg: "expired"},
		{name: "not yet valid", doc: func() string {
			return signed(t, withOpts(func(o *samltest.Options) { o.IssueInstant = now.Add(time.Hour) }))
		}, wantKind: federation.Invalid, wantMsg: "not yet valid"},
		{name: "second assertion", doc: func() string {
			x := signed(t, base)
			i := strings.Index(x, "<saml:Assertion")
			return x[:i] + evilAssertion("evil-id") + x[i:]
		}, wantKind: federation.Invalid, wantMsg: "exactly one"},
		{name: "wrapping: signed assertion hidden in an unsigned one", doc: func() string {
			// The original signed assertion moves inside the attacker's,
			// which takes its place (and its ID) at the top.
			x := signed(t, base)
			i, j := strings.Index(x, "<saml:Assertion"), strings.Index(x, "</saml:Assertion>")+len("</saml:Assertion>")
			orig := x[i:j]
			id := between(orig, `ID="`, `"`)
			sig := orig[strings.Index(orig, "<ds:Signature") : strings.Index(orig, "</ds:Signature>")+len("</ds:Signature>")]
			evil := strings.Replace(evilAssertion(id), "</saml:Issuer>", "</saml:Issuer>"+sig, 1)
			evil = strings.Replace(evil, "</saml:Assertion>", "<saml:Advice>"+orig+"</saml:Advice></saml:Assertion>", 1)
			return x[:i] + evil + x[j:]
		}, wantKind: federation.Invalid, wantMsg: "signature"},
		{name: "wrapping: signed response, extra assertion outside", doc: func() string {
			x := signed(t, withOpts(func(o *samltest.Options) { o.SignResponse = true }))
			return strings.Replace(x, "</samlp:Response>", evilAssertion("evil-id")+"</samlp:Response>", 1)
		}, wantKind: federation.Invalid, wantMsg: "signature"},
		{name: "DTD", doc: func() string { return `<!DOCTYPE x [<!ENTITY a "b">]>` + signed(t, base) },
			wantKind: federation.Invalid, wantMsg: "document type"},
		{name: "not a response", doc: func() string { return `<x/>` }, wantKind: federation.Invalid, wantMsg: "Response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := md
			if tt.md != nil {
				m = tt.md
			}
			a, err := saml.Verify(b64(tt.doc()), m, saml.Config{Now: func() time.Time { return now }})
			if tt.wantKind != 0 {
				var e *federation.Error
				if !errors.As(err, &e) || e.Kind != tt.wantKind || !strings.Contains(e.Message, tt.wantMsg) {
					t.Fatalf("err = %v, want kind %d containing %q", err, tt.wantKind, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if tt.check != nil {
				tt.check(t, a)
			}
		})
	}
}

// TestCommentInNameID: a comment inside a signed NameID (signatures ignore
// comments) must not truncate the subject.
func TestCommentInNameID(t *testing.T) {
	x := signed(t, samltest.Options{Subject: "alice@example.com.evil.com", Roles: []string{roleAttr}, RoleSessionName: "a1"})
	x = strings.Replace(x, "alice@example.com.evil.com", "alice@example.com<!---->.evil.com", 1)
	a, err := saml.Verify(b64(x), metadata(t, idp), saml.Config{})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if a.Subject != "alice@example.com.evil.com" {
		t.Fatalf("Subject = %q", a.Subject)
	}
}

func TestParseMetadata(t *testing.T) {
	md := metadata(t, idp)
	if md.EntityID != entityID || len(md.Certs) != 1 {
		t.Fatalf("metadata = %+v", md)
	}
	if !md.ValidUntil.IsZero() {
		t.Errorf("ValidUntil = %v without validUntil", md.ValidUntil)
	}
	until := strings.Replace(idp.Metadata(), "entityID=", `validUntil="2030-01-02T03:04:05Z" entityID=`, 1)
	if md, err := saml.ParseMetadata(until); err != nil || !md.ValidUntil.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("validUntil: %v %v", md, err)
	}
	body := idp.Metadata()[strings.Index(idp.Metadata(), "<md:"):]
	for _, bad := range []string{"", "<x/>", `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="e"/>`,
		// A DTD is refused before parsing, in any case, with or without
		// entities; so is a second root element.
		`<!DOCTYPE md>` + body, `<!doctype md>` + body, `<?xml version="1.0"?><!ENTITY x "y">` + body,
		`<!DOCTYPE md [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + body,
		body + `<md:EntityDescriptor/>`,
		strings.Replace(idp.Metadata(), "entityID=", `validUntil="soon" entityID=`, 1)} {
		if _, err := saml.ParseMetadata(bad); err == nil {
			t.Errorf("ParseMetadata(%q) accepted", bad)
		}
	}
}

func evilAssertion(id string) string {
	return `<saml:Assertion ID="` + id + `" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>` + entityID + `</saml:Issuer>` +
		`<saml:Subject><saml:NameID>mallory</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="2999-01-01T00:00:00Z" Recipient="https://signin.aws.amazon.com/saml"/></saml:SubjectConfirmation></saml:Subject>` +
		`<saml:Conditions><saml:AudienceRestriction><saml:Audience>https://signin.aws.amazon.com/saml</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
		`<saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>arn:aws:iam::111122223333:role/root,arn:aws:iam::111122223333:saml-provider/corp</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>`
}

func between(s, a, b string) string {
	i := strings.Index(s, a) + len(a)
	return s[i : i+strings.Index(s[i:], b)]
}
