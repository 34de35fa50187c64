package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A gate refused for its flags says what to do in one line and exits 2
// before it listens or asks mantle anything (--account spares the lookup
// of the credentials' account).
func TestGateRefusesBadFlags(t *testing.T) {
	dir := t.TempDir()
	badPolicy := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(badPolicy, []byte(`{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	routes := filepath.Join(dir, "routes.json")
	if err := os.WriteFile(routes, []byte(`{"routes":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"gate", "--account", "123456789012", "--mantle", "http://127.0.0.1:1", "--listen", "127.0.0.1:0"}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no api", []string{"--upstream", "http://127.0.0.1:9"}, "--api-id is required"},
		{"no upstream", []string{"--api-id", "a"}, "--upstream URL is required"},
		{"config and flags", []string{"--config", routes, "--api-id", "a"}, "--config lists the routes"},
		{"empty config", []string{"--config", routes}, "no routes"},
		{"missing config", []string{"--config", filepath.Join(dir, "none.json")}, "no such file"},
		{"listen", []string{"--api-id", "a", "--upstream", "http://x", "--listen", "nope"}, "--listen \"nope\""},
		{"mantle", []string{"--api-id", "a", "--upstream", "http://x", "--mantle", "127.0.0.1:4599"}, "--mantle \"127.0.0.1:4599\""},
		{"tls", []string{"--api-id", "a", "--upstream", "http://x", "--tls-cert", "c.pem"}, "--tls-cert and --tls-key go together"},
		{"log format", []string{"--api-id", "a", "--upstream", "http://x", "--log-format", "xml"}, "--log-format \"xml\""},
		{"api id", []string{"--api-id", "a/b", "--upstream", "http://x"}, "an API ID is letters and digits"},
		{"account", []string{"--api-id", "a", "--upstream", "http://x", "--account", "12"}, "the account is 12 digits"},
		{"upstream scheme", []string{"--api-id", "a", "--upstream", "ftp://x"}, "the upstream must be an http:// or https:// URL"},
		{"resource policy", []string{"--api-id", "a", "--upstream", "http://x", "--resource-policy", badPolicy}, "MalformedPolicyDocument"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append(append([]string{}, base...), tt.args...), &stdout, &stderr)
			if code != usageStatus || !strings.Contains(stderr.String(), tt.want) || strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), usageStatus, tt.want)
			}
		})
	}
}
