package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// buildVersion is set at link time by a release build:
//
//	go build -ldflags "-X main.buildVersion=v1.2.3" ./cmd/mantle
var buildVersion string

// version is the release set at link time, else the module version the Go
// toolchain stamped into the binary (a tag or a pseudo-version from the VCS
// for `go install`/`go build`, "(devel)" without VCS information), with the
// commit when the build info carries one.
func version() string {
	v := buildVersion
	info, ok := debug.ReadBuildInfo()
	if v == "" {
		v = "(devel)"
		if ok && info.Main.Version != "" {
			v = info.Main.Version
		}
	}
	if ok {
		var rev, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = ", modified"
				}
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && !strings.Contains(v, rev) { // a pseudo-version names it already
			v += " (commit " + rev + modified + ")"
		}
	}
	return v + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print mantle's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "mantle", version())
		},
	}
}
