// Package webtoken makes mantle an OpenID Connect issuer for its own
// principals: IAM's outbound web identity federation. An account that
// enables it (IAM EnableOutboundWebIdentityFederation) gets an issuer URL
// and two signing keys (RS256 and ES384), sealed under the master key in
// the store; STS GetWebIdentityToken signs JWTs about the caller with them;
// and mantle serves the issuer's discovery document and JWKS, so any OIDC
// library verifies those tokens like any identity provider's.
package webtoken
