package policy

import (
	"errors"
	"testing"
)

// Checks the validation rules of
// "IAM JSON policy element reference"
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
// and the per-kind rules of the Principal, Version, Sid pages, the Organizations
// "SCP syntax" and "RCP syntax" pages, and the role trust policy rules.
func TestParseValidation(t *testing.T) {
	const allow = `"Effect":"Allow","Action":"s3:GetObject","Resource":"*"`
	tests := []struct {
		name string
		kind Kind
		doc  string
		want string // expected message; "" means valid
	}{
		{"minimal", KindIdentity, `{"Version":"2012-10-17","Statement":{` + allow + `}}`, ""},
		{"statement array", KindIdentity, `{"Version":"2012-10-17","Statement":[{` + allow + `}]}`, ""},
		{"version absent", KindIdentity, `{"Statement":{` + allow + `}}`, ""},
		{"version 2008", KindIdentity, `{"Version":"2008-10-17","Statement":{` + allow + `}}`, ""},
		{"bad version", KindIdentity, `{"Version":"2012-10-18","Statement":{` + allow + `}}`, msgLegacy},
		{"not json", KindIdentity, `{"Version":`, msgSyntax},
		{"top-level array", KindIdentity, `[]`, msgSyntax},
		{"unknown top field", KindIdentity, `{"Statement":{` + allow + `},"Foo":1}`, msgSyntax},
		{"unknown statement field", KindIdentity, `{"Statement":{` + allow + `,"Foo":1}}`, msgSyntax},
		{"missing statement", KindIdentity, `{"Version":"2012-10-17"}`, msgSyntax},
		{"empty statement list", KindIdentity, `{"Statement":[]}`, msgSyntax},
		{"missing effect", KindIdentity, `{"Statement":{"Action":"s3:*","Resource":"*"}}`, msgMissingEffect},
		{"effect case", KindIdentity, `{"Statement":{"Effect":"allow","Action":"s3:*","Resource":"*"}}`, "Invalid effect: allow"},
		{"missing action", KindIdentity, `{"Statement":{"Effect":"Allow","Resource":"*"}}`, msgNeedActions},
		{"empty action list", KindIdentity, `{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, msgNeedActions},
		{"missing resource", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*"}}`, msgNeedResources},
		{"action without vendor", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}`, msgVendor},
		{"action two colons", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:Get:Object","Resource":"*"}}`, msgOneColon},
		{"action and notaction", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}}`, msgSyntax},
		{"resource not arn", KindSession, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}}`, `Resource bucket must be in ARN format or "*".`},
		{"resource short arn", KindSession, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3"}}`, msgInvalidResource},
		{"resource wildcard arn", KindIdentity, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:*"}}`, ""},
		{"principal in identity", KindIdentity, `{"Statement":{` + allow + `,"Principal":"*"}}`, msgNoPrincipal},
		{"notprincipal in boundary", KindBoundary, `{"Statement":{` + allow + `,"NotPrincipal":{"AWS":"*"}}}`, msgNoPrincipal},
		{"principal in session", KindSession, `{"Statement":{` + allow + `,"Principal":"*"}}`, msgNoPrincipal},
		{"duplicate sid", KindIdentity, `{"Statement":[{"Sid":"A",` + allow + `},{"Sid":"A",` + allow + `}]}`, msgUniqueSid},
		{"sid not alnum", KindIdentity, `{"Statement":{"Sid":"a b",` + allow + `}}`, msgSidAlnum},
		{"sid with space in resource policy", KindResource, `{"Statement":{"Sid":"a b",` + allow + `,"Principal":"*"}}`, ""},
		{"resource policy needs principal", KindResource, `{"Statement":{` + allow + `}}`, msgMissingPrinc},
		{"resource policy principal forms", KindResource, `{"Statement":{` + allow + `,"Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:root","arn:aws:iam::111122223333:user/a","arn:aws:iam::111122223333:role/p/r","arn:aws:sts::111122223333:assumed-role/r/s","arn:aws:sts::111122223333:federated-user/f"],"Service":"s3.amazonaws.com","Federated":"accounts.google.com","CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}}}`, ""},
		{"principal bad string", KindResource, `{"Statement":{` + allow + `,"Principal":"alice"}}`, `Invalid principal in policy: "alice"`},
		{"principal bad arn", KindResource, `{"Statement":{` + allow + `,"Principal":{"AWS":"arn:aws:iam::111122223333:user/*"}}}`, `Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:user/*"`},
		{"principal bad type", KindResource, `{"Statement":{` + allow + `,"Principal":{"Users":"x"}}}`, `Invalid principal in policy: "Users":"x"`},
		{"notprincipal allow", KindResource, `{"Statement":{` + allow + `,"NotPrincipal":{"AWS":"111122223333"}}}`, `NotPrincipal is only supported with "Effect":"Deny"`},
		{"trust ok", KindTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}}`, ""},
		{"trust wildcard family", KindTrust, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole*"}}`, ""},
		{"trust with resource", KindTrust, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}}`, "Has prohibited field Resource"},
		{"trust with notresource", KindTrust, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","NotResource":"*"}}`, "Has prohibited field NotResource"},
		{"trust missing principal", KindTrust, `{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}`, msgMissingPrinc},
		{"trust other action", KindTrust, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject"}}`, msgTrustActions},
		{"trust star action", KindTrust, `{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"*"}}`, msgTrustActions},
		{"trust notprincipal", KindTrust, `{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}}`, "Has prohibited field NotPrincipal"},
		{"scp ok", KindSCP, `{"Version":"2012-10-17","Statement":{"Sid":"Deny all outside eu","Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}}}`, ""},
		{"scp principal", KindSCP, `{"Statement":{` + allow + `,"Principal":"*"}}`, msgOrgPolicyType},
		{"rcp full access", KindRCP, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`, ""},
		{"rcp deny", KindRCP, `{"Statement":{"Effect":"Deny","Principal":"*","Action":["s3:*","sqs:*"],"Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-123"}}}}`, ""},
		{"rcp restricted allow", KindRCP, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}`, msgOrgPolicyType},
		{"rcp unsupported service", KindRCP, `{"Statement":{"Effect":"Deny","Principal":"*","Action":"ec2:*","Resource":"*"}}`, msgOrgPolicyType},
		{"rcp principal not star", KindRCP, `{"Statement":{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}}`, msgOrgPolicyType},
		{"rcp notaction", KindRCP, `{"Statement":{"Effect":"Deny","Principal":"*","NotAction":"s3:*","Resource":"*"}}`, msgOrgPolicyType},
		{"bad operator", KindIdentity, `{"Statement":{` + allow + `,"Condition":{"StringEqualz":{"aws:username":"a"}}}}`, "Invalid Condition type : StringEqualz"},
		{"forany null", KindIdentity, `{"Statement":{` + allow + `,"Condition":{"ForAnyValue:Null":{"aws:username":"true"}}}}`, "Invalid Condition type : ForAnyValue:Null"},
		{"condition key without vendor", KindSCP, `{"Statement":{` + allow + `,"Condition":{"StringEquals":{"username":"a"}}}}`, msgVendor},
		{"bad numeric", KindIdentity, `{"Statement":{` + allow + `,"Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}}`, `Invalid value for condition operator NumericLessThan: "ten"`},
		{"numeric literal", KindIdentity, `{"Statement":{` + allow + `,"Condition":{"NumericLessThan":{"s3:max-keys":10}}}}`, ""},
		{"bad date", KindIdentity, `{"Statement":{` + allow + `,"Condition":{"DateGreaterThan":{"aws:CurrentTime":"yesterday"}}}}`, `Invalid value for condition operator DateGreaterThan: "yesterday"`},
		{"bad ip", KindIdentity, `{"Statement":{` + allow + `,"Condition":{"IpAddress":{"aws:SourceIp":"300.1.1.1/8"}}}}`, `Invalid value for condition operator IpAddress: "300.1.1.1/8"`},
		{"bad bool", KindIdentity, `{"Statement":{` + allow + `,"Condition":{"Bool":{"aws:SecureTransport":"yes"}}}}`, `Invalid value for condition operator Bool: "yes"`},
		{"bool literal", KindIdentity, `{"Statement":{` + allow + `,"Condition":{"Bool":{"aws:SecureTransport":false}}}}`, ""},
		{"bad binary", KindIdentity, `{"Statement":{` + allow + `,"Condition":{"BinaryEquals":{"s3:x":"!!"}}}}`, `Invalid value for condition operator BinaryEquals: "!!"`},
		{"condition object value", KindIdentity, `{"Statement":{` + allow + `,"Condition":{"StringEquals":{"aws:username":{"a":1}}}}}`, msgSyntax},
		{"typed operator with variable", KindIdentity, `{"Version":"2012-10-17","Statement":{` + allow + `,"Condition":{"DateGreaterThan":{"aws:CurrentTime":"${aws:TokenIssueTime}"}}}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.doc, tt.kind)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("want *Error %q, got %v", tt.want, err)
			}
			if pe.Code != CodeMalformedPolicyDocument || pe.Message != tt.want {
				t.Fatalf("got %s: %q, want %q", pe.Code, pe.Message, tt.want)
			}
		})
	}
}

// Positions feed the simulator's MatchedStatements StartPosition/EndPosition
// (SimulateCustomPolicy API reference: Statement and Position types).
func TestStatementPositions(t *testing.T) {
	doc := "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"},\n    {\n      \"Effect\": \"Deny\", \"Action\": \"iam:*\", \"Resource\": \"*\"\n    }\n  ]\n}"
	p := MustParse(doc, KindIdentity)
	st := p.Statements()
	want := []struct{ start, end Pos }{
		{Pos{3, 5}, Pos{3, 59}},
		{Pos{4, 5}, Pos{6, 6}},
	}
	for i, w := range want {
		if st[i].Start != w.start || st[i].End != w.end {
			t.Errorf("statement %d: got %v-%v, want %v-%v", i, st[i].Start, st[i].End, w.start, w.end)
		}
	}
}

// "IAM and AWS STS quotas": PolicySize 6,144, inline aggregate per entity,
// ACLSizePerRole 2,048 (up to 4,096); white space does not count.
func TestSizeQuotas(t *testing.T) {
	pad := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a'
		}
		return string(b)
	}
	if got := Size("{ \"a\" :\n\t1 }"); got != 7 {
		t.Fatalf("Size ignores white space: got %d", got)
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"managed ok", CheckManagedPolicySize(pad(6144) + "   "), ""},
		{"managed over", CheckManagedPolicySize(pad(6145)), "Cannot exceed quota for PolicySize: 6144"},
		{"trust default", CheckTrustPolicySize(pad(2049), 0), "Cannot exceed quota for ACLSizePerRole: 2048"},
		{"trust raised", CheckTrustPolicySize(pad(2049), 4096), ""},
		{"inline user", CheckInlinePolicySize(EntityUser, "alice", 2049), "Maximum policy size of 2048 bytes exceeded for user alice"},
		{"inline role", CheckInlinePolicySize(EntityRole, "r", 10240), ""},
		{"inline group", CheckInlinePolicySize(EntityGroup, "g", 5121), "Maximum policy size of 5120 bytes exceeded for group g"},
		{"packed", CheckPackedPolicySize([]string{pad(2100)}, nil), "Packed policy consumes 103% of allotted space, please use smaller policy."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == "" {
				if tt.err != nil {
					t.Fatal(tt.err)
				}
				return
			}
			var pe *Error
			if !errors.As(tt.err, &pe) || pe.Message != tt.want {
				t.Fatalf("got %v, want %q", tt.err, tt.want)
			}
		})
	}
	if got := PackedPolicySize([]string{pad(1024)}, nil); got != 50 {
		t.Fatalf("PackedPolicySize = %d, want 50", got)
	}
}

// GetContextKeysForCustomPolicy API reference: keys referenced by conditions
// and policy variables.
func TestContextKeys(t *testing.T) {
	p := MustParse(`{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*",
	   "Condition":{"StringEquals":{"aws:PrincipalTag/team":"${aws:ResourceTag/team}","AWS:username":"x"},"Bool":{"aws:SecureTransport":"true"}}}]}`, KindIdentity)
	got := ContextKeys(p)
	want := []string{"aws:PrincipalTag/team", "aws:ResourceTag/team", "aws:SecureTransport", "aws:username"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}
