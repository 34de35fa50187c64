package console

import (
	"testing"
	"time"
)

// TestGuard checks the sign-in throttle: free attempts, then a growing
// wait, then a lock that lifts after lockFor; a success forgets failures.
func TestGuard(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		failures int
		at       time.Duration // after the last failure
		wait     time.Duration
		locked   bool
	}{
		{"none", 0, 0, 0, false},
		{"free", freeFailures - 1, 0, 0, false},
		{"slowed", freeFailures, 0, time.Second, false},
		{"slower", freeFailures + 2, 0, 3 * time.Second, false},
		{"forgotten", freeFailures + 2, window + time.Second, 0, false},
		{"locked", lockFailures, time.Minute, lockFor - time.Minute, true},
		{"unlocked", lockFailures, lockFor, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGuard()
			for range tt.failures {
				g.fail("a/u", t0)
			}
			wait, locked := g.check("a/u", t0.Add(tt.at))
			if wait != tt.wait || locked != tt.locked {
				t.Fatalf("check = %v, %v; want %v, %v", wait, locked, tt.wait, tt.locked)
			}
			g.reset("a/u")
			if wait, locked := g.check("a/u", t0.Add(tt.at)); wait != 0 || locked {
				t.Fatalf("after reset: %v, %v", wait, locked)
			}
		})
	}
}

func TestSwitchParams(t *testing.T) {
	tests := []struct {
		in   map[string]string
		want roleLink
	}{
		{map[string]string{"account": "123456789012", "roleName": "R", "displayName": "D", "color": "#99bce3"}, roleLink{"123456789012", "R", "D", "99BCE3"}},
		// A colour is one of AWS's five or nothing: never CSS.
		{map[string]string{"account": "123456789012", "roleName": "R", "color": "123456"}, roleLink{"123456789012", "R", "", ""}},
		{map[string]string{"account": "123456789012", "roleName": "R", "color": "red;background:url(x)"}, roleLink{"123456789012", "R", "", ""}},
		{map[string]string{"displayName": string(make([]byte, 100))}, roleLink{DisplayName: string(make([]byte, 64))}},
	}
	for _, tt := range tests {
		if got := switchParams(func(k string) string { return tt.in[k] }); got != tt.want {
			t.Errorf("switchParams(%v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
