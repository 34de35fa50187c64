package main

import "github.com/spf13/cobra"

// newPolicyCmd is replaced by the policy subcommands (validate, eval).
func newPolicyCmd() *cobra.Command {
	return &cobra.Command{Use: "policy", Short: "Validate and evaluate IAM policies offline"}
}
