// Package sigv4 verifies requests signed with AWS Signature Version 4, the
// way AWS's own endpoints do, so that the AWS CLI and SDKs can talk to mantle
// unchanged.
//
// It owns:
//   - parsing the Authorization header and presigned query parameters
//     (ParseScope), so the server can route IAM and STS calls by the
//     credential scope's service before any cryptography runs;
//   - rebuilding the canonical request and string to sign exactly as the
//     signer did, and comparing signatures in constant time (Verifier);
//   - the request-time and presigned-expiry checks;
//   - a bounded cache of derived signing keys;
//   - the AWS error codes and messages for every way a signature can fail.
//
// It does not own credentials: a SecretSource supplied by the caller maps an
// access key ID (and session token) to its secret and reports unknown or
// expired keys with its own *awserr.Error, which Verify passes through.
// Authorization (who may call what) happens after Verify, elsewhere.
package sigv4
