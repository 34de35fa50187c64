// Package token owns mantle's STS session tokens: the sealed, stateless
// credential that carries a temporary session from the STS call that issued it
// to every request signed with it, on any mantle node.
//
// A token seals the session's Claims (who the session is, when it expires, its
// temporary secret access key, session tags and session policies) with
// XChaCha20-Poly1305 under one key of a Ring. Nothing is stored per session:
// verifying a temporary credential needs only the token and the ring, no
// database read, and any single changed byte makes the token fail to open.
// Role permissions are deliberately not in the token; they are read when a
// request is authorized so that a change to a role applies at once.
//
// The package also generates temporary access key IDs and secrets in AWS's
// formats. PackedPolicySize is the policy package's to estimate; the STS
// layer refuses oversized sessions before a token is ever sealed.
//
// What this package does not own:
//   - key storage: the server persists Keys (see Key.MarshalBinary) and builds
//     a Ring from them at start-up;
//   - AWS error codes: callers map ErrMalformed and ErrInvalid to
//     InvalidClientTokenId and an expired session (Claims.Expired) to
//     ExpiredToken;
//   - binding to the request: the SigV4 layer must check that the access key ID
//     it was given equals Claims.AccessKeyID and verify the signature with
//     Claims.SecretAccessKey.
//
// # Token text
//
// A token is standard base64 (with padding, as AWS's are) of
//
//	magic (3 bytes) | key ID (4 bytes, big endian) | nonce (24 bytes) | ciphertext+tag
//
// The magic is chosen so that every version-1 token starts with "MNT1", much as
// AWS tokens start with a version-like prefix. The magic and key ID are
// authenticated as associated data. Decoding is strict (canonical padding bits,
// no line breaks), so each token has exactly one text form.
//
// # Rotating keys across nodes
//
// Every node holds its own Ring built from the same stored keys. To rotate: add
// the new key to every node's ring (Ring.Add), and only then make it active
// (Ring.SetActive); a node that sealed with a key its peers do not yet hold
// would issue tokens they reject. Keep a retired key until the longest session
// sealed with it has expired (MaxSessionLifetime after it stopped being
// active); Ring.Prune removes keys past that point.
package token
