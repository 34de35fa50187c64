package sigv4

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// BenchmarkVerifyQuery measures the hot path: an SDK-signed IAM/STS Query
// POST (host, content-length, content-type, x-amz-date and maybe
// x-amz-security-token signed) with a warm derived-key cache.
func BenchmarkVerifyQuery(b *testing.B) {
	cases := []struct {
		name    string
		host    string
		service string
		creds   aws.Credentials
		body    string
	}{
		{"iam", "iam.amazonaws.com", "iam", longTerm, "Action=ListUsers&Version=2010-05-08"},
		{"sts+token", "sts.amazonaws.com", "sts", temporary,
			"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=bench&DurationSeconds=3600&Version=2011-06-15"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			v := NewVerifier(WithClock(func() time.Time { return testNow }))
			r, body := overTheWire(b, signQuery(b, c.host, c.service, c.creds, c.body, testNow.Add(-time.Minute)))
			ctx := context.Background()
			if _, err := v.Verify(ctx, r, body, testSecrets); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			cpu := startThreadCPU()
			for b.Loop() {
				if _, err := v.Verify(ctx, r, body, testSecrets); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}

// BenchmarkVerifyPresigned is the presigned GET (EKS-style token) path.
func BenchmarkVerifyPresigned(b *testing.B) {
	v := NewVerifier(WithClock(func() time.Time { return testNow }))
	r, body := overTheWire(b, presign(b, "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60", "sts", temporary, nil, testNow.Add(-time.Second)))
	ctx := context.Background()
	if _, err := v.Verify(ctx, r, body, testSecrets); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu := startThreadCPU()
	for b.Loop() {
		if _, err := v.Verify(ctx, r, body, testSecrets); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// BenchmarkDeriveKey is the cache-miss cost the cache saves.
func BenchmarkDeriveKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		deriveKey(longTerm.SecretAccessKey, "20240101", "us-east-1", "iam")
	}
}
