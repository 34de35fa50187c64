package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The operations commands refuse bad command lines with a line saying what
// to do (status 2), and say plainly when no mantle serves the directory.
func TestOpsCommandsRefuse(t *testing.T) {
	dir := t.TempDir()
	exists := filepath.Join(dir, "exists")
	if err := os.WriteFile(exists, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("users:\n  - nme: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	tests := []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"backup", "--data", data}, 2, "--to FILE is required"},
		{[]string{"backup", "--data", data, "--to", exists}, 2, "exists: choose a new file"},
		{[]string{"backup", "--data", data, "--to", filepath.Join(dir, "no", "b.db")}, 2, "no directory"},
		{[]string{"backup", "--data", data, "--to", filepath.Join(dir, "b.db")}, 1, "no mantle is serving --data " + data},
		{[]string{"restore", "--data", data}, 2, "--from FILE is required"},
		{[]string{"restore", "--data", data, "--from", filepath.Join(dir, "missing")}, 2, "--from"},
		{[]string{"restore", "--data", data, "--from", exists}, 2, "no master key"},
		{[]string{"apply", filepath.Join(dir, "missing.yaml"), "--data", data}, 2, "missing.yaml"},
		{[]string{"apply", bad, "--data", data}, 2, `unknown field "nme"`},
		{[]string{"apply", "--data", data}, 2, "accepts 1 arg"},
		{[]string{"keys", "rotate", "token", "--data", data}, 1, "no mantle is serving"},
		{[]string{"keys", "rotate", "master", "--data", data}, 1, "no mantle is serving"},
		{[]string{"reset", "--data", data}, 1, "no mantle is serving"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:2], " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			if got := run(tt.args, &out, &errb); got != tt.status || !strings.Contains(errb.String(), tt.want) {
				t.Fatalf("%v: status %d, stderr %q; want %d and %q", tt.args, got, errb.String(), tt.status, tt.want)
			}
		})
	}
	if _, err := os.Stat(data); err == nil {
		t.Error("a refused command created the data directory")
	}
}
