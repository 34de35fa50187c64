package token

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestTokenSize(t *testing.T) {
	r := testRing(t, 1)
	seal := func(c *Claims) string {
		t.Helper()
		tok, err := r.Seal(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	typical := seal(typicalClaims())
	t.Logf("typical AssumeRole (2 tags, no policy): %d characters", len(typical))
	if len(typical) >= 1000 {
		t.Errorf("typical token is %d characters; want under 1,000", len(typical))
	}

	full := seal(fullClaims())
	t.Logf("every field set (small policy, MFA, chained): %d characters", len(full))

	maxi := maximalClaims()
	maximal := seal(maxi)
	t.Logf("maximal (2,048-char policy, 50 random 128/256 tags, 10 ARNs): %d characters, PackedPolicySize %d%%",
		len(maximal), PackedPolicySize(maxi))
	if len(maximal) > MaxTokenLen {
		t.Errorf("maximal token is %d characters; want at most %d", len(maximal), MaxTokenLen)
	}

	// The largest session the STS layer admits (PackedPolicySize at most
	// 100) with random, incompressible tags and long names.
	rng := rand.New(rand.NewPCG(5, 6))
	c := maximalClaims()
	c.Path = "/" + strings.Repeat(randString(rng, nameAlphabet, 63)+"/", 8)
	c.SourceArn = "arn:aws:sts::123456789012:assumed-role/" + randString(rng, nameAlphabet, 64) + "/" + randString(rng, nameAlphabet, 64)
	c.Tags, c.TransitiveTagKeys, c.SessionPolicyARNs = nil, nil, nil
	c.SessionPolicy = policyOfLen(rng, 2048)
	for PackedPolicySize(c) <= 100 {
		c.Tags = append(c.Tags, Tag{Key: randString(rng, tagAlphabet, 16), Value: randString(rng, tagAlphabet, 32)})
	}
	c.Tags = c.Tags[:len(c.Tags)-1]
	admitted := seal(c)
	t.Logf("largest admitted (PackedPolicySize %d%%: 2,048-char policy, %d random 16/32 tags, 512-char path): %d characters",
		PackedPolicySize(c), len(c.Tags), len(admitted))
	// 8 KiB is the smallest header-line limit of common proxies (nginx's
	// default large_client_header_buffers).
	if len(admitted) > 8<<10 {
		t.Errorf("largest admitted token is %d characters; want at most 8 KiB", len(admitted))
	}
}

func TestPackedPolicySize(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	tags := func(n, k, v int) []Tag {
		ts := make([]Tag, n)
		for i := range ts {
			ts[i] = Tag{Key: randString(rng, tagAlphabet, k), Value: randString(rng, tagAlphabet, v)}
		}
		return ts
	}
	tests := []struct {
		name     string
		c        *Claims
		min, max int
	}{
		{"nothing", &Claims{}, 0, 0},
		{"nil", nil, 0, 0},
		{"one short tag", &Claims{Tags: []Tag{{"a", "b"}}}, 1, 1},
		{"typical", typicalClaims(), 1, 3},
		{"2,048-char policy", &Claims{SessionPolicy: policyOfLen(rng, 2048)}, 15, 60},
		{"10 ARNs", &Claims{SessionPolicyARNs: maximalClaims().SessionPolicyARNs}, 5, 30},
		{"20 short tags", &Claims{Tags: tags(20, 10, 20)}, 20, 60},
		{"50 maximal tags", &Claims{Tags: tags(50, 128, 256)}, 500, 1000},
		{"maximal", maximalClaims(), 500, 1000},
		{"beyond the inflate bound", &Claims{SessionPolicy: strings.Repeat("x", maxPackedRaw+1)}, 101, 1 << 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PackedPolicySize(tt.c)
			t.Logf("%d%%", got)
			if got < tt.min || got > tt.max {
				t.Errorf("PackedPolicySize = %d; want %d..%d", got, tt.min, tt.max)
			}
		})
	}
}

// TestPackedPolicySizeMatchesToken checks the point of the estimate: what
// it measures is what the token carries.
func TestPackedPolicySizeMatchesToken(t *testing.T) {
	r := testRing(t, 1)
	base := typicalClaims()
	base.Tags = nil
	baseLen := sealedLen(t, r, base)
	for _, c := range []*Claims{fullClaims(), maximalClaims()} {
		extra := sealedLen(t, r, c) - baseLen
		// Ceiling percentages are within one allowance-percent of the
		// measured bytes; names differ a little between the claim sets.
		est := PackedPolicySize(c) * PackedAllowance / 100
		if diff := extra - est; diff < -400 || diff > 400 {
			t.Errorf("sealed packed bytes %d vs estimate %d", extra, est)
		}
	}
}

func sealedLen(t *testing.T, r *Ring, c *Claims) int {
	t.Helper()
	tok, err := r.Seal(c)
	if err != nil {
		t.Fatal(err)
	}
	return len(tok) * 3 / 4
}
