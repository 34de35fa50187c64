package policy

import (
	"errors"
	"testing"
)

// FuzzParse checks that no document makes Parse panic, that rejections are
// always *Error values, and that every document that validates evaluates
// (and explains) without panicking against a range of requests.
func FuzzParse(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, uint8(0))
	f.Add(`{"Statement":[{"Sid":"A","Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::*:user/${aws:username}"}]}`, uint8(0))
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}}`, uint8(2))
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a*"]},"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}}}`, uint8(1))
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"${aws:TokenIssueTime}"},"Null":{"aws:userid":"true"}}}}`, uint8(6))
	f.Fuzz(func(t *testing.T, doc string, k uint8) {
		kind := Kind(k%7) + KindIdentity
		p, err := Parse(doc, kind)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Message == "" {
				t.Fatalf("rejection is not a *policy.Error: %v", err)
			}
			return
		}
		_ = ContextKeys(p)
		in := &Input{}
		switch kind {
		case KindIdentity:
			in.Identity = []*Policy{p}
		case KindBoundary:
			in.Boundary = p
		case KindSession:
			in.Session = []*Policy{p}
		case KindResource, KindTrust:
			in.Resource = p
		case KindSCP:
			in.SCPs = [][]*Policy{{p}}
		case KindRCP:
			in.RCPs = [][]*Policy{{p}}
		}
		principals := []string{"arn:aws:iam::111122223333:user/alice", "arn:aws:sts::111122223333:assumed-role/R/s", "", "s3.amazonaws.com", "111122223333", "arn:aws:sts::444455556666:federated-user/f"}
		for i, pa := range principals {
			req := Request{
				Principal: DerivePrincipal(pa),
				Action:    []string{"s3:GetObject", "sts:AssumeRole", "IAM:CreateUser"}[i%3],
				Resource:  []string{"arn:aws:s3:::b/k", "*", "arn:aws:iam::111122223333:role/R", "x"}[i%4],
				Context: []ContextEntry{
					{Key: "aws:SourceIp", Value: "10.1.2.3"},
					{Key: "aws:CurrentTime", Value: "2024-01-01T00:00:00Z"},
					{Key: "aws:TagKeys", Values: []string{"a", "b"}},
					{Key: "aws:username", Value: doc[:len(doc)%7]},
				},
			}
			res := Evaluate(&req, in)
			x := Explain(&req, in)
			if x.Decision != res.Decision {
				t.Fatalf("Explain %v != Evaluate %v", x.Decision, res.Decision)
			}
			_ = res.Reason()
			_ = x.Report()
		}
	})
}

// FuzzValidate checks IAM's staged checks on any document: no panic, every
// refusal an *Error, and every document Validate accepts also parses for
// the authorizer (TestParseAcceptsValidated, at scale).
func FuzzValidate(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3.s:List","Resource":"arn:aws:fdsasf","Condition":{"x":{},"DateLessThan":{"a":"01T"}}}}`, uint8(0))
	f.Add(`{"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":["a:b:c:d:e:f:g:h","arn:aws:iam:us-east-1::x"]}}`, uint8(1))
	f.Add(`{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}}`, uint8(2))
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"a":"2016-12-13t2:00:00.1999999999+10:59"}}}}`, uint8(0))
	f.Fuzz(func(t *testing.T, doc string, u uint8) {
		use := Use(u%7) + UseManaged
		_, err := Validate(doc, use)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Message == "" {
				t.Fatalf("rejection is not a *policy.Error: %v", err)
			}
			return
		}
		if _, err := Parse(doc, use.Kind()); err != nil {
			t.Fatalf("Validate accepted what Parse refuses: %v", err)
		}
	})
}
