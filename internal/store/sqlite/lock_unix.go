//go:build unix

package sqlite

import (
	"errors"
	"os"
	"syscall"
)

// lockExclusive flocks f without waiting.
func lockExclusive(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLocked
	}
	return err
}
