package token

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
)

// TemporaryKeyPrefix starts every temporary (STS) access key ID, as AWS's
// unique ID prefixes assign ASIA to temporary keys.
const TemporaryKeyPrefix = "ASIA"

const (
	// AccessKeyIDLen is the length of the IDs NewTemporaryAccessKeyID makes:
	// the prefix and 16 characters of A-Z and 2-7, like AWS's 20-character
	// IDs (AWS allows 16 to 128 word characters).
	AccessKeyIDLen = 20
	// SecretAccessKeyLen is the length of AWS secret access keys.
	SecretAccessKeyLen = 40
)

// NewTemporaryAccessKeyID returns a random temporary access key ID: ASIA and
// 16 characters of A-Z and 2-7 (80 random bits).
func NewTemporaryAccessKeyID() string {
	var b [10]byte // 10 bytes are exactly 16 base32 characters
	_, _ = rand.Read(b[:])
	var out [AccessKeyIDLen]byte
	copy(out[:], TemporaryKeyPrefix)
	base32.StdEncoding.Encode(out[len(TemporaryKeyPrefix):], b[:])
	return string(out[:])
}

// NewSecretAccessKey returns a random 40-character secret access key of
// A-Z, a-z, 0-9, / and + (240 random bits).
func NewSecretAccessKey() string {
	var b [30]byte // 30 bytes are exactly 40 base64 characters, no padding
	_, _ = rand.Read(b[:])
	var out [SecretAccessKeyLen]byte
	base64.StdEncoding.Encode(out[:], b[:])
	return string(out[:])
}

// IsTemporaryAccessKeyID reports whether id has the form
// NewTemporaryAccessKeyID produces, so that a request can be routed to token
// verification before any lookup.
func IsTemporaryAccessKeyID(id string) bool {
	if len(id) != AccessKeyIDLen || id[:len(TemporaryKeyPrefix)] != TemporaryKeyPrefix {
		return false
	}
	for i := len(TemporaryKeyPrefix); i < len(id); i++ {
		if c := id[i]; !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return false
		}
	}
	return true
}
