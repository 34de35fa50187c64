package token

import (
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	r := testRing(t, 1)
	tests := []struct {
		name string
		c    *Claims
	}{
		{"typical assume-role", typicalClaims()},
		{"every field", fullClaims()},
		{"maximal, deflated", maximalClaims()},
		{"federated user with policy", &Claims{
			Kind: KindFederatedUser, AccountID: "210987654321",
			AccessKeyID: "ASIAAAAAAAAAAAAAAAAA", SecretAccessKey: "s",
			IssuedAt: testNow, ExpiresAt: testNow.Add(36 * time.Hour),
			PrincipalID: "AIDAEXAMPLE", PrincipalName: "bob",
			SessionPolicy: `{"Version":"2012-10-17","Statement":[]}`,
		}},
		{"root session, MFA without time", &Claims{
			Kind: KindRootSession, AccountID: "123456789012",
			AccessKeyID: "ASIABBBBBBBBBBBBBBBB", SecretAccessKey: "s",
			IssuedAt: testNow, ExpiresAt: testNow.Add(time.Hour),
			MFAAuthenticated: true,
		}},
		{"user session, sub-second times", &Claims{
			Kind: KindUserSession, AccessKeyID: "A", SecretAccessKey: "B",
			IssuedAt:  testNow.Add(400 * time.Millisecond),
			ExpiresAt: testNow.Add(time.Hour + 900*time.Millisecond),
		}},
		{"non-UTC times and unicode", &Claims{
			Kind: KindAssumedRole, AccessKeyID: "A", SecretAccessKey: "B",
			IssuedAt:      testNow.In(time.FixedZone("X", 5*3600)),
			ExpiresAt:     testNow.Add(time.Minute).In(time.FixedZone("Y", -3600)),
			SessionName:   "sessión-ü",
			Tags:          []Tag{{Key: "ключ", Value: "值"}, {Key: "", Value: ""}},
			SessionPolicy: strings.Repeat("é", 300),
		}},
		{"empty slices", &Claims{
			Kind: KindAssumedRole, AccessKeyID: "A", SecretAccessKey: "B",
			IssuedAt: testNow, ExpiresAt: testNow.Add(time.Hour),
			Tags: []Tag{}, TransitiveTagKeys: []string{}, SessionPolicyARNs: []string{},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := r.Seal(tt.c)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tok, "MNT1") {
				t.Errorf("token %.10q… lacks the MNT1 prefix", tok)
			}
			if _, err := base64.StdEncoding.Strict().DecodeString(tok); err != nil {
				t.Errorf("token is not standard base64: %v", err)
			}
			got, err := r.Open(tok)
			if err != nil {
				t.Fatal(err)
			}
			if want := normalized(tt.c); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
			}
			if got.IssuedAt.Location() != time.UTC || got.ExpiresAt.Location() != time.UTC {
				t.Error("times are not UTC")
			}
		})
	}
}

// TestFullClaimsSetsEveryField keeps the round-trip test honest: a field
// added to Claims must be set in fullClaims, or this fails.
func TestFullClaimsSetsEveryField(t *testing.T) {
	v := reflect.ValueOf(*fullClaims())
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("fullClaims leaves %s unset", v.Type().Field(i).Name)
		}
	}
}

func TestSealsDiffer(t *testing.T) {
	r := testRing(t, 1)
	c := typicalClaims()
	a, _ := r.Seal(c)
	b, _ := r.Seal(c)
	if a == b {
		t.Error("two seals of the same claims are identical; nonce not random")
	}
}

func TestTamperAnyByteFails(t *testing.T) {
	r := testRing(t, 1)
	tok, err := r.Seal(fullClaims())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := append([]byte(nil), raw...)
			bad[i] ^= mask
			if _, err := r.Open(base64.StdEncoding.EncodeToString(bad)); err == nil {
				t.Fatalf("byte %d ^ %#x: tampered token opened", i, mask)
			}
		}
	}
	// Every substitution in the text, including of padding bits that a
	// lenient decoder would ignore.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_\n "
	for i := range len(tok) {
		for _, ch := range []byte(alphabet) {
			if ch == tok[i] {
				continue
			}
			bad := tok[:i] + string(ch) + tok[i+1:]
			if _, err := r.Open(bad); err == nil {
				t.Fatalf("char %d -> %q: tampered token opened", i, ch)
			}
		}
	}
	// Truncation and extension.
	for _, bad := range []string{tok[:len(tok)-4], tok + "AAAA", tok[4:], "MNT1" + tok[8:]} {
		if _, err := r.Open(bad); err == nil {
			t.Errorf("altered-length token opened")
		}
	}
}

func TestOpenMalformed(t *testing.T) {
	r := testRing(t, 1)
	good, _ := r.Seal(typicalClaims())
	raw, _ := base64.StdEncoding.DecodeString(good)
	reencode := func(f func([]byte) []byte) string {
		return base64.StdEncoding.EncodeToString(f(append([]byte(nil), raw...)))
	}
	tests := []struct {
		name, tok string
		want      error
	}{
		{"empty", "", ErrMalformed},
		{"prefix only", "MNT1", ErrMalformed},
		{"short", good[:60], ErrMalformed},
		{"not base64", "MNT1" + strings.Repeat("!", 100), ErrMalformed},
		{"unpadded", strings.TrimRight(good, "="), ErrMalformed},
		{"line break", good[:40] + "\n" + good[40:], ErrMalformed},
		{"carriage return", good[:40] + "\r" + good[40:], ErrMalformed},
		{"url alphabet", strings.NewReplacer("+", "-", "/", "_").Replace(good), ErrMalformed},
		{"too long", "MNT1" + strings.Repeat("A", MaxTokenLen), ErrMalformed},
		{"AWS-looking token", "IQoJb3JpZ2luX2VjEHAaCXVzLWVhc3QtMSJHMEUCIQD" + strings.Repeat("A", 100), ErrMalformed},
		{"future version", reencode(func(b []byte) []byte { b[2]++; return b }), ErrMalformed},
		{"unknown key", reencode(func(b []byte) []byte { b[6] = 9; return b }), ErrUnknownKey},
		{"bad tag", reencode(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := r.Open(tt.tok)
			if !errors.Is(err, tt.want) || c != nil {
				t.Errorf("Open = %v, %v; want nil, %v", c, err, tt.want)
			}
		})
	}
}

func TestUnknownKey(t *testing.T) {
	a, b := testRing(t, 1), testRing(t, 2)
	tok, _ := a.Seal(typicalClaims())
	_, err := b.Open(tok)
	if !errors.Is(err, ErrUnknownKey) || !errors.Is(err, ErrInvalid) {
		t.Errorf("Open with another ring = %v; want ErrUnknownKey wrapping ErrInvalid", err)
	}
	// Same ID, different secret: the key is known but the token is not its.
	other := testKey(1)
	other.Secret[0] ^= 1
	c, _ := NewRing([]Key{other}, 1)
	_, err = c.Open(tok)
	if !errors.Is(err, ErrInvalid) || errors.Is(err, ErrUnknownKey) {
		t.Errorf("Open with a different secret under the same ID = %v; want ErrInvalid only", err)
	}
}

func TestSealRejects(t *testing.T) {
	r := testRing(t, 1)
	tests := []struct {
		name string
		mod  func(c *Claims)
		want error
	}{
		{"no kind", func(c *Claims) { c.Kind = 0 }, ErrClaims},
		{"unknown kind", func(c *Claims) { c.Kind = kindEnd }, ErrClaims},
		{"no access key", func(c *Claims) { c.AccessKeyID = "" }, ErrClaims},
		{"no secret", func(c *Claims) { c.SecretAccessKey = "" }, ErrClaims},
		{"zero issued", func(c *Claims) { c.IssuedAt = time.Time{} }, ErrClaims},
		{"expires at issue", func(c *Claims) { c.ExpiresAt = c.IssuedAt.Add(500 * time.Millisecond) }, ErrClaims},
		{"expires before issue", func(c *Claims) { c.ExpiresAt = c.IssuedAt.Add(-time.Hour) }, ErrClaims},
		{"pre-1970 MFA time", func(c *Claims) { c.MFAAuthTime = time.Unix(-5, 0) }, ErrClaims},
		{"negative chain depth", func(c *Claims) { c.ChainDepth = -1 }, ErrClaims},
		{"too large", func(c *Claims) {
			c.SessionPolicy = randString(rand.New(rand.NewPCG(3, 4)), nameAlphabet, MaxTokenLen)
		}, ErrTooLarge},
		{"packed beyond inflate bound", func(c *Claims) {
			c.SessionPolicy = strings.Repeat("a", maxPackedRaw+1)
		}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := typicalClaims()
			tt.mod(c)
			if tok, err := r.Seal(c); !errors.Is(err, tt.want) {
				t.Errorf("Seal = %.20q…, %v; want %v", tok, err, tt.want)
			}
		})
	}
	if _, err := r.Seal(nil); !errors.Is(err, ErrClaims) {
		t.Errorf("Seal(nil) = %v", err)
	}
}

func TestClaimsHelpers(t *testing.T) {
	c := typicalClaims()
	tests := []struct {
		now  time.Time
		want bool
	}{
		{c.IssuedAt, false},
		{c.ExpiresAt.Add(-time.Second), false},
		{c.ExpiresAt, true},
		{c.ExpiresAt.Add(time.Hour), true},
	}
	for _, tt := range tests {
		if got := c.Expired(tt.now); got != tt.want {
			t.Errorf("Expired(%v) = %v, want %v", tt.now, got, tt.want)
		}
	}
	if c.RoleChained() {
		t.Error("depth 0 reported chained")
	}
	c.ChainDepth = 1
	if !c.RoleChained() {
		t.Error("depth 1 not reported chained")
	}
	for k, want := range map[Kind]string{
		KindAssumedRole: "assumed-role", KindFederatedUser: "federated-user",
		KindUserSession: "user-session", KindRootSession: "root-session", 0: "Kind(0)",
	} {
		if k.String() != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, k.String(), want)
		}
	}
}
