//go:build unix

package netlimit

import "syscall"

// raiseFileLimit raises the soft descriptor limit to the hard one and
// returns the soft limit in force. The Go runtime does the same at start
// on most systems; this makes sure of it and learns the value the
// connection bound is derived from.
func raiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		want := lim
		want.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err == nil {
			return want.Cur, nil
		}
	}
	return lim.Cur, nil
}
