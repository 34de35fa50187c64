// Package federation holds the verifiers of external identities that STS
// accepts without AWS credentials: oidc verifies OpenID Connect ID tokens
// (AssumeRoleWithWebIdentity) against the account's IAM OIDC providers, saml
// verifies SAML 2.0 responses (AssumeRoleWithSAML) against a SAML provider's
// metadata. They answer "is this identity genuine, and what does it claim";
// whether it may assume a role is the role's trust policy, which
// internal/sts evaluates.
package federation
