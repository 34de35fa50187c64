package iam

import "time"

// Small conversions between the store's plain values and the generated
// types (internal/api/iam), where numbers and booleans are pointers
// because absent differs from zero.

func ptr[T any](v T) *T { return &v }

// optInt is n, absent when zero (members AWS leaves out when unset).
func optInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

// optBool is b, absent when false.
func optBool(b bool) *bool {
	if !b {
		return nil
	}
	return &b
}

// timeOf is *t, the zero time (absent) for nil.
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// isTrue reports a boolean member sent as true.
func isTrue(b *bool) bool { return b != nil && *b }
