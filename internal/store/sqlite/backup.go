package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mantle-iam/mantle/internal/store"
)

// Backup writes a consistent copy of the database to path (which must not
// exist) while the store serves: SQLite's VACUUM INTO reads one snapshot
// in a read transaction, which in WAL mode holds up no writer, and writes
// a compact database file. It runs on a connection of its own so that
// neither the writer nor the readers wait for it.
func (s *Store) Backup(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", dsn(s.path, true))
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer db.Close()
	// query_only forbids writing this database, not the target.
	if _, err := db.ExecContext(ctx, `PRAGMA query_only = 0`); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	return os.Chmod(path, 0o600)
}

// Restore replaces the database at path with the backup from, refusing
// while a process has the database open (it takes the same lock Open
// does). The backup is copied next to the database, checked (SQLite's
// integrity check, then check on the store it holds: the caller makes sure
// its secrets open under this directory's master key) and only then moved
// into place, so a failed restore leaves the database as it was.
func Restore(ctx context.Context, from, path string, check func(ctx context.Context, st store.Store) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	lock, err := lockFile(path + ".lock")
	if err != nil {
		return err
	}
	defer lock.Close()
	tmp := path + ".restore"
	if err := copyFile(from, tmp); err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	defer os.Remove(tmp)
	if err := verify(ctx, tmp, check); err != nil {
		return fmt.Errorf("sqlite: restore %s: %w", from, err)
	}
	// The old database's WAL must not be replayed onto the restored file.
	for _, f := range []string{path + "-wal", path + "-shm", tmp + "-wal", tmp + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("sqlite: restore: %w", err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("sqlite: restore: %w", err)
	}
	return nil
}

// verify opens the copy (bringing its schema up to date, as a start
// would), checks its integrity and runs check on it.
func verify(ctx context.Context, path string, check func(ctx context.Context, st store.Store) error) error {
	st, err := openFile(ctx, path)
	if err != nil {
		return fmt.Errorf("not a mantle database: %w", err)
	}
	defer st.Close()
	var result string
	if err := st.write.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&result); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if result != "ok" {
		return fmt.Errorf("integrity check: %s", result)
	}
	if check != nil {
		if err := check(ctx, st); err != nil {
			return err
		}
	}
	// Fold the WAL into the file so the rename moves everything.
	if _, err := st.write.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
