package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/mantle-iam/mantle/internal/server"
)

// opsCommands are the commands that operate a serving mantle or its data
// directory.
func opsCommands() []*cobra.Command {
	return []*cobra.Command{newBackupCmd(), newRestoreCmd(), newKeysCmd(), newApplyCmd(), newResetCmd()}
}

func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Rotate the keys of the mantle serving --data",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Rotate a key without stopping mantle",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var dataDir string
	token := &cobra.Command{
		Use:   "token",
		Short: "Make a new session-token key the one that seals; tokens of the old key stay valid until they expire",
		Long: `rotate token makes a new key seal every session token from now on, on
every node (the key ring is shared through the store). The previous key
keeps opening the tokens it sealed until they expire (at most 36 hours),
and keys retired longer ago are dropped. Recorded as the CloudTrail event
RotateSessionTokenKey.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return adminPrint(cmd, dataDir, "/v1/keys/rotate/token")
		},
	}
	token.Flags().StringVar(&dataDir, "data", "./mantle-data", "data directory of the serving mantle")
	var resealOnly bool
	master := &cobra.Command{
		Use:   "master",
		Short: "Make a new master key seal every stored secret (secret access keys, MFA seeds, token keys)",
		Long: `rotate master writes a new master key (--master-key-file, default
DATA/master.key; the old one is kept in FILE.previous meanwhile), re-seals
every stored secret under it while mantle serves, and then drops the old key.
A mantle stopped half-way restarts with both keys; run the command again.
Recorded as the CloudTrail event RotateMasterKey.

Several PostgreSQL nodes: give every node the new key first (restart each
with --master-key-file NEW and the old key in NEW.previous), then run
rotate master --reseal-only on one node. See docs/operations.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/v1/keys/rotate/master"
			if resealOnly {
				path += "?reseal-only=true"
			}
			return adminPrint(cmd, dataDir, path)
		},
	}
	master.Flags().StringVar(&dataDir, "data", "./mantle-data", "data directory of the serving mantle")
	master.Flags().BoolVar(&resealOnly, "reseal-only", false, "keep the master key files as they are (every node already seals with the new key) and re-seal what is still under an old key")
	rotate.AddCommand(token, master)
	cmd.AddCommand(rotate)
	return cmd
}

// adminPrint makes an admin call without a body and prints its JSON
// answer indented.
func adminPrint(cmd *cobra.Command, dataDir, path string) error {
	resp, err := adminCall(cmd.Context(), dataDir, path, "", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var v any
	if json.Unmarshal(b, &v) == nil {
		b, _ = json.MarshalIndent(v, "", "  ")
	}
	fmt.Fprintln(cmd.OutOrStdout(), string(b))
	return nil
}

func newApplyCmd() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "apply FILE",
		Short: "Bring the mantle serving --data to the state FILE declares (YAML or JSON), idempotently",
		Long: `apply creates the users, groups, roles, managed and inline policies,
attachments, access keys (with the IDs and secrets given), OIDC and SAML
providers, and the organization (OUs, member accounts) that FILE declares
and the account lacks, and updates what differs; it deletes nothing, and a
second apply of the same file changes nothing. Every change goes through
the API's own operations as the account's root user, so AWS's validation
applies, and is recorded in the trail (user agent mantle-apply). It prints
what it changed. serve --init FILE does the same at every start.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := os.ReadFile(args[0])
			if err != nil {
				return usageError{err}
			}
			if _, err := server.ParseState(b); err != nil {
				return usagef("%s: %v", args[0], err)
			}
			resp, err := adminCall(cmd.Context(), dataDir, "/v1/apply", "application/yaml", bytes.NewReader(b))
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			var out struct{ Changes []string }
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				return err
			}
			if len(out.Changes) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no changes: the state is in place")
			}
			for _, c := range out.Changes {
				fmt.Fprintln(cmd.OutOrStdout(), c)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", "./mantle-data", "data directory of the serving mantle")
	return cmd
}

func newResetCmd() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Wipe the mantle serving --data back to its first-start state (needs serve --allow-reset)",
		Long: `reset deletes every user, group, role, customer managed policy, provider,
MFA device, member account, organization and CloudTrail event of the mantle
serving the data directory, in one change; the account keeps its ID and
root keys, so the same credentials work after. It is refused unless mantle
was started with --allow-reset. POST /_mantle/reset on the API endpoint does
the same. With serve --init, apply the state file again after it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return adminPrint(cmd, dataDir, "/v1/reset")
		},
	}
	cmd.Flags().StringVar(&dataDir, "data", "./mantle-data", "data directory of the serving mantle")
	return cmd
}
