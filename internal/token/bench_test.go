package token

import "testing"

func BenchmarkSeal(b *testing.B) {
	r := testRing(b, 1)
	c := typicalClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Seal(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	r := testRing(b, 1)
	tok, err := r.Seal(typicalClaims())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Open(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// The two below cover sessions with a session policy and more tags, which
// pay for deflate.

func BenchmarkSealWithPolicy(b *testing.B) {
	r := testRing(b, 1)
	c := fullClaims()
	c.SessionPolicy = policyOfLen(newBenchRand(), 1024)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Seal(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenWithPolicy(b *testing.B) {
	r := testRing(b, 1)
	c := fullClaims()
	c.SessionPolicy = policyOfLen(newBenchRand(), 1024)
	tok, err := r.Seal(c)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Open(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewTemporaryCredentials(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		NewTemporaryAccessKeyID()
		NewSecretAccessKey()
	}
}
