package token

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mantle-iam/mantle/policy"
)

// packedPercent is STS's admission rule, so the test seals the largest
// session STS lets through.
func packedPercent(c *Claims) int {
	tags := make([]policy.Tag, len(c.Tags))
	for i, t := range c.Tags {
		tags[i] = policy.Tag{Key: t.Key, Value: t.Value}
	}
	return policy.PackedPolicySize([]string{c.SessionPolicy}, tags)
}

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
	t.Logf("maximal (2,048-char policy, 50 random 128/256 tags, 10 ARNs): %d characters", len(maximal))
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
	for packedPercent(c) <= 100 {
		c.Tags = append(c.Tags, Tag{Key: randString(rng, tagAlphabet, 16), Value: randString(rng, tagAlphabet, 32)})
	}
	c.Tags = c.Tags[:len(c.Tags)-1]
	admitted := seal(c)
	t.Logf("largest admitted (PackedPolicySize %d%%: 2,048-char policy, %d random 16/32 tags, 512-char path): %d characters",
		packedPercent(c), len(c.Tags), len(admitted))
	// 8 KiB is the smallest header-line limit of common proxies (nginx's
	// default large_client_header_buffers).
	if len(admitted) > 8<<10 {
		t.Errorf("largest admitted token is %d characters; want at most 8 KiB", len(admitted))
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
