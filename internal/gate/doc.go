// Package gate is mantle gate: a reverse proxy that puts IAM authorization
// in front of any HTTP API, as API Gateway's IAM authorization does.
//
// For every request it reads the body, hashes it, and asks mantle's
// authorization API (authzapi) whether the request's SigV4 signature
// (service execute-api) verifies and whether its signer may perform
// execute-api:Invoke on the request's ARN,
// arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH, with the
// API's resource policy. Mantle owns keys, sessions and policies and records
// the decision as a CloudTrail data event; the gate forwards an allowed
// request with the caller's identity in X-Mantle-* headers (incoming copies
// dropped) and answers a refused one with API Gateway's 403 shapes.
//
// Decisions are not cached: a signature is new with every request and
// mantle's answer depends on the store at that instant (a role change
// applies at once), so nothing the gate could keep would stay correct.
package gate
