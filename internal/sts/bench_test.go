package sts

import (
	"testing"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"
)

// BenchmarkAssumeRole measures the service part of AssumeRole with a warm
// role cache and compiled caller policies: trust evaluation, key and secret
// generation, sealing the token.
func BenchmarkAssumeRole(b *testing.B) {
	e := newEnv(b)
	alice := e.user(acct, "alice", allow("sts:AssumeRole", "*"))
	r := e.role(acct, "app", trustDoc("arn:aws:iam::"+acct+":root", `"sts:AssumeRole"`, `{"StringEquals":{"sts:ExternalId":"ext-1234"}}`), 0)
	in := &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "bench", ExternalId: "ext-1234"}
	if _, err := e.svc.AssumeRole(e.ctx, alice, in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.svc.AssumeRole(e.ctx, alice, in); err != nil {
			b.Fatal(err)
		}
	}
}
