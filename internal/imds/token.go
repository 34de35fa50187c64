package imds

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// IMDSv2 session tokens: base64url of the expiry (Unix seconds, 8 bytes), 8
// random bytes, and an HMAC-SHA256 of both under the process's key. Nothing
// is stored per token; a restart invalidates them all, as SDKs expect of a
// rebooted instance (they fetch a new token on a 401).
const (
	tokenBody = 8 + 8
	tokenLen  = tokenBody + sha256.Size
	// TTL bounds of X-aws-ec2-metadata-token-ttl-seconds.
	minTokenTTL = 1
	maxTokenTTL = 21600
)

type tokenKey [32]byte

func newTokenKey() (k tokenKey) {
	_, _ = rand.Read(k[:])
	return k
}

// mint returns a token valid until expires.
func (k *tokenKey) mint(expires time.Time) string {
	var b [tokenLen]byte
	binary.BigEndian.PutUint64(b[:8], uint64(expires.Unix()))
	_, _ = rand.Read(b[8:tokenBody])
	m := hmac.New(sha256.New, k[:])
	m.Write(b[:tokenBody])
	m.Sum(b[:tokenBody])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// valid reports whether tok is a token k minted that has not expired at now.
func (k *tokenKey) valid(tok string, now time.Time) bool {
	if base64.RawURLEncoding.DecodedLen(len(tok)) != tokenLen {
		return false
	}
	var b [tokenLen]byte
	if n, err := base64.RawURLEncoding.Decode(b[:], []byte(tok)); err != nil || n != tokenLen {
		return false
	}
	m := hmac.New(sha256.New, k[:])
	m.Write(b[:tokenBody])
	if !hmac.Equal(m.Sum(nil), b[tokenBody:]) {
		return false
	}
	exp := int64(binary.BigEndian.Uint64(b[:8]))
	return now.Unix() < exp
}
