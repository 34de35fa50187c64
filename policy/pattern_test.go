package policy

import (
	"math/rand"
	"testing"
)

// naiveGlob is the reference semantics of "*" (any run) and "?" (one
// character) used by the Action and Resource elements and StringLike.
func naiveGlob(p, s string) bool {
	if p == "" {
		return s == ""
	}
	switch p[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if naiveGlob(p[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && naiveGlob(p[1:], s[1:])
	}
	return s != "" && p[0] == s[0] && naiveGlob(p[1:], s[1:])
}

// The optimised matcher (fast paths, skipping to the next literal after a
// star) must agree with the naive definition.
func TestMatchTokensAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	gen := func(alphabet string, n int) string {
		b := make([]byte, rng.Intn(n))
		for i := range b {
			b[i] = alphabet[rng.Intn(len(alphabet))]
		}
		return string(b)
	}
	for i := 0; i < 20000; i++ {
		p := gen("ab/*?", 8)
		s := gen("ab/", 10)
		toks := tokenize(p, true, false, false)
		if got, want := matchTokens(toks, s, false, nil), naiveGlob(p, s); got != want {
			t.Fatalf("pattern %q value %q: got %v, want %v", p, s, got, want)
		}
	}
}
