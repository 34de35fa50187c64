// Package audit records every API call mantle serves as a CloudTrail event,
// in the record format AWS documents, and serves them back through
// CloudTrail's LookupEvents.
//
// The server gives each authenticated request an Entry (request data: who,
// what, from where) carried in the request context. An IAM or Organizations
// write stores the entry's provisional record inside its own transaction
// (Stage), so no committed change is ever without its event. After the
// action, the Recorder completes the record with the result and stores it
// off the request path: a bounded queue drained in batches, so read-only
// calls on the hot path (AssumeRole, GetCallerIdentity) pay a channel send.
package audit
