// Package sts is mantle's AWS Security Token Service: every STS Query action
// as a method on Service, taking the verified caller and an input whose field
// names are AWS's request parameters, and returning an output that marshals
// to AWS's XML result.
//
// Sessions are stateless. AssumeRole, GetSessionToken and GetFederationToken
// seal the new session's facts into a token (internal/token) under the
// server's ring; nothing is stored per session. Permissions are not sealed:
// the authorizer reads the role's or user's policies at every request, so a
// change to a role applies at once to its live sessions and deleting the role
// ends them.
//
// AssumeRole is on the hot path of every workload that refreshes credentials,
// so roles and their compiled trust policies are cached by ARN and dropped
// whenever the store's generation moves (any change, on any node).
//
// Temporary access key IDs encode the issuing account as AWS's do (see
// keyid.go), so that GetAccessKeyInfo can answer for ASIA keys that are stored
// nowhere.
package sts
