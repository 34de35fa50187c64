package iam

import (
	"reflect"
	"strings"
	"testing"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/store"
)

const (
	simAllowGet   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	simAllowS3    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	simDenyPut    = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"}]}`
	simNeedsIP    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"},"StringEquals":{"s3:prefix":"home/"}}}]}`
	simUserVarDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/${aws:username}"}]}`
)

// multiline is a pretty-printed policy whose statement positions are known:
// the second statement opens at line 10 column 5 and closes at line 14
// column 5.
const multiline = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Read",
      "Effect": "Allow",
      "Action": "s3:GetObject",
      "Resource": "*"
    },
    {
      "Sid": "NoDelete",
      "Effect": "Deny",
      "Action": "s3:DeleteObject",
      "Resource": "*"
    }
  ]
}`

func stmtIDs(sts []iamapi.Statement) []string {
	out := []string{}
	for _, s := range sts {
		out = append(out, s.SourcePolicyId+"/"+s.SourcePolicyType)
	}
	return out
}

func TestSimulateCustomPolicy(t *testing.T) {
	e := newEnv(t)
	alice := e.user(t, "alice")
	const bucket = "arn:aws:s3:::bucket/key"
	tests := []struct {
		name     string
		in       iamapi.SimulateCustomPolicyInput
		code     string
		msg      string
		decision []string // per result
		matched  []string // of the first result
		missing  []string // of the first result
		boundary *bool    // AllowedByPermissionsBoundary of the first result
	}{
		{name: "allowed", in: iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simAllowGet}, ActionNames: []string{"s3:GetObject"}},
			decision: []string{"allowed"}, matched: []string{"PolicyInputList.1/IAM Policy"}, missing: []string{}},
		{name: "action case-insensitive", in: iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simAllowGet}, ActionNames: []string{"S3:getobject"}},
			decision: []string{"allowed"}, matched: []string{"PolicyInputList.1/IAM Policy"}},
		{name: "implicit deny", in: iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simAllowGet}, ActionNames: []string{"s3:PutObject"}},
			decision: []string{"implicitDeny"}, matched: []string{}, missing: []string{}},
		{name: "explicit deny lists only the deny", in: iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simAllowS3, simDenyPut}, ActionNames: []string{"s3:PutObject", "s3:GetObject"}},
			decision: []string{"explicitDeny", "allowed"}, matched: []string{"PolicyInputList.2/IAM Policy"}},
		{name: "missing context values", in: iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simNeedsIP}, ActionNames: []string{"s3:GetObject"}},
			decision: []string{"implicitDeny"}, matched: []string{}, missing: []string{"aws:SourceIp", "s3:prefix"}},
		{name: "context supplied", in: iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simNeedsIP}, ActionNames: []string{"s3:GetObject"},
			ContextEntries: []iamapi.ContextEntry{
				{ContextKeyName: "aws:SourceIp", ContextKeyValues: []string{"192.0.2.7"}, ContextKeyType: "ip"},
				{ContextKeyName: "s3:prefix", ContextKeyValues: []string{"other/", "home/"}, ContextKeyType: "stringList"},
			}},
			decision: []string{"allowed"}, matched: []string{"PolicyInputList.1/IAM Policy"}, missing: []string{}},
		{name: "policy variable without caller", in: iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simUserVarDoc}, ActionNames: []string{"iam:GetUser"}, ResourceArns: []string{alice.Arn}},
			decision: []string{"implicitDeny"}},
		{name: "policy variable with caller", in: iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simUserVarDoc}, ActionNames: []string{"iam:GetUser"}, ResourceArns: []string{alice.Arn}, CallerArn: alice.Arn},
			decision: []string{"allowed"}, missing: []string{}},
		{name: "boundary limits", in: iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simAllowS3}, PermissionsBoundaryPolicyInputList: []string{simAllowGet}, ActionNames: []string{"s3:PutObject", "s3:GetObject"}},
			decision: []string{"implicitDeny", "allowed"}, matched: []string{}, boundary: ptr(false)},
		{name: "boundary allows", in: iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simAllowS3}, PermissionsBoundaryPolicyInputList: []string{simAllowGet}, ActionNames: []string{"s3:GetObject"}},
			decision: []string{"allowed"}, matched: []string{"PolicyInputList.1/IAM Policy", "PermissionsBoundaryPolicyInputList.1/IAM Policy"}, boundary: ptr(true)},
		{name: "several resources", in: iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simAllowGet}, ActionNames: []string{"s3:GetObject"}, ResourceArns: []string{bucket, "arn:aws:s3:::other"}},
			decision: []string{"allowed", "allowed"}},
		{name: "malformed policy", in: iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{"{"}, ActionNames: []string{"s3:GetObject"}},
			code: "MalformedPolicyDocument"},
		{name: "short action", in: iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simAllowGet}, ActionNames: []string{"s3"}},
			code: "ValidationError", msg: "1 validation error detected: Value 's3' at 'actionNames.1.member' failed to satisfy constraint: Member must have length greater than or equal to 3"},
		{name: "resource policy needs caller", in: iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simAllowGet}, ActionNames: []string{"s3:GetObject"},
			ResourcePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`},
			code: "InvalidInput"},
		{name: "caller must be a user", in: iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simAllowGet}, ActionNames: []string{"s3:GetObject"}, CallerArn: "arn:aws:iam::" + acct + ":role/r"},
			code: "InvalidInput"},
		{name: "bad marker", in: iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simAllowGet}, ActionNames: []string{"s3:GetObject"}, Marker: "!!"},
			code: "ValidationError", msg: "Invalid Marker."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.s.SimulateCustomPolicy(e.ctx, e.root, &tc.in)
			wantErr(t, err, tc.code, tc.msg)
			if tc.code != "" {
				return
			}
			var got []string
			for _, r := range out.EvaluationResults {
				got = append(got, r.EvalDecision)
			}
			if !reflect.DeepEqual(got, tc.decision) {
				t.Fatalf("decisions %v, want %v", got, tc.decision)
			}
			r := out.EvaluationResults[0]
			if tc.matched != nil && !reflect.DeepEqual(stmtIDs(r.MatchedStatements), tc.matched) {
				t.Errorf("matched %v, want %v", stmtIDs(r.MatchedStatements), tc.matched)
			}
			if tc.missing != nil && !reflect.DeepEqual(r.MissingContextValues, tc.missing) {
				t.Errorf("missing %v, want %v", r.MissingContextValues, tc.missing)
			}
			if tc.boundary == nil && r.PermissionsBoundaryDecisionDetail != nil {
				t.Errorf("unexpected boundary detail %+v", r.PermissionsBoundaryDecisionDetail)
			}
			if tc.boundary != nil && (r.PermissionsBoundaryDecisionDetail == nil || *r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary != *tc.boundary) {
				t.Errorf("boundary detail %+v, want %v", r.PermissionsBoundaryDecisionDetail, *tc.boundary)
			}
			if r.OrganizationsDecisionDetail != nil {
				t.Errorf("organizations detail outside an organization: %+v", r.OrganizationsDecisionDetail)
			}
			if (r.EvalResourceName == "*") != (r.EvalDecisionDetails == nil) {
				t.Errorf("EvalDecisionDetails %+v for resource %s", r.EvalDecisionDetails, r.EvalResourceName)
			}
		})
	}
	if c := e.authz.last(); c.action != "iam:SimulateCustomPolicy" || c.resource != "*" {
		t.Errorf("authorized %+v", c)
	}
}

func TestSimulateMatchedStatementPositions(t *testing.T) {
	e := newEnv(t)
	out := must[*iamapi.SimulatePolicyOutput](t)(e.s.SimulateCustomPolicy(e.ctx, e.root, &iamapi.SimulateCustomPolicyInput{
		PolicyInputList: []string{simAllowGet, multiline}, ActionNames: []string{"s3:GetObject", "s3:DeleteObject"}}))
	allow, deny := out.EvaluationResults[0], out.EvaluationResults[1]
	if len(allow.MatchedStatements) != 2 {
		t.Fatalf("allow matched %+v", allow.MatchedStatements)
	}
	read := allow.MatchedStatements[1]
	if read.SourcePolicyId != "PolicyInputList.2" || !at(read.StartPosition, 4, 5) || !at(read.EndPosition, 9, 6) {
		t.Errorf("Read statement %s %+v %+v", read.SourcePolicyId, read.StartPosition, read.EndPosition)
	}
	first := allow.MatchedStatements[0]
	if first.SourcePolicyId != "PolicyInputList.1" || !at(first.StartPosition, 1, 38) || *first.EndPosition.Line != 1 {
		t.Errorf("one-line statement %s %+v %+v", first.SourcePolicyId, first.StartPosition, first.EndPosition)
	}
	if deny.EvalDecision != "explicitDeny" || len(deny.MatchedStatements) != 1 ||
		!at(deny.MatchedStatements[0].StartPosition, 10, 5) || !at(deny.MatchedStatements[0].EndPosition, 15, 6) {
		t.Errorf("deny %+v", deny)
	}
}

func TestSimulateResourcePolicy(t *testing.T) {
	e := newEnv(t)
	alice := e.user(t, "alice")
	const other = "999988887777"
	queue := "arn:aws:sqs:us-east-1:" + other + ":q"
	grant := `{"Version":"2012-10-17","Statement":[{"Sid":"Grant","Effect":"Allow","Principal":{"AWS":"` + alice.Arn + `"},"Action":"sqs:SendMessage","Resource":"*"}]}`
	allowSend := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}`
	tests := []struct {
		name      string
		policies  []string
		resources []string
		owner     string
		decision  string
		details   map[string]string // nil: want an empty EvalDecisionDetails
		matched   []string
	}{
		{"cross-account both allow", []string{allowSend}, []string{queue}, "", "allowed",
			map[string]string{"IAM Policy": "allowed", "Resource Policy": "allowed"},
			[]string{"ResourcePolicy/Resource Policy", "PolicyInputList.1/IAM Policy"}},
		{"cross-account identity missing", []string{simAllowGet}, []string{queue}, "", "implicitDeny",
			map[string]string{"IAM Policy": "implicitDeny", "Resource Policy": "allowed"}, []string{}},
		{"same account resource policy alone", []string{simAllowGet}, []string{"arn:aws:sqs:us-east-1:" + acct + ":q"}, "", "allowed",
			nil, []string{"ResourcePolicy/Resource Policy"}},
		{"owner of an ARN without account", []string{simAllowGet}, []string{"arn:aws:s3:::bucket"}, "arn:aws:iam::" + other + ":root", "implicitDeny",
			map[string]string{"IAM Policy": "implicitDeny", "Resource Policy": "allowed"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := must[*iamapi.SimulatePolicyOutput](t)(e.s.SimulateCustomPolicy(e.ctx, e.root, &iamapi.SimulateCustomPolicyInput{
				PolicyInputList: tc.policies, ActionNames: []string{"sqs:SendMessage"}, ResourceArns: tc.resources,
				ResourcePolicy: grant, CallerArn: alice.Arn, ResourceOwner: tc.owner}))
			r := out.EvaluationResults[0]
			if r.EvalDecision != tc.decision {
				t.Fatalf("decision %s, want %s", r.EvalDecision, tc.decision)
			}
			if r.EvalDecisionDetails == nil {
				t.Fatal("no EvalDecisionDetails")
			}
			if tc.details == nil && len(r.EvalDecisionDetails) != 0 || tc.details != nil && !reflect.DeepEqual(r.EvalDecisionDetails, tc.details) {
				t.Errorf("details %+v, want %+v", r.EvalDecisionDetails, tc.details)
			}
			if r.ResourceSpecificResults == nil || len(r.ResourceSpecificResults) != 1 {
				t.Fatalf("resource-specific results %+v", r.ResourceSpecificResults)
			}
			rs := r.ResourceSpecificResults[0]
			if rs.EvalResourceName != tc.resources[0] || rs.EvalResourceDecision != tc.decision || !reflect.DeepEqual(stmtIDs(rs.MatchedStatements), tc.matched) {
				t.Errorf("resource-specific %+v", rs)
			}
		})
	}
	_, err := e.s.SimulateCustomPolicy(e.ctx, e.root, &iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simAllowGet},
		ActionNames: []string{"s3:GetObject"}, ResourcePolicy: grant, CallerArn: alice.Arn, ResourceOwner: "nobody"})
	wantErr(t, err, "InvalidInput", "")
	_, err = e.s.SimulateCustomPolicy(e.ctx, e.root, &iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simAllowGet},
		ActionNames: []string{"s3:GetObject"}, ResourcePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, CallerArn: alice.Arn})
	wantErr(t, err, "MalformedPolicyDocument", "")
}

func TestSimulatePagination(t *testing.T) {
	e := newEnv(t)
	in := iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simAllowS3}, ActionNames: []string{"s3:GetObject", "s3:PutObject", "iam:GetUser"},
		ResourceArns: []string{"arn:aws:s3:::a", "arn:aws:s3:::b"}, MaxItems: ptr(4)}
	var seen []string
	for page := 0; ; page++ {
		out := must[*iamapi.SimulatePolicyOutput](t)(e.s.SimulateCustomPolicy(e.ctx, e.root, &in))
		for _, r := range out.EvaluationResults {
			seen = append(seen, r.EvalActionName+" "+r.EvalResourceName+" "+r.EvalDecision)
		}
		if page == 0 && (!isTrue(out.IsTruncated) || out.Marker == "" || len(out.EvaluationResults) != 4) {
			t.Fatalf("first page %+v", out)
		}
		if !isTrue(out.IsTruncated) {
			if out.Marker != "" {
				t.Errorf("marker on last page")
			}
			break
		}
		in.Marker = out.Marker
	}
	want := []string{"s3:GetObject arn:aws:s3:::a allowed", "s3:GetObject arn:aws:s3:::b allowed", "s3:PutObject arn:aws:s3:::a allowed",
		"s3:PutObject arn:aws:s3:::b allowed", "iam:GetUser arn:aws:s3:::a implicitDeny", "iam:GetUser arn:aws:s3:::b implicitDeny"}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("pages %v", seen)
	}
	_, err := e.s.SimulateCustomPolicy(e.ctx, e.root, &iamapi.SimulateCustomPolicyInput{PolicyInputList: []string{simAllowS3}, ActionNames: []string{"s3:GetObject"}, MaxItems: ptr(0)})
	wantErr(t, err, "ValidationError", "")
}

func TestSimulatePrincipalPolicy(t *testing.T) {
	e := newEnv(t)
	alice := e.user(t, "alice")
	bob := e.user(t, "bob")
	role := e.role(t, "app")
	boundary := e.policy(t, "s3-boundary") // allows s3:*
	must[*iamapi.CreateGroupOutput](t)(e.s.CreateGroup(e.ctx, e.root, &iamapi.CreateGroupInput{GroupName: "devs"}))
	must[*iamapi.AddUserToGroupOutput](t)(e.s.AddUserToGroup(e.ctx, e.root, &iamapi.AddUserToGroupInput{GroupName: "devs", UserName: "alice"}))
	must[*iamapi.PutGroupPolicyOutput](t)(e.s.PutGroupPolicy(e.ctx, e.root, &iamapi.PutGroupPolicyInput{GroupName: "devs", PolicyName: "dev-read", PolicyDocument: simAllowGet}))
	must[*iamapi.PutUserPolicyOutput](t)(e.s.PutUserPolicy(e.ctx, e.root, &iamapi.PutUserPolicyInput{UserName: "alice", PolicyName: "self", PolicyDocument: simUserVarDoc}))
	must[*iamapi.AttachUserPolicyOutput](t)(e.s.AttachUserPolicy(e.ctx, e.root, &iamapi.AttachUserPolicyInput{UserName: "alice", PolicyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}))
	must[*iamapi.PutUserPermissionsBoundaryOutput](t)(e.s.PutUserPermissionsBoundary(e.ctx, e.root, &iamapi.PutUserPermissionsBoundaryInput{UserName: "alice", PermissionsBoundary: boundary.Arn}))
	must[*iamapi.PutRolePolicyOutput](t)(e.s.PutRolePolicy(e.ctx, e.root, &iamapi.PutRolePolicyInput{RoleName: "app", PolicyName: "deny-put", PolicyDocument: simDenyPut}))
	must[*iamapi.AttachRolePolicyOutput](t)(e.s.AttachRolePolicy(e.ctx, e.root, &iamapi.AttachRolePolicyInput{RoleName: "app", PolicyArn: boundary.Arn}))

	type res struct{ action, resource, decision string }
	tests := []struct {
		name     string
		in       iamapi.SimulatePrincipalPolicyInput
		code     string
		msg      string
		decision []string
		matched  [][]string
		boundary *bool
	}{
		{name: "user with groups and boundary", in: iamapi.SimulatePrincipalPolicyInput{PolicySourceArn: alice.Arn, ActionNames: []string{"s3:GetObject", "s3:PutObject", "iam:ListUsers"}},
			decision: []string{"allowed", "implicitDeny", "implicitDeny"},
			matched:  [][]string{{"dev-read/group", "s3-boundary/user-managed"}, {}, {}}, boundary: ptr(true)},
		{name: "user's own variable policy resolves", in: iamapi.SimulatePrincipalPolicyInput{PolicySourceArn: alice.Arn, ActionNames: []string{"iam:GetUser"}, ResourceArns: []string{alice.Arn},
			PermissionsBoundaryPolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`}},
			decision: []string{"allowed"},
			matched:  [][]string{{"self/user", "IAMReadOnlyAccess/aws-managed", "PermissionsBoundaryPolicyInputList.1/IAM Policy"}}, boundary: ptr(true)},
		{name: "caller arn replaces the user", in: iamapi.SimulatePrincipalPolicyInput{PolicySourceArn: alice.Arn, CallerArn: bob.Arn, ActionNames: []string{"iam:GetUser"}, ResourceArns: []string{alice.Arn},
			PermissionsBoundaryPolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`}},
			decision: []string{"allowed"}, matched: [][]string{{"IAMReadOnlyAccess/aws-managed", "PermissionsBoundaryPolicyInputList.1/IAM Policy"}}, boundary: ptr(true)},
		{name: "role with deny", in: iamapi.SimulatePrincipalPolicyInput{PolicySourceArn: role.Arn, ActionNames: []string{"s3:PutObject", "s3:GetObject"}, PolicyInputList: []string{simAllowGet}},
			decision: []string{"explicitDeny", "allowed"}, matched: [][]string{{"deny-put/role"}, {"s3-boundary/user-managed", "PolicyInputList.1/IAM Policy"}}},
		{name: "group", in: iamapi.SimulatePrincipalPolicyInput{PolicySourceArn: "arn:aws:iam::" + acct + ":group/devs", ActionNames: []string{"s3:GetObject"}},
			decision: []string{"allowed"}, matched: [][]string{{"dev-read/group"}}},
		{name: "unknown user", in: iamapi.SimulatePrincipalPolicyInput{PolicySourceArn: "arn:aws:iam::" + acct + ":user/nobody", ActionNames: []string{"s3:GetObject"}},
			code: "NoSuchEntity", msg: "The user with name nobody cannot be found."},
		{name: "wrong path", in: iamapi.SimulatePrincipalPolicyInput{PolicySourceArn: "arn:aws:iam::" + acct + ":role/x/app", ActionNames: []string{"s3:GetObject"}},
			code: "NoSuchEntity", msg: "The role with name app cannot be found."},
		{name: "unknown group", in: iamapi.SimulatePrincipalPolicyInput{PolicySourceArn: "arn:aws:iam::" + acct + ":group/ops", ActionNames: []string{"s3:GetObject"}},
			code: "NoSuchEntity", msg: "The group with name ops cannot be found."},
		{name: "other account", in: iamapi.SimulatePrincipalPolicyInput{PolicySourceArn: "arn:aws:iam::999988887777:user/alice", ActionNames: []string{"s3:GetObject"}},
			code: "NoSuchEntity"},
		{name: "not an entity", in: iamapi.SimulatePrincipalPolicyInput{PolicySourceArn: "arn:aws:s3:::bucket-name-long", ActionNames: []string{"s3:GetObject"}},
			code: "InvalidInput", msg: "ARN arn:aws:s3:::bucket-name-long is not valid."},
		{name: "role with resource policy needs caller", in: iamapi.SimulatePrincipalPolicyInput{PolicySourceArn: role.Arn, ActionNames: []string{"s3:GetObject"},
			ResourcePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`},
			code: "InvalidInput"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.s.SimulatePrincipalPolicy(e.ctx, e.root, &tc.in)
			wantErr(t, err, tc.code, tc.msg)
			if tc.code != "" {
				return
			}
			if c := e.authz.last(); c.action != "iam:SimulatePrincipalPolicy" || c.resource != tc.in.PolicySourceArn {
				t.Errorf("authorized %+v", c)
			}
			for i, r := range out.EvaluationResults {
				if r.EvalDecision != tc.decision[i] {
					t.Errorf("%s: decision %s, want %s", r.EvalActionName, r.EvalDecision, tc.decision[i])
				}
				if tc.matched != nil && !reflect.DeepEqual(stmtIDs(r.MatchedStatements), tc.matched[i]) {
					t.Errorf("%s: matched %v, want %v", r.EvalActionName, stmtIDs(r.MatchedStatements), tc.matched[i])
				}
				if tc.boundary != nil && r.EvalDecision == "allowed" && (r.PermissionsBoundaryDecisionDetail == nil || *r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary != *tc.boundary) {
					t.Errorf("%s: boundary detail %+v", r.EvalActionName, r.PermissionsBoundaryDecisionDetail)
				}
			}
			if len(out.EvaluationResults) != len(tc.decision) {
				t.Errorf("%d results", len(out.EvaluationResults))
			}
		})
	}
	e.authz.deny = true
	_, err := e.s.SimulatePrincipalPolicy(e.ctx, e.root, &iamapi.SimulatePrincipalPolicyInput{PolicySourceArn: "arn:aws:iam::" + acct + ":user/nobody", ActionNames: []string{"s3:GetObject"}})
	wantErr(t, err, "AccessDenied", "")
}

func TestGetContextKeysForPolicies(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice")
	must[*iamapi.PutUserPolicyOutput](t)(e.s.PutUserPolicy(e.ctx, e.root, &iamapi.PutUserPolicyInput{UserName: "alice", PolicyName: "self", PolicyDocument: simUserVarDoc}))
	mixed := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team}/*","Condition":{"StringEquals":{"AWS:SourceVpc":"vpc-1","s3:Prefix":"x"},"Bool":{"aws:SecureTransport":"true"}}}]}`
	tests := []struct {
		name string
		docs []string
		code string
		want []string
	}{
		{"one policy", []string{simNeedsIP}, "", []string{"aws:SourceIp", "s3:prefix"}},
		{"dedup without case keeps the first spelling", []string{mixed, simNeedsIP}, "", []string{"AWS:SourceVpc", "aws:PrincipalTag/team", "aws:SecureTransport", "aws:SourceIp", "s3:Prefix"}},
		{"no keys", []string{simAllowS3}, "", []string{}},
		{"malformed", []string{"{}"}, "MalformedPolicyDocument", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.s.GetContextKeysForCustomPolicy(e.ctx, e.root, &iamapi.GetContextKeysForCustomPolicyInput{PolicyInputList: tc.docs})
			wantErr(t, err, tc.code, "")
			if err == nil && !reflect.DeepEqual(out.ContextKeyNames, tc.want) {
				t.Errorf("keys %v, want %v", out.ContextKeyNames, tc.want)
			}
		})
	}
	out := must[*iamapi.GetContextKeysForPolicyOutput](t)(e.s.GetContextKeysForPrincipalPolicy(e.ctx, e.root, &iamapi.GetContextKeysForPrincipalPolicyInput{
		PolicySourceArn: "arn:aws:iam::" + acct + ":user/alice", PolicyInputList: []string{simNeedsIP}}))
	if want := []string{"aws:SourceIp", "aws:username", "s3:prefix"}; !reflect.DeepEqual(out.ContextKeyNames, want) {
		t.Errorf("principal keys %v, want %v", out.ContextKeyNames, want)
	}
	_, err := e.s.GetContextKeysForPrincipalPolicy(e.ctx, e.root, &iamapi.GetContextKeysForPrincipalPolicyInput{PolicySourceArn: "arn:aws:iam::" + acct + ":role/none"})
	wantErr(t, err, "NoSuchEntity", "The role with name none cannot be found.")
}

// The simulator's result marshals as AWS's XML: lists as member, the
// decision details as a map of entry/key/value, empty lists present.
func TestSimulateResultXML(t *testing.T) {
	r := iamapi.EvaluationResult{EvalActionName: "s3:GetObject", EvalResourceName: "arn:aws:s3:::b", EvalDecision: "allowed",
		MatchedStatements:                 []iamapi.Statement{{SourcePolicyId: "PolicyInputList.1", SourcePolicyType: "IAM Policy", StartPosition: &iamapi.Position{Line: ptr(1), Column: ptr(2)}, EndPosition: &iamapi.Position{Line: ptr(3), Column: ptr(4)}}},
		MissingContextValues:              []string{},
		EvalDecisionDetails:               map[string]string{"IAM Policy": "allowed"},
		PermissionsBoundaryDecisionDetail: &iamapi.PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: ptr(true)}}
	b := (&iamapi.SimulatePolicyOutput{EvaluationResults: []iamapi.EvaluationResult{r}, IsTruncated: ptr(false)}).AppendXML(nil)
	for _, want := range []string{
		"<EvaluationResults><member><EvalActionName>s3:GetObject</EvalActionName>",
		"<MatchedStatements><member><SourcePolicyId>PolicyInputList.1</SourcePolicyId><SourcePolicyType>IAM Policy</SourcePolicyType><StartPosition><Line>1</Line><Column>2</Column></StartPosition><EndPosition><Line>3</Line><Column>4</Column></EndPosition></member></MatchedStatements>",
		"<MissingContextValues></MissingContextValues>",
		"<PermissionsBoundaryDecisionDetail><AllowedByPermissionsBoundary>true</AllowedByPermissionsBoundary></PermissionsBoundaryDecisionDetail>",
		"<EvalDecisionDetails><entry><key>IAM Policy</key><value>allowed</value></entry></EvalDecisionDetails>",
		"<IsTruncated>false</IsTruncated>",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("XML lacks %s\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "ResourceSpecificResults") || strings.Contains(string(b), "OrganizationsDecisionDetail") {
		t.Errorf("empty optional elements present: %s", b)
	}
}

// In an organization every result says whether the organization allows the
// action; SCPs are not enforced yet, so it always does.
func TestSimulateOrganizationsDetail(t *testing.T) {
	e := newEnv(t)
	a, err := e.s.store.Accounts().Get(e.ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	org := &store.Organization{ID: "o-exampleorgid", ARN: "arn:aws:organizations::" + acct + ":organization/o-exampleorgid",
		ManagementAccountID: acct, FeatureSet: "ALL", RootID: "r-exam", CreatedAt: e.now}
	if err := e.s.store.Organizations().Create(e.ctx, org); err != nil {
		t.Fatal(err)
	}
	a.OrganizationID, a.JoinedMethod = org.ID, "CREATED"
	if err := e.s.store.Accounts().Update(e.ctx, a); err != nil {
		t.Fatal(err)
	}
	out := must[*iamapi.SimulatePolicyOutput](t)(e.s.SimulateCustomPolicy(e.ctx, e.root, &iamapi.SimulateCustomPolicyInput{
		PolicyInputList: []string{simAllowGet}, ActionNames: []string{"s3:GetObject", "s3:PutObject"}}))
	for _, r := range out.EvaluationResults {
		if r.OrganizationsDecisionDetail == nil || !isTrue(r.OrganizationsDecisionDetail.AllowedByOrganizations) {
			t.Errorf("%s: organizations detail %+v", r.EvalActionName, r.OrganizationsDecisionDetail)
		}
	}
}

// at reports a position at line, column.
func at(p *iamapi.Position, line, column int) bool {
	return p != nil && p.Line != nil && p.Column != nil && *p.Line == line && *p.Column == column
}
