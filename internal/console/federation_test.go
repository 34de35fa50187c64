package console

import (
	"net/url"
	"path"
	"strings"
	"testing"
)

// Destination never sends the browser off this console, except that AWS's
// own console URL (what brokers written for AWS send) means its start.
func TestDestination(t *testing.T) {
	for _, tt := range []struct {
		raw, want string
		ok        bool
	}{
		{"https://console.aws.amazon.com/", "/console/iam/users", true},
		{"https://us-east-1.console.aws.amazon.com/iam/home", "/console/iam/users", true},
		{"/console/iam/roles", "/console/iam/roles", true},
		{"http://mantle.local:4599/console/cloudtrail/events?key=EventName", "/console/cloudtrail/events?key=EventName", true},
		{"/switchrole?account=111122223333&roleName=r", "/switchrole?account=111122223333&roleName=r", true},
		{"", "", false},
		{"https://evil.example.com/console", "", false},
		{"http://console.aws.amazon.com/", "", false},
		{"https://console.aws.amazon.com.evil.example.com/", "", false},
		{"//evil.example.com/console", "", false},
		{"/console/../_mantle/health", "", false},
		{"/console/%00", "/console/%00", true},
		{"/federation?Action=login", "", false},
		{"/_mantle/health", "", false},
		{"javascript:alert(1)", "", false},
	} {
		got, ok := destination(tt.raw, "mantle.local:4599")
		if got != tt.want || ok != tt.ok {
			t.Errorf("destination(%q) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzDestination: whatever the broker sends, an accepted destination is a
// path of this console on this host.
func FuzzDestination(f *testing.F) {
	for _, s := range []string{"https://console.aws.amazon.com/", "/console/iam/users", "//x/console", "/console/../x", "http://h/console?x=1", "\\\\evil/console"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, ok := destination(raw, "h")
		if !ok {
			return
		}
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || !Serves(u.Path) || path.Clean(u.Path) != u.Path {
			t.Fatalf("destination(%q) = %q", raw, got)
		}
	})
}
