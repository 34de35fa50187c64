package sigv4

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestKeyCache(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, c *keyCache)
	}{
		{"matches derivation", func(t *testing.T, c *keyCache) {
			want := newPads(deriveKey("secret", "20240101", "us-east-1", "iam"))
			for range 2 { // miss, then hit
				if got := c.signingKey("secret", "20240101", "us-east-1", "iam"); got != want {
					t.Fatal("cached key differs from derived key")
				}
			}
		}},
		{"secret is part of the key", func(t *testing.T, c *keyCache) {
			a := c.signingKey("old-secret", "20240101", "us-east-1", "iam")
			b := c.signingKey("new-secret", "20240101", "us-east-1", "iam")
			if a == b || b != newPads(deriveKey("new-secret", "20240101", "us-east-1", "iam")) {
				t.Fatal("a rotated secret was served the old secret's key")
			}
		}},
		{"bounded", func(t *testing.T, c *keyCache) {
			for i := range 1000 {
				c.signingKey(fmt.Sprint("secret", i), "20240101", "us-east-1", "iam")
			}
			if n := c.len(); n > 64 {
				t.Fatalf("cache holds %d keys, bound 64", n)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newKeyCache(64)) })
	}
}

// TestConcurrentVerify runs verifications of several keys in parallel
// against a tiny cache, for the race detector.
func TestConcurrentVerify(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 30, 0, 0, time.UTC)
	v := NewVerifier(WithClock(func() time.Time { return now }), WithCacheSize(2))
	secrets := map[string]string{}
	var reqs []func() error
	for i := range 8 {
		creds := aws.Credentials{AccessKeyID: fmt.Sprintf("AKIA%016d", i), SecretAccessKey: fmt.Sprint("secret-", i)}
		secrets[creds.AccessKeyID] = creds.SecretAccessKey
		r, body := overTheWire(t, signQuery(t, "iam.amazonaws.com", "iam", creds, "Action=ListUsers&Version=2010-05-08", now))
		reqs = append(reqs, func() error {
			_, err := v.Verify(context.Background(), r, body, staticSecrets(secrets))
			return err
		})
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				if err := reqs[(g+i)%len(reqs)](); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
