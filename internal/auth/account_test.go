package auth

import "testing"

func TestAccountIDs(t *testing.T) {
	for s, want := range map[string]bool{"123456789012": true, "12345678901": false, "1234567890123": false, "12345678901a": false, "": false} {
		if IsAccountID(s) != want {
			t.Errorf("IsAccountID(%q) != %v", s, want)
		}
	}
	for i := 0; i < 100; i++ {
		if id := NewAccountID(); !IsAccountID(id) || id[0] == '0' {
			t.Fatalf("NewAccountID() = %q", id)
		}
	}
}
