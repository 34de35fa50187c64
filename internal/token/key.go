package token

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Key is one sealing key of a Ring. The server stores keys (MarshalBinary or
// MarshalText) and builds rings from them.
type Key struct {
	// ID names the key inside every token it seals. It must be non-zero and
	// never reused for a different secret.
	ID      uint32
	Secret  [32]byte
	Created time.Time
	// Retired is when the key stopped being the active key; zero while it
	// is active or if it never was. It decides when Ring.Prune may drop it.
	Retired time.Time
}

// GenerateKey returns a new key with a random secret.
func GenerateKey(id uint32) Key {
	k := Key{ID: id, Created: time.Now().UTC().Truncate(time.Second)}
	// crypto/rand.Read never fails: the runtime aborts if the system's
	// randomness is unavailable.
	_, _ = rand.Read(k.Secret[:])
	return k
}

// String leaves the secret out so that logging a key cannot leak it.
func (k Key) String() string {
	return fmt.Sprintf("token.Key{ID: %d, Created: %s}", k.ID, k.Created.Format(time.RFC3339))
}

// GoString leaves the secret out of %#v as well.
func (k Key) GoString() string { return k.String() }

func (k Key) check() error {
	if k.ID == 0 {
		return errors.New("token: key ID 0 is reserved")
	}
	if k.Secret == [32]byte{} {
		return fmt.Errorf("token: key %d has an all-zero secret", k.ID)
	}
	return nil
}

// Key marshal form, version 1 (big endian):
//
//	version (1) | ID (4) | Created (8, Unix nanoseconds) | Retired (8, Unix
//	nanoseconds, 0 if zero) | secret (32)
const (
	keyFormatV1  = 1
	keyBinaryLen = 1 + 4 + 8 + 8 + 32
)

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.BigEndian.AppendUint64(b, 0)
	}
	return binary.BigEndian.AppendUint64(b, uint64(t.UnixNano()))
}

func readTime(b []byte) time.Time {
	n := int64(binary.BigEndian.Uint64(b))
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// MarshalBinary encodes the key in a stable, versioned form.
func (k Key) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, keyBinaryLen)
	b = append(b, keyFormatV1)
	b = binary.BigEndian.AppendUint32(b, k.ID)
	b = appendTime(b, k.Created)
	b = appendTime(b, k.Retired)
	return append(b, k.Secret[:]...), nil
}

// UnmarshalBinary decodes what MarshalBinary produced.
func (k *Key) UnmarshalBinary(b []byte) error {
	if len(b) != keyBinaryLen || b[0] != keyFormatV1 {
		return errors.New("token: malformed key encoding")
	}
	var nk Key
	nk.ID = binary.BigEndian.Uint32(b[1:])
	nk.Created = readTime(b[5:])
	nk.Retired = readTime(b[13:])
	copy(nk.Secret[:], b[21:])
	if err := nk.check(); err != nil {
		return err
	}
	*k = nk
	return nil
}

// MarshalText encodes the key as standard base64 of its binary form, for
// configuration files and text columns.
func (k Key) MarshalText() ([]byte, error) {
	b, _ := k.MarshalBinary()
	out := make([]byte, base64.StdEncoding.EncodedLen(len(b)))
	base64.StdEncoding.Encode(out, b)
	return out, nil
}

// UnmarshalText decodes what MarshalText produced.
func (k *Key) UnmarshalText(text []byte) error {
	b := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Strict().Decode(b, text)
	if err != nil {
		return errors.New("token: malformed key encoding")
	}
	return k.UnmarshalBinary(b[:n])
}
