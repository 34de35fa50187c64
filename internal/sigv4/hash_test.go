package sigv4

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/awserr"
)

// A gateway that asks on its client's behalf passes the hash of the body it
// received instead of the body: the same request verifies with that hash
// and fails with any other (a swapped body), UNSIGNED-PAYLOAD or a
// malformed one.
func TestVerifyScopeHash(t *testing.T) {
	v := NewVerifier(WithClock(func() time.Time { return testNow }))
	body := `{"pet":"rex"}`
	req := signQuery(t, "api.example.com", "execute-api", longTerm, body, testNow)
	sr, _ := overTheWire(t, req)
	sc, err := ParseScope(sr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyScopeHash(context.Background(), sr, hashHex([]byte(body)), &sc, testSecrets); err != nil {
		t.Fatalf("the body's own hash: %v", err)
	}
	for name, h := range map[string]string{
		"another body":     hashHex([]byte(`{"pet":"tom"}`)),
		"unsigned payload": "UNSIGNED-PAYLOAD",
		"upper-case hex":   strings.ToUpper(hashHex([]byte(body))),
		"empty":            "",
	} {
		_, err := v.VerifyScopeHash(context.Background(), sr, h, &sc, testSecrets)
		if e := awserr.As(err); e == nil || e.Code != "SignatureDoesNotMatch" {
			t.Errorf("%s: got %v, want SignatureDoesNotMatch", name, err)
		}
	}
}
