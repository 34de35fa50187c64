// Package awsproto is the protocol plumbing shared by every service: request
// IDs, the Query protocol's response envelope
// (<ActionResponse><ActionResult>…<ResponseMetadata>), the JSON 1.1 response,
// and AWS's XML and JSON error shapes. Decoding, validation and the results'
// own encoding are generated per service (internal/api).
package awsproto
