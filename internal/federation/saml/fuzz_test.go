package saml_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/federation"
	"github.com/mantle-iam/mantle/internal/federation/saml"
	"github.com/mantle-iam/mantle/internal/federation/saml/samltest"
)

// FuzzVerify feeds untrusted responses (the XML, before base64) to Verify:
// every input ends in an assertion or a *federation.Error, and an accepted
// one always comes from the test IdP.
func FuzzVerify(f *testing.F) {
	for _, o := range []samltest.Options{
		{Roles: []string{roleAttr}, RoleSessionName: "alice"},
		{Roles: []string{roleAttr}, RoleSessionName: "alice", SignResponse: true},
	} {
		x, err := idp.ResponseXML(o)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(x)
	}
	f.Add(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`)
	f.Add(`<?xml version="1.0"?><a><b/></a>`)
	md := metadata(f, idp)
	now := time.Now()
	f.Fuzz(func(t *testing.T, doc string) {
		a, err := saml.Verify(b64(doc), md, saml.Config{Now: func() time.Time { return now }})
		if err != nil {
			var e *federation.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if a.Issuer != entityID {
			t.Fatalf("accepted issuer %q", a.Issuer)
		}
	})
}

// FuzzParseMetadata feeds untrusted metadata documents (what
// CreateSAMLProvider and UpdateSAMLProvider receive) to ParseMetadata:
// every input ends in metadata or an error, never a panic; accepted
// metadata always names an entity and holds a signing certificate; and a
// document with a DTD is never accepted, so no entity is ever expanded.
// testdata/fuzz/FuzzParseMetadata holds valid metadata, an entity bomb and
// an external entity as seeds.
func FuzzParseMetadata(f *testing.F) {
	f.Add(idp.Metadata())
	f.Add(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="e"/>`)
	f.Fuzz(func(t *testing.T, doc string) {
		md, err := saml.ParseMetadata(doc)
		if err != nil {
			return
		}
		if md.EntityID == "" || len(md.Certs) == 0 {
			t.Fatalf("accepted metadata without entity ID or certificate: %+v", md)
		}
		if strings.Contains(strings.ToUpper(doc), "<!DOCTYPE") || strings.Contains(strings.ToUpper(doc), "<!ENTITY") {
			t.Fatal("accepted metadata with a DTD")
		}
	})
}
