package sts

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"strconv"

	"github.com/mantle-iam/mantle/internal/token"
)

// AWS's access key IDs carry the owning account: the 16 characters after
// the prefix are base32 of 10 bytes whose first 48 bits, masked with
// accountMask and shifted right by 7, are the account number. That is how
// GetAccessKeyInfo answers for any key, temporary ones included, without a
// lookup. mantle's temporary key IDs follow the same layout; the other 40
// bits are random.
const accountMask = 0x7fffffffff80

var keyEncoding = base32.StdEncoding

// newTemporaryKeyID returns an ASIA key ID that encodes account, which must
// be a 12-digit account ID.
func newTemporaryKeyID(account string) string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return temporaryKeyID(account, b)
}

// newTemporaryKey returns a key ID for account and a secret access key from
// one read of the random source (each read is a system call).
func newTemporaryKey(account string) (id, secret string) {
	var b [10 + 30]byte
	_, _ = rand.Read(b[:])
	var sec [token.SecretAccessKeyLen]byte
	base64.StdEncoding.Encode(sec[:], b[10:])
	return temporaryKeyID(account, [10]byte(b[:10])), string(sec[:])
}

// temporaryKeyID lays out random bytes b as a key ID encoding account.
func temporaryKeyID(account string, b [10]byte) string {
	n, err := strconv.ParseUint(account, 10, 64)
	if err != nil || len(account) != 12 {
		// Not an AWS-style account: a plain random ID still works, it just
		// cannot be traced back by GetAccessKeyInfo.
		return token.NewTemporaryAccessKeyID()
	}
	var w [8]byte
	copy(w[2:], b[:6])
	z := binary.BigEndian.Uint64(w[:])
	z = z&^accountMask | (n<<7)&accountMask
	binary.BigEndian.PutUint64(w[:], z)
	copy(b[:6], w[2:])
	var out [token.AccessKeyIDLen]byte
	copy(out[:], token.TemporaryKeyPrefix)
	keyEncoding.Encode(out[len(token.TemporaryKeyPrefix):], b[:])
	return string(out[:])
}

// accountFromKeyID decodes the account an access key ID of AWS's layout
// names (AKIA, ASIA and the other four-letter prefixes).
func accountFromKeyID(id string) (string, bool) {
	if len(id) != token.AccessKeyIDLen {
		return "", false
	}
	var b [10]byte
	if n, err := keyEncoding.Decode(b[:], []byte(id[4:])); err != nil || n != len(b) {
		return "", false
	}
	var w [8]byte
	copy(w[2:], b[:6])
	n := (binary.BigEndian.Uint64(w[:]) & accountMask) >> 7
	s := strconv.FormatUint(n, 10)
	for len(s) < 12 {
		s = "0" + s
	}
	return s, len(s) == 12
}
