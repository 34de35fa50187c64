package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/mantle-iam/mantle/internal/server"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
)

func newBackupCmd() *cobra.Command {
	var dataDir, to string
	cmd := &cobra.Command{
		Use:   "backup --to FILE",
		Short: "Copy the database of the mantle serving --data, while it serves",
		Long: `backup asks the mantle serving the data directory (through its admin
socket, DATA/admin.sock) for a consistent copy of its SQLite database, taken
without stopping it, and writes it to FILE (mode 0600; FILE must not exist).

The copy holds every account, user, key, role, policy and the audit trail;
secrets in it are sealed under the master key (DATA/master.key or
--master-key-file), which is not in the copy: keep the key, apart from the
backups, to restore them. A PostgreSQL mantle is backed up with pg_dump.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				return usagef("--to FILE is required: where to write the backup")
			}
			if _, err := os.Stat(to); err == nil {
				return usagef("--to %s exists: choose a new file (a backup never overwrites one)", to)
			}
			if fi, err := os.Stat(filepath.Dir(to)); err != nil || !fi.IsDir() {
				return usagef("--to %s: no directory %s", to, filepath.Dir(to))
			}
			resp, err := adminCall(cmd.Context(), dataDir, "/v1/backup", "", nil)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			// Written aside and renamed: a backup cut short never looks
			// complete.
			tmp := to + ".part"
			f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			n, err := io.Copy(f, resp.Body)
			if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
				err = fmt.Errorf("backup cut short: %d of %d bytes", n, resp.ContentLength)
			}
			if err == nil {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = os.Rename(tmp, to)
			}
			if err != nil {
				os.Remove(tmp)
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backup of %s written to %s (%d bytes)\n", dataDir, to, n)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", "./mantle-data", "data directory of the serving mantle")
	cmd.Flags().StringVar(&to, "to", "", "file to write the backup to")
	return cmd
}

func newRestoreCmd() *cobra.Command {
	var dataDir, from, keyFile string
	cmd := &cobra.Command{
		Use:   "restore --from FILE",
		Short: "Put a backup in place as the database of --data (no mantle may be serving it)",
		Long: `restore replaces the SQLite database of the data directory with a backup
made by mantle backup. It refuses while a mantle serves the directory (stop
it first), and before touching anything it checks the backup (SQLite's
integrity check) and that its secrets open under the directory's master key
(DATA/master.key, or --master-key-file): copy the master key of the mantle
the backup was taken from there first. Then start mantle serve on the
directory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return usagef("--from FILE is required: the backup to restore")
			}
			if _, err := os.Stat(from); err != nil {
				return usagef("--from %s: %v", from, err)
			}
			if keyFile == "" {
				keyFile = filepath.Join(dataDir, "master.key")
			}
			if _, err := os.Stat(keyFile); errors.Is(err, fs.ErrNotExist) {
				return usagef("no master key %s: the backup's secrets are sealed under the master key of the mantle it was taken from; copy that key there (or give --master-key-file)", keyFile)
			}
			err := sqlite.Restore(cmd.Context(), from, filepath.Join(dataDir, "mantle.db"), func(ctx context.Context, st store.Store) error {
				return server.CheckMasterKey(ctx, st, keyFile)
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored %s into %s: start mantle serve --data %s\n", from, dataDir, dataDir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", "./mantle-data", "data directory to restore into")
	cmd.Flags().StringVar(&from, "from", "", "the backup file")
	cmd.Flags().StringVar(&keyFile, "master-key-file", "", "the master key the backup's secrets are sealed under (default DATA/master.key)")
	return cmd
}
