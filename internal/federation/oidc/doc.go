// Package oidc verifies OpenID Connect ID tokens for AssumeRoleWithWebIdentity
// the way IAM does with an OIDC identity provider: the issuer's signing keys
// come from its discovery document's jwks_uri over HTTPS; the HTTPS server is
// trusted when its certificate chains to the system roots or when any
// certificate it presents has a SHA-1 thumbprint registered on the provider
// (so private-CA and self-signed issuers work, as with IAM); the token must
// be signed with RS256/384/512 or ES256/384/512 by one of those keys, be
// addressed (aud or azp) to one of the provider's client IDs, and be within
// its exp/nbf/iat window.
//
// Keys are cached per issuer and trust configuration, refreshed after an
// hour, and refetched early when a token names an unknown key ID, at most
// once every few seconds so that forged key IDs cannot make mantle hammer an
// issuer.
package oidc
