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
