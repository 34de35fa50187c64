package token

import (
	"regexp"
	"testing"
)

func TestNewTemporaryAccessKeyID(t *testing.T) {
	// AWS: access key IDs are 16-128 word characters; ASIA marks temporary
	// keys; IDs are typically 20 characters of A-Z and 2-7.
	re := regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := NewTemporaryAccessKeyID()
		if !re.MatchString(id) || !IsTemporaryAccessKeyID(id) {
			t.Fatalf("bad access key ID %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate access key ID %q", id)
		}
		seen[id] = true
	}
}

func TestNewSecretAccessKey(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`)
	seen := map[string]bool{}
	for range 1000 {
		s := NewSecretAccessKey()
		if !re.MatchString(s) || seen[s] {
			t.Fatalf("bad or repeated secret %q", s)
		}
		seen[s] = true
	}
}

func TestIsTemporaryAccessKeyID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"ASIAQ3EGUDRZ5WT7MNPX", true},
		{"ASIAAAAAAAAAAAAAAAAA", true},
		{"AKIAIOSFODNN7EXAMPLE", false}, // long-term key
		{"ASIAQ3EGUDRZ5WT7MNP", false},  // short
		{"ASIAQ3EGUDRZ5WT7MNPXY", false},
		{"ASIAq3EGUDRZ5WT7MNPX", false}, // lower case
		{"ASIA13EGUDRZ5WT7MNPX", false}, // 1 is not base32
		{"ASIA83EGUDRZ5WT7MNPX", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsTemporaryAccessKeyID(tt.id); got != tt.want {
			t.Errorf("IsTemporaryAccessKeyID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
