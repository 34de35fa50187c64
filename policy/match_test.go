package policy

import "testing"

func user(name string) Principal {
	return DerivePrincipal("arn:aws:iam::111122223333:user/" + name)
}

func allowedBy(t *testing.T, doc string, req Request) bool {
	t.Helper()
	p, err := Parse(doc, KindIdentity)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	res := Evaluate(&req, &Input{Identity: []*Policy{p}})
	return res.Allowed()
}

// "IAM JSON policy elements: Action": action names are case-insensitive and
// take * and ? wildcards; NotAction matches everything else.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
func TestActionMatching(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"s3:GetObject", "s3:GetObject", true},
		{"s3:getobject", "S3:GETOBJECT", true},
		{"s3:Get*", "s3:GetObjectAcl", true},
		{"s3:Get*", "s3:PutObject", false},
		{"s3:*Object", "s3:DeleteObject", true},
		{"s3:?etObject", "s3:GetObject", true},
		{"s3:?etObject", "s3:GGetObject", false},
		{"*", "iam:CreateUser", true},
		{"s*:List*", "sqs:ListQueues", true},
		{"iam:*User*", "iam:ListUserTags", true},
		{"ec2:*", "ec2", false},
	}
	for _, tt := range tests {
		doc := `{"Statement":{"Effect":"Allow","Action":"` + tt.pattern + `","Resource":"*"}}`
		if got := allowedBy(t, doc, Request{Principal: user("a"), Action: tt.action, Resource: "*"}); got != tt.want {
			t.Errorf("Action %q vs %q: got %v, want %v", tt.pattern, tt.action, got, tt.want)
		}
		doc = `{"Statement":{"Effect":"Allow","NotAction":"` + tt.pattern + `","Resource":"*"}}`
		if got := allowedBy(t, doc, Request{Principal: user("a"), Action: tt.action, Resource: "*"}); got == tt.want {
			t.Errorf("NotAction %q vs %q: got %v, want %v", tt.pattern, tt.action, got, !tt.want)
		}
	}
}

// "IAM JSON policy elements: Resource": case-sensitive, wildcards within ARN
// segments; in the resource part * spans / and :.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
func TestResourceMatching(t *testing.T) {
	tests := []struct {
		pattern, resource string
		want              bool
	}{
		{"*", "arn:aws:s3:::b/k", true},
		{"arn:aws:s3:::b/k", "arn:aws:s3:::b/k", true},
		{"arn:aws:s3:::b/k", "arn:aws:s3:::b/K", false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c", true},
		{"arn:aws:s3:::b*", "arn:aws:s3:::b/a", true},
		{"arn:aws:s3:::b/?", "arn:aws:s3:::b/x", true},
		{"arn:aws:s3:::b/?", "arn:aws:s3:::b/xy", false},
		{"arn:aws:iam::*:user/*", "arn:aws:iam::111122223333:user/alice", true},
		{"arn:aws:iam::111122223333:*", "arn:aws:iam::111122223333:user/path/alice", true},
		{"arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:us-east-1:111122223333:instance/i-1", true},
		// A wildcard in a leading segment does not cross a colon.
		{"arn:aws:ec2:us-*:111122223333:instance/*", "arn:aws:ec2:us-east-1:111122223333:instance/i-1", true},
		{"arn:aws:ec2:*:instance/*", "arn:aws:ec2:us-east-1:111122223333:instance/i-1", false},
		// In the resource part * spans ":".
		{"arn:aws:logs:us-east-1:111122223333:log-group:*", "arn:aws:logs:us-east-1:111122223333:log-group:g:log-stream:s", true},
		// A pattern with fewer segments matches its tail against the rest.
		{"arn:aws:s3:*", "arn:aws:s3:::b/k", true},
		{"arn:*", "arn:aws:sqs:us-east-1:111122223333:q", true},
		{"arn:aws:dynamodb:us-east-1:111122223333:table/T", "arn:aws:dynamodb:us-east-1:111122223333:table/T/index/I", false},
	}
	for _, tt := range tests {
		doc := `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + tt.pattern + `"}}`
		if got := allowedBy(t, doc, Request{Principal: user("a"), Action: "s3:GetObject", Resource: tt.resource}); got != tt.want {
			t.Errorf("Resource %q vs %q: got %v, want %v", tt.pattern, tt.resource, got, tt.want)
		}
		doc = `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","NotResource":"` + tt.pattern + `"}}`
		if got := allowedBy(t, doc, Request{Principal: user("a"), Action: "s3:GetObject", Resource: tt.resource}); got == tt.want {
			t.Errorf("NotResource %q vs %q: got %v, want %v", tt.pattern, tt.resource, got, !tt.want)
		}
	}
}

// "IAM policy elements: Variables and tags": variables resolve only under
// Version 2012-10-17, take default values, have ${*} ${?} ${$} escapes,
// and a variable with no value makes the value not match.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
func TestPolicyVariables(t *testing.T) {
	alice := user("alice")
	alice.UserID = "AIDAEXAMPLE"
	alice.Tags = []Tag{{Key: "Team", Value: "blue"}}
	session := DerivePrincipal("arn:aws:sts::111122223333:assumed-role/Dev/s1")
	tests := []struct {
		name     string
		version  string
		resource string
		p        Principal
		req      string
		ctx      []ContextEntry
		want     bool
	}{
		{"username", "2012-10-17", "arn:aws:s3:::b/${aws:username}/*", alice, "arn:aws:s3:::b/alice/x", nil, true},
		{"username other", "2012-10-17", "arn:aws:s3:::b/${aws:username}/*", alice, "arn:aws:s3:::b/bob/x", nil, false},
		{"userid", "2012-10-17", "arn:aws:s3:::b/${aws:userid}", alice, "arn:aws:s3:::b/AIDAEXAMPLE", nil, true},
		{"principal tag key case", "2012-10-17", "arn:aws:s3:::b/${aws:PrincipalTag/team}", alice, "arn:aws:s3:::b/blue", nil, true},
		{"context key", "2012-10-17", "arn:aws:s3:::b/${aws:SourceIdentity}", alice, "arn:aws:s3:::b/si", []ContextEntry{{Key: "aws:SourceIdentity", Value: "si"}}, true},
		{"absent key no match", "2012-10-17", "arn:aws:s3:::b/${aws:username}", session, "arn:aws:s3:::b/", nil, false},
		{"default value", "2012-10-17", "arn:aws:s3:::b/${aws:username, 'shared'}/*", session, "arn:aws:s3:::b/shared/x", nil, true},
		{"escape star", "2012-10-17", "arn:aws:s3:::b/${*}", alice, "arn:aws:s3:::b/*", nil, true},
		{"escape star literal", "2012-10-17", "arn:aws:s3:::b/${*}", alice, "arn:aws:s3:::b/x", nil, false},
		{"escape question and dollar", "2012-10-17", "arn:aws:s3:::b/${?}${$}", alice, "arn:aws:s3:::b/?$", nil, true},
		{"variable value is literal", "2012-10-17", "arn:aws:s3:::b/${aws:SourceIdentity}", alice, "arn:aws:s3:::b/xyz", []ContextEntry{{Key: "aws:SourceIdentity", Value: "*"}}, false},
		{"old version literal", "2008-10-17", "arn:aws:s3:::b/${aws:username}", alice, "arn:aws:s3:::b/${aws:username}", nil, true},
		{"old version no substitution", "2008-10-17", "arn:aws:s3:::b/${aws:username}", alice, "arn:aws:s3:::b/alice", nil, false},
		{"no version literal", "", "arn:aws:s3:::b/${aws:username}", alice, "arn:aws:s3:::b/alice", nil, false},
		{"multivalued key is not a variable", "2012-10-17", "arn:aws:s3:::b/${aws:TagKeys}", alice, "arn:aws:s3:::b/a", []ContextEntry{{Key: "aws:TagKeys", Values: []string{"a", "b"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			version := ""
			if tt.version != "" {
				version = `"Version":"` + tt.version + `",`
			}
			doc := `{` + version + `"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + tt.resource + `"}}`
			if got := allowedBy(t, doc, Request{Principal: tt.p, Action: "s3:GetObject", Resource: tt.req, Context: tt.ctx}); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// "AWS global condition context keys": aws:PrincipalArn of a role session is
// the role's ARN; aws:PrincipalType values.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
func TestDerivePrincipal(t *testing.T) {
	tests := []struct {
		arn       string
		typ       PrincipalType
		account   string
		principal string // aws:PrincipalArn
		ptype     string // aws:PrincipalType
	}{
		{"arn:aws:iam::111122223333:user/dev/alice", PrincipalUser, "111122223333", "arn:aws:iam::111122223333:user/dev/alice", "User"},
		{"arn:aws:sts::111122223333:assumed-role/Admin/sess", PrincipalAssumedRole, "111122223333", "arn:aws:iam::111122223333:role/Admin", "AssumedRole"},
		{"arn:aws:sts::111122223333:federated-user/bob", PrincipalFederatedUser, "111122223333", "arn:aws:sts::111122223333:federated-user/bob", "FederatedUser"},
		{"arn:aws:iam::111122223333:root", PrincipalRoot, "111122223333", "arn:aws:iam::111122223333:root", "Account"},
		{"111122223333", PrincipalRoot, "111122223333", "arn:aws:iam::111122223333:root", "Account"},
		{"", PrincipalAnonymous, "", "", "Anonymous"},
		{"ec2.amazonaws.com", PrincipalService, "", "", ""},
		{"cognito-identity.amazonaws.com", PrincipalFederated, "", "", ""},
		{"arn:aws:iam::111122223333:saml-provider/idp", PrincipalFederated, "111122223333", "", ""},
	}
	for _, tt := range tests {
		p := DerivePrincipal(tt.arn)
		if p.Type != tt.typ || p.Account != tt.account {
			t.Errorf("%q: got type %v account %q", tt.arn, p.Type, p.Account)
		}
		r := Request{Principal: p}
		arn, ok := r.lookup("aws:principalarn")
		if got := ""; ok {
			got = arn.at(0)
			if got != tt.principal {
				t.Errorf("%q: aws:PrincipalArn = %q, want %q", tt.arn, got, tt.principal)
			}
		} else if tt.principal != "" {
			t.Errorf("%q: aws:PrincipalArn absent", tt.arn)
		}
		pt, ok := r.lookup("aws:PrincipalType")
		if (ok && pt.at(0) != tt.ptype) || (!ok && tt.ptype != "") {
			t.Errorf("%q: aws:PrincipalType = %v, want %q", tt.arn, pt, tt.ptype)
		}
	}
}
