package oidc

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mantle-iam/mantle/internal/federation"
)

// MaxTokenSize is AssumeRoleWithWebIdentity's limit on WebIdentityToken.
const MaxTokenSize = 20000

// Algorithms are the signature algorithms accepted. "none" and the HMAC
// algorithms are not: an issuer's public keys must be what proves a token.
var Algorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.ES256, jose.ES384, jose.ES512,
}

// TagsClaim is the claim carrying session tags (AWS's "Passing session tags
// using AssumeRoleWithWebIdentity").
const TagsClaim = "https://aws.amazon.com/tags"

// SourceIdentityClaim carries the session's source identity.
const SourceIdentityClaim = "https://aws.amazon.com/source_identity"

// Token is a parsed, not yet verified, ID token.
type Token struct {
	jws    *jwt.JSONWebToken
	kid    string
	alg    string
	claims claims
}

// Issuer is the token's iss claim, unverified: it says which provider must
// verify the token.
func (t *Token) Issuer() string { return t.claims.Issuer }

// claims are the registered claims mantle reads plus AWS's own.
type claims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.Audience     `json:"aud"`
	AZP       string           `json:"azp"`
	Expiry    *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	AMR       stringList       `json:"amr"`
	Tags      *tagsClaim       `json:"https://aws.amazon.com/tags"`
	SourceID  string           `json:"https://aws.amazon.com/source_identity"`
}

type tagsClaim struct {
	PrincipalTags     map[string][]string `json:"principal_tags"`
	TransitiveTagKeys []string            `json:"transitive_tag_keys"`
}

// stringList accepts a JSON string or array of strings.
type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

// Parse reads a compact-serialized signed JWT without verifying it. Tokens
// that are too large, not JWS compact form, signed with an algorithm outside
// Algorithms, or without an https issuer are refused.
func Parse(raw string) (*Token, error) {
	if len(raw) > MaxTokenSize {
		return nil, invalid("The ID Token provided is too large.")
	}
	if strings.Count(raw, ".") != 2 {
		return nil, invalid("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	jws, err := jwt.ParseSigned(raw, Algorithms)
	if err != nil {
		if strings.Contains(err.Error(), "algorithm") && !isNone(raw) {
			return nil, invalid("The ID Token is signed with an algorithm mantle does not accept; use RS256, RS384, RS512, ES256, ES384 or ES512.")
		}
		return nil, invalid("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	if len(jws.Headers) != 1 {
		return nil, invalid("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	t := &Token{jws: jws, kid: jws.Headers[0].KeyID, alg: jws.Headers[0].Algorithm}
	if err := jws.UnsafeClaimsWithoutVerification(&t.claims); err != nil {
		return nil, invalid("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	if !strings.HasPrefix(t.claims.Issuer, "https://") || len(t.claims.Issuer) == len("https://") {
		return nil, invalid("The ID Token's issuer (iss) must be an https URL.")
	}
	return t, nil
}

// Identity is what a verified token asserts.
type Identity struct {
	Issuer  string
	Subject string
	// Audience is the client ID the token was issued to: azp when present,
	// else the aud value that names one of the provider's client IDs.
	Audience string
	// OtherAudiences are the aud values when azp is present (the HOST:oaud
	// condition key).
	OtherAudiences []string
	AMR            []string
	IssuedAt       time.Time
	Expiry         time.Time
	// Tags are the session tags of the https://aws.amazon.com/tags claim, in
	// key order; TransitiveTagKeys its transitive_tag_keys.
	Tags              []Tag
	TransitiveTagKeys []string
	SourceIdentity    string
}

// Tag is a session tag from the token.
type Tag = federation.Tag

// isNone reports whether the header names the "none" algorithm, which gets
// the plain "not a valid JWT" answer: an unsigned token is not a JWS at all.
func isNone(raw string) bool {
	h, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return false
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	return json.Unmarshal(b, &hdr) == nil && strings.EqualFold(hdr.Alg, "none")
}
