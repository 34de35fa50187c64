package policy

import (
	"strings"
	"testing"
	"time"
)

func condAllows(t *testing.T, cond string, ctx []ContextEntry) bool {
	t.Helper()
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":` + cond + `}}`
	p := user("alice")
	p.Tags = []Tag{{Key: "team", Value: "blue"}}
	return allowedBy(t, doc, Request{Principal: p, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: ctx})
}

func kv(key string, vals ...string) []ContextEntry {
	if len(vals) == 1 {
		return []ContextEntry{{Key: key, Value: vals[0]}}
	}
	return []ContextEntry{{Key: key, Values: vals}}
}

// "IAM JSON policy elements: Condition operators"
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// and "Condition element with multiple context keys or values"
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
func TestConditionOperators(t *testing.T) {
	none := []ContextEntry(nil)
	tests := []struct {
		name string
		cond string
		ctx  []ContextEntry
		want bool
	}{
		// String operators.
		{"StringEquals", `{"StringEquals":{"aws:username":"alice"}}`, kv("aws:username", "alice"), true},
		{"StringEquals case", `{"StringEquals":{"aws:username":"Alice"}}`, kv("aws:username", "alice"), false},
		{"StringEquals values OR", `{"StringEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]}}`, kv("aws:RequestedRegion", "us-east-1"), true},
		{"StringEquals no wildcard", `{"StringEquals":{"aws:RequestedRegion":"us-*"}}`, kv("aws:RequestedRegion", "us-east-1"), false},
		{"StringEquals absent", `{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}`, none, false},
		{"key name case-insensitive", `{"StringEquals":{"AWS:REQUESTEDREGION":"us-east-1"}}`, kv("aws:RequestedRegion", "us-east-1"), true},
		{"StringNotEquals", `{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]}}`, kv("aws:RequestedRegion", "us-east-1"), false},
		{"StringNotEquals none match", `{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]}}`, kv("aws:RequestedRegion", "ap-south-1"), true},
		{"StringNotEquals absent", `{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}`, none, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, kv("aws:username", "alice"), true},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, kv("aws:username", "alice"), false},
		{"StringLike", `{"StringLike":{"s3:prefix":["home/*","pub/?"]}}`, kv("s3:prefix", "pub/x"), true},
		{"StringLike miss", `{"StringLike":{"s3:prefix":"home/*"}}`, kv("s3:prefix", "Home/x"), false},
		{"StringNotLike", `{"StringNotLike":{"s3:prefix":"home/*"}}`, kv("s3:prefix", "pub/x"), true},
		{"StringEquals variable", `{"StringEquals":{"s3:prefix":"home/${aws:username}"}}`, append(kv("s3:prefix", "home/alice"), ContextEntry{Key: "aws:username", Value: "alice"}), true},
		{"StringEquals tag variable", `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`, kv("aws:ResourceTag/team", "blue"), true},
		{"StringEquals unresolved variable", `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/dept}"}}`, kv("aws:ResourceTag/team", "blue"), false},
		// Numeric.
		{"NumericEquals", `{"NumericEquals":{"s3:max-keys":"10"}}`, kv("s3:max-keys", "10.0"), true},
		{"NumericNotEquals", `{"NumericNotEquals":{"s3:max-keys":["10","20"]}}`, kv("s3:max-keys", "20"), false},
		{"NumericLessThan", `{"NumericLessThan":{"s3:max-keys":10}}`, kv("s3:max-keys", "9"), true},
		{"NumericLessThan equal", `{"NumericLessThan":{"s3:max-keys":10}}`, kv("s3:max-keys", "10"), false},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"s3:max-keys":10}}`, kv("s3:max-keys", "10"), true},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"s3:max-keys":"1.5"}}`, kv("s3:max-keys", "2"), true},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"s3:max-keys":"2"}}`, kv("s3:max-keys", "1"), false},
		{"Numeric non-number request", `{"NumericGreaterThan":{"s3:max-keys":"1"}}`, kv("s3:max-keys", "many"), false},
		// Dates: ISO 8601 and epoch seconds, either side.
		{"DateEquals", `{"DateEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}`, kv("aws:CurrentTime", "1704067200"), true},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2024-01-01"}}`, kv("aws:CurrentTime", "2024-01-01T00:00:00Z"), false},
		{"DateLessThan", `{"DateLessThan":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}`, kv("aws:CurrentTime", "2024-05-31T23:59:59Z"), true},
		{"DateLessThanEquals", `{"DateLessThanEquals":{"aws:CurrentTime":"1717200000"}}`, kv("aws:CurrentTime", "2024-06-01T00:00:00Z"), true},
		{"DateGreaterThan offset", `{"DateGreaterThan":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}`, kv("aws:CurrentTime", "2024-06-01T01:00:00+02:00"), false},
		{"DateGreaterThanEquals fraction", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-06-01T00:00:00.5Z"}}`, kv("aws:CurrentTime", "2024-06-01T00:00:00.600Z"), true},
		{"Date variable", `{"DateGreaterThan":{"aws:CurrentTime":"${aws:TokenIssueTime}"}}`, append(kv("aws:CurrentTime", "2024-06-02T00:00:00Z"), ContextEntry{Key: "aws:TokenIssueTime", Value: "2024-06-01T00:00:00Z"}), true},
		// Bool.
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, kv("aws:SecureTransport", "true"), true},
		{"Bool json false", `{"Bool":{"aws:SecureTransport":false}}`, kv("aws:SecureTransport", "false"), true},
		{"Bool mismatch", `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`, kv("aws:MultiFactorAuthPresent", "false"), false},
		{"Bool absent", `{"Bool":{"aws:MultiFactorAuthPresent":"false"}}`, none, false},
		{"BoolIfExists absent", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, none, true},
		// Binary.
		{"BinaryEquals", `{"BinaryEquals":{"s3:key":"QmluYXJ5VmFsdWU="}}`, kv("s3:key", "QmluYXJ5VmFsdWU="), true},
		{"BinaryEquals miss", `{"BinaryEquals":{"s3:key":"QmluYXJ5VmFsdWU="}}`, kv("s3:key", "b3RoZXI="), false},
		// IP addresses.
		{"IpAddress v4", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv("aws:SourceIp", "203.0.113.7"), true},
		{"IpAddress v4 miss", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv("aws:SourceIp", "203.0.114.7"), false},
		{"IpAddress v6", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}`, kv("aws:SourceIp", "2001:db8:1234:5678::1"), true},
		{"IpAddress host", `{"IpAddress":{"aws:SourceIp":"192.0.2.1"}}`, kv("aws:SourceIp", "192.0.2.1"), true},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`, kv("aws:SourceIp", "192.168.1.1"), false},
		{"NotIpAddress outside", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, kv("aws:SourceIp", "192.168.1.1"), true},
		{"IpAddress absent", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, none, false},
		// ARN operators: segment by segment.
		{"ArnEquals", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:topic"}}`, kv("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic"), true},
		{"ArnLike", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111122223333:*"}}`, kv("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic"), true},
		{"ArnLike segment", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin*"}}`, kv("aws:PrincipalArn", "arn:aws:iam::111122223333:role/AdminX"), true},
		{"ArnLike star stays in segment", `{"ArnLike":{"aws:SourceArn":"arn:aws:*:111122223333:topic"}}`, kv("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic"), false},
		{"ArnNotEquals", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:topic"}}`, kv("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:other"), true},
		{"ArnNotLike", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, kv("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:topic"), false},
		{"ArnLike absent", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, none, false},
		{"ArnNotLike absent", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, none, true},
		// Null.
		{"Null true absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, none, true},
		{"Null true present", `{"Null":{"aws:TokenIssueTime":"true"}}`, kv("aws:TokenIssueTime", "2024-01-01T00:00:00Z"), false},
		{"Null false present", `{"Null":{"aws:TokenIssueTime":false}}`, kv("aws:TokenIssueTime", "2024-01-01T00:00:00Z"), true},
		{"Null false absent", `{"Null":{"aws:TokenIssueTime":"false"}}`, none, false},
		{"Null empty set", `{"Null":{"aws:TagKeys":"true"}}`, []ContextEntry{{Key: "aws:TagKeys", Values: []string{}}}, true},
		// IfExists.
		{"StringEqualsIfExists absent", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, none, true},
		{"StringEqualsIfExists present", `{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}`, kv("ec2:InstanceType", "m5.large"), false},
		{"NumericLessThanIfExists absent", `{"NumericLessThanIfExists":{"s3:max-keys":"5"}}`, none, true},
		{"DateLessThanIfExists absent", `{"DateLessThanIfExists":{"aws:CurrentTime":"2024-01-01"}}`, none, true},
		{"IpAddressIfExists absent", `{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}`, none, true},
		{"ArnLikeIfExists absent", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:*"}}`, none, true},
		{"BinaryEqualsIfExists absent", `{"BinaryEqualsIfExists":{"s3:key":"QQ=="}}`, none, true},
		// Multiple keys AND, multiple operators AND.
		{"keys AND", `{"StringEquals":{"aws:username":"alice","aws:RequestedRegion":"us-east-1"}}`, kv("aws:username", "alice"), false},
		{"operators AND", `{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}}`, append(kv("aws:username", "alice"), ContextEntry{Key: "aws:SecureTransport", Value: "true"}), true},
		{"operators AND fail", `{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:SecureTransport":"true"}}`, append(kv("aws:username", "alice"), ContextEntry{Key: "aws:SecureTransport", Value: "false"}), false},
		// Set operators ("Set operators for multivalued context keys").
		{"ForAllValues subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b","c"]}}`, kv("aws:TagKeys", "a", "c"), true},
		{"ForAllValues extra", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, kv("aws:TagKeys", "a", "z"), false},
		{"ForAllValues absent", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}`, none, true},
		{"ForAllValues empty", `{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}`, []ContextEntry{{Key: "aws:TagKeys", Values: []string{}}}, true},
		{"ForAnyValue hit", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}`, kv("aws:TagKeys", "z", "b"), true},
		{"ForAnyValue miss", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}`, kv("aws:TagKeys", "y", "z"), false},
		{"ForAnyValue absent", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["a"]}}`, none, false},
		{"ForAnyValue negated absent", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a"]}}`, none, false},
		{"ForAnyValue StringLike", `{"ForAnyValue:StringLike":{"aws:TagKeys":"env*"}}`, kv("aws:TagKeys", "owner", "environment"), true},
		{"ForAllValues StringNotEquals", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, kv("aws:TagKeys", "a", "b"), true},
		{"ForAllValues StringNotEquals hit", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, kv("aws:TagKeys", "a", "secret"), false},
		{"ForAnyValue StringNotEquals", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a"]}}`, kv("aws:TagKeys", "a", "b"), true},
		{"ForAnyValue IfExists absent", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["a"]}}`, none, true},
		{"ForAllValues case-insensitive prefix", `{"forallvalues:StringEquals":{"aws:TagKeys":["a"]}}`, kv("aws:TagKeys", "a"), true},
		{"single-valued operator on multivalued key", `{"StringEquals":{"aws:CalledVia":"athena.amazonaws.com"}}`, kv("aws:CalledVia", "glue.amazonaws.com", "athena.amazonaws.com"), true},
		{"negated operator on multivalued key", `{"StringNotEquals":{"aws:CalledVia":"athena.amazonaws.com"}}`, kv("aws:CalledVia", "glue.amazonaws.com", "athena.amazonaws.com"), false},
		// Service-specific keys behave the same way.
		{"sts:ExternalId", `{"StringEquals":{"sts:ExternalId":"xyz"}}`, kv("sts:ExternalId", "xyz"), true},
		{"iam:PassedToService", `{"StringLike":{"iam:PassedToService":"ec2.*"}}`, kv("iam:PassedToService", "ec2.amazonaws.com"), true},
		{"derived aws:PrincipalTag", `{"StringEquals":{"aws:PrincipalTag/TEAM":"blue"}}`, none, true},
		{"derived aws:PrincipalAccount", `{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`, none, true},
		{"derived aws:ResourceAccount absent for s3", `{"StringEquals":{"aws:ResourceAccount":"111122223333"}}`, none, false},
		{"context overrides derived", `{"StringEquals":{"aws:PrincipalAccount":"999999999999"}}`, kv("aws:PrincipalAccount", "999999999999"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := condAllows(t, tt.cond, tt.ctx); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// Every operator accepts the ...IfExists suffix except Null, and every
// operator parses with both set qualifiers.
func TestOperatorNames(t *testing.T) {
	for name, info := range operators {
		if info.kind == opNull {
			continue
		}
		for _, prefix := range []string{"", "ForAllValues:", "ForAnyValue:"} {
			for _, suffix := range []string{"", "IfExists"} {
				op := prefix + name + suffix
				if _, _, _, ok := parseOperator(op); !ok {
					t.Errorf("%s rejected", op)
				}
			}
		}
	}
	if _, _, _, ok := parseOperator("ForAllValues:Null"); ok {
		t.Error("ForAllValues:Null accepted")
	}
	if _, _, _, ok := parseOperator(strings.Repeat("x", 3)); ok {
		t.Error("garbage accepted")
	}
}

// aws:CurrentTime and aws:EpochTime work with the Date operators.
func TestTimeEntries(t *testing.T) {
	e := TimeEntries(time.Date(2024, 6, 1, 12, 0, 0, 0, time.FixedZone("x", 3600)))
	if e[0].Value != "2024-06-01T11:00:00Z" || e[1].Value != "1717239600" {
		t.Fatalf("got %+v", e)
	}
	if !condAllows(t, `{"DateGreaterThan":{"aws:EpochTime":"2024-06-01T10:59:59Z"}}`, e[:]) {
		t.Fatal("DateGreaterThan on aws:EpochTime failed")
	}
}
