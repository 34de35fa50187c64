package policy

import (
	"fmt"
	"strings"
	"testing"
)

// managedPolicy builds a realistic managed policy: ten statements over a few
// services, with wildcards and three conditions each.
func managedPolicy(n int) string {
	services := []string{"s3", "ec2", "dynamodb", "sqs", "sns", "kms", "lambda", "logs", "iam", "sts"}
	var stmts []string
	for i := 0; i < 10; i++ {
		svc := services[(i+n)%len(services)]
		stmts = append(stmts, fmt.Sprintf(`{
  "Sid": "S%d%d", "Effect": "Allow",
  "Action": ["%s:Get*", "%s:List*", "%s:Describe*"],
  "Resource": ["arn:aws:%s:*:111122223333:*", "arn:aws:%s:::bucket-*/*"],
  "Condition": {
    "StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/team}", "aws:RequestedRegion": ["us-east-1", "eu-west-1"]},
    "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}
  }}`, n, i, svc, svc, svc, svc, svc))
	}
	return `{"Version": "2012-10-17", "Statement": [` + strings.Join(stmts, ",") + `]}`
}

func realisticInput(b testing.TB) (*Request, *Input) {
	var ids []*Policy
	for n := 0; n < 3; n++ {
		ids = append(ids, MustParse(managedPolicy(n), KindIdentity).WithID(fmt.Sprintf("arn:aws:iam::111122223333:policy/P%d", n)))
	}
	boundary := MustParse(`{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":["s3:*","dynamodb:*","sqs:*","logs:*"],"Resource":"*"},
	  {"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}`, KindBoundary)
	session := MustParse(`{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::bucket-*/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`, KindSession)
	p := DerivePrincipal("arn:aws:sts::111122223333:assumed-role/Dev/alice")
	p.Tags = []Tag{{Key: "team", Value: "blue"}}
	req := &Request{
		Principal: p,
		Action:    "s3:GetObject",
		Resource:  "arn:aws:s3:::bucket-3/reports/2024.csv",
		Context: []ContextEntry{
			{Key: "aws:SourceIp", Value: "10.1.2.3"},
			{Key: "aws:RequestedRegion", Value: "us-east-1"},
			{Key: "aws:SecureTransport", Value: "true"},
			{Key: "aws:CurrentTime", Value: "2024-05-01T12:00:00Z"},
		},
	}
	return req, &Input{Identity: ids, Boundary: boundary, Session: []*Policy{session}}
}

func BenchmarkEvaluateRealistic(b *testing.B) {
	req, in := realisticInput(b)
	if res := Evaluate(req, in); !res.Allowed() {
		b.Fatalf("expected allow, got %v %s", res.Decision, res.Reason())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Evaluate(req, in)
	}
}

// BenchmarkEvaluateScale shows the service index at work: statements for
// other services are never looked at.
func BenchmarkEvaluateScale(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("statements=%d", n), func(b *testing.B) {
			var stmts []string
			for i := 0; i < n; i++ {
				stmts = append(stmts, fmt.Sprintf(`{"Effect":"Allow","Action":["svc%d:Get*","svc%d:Put*"],"Resource":"arn:aws:svc%d:us-east-1:111122223333:thing/%d/*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}`, i, i, i, i))
			}
			p := MustParse(`{"Version":"2012-10-17","Statement":[`+strings.Join(stmts, ",")+`]}`, KindIdentity)
			req := &Request{
				Principal: DerivePrincipal("arn:aws:iam::111122223333:user/alice"),
				Action:    fmt.Sprintf("svc%d:GetThing", n/2),
				Resource:  fmt.Sprintf("arn:aws:svc%d:us-east-1:111122223333:thing/%d/x", n/2, n/2),
				Context:   []ContextEntry{{Key: "aws:RequestedRegion", Value: "us-east-1"}},
			}
			in := &Input{Identity: []*Policy{p}}
			if res := Evaluate(req, in); !res.Allowed() {
				b.Fatal(res.Reason())
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				Evaluate(req, in)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	doc := managedPolicy(0)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(doc, KindIdentity); err != nil {
			b.Fatal(err)
		}
	}
}
