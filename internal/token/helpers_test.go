package token

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// testKey returns a key whose secret is fixed by id, so that tests and fuzz
// seeds are reproducible.
func testKey(id uint32) Key {
	k := Key{ID: id, Created: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i := range k.Secret {
		k.Secret[i] = byte(id) ^ byte(i*7+1)
	}
	return k
}

func testRing(t testing.TB, ids ...uint32) *Ring {
	t.Helper()
	keys := make([]Key, len(ids))
	for i, id := range ids {
		keys[i] = testKey(id)
	}
	r, err := NewRing(keys, ids[len(ids)-1])
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// typicalClaims is a typical AssumeRole session: no session policy, two tags.
func typicalClaims() *Claims {
	return &Claims{
		Kind:            KindAssumedRole,
		AccountID:       "123456789012",
		AccessKeyID:     "ASIAQ3EGUDRZ5WT7MNPX",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKE",
		IssuedAt:        testNow,
		ExpiresAt:       testNow.Add(time.Hour),
		PrincipalID:     "AROAQ3EGUDRZ4KXVB2LYM",
		PrincipalName:   "deploy-role",
		Path:            "/",
		SessionName:     "ci-pipeline-4711",
		SourceArn:       "arn:aws:iam::123456789012:user/alice",
		Tags: []Tag{
			{Key: "Project", Value: "payments"},
			{Key: "CostCenter", Value: "cc-1234"},
		},
	}
}

// fullClaims sets every field, so that a round trip checks each one.
func fullClaims() *Claims {
	c := typicalClaims()
	c.Path = "/engineering/ci/"
	c.SourceArn = "arn:aws:sts::123456789012:assumed-role/base/alice"
	c.SourceIdentity = "alice@example.com"
	c.FederatedProvider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
	c.MFAAuthenticated = true
	c.MFAAuthTime = testNow.Add(-10 * time.Minute)
	c.TransitiveTagKeys = []string{"Project"}
	c.SessionPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	c.SessionPolicyARNs = []string{"arn:aws:iam::123456789012:policy/ReadOnly"}
	c.ChainDepth = 2
	return c
}

const (
	tagAlphabet  = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.:/=+-@"
	nameAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// randString draws n characters from alphabet: random content is the worst
// case for compression.
func randString(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// policyOfLen returns a plausible JSON policy of exactly n characters, with
// varied actions and resources so that it compresses no better than a real
// one.
func policyOfLen(rng *rand.Rand, n int) string {
	services := []string{"s3", "dynamodb", "sqs", "sns", "kms", "ec2", "lambda", "logs"}
	verbs := []string{"Get", "Put", "List", "Describe", "Delete", "Create", "Update", "Tag"}
	var sb strings.Builder
	sb.WriteString(`{"Version":"2012-10-17","Statement":[`)
	for i := 0; ; i++ {
		svc := services[rng.IntN(len(services))]
		st := fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Action":["%s:%s%s","%s:%s%s"],"Resource":"arn:aws:%s:us-east-1:123456789012:%s/%s"}`,
			i, svc, verbs[rng.IntN(len(verbs))], randString(rng, nameAlphabet[:26], 6),
			svc, verbs[rng.IntN(len(verbs))], randString(rng, nameAlphabet[:26], 5),
			svc, randString(rng, nameAlphabet[:26], 4), randString(rng, nameAlphabet, 10))
		if sb.Len()+len(st)+3 > n {
			break
		}
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(st)
	}
	sb.WriteString("]}")
	// Pad inside the document with spaces replaced by a final Sid-like
	// filler so the length is exact.
	s := sb.String()
	pad := n - len(s)
	return s[:len(s)-2] + strings.Repeat(" ", pad) + "]}"
}

// maximalClaims is the largest session AWS's plaintext limits allow: a
// 2,048-character session policy, 50 tags with 128-character keys and
// 256-character values (all transitive), 10 policy ARNs, and long names.
func maximalClaims() *Claims {
	rng := rand.New(rand.NewPCG(1, 2))
	c := fullClaims()
	c.PrincipalName = randString(rng, nameAlphabet, 64)
	c.SessionName = randString(rng, nameAlphabet, 64)
	c.SourceIdentity = randString(rng, nameAlphabet, 64)
	c.SessionPolicy = policyOfLen(rng, 2048)
	c.Tags = make([]Tag, 50)
	c.TransitiveTagKeys = nil
	for i := range c.Tags {
		c.Tags[i] = Tag{Key: randString(rng, tagAlphabet, 128), Value: randString(rng, tagAlphabet, 256)}
		c.TransitiveTagKeys = append(c.TransitiveTagKeys, c.Tags[i].Key)
	}
	c.SessionPolicyARNs = make([]string, 10)
	for i := range c.SessionPolicyARNs {
		c.SessionPolicyARNs[i] = "arn:aws:iam::123456789012:policy/" + randString(rng, nameAlphabet, 40)
	}
	return c
}

// normalized is what Open returns for c: times to the second in UTC, empty
// slices nil.
func normalized(c *Claims) *Claims {
	n := *c
	sec := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return time.Unix(t.Unix(), 0).UTC()
	}
	n.IssuedAt, n.ExpiresAt, n.MFAAuthTime = sec(c.IssuedAt), sec(c.ExpiresAt), sec(c.MFAAuthTime)
	if len(n.Tags) == 0 {
		n.Tags = nil
	}
	if len(n.TransitiveTagKeys) == 0 {
		n.TransitiveTagKeys = nil
	}
	if len(n.SessionPolicyARNs) == 0 {
		n.SessionPolicyARNs = nil
	}
	return &n
}

func newBenchRand() *rand.Rand { return rand.New(rand.NewPCG(9, 10)) }
