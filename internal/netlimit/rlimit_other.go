//go:build !unix

package netlimit

// raiseFileLimit: systems without RLIMIT_NOFILE bound handles otherwise;
// the connection bound then rests on its default.
func raiseFileLimit() (uint64, error) { return 1 << 16, nil }
