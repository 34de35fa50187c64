package stsapi

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/awserr"
)

// PolicyDescriptorType's member is "arn" on the wire
// (PolicyArns.member.N.arn), as the model spells it.
func TestLowerCaseMember(t *testing.T) {
	form, _ := url.ParseQuery("RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fr&RoleSessionName=s" +
		"&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess&PolicyArns.member.2.arn=short")
	var in AssumeRoleInput
	err := in.DecodeQuery(form)
	if len(in.PolicyArns) != 2 || in.PolicyArns[0].Arn != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
		t.Fatalf("decoded %+v", in)
	}
	if e := awserr.As(err); e == nil || !strings.Contains(e.Message, "at 'policyArns.2.member.arn'") {
		t.Fatalf("err %v", err)
	}
}

// The hot results encode as the Query protocol writes them; Expiration is
// ISO 8601 in UTC.
func TestCredentialsXML(t *testing.T) {
	out := AssumeRoleOutput{
		Credentials:     &Credentials{AccessKeyId: "ASIA", SecretAccessKey: "s", SessionToken: "t<", Expiration: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		AssumedRoleUser: &AssumedRoleUser{AssumedRoleId: "AROA:s", Arn: "arn"},
	}
	want := `<Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t&lt;</SessionToken><Expiration>2026-01-02T03:04:05Z</Expiration></Credentials>` +
		`<AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId><Arn>arn</Arn></AssumedRoleUser>`
	if got := string(out.AppendXML(nil)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Secrets never reach the audit record.
	if got, _ := out.AppendAudit(nil); strings.Contains(string(got), `"s"`) || strings.Contains(string(got), "t<") {
		t.Errorf("audit leaks a secret: %s", got)
	}
}

// The generated encoders replaced STS's hand-written ones; this keeps an
// eye on what encoding AssumeRole's result and its audit value cost.
func BenchmarkAssumeRoleOutput(b *testing.B) {
	out := AssumeRoleOutput{
		Credentials: &Credentials{AccessKeyId: "ASIAEXAMPLE000000001", SecretAccessKey: strings.Repeat("s", 40),
			SessionToken: strings.Repeat("t", 400), Expiration: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		AssumedRoleUser: &AssumedRoleUser{AssumedRoleId: "AROAEXAMPLE000000001:s", Arn: "arn:aws:sts::111122223333:assumed-role/r/s"},
	}
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	for b.Loop() {
		buf = out.AppendXML(buf[:0])
		buf, _ = out.AppendAudit(buf[:0])
	}
}

func BenchmarkDecodeAssumeRole(b *testing.B) {
	form, _ := url.ParseQuery("Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fbench&RoleSessionName=bench")
	b.ReportAllocs()
	for b.Loop() {
		var in AssumeRoleInput
		if err := in.DecodeQuery(form); err != nil {
			b.Fatal(err)
		}
	}
}
