package sigv4

import "unsafe"

// unsafeString views b as a string without copying. Callers use it only for
// comparisons that finish before b is next written.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// unsafeBytes views s as a byte slice without copying; it must not be written.
func unsafeBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

const lowerHex = "0123456789abcdef"

// hex32 hex-encodes a SHA-256 digest. Fixed sizes let the compiler drop the
// bounds checks encoding/hex needs; it runs four times per verification.
func hex32(dst *[64]byte, src *[32]byte) {
	for i, b := range src {
		dst[i*2] = lowerHex[b>>4]
		dst[i*2+1] = lowerHex[b&15]
	}
}
