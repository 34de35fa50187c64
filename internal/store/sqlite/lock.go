package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// errLocked is lockExclusive's answer when another process holds the lock.
var errLocked = errors.New("locked by another process")

// lockFile takes an exclusive lock (flock on Unix) on path (created 0600 if need be) for
// as long as the returned file stays open, and writes this process's ID in
// it. The kernel releases the lock when the process dies, however it dies,
// so a stale lock file never keeps a restart out. When another process
// holds it, lockFile fails at once naming the directory and that process.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: lock: %w", err)
	}
	if err := lockExclusive(f); err != nil {
		pid := "unknown"
		if b, rerr := os.ReadFile(path); rerr == nil && len(strings.TrimSpace(string(b))) > 0 {
			pid = strings.TrimSpace(string(b))
		}
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("sqlite: data directory %s is in use by another mantle process (pid %s): two servers on one database would disagree; stop the other one first", filepath.Dir(path), pid)
		}
		return nil, fmt.Errorf("sqlite: lock %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("sqlite: lock: %w", err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sqlite: lock: write pid: %w", err)
	}
	return f, nil
}
