// Package saml verifies SAML 2.0 responses for AssumeRoleWithSAML the way
// IAM does with a SAML provider: the response (or its one assertion) must
// carry an XML signature that verifies with a signing certificate of the
// provider's metadata; the assertion's Issuer must be the metadata's
// entityID, its audience AWS's sign-in endpoint, and the time within its
// SubjectConfirmationData and Conditions windows.
//
// Signature checking is goxmldsig's. Everything is read from the element it
// returns as verified, never from the document it was given, which is what
// defeats signature-wrapping attacks (a signed assertion moved aside and an
// unsigned one put where a naive reader looks).
package saml
