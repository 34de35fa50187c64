// Command mantle is a self-hostable, AWS-compatible IAM and STS service.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// usageStatus is the exit status of a command line mantle refuses before
// doing anything, as for most Unix tools.
const usageStatus = 2

// usageError is a bad flag, argument or variable: mantle says what to do in
// one line and exits with usageStatus, having created nothing.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintln(stderr, "mantle:", err)
	if errors.As(err, new(usageError)) {
		return usageStatus
	}
	return 1
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "mantle",
		Short:         "AWS-compatible IAM and STS, as one binary",
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		// An unknown command is then an argument error, reported as usage;
		// no command at all shows the help.
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetVersionTemplate("mantle {{.Version}}\n")
	// Unknown flags, bad flag values and wrong argument counts are usage
	// errors too.
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath())}
	})
	root.AddCommand(newServeCmd(), newPolicyCmd(), newExecCmd(), newVersionCmd(), newGateCmd())
	root.AddCommand(opsCommands()...)
	wrapArgs(root)
	return root
}

// wrapArgs makes every command's argument errors usage errors.
func wrapArgs(cmd *cobra.Command) {
	if args := cmd.Args; args != nil {
		cmd.Args = func(c *cobra.Command, a []string) error {
			if err := args(c, a); err != nil {
				return usageError{fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
			}
			return nil
		}
	}
	for _, c := range cmd.Commands() {
		wrapArgs(c)
	}
}
