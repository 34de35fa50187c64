package iam

import (
	"testing"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/authz"
)

// newEnvPolicies is newEnv with the real policy-engine authorizer, for tests
// whose subject is what a policy allows.
func newEnvPolicies(t *testing.T) *env {
	t.Helper()
	a := authz.New(nil)
	e := &env{}
	e.open(t, a)
	a.Policies = e.s
	return e
}

// TestAddRoleToInstanceProfileRequiresPassRole guards the instance profile
// swap: whoever may call AddRoleToInstanceProfile but may not pass a role
// could otherwise put an admin role into a profile that EC2 (or mantle's
// IMDS) serves, and run with its credentials. AWS requires iam:PassRole on
// the role as a dependent action, with iam:PassedToService
// ec2.amazonaws.com and iam:AssociatedResourceArn
// arn:aws:ec2:*:ACCOUNT:instance/* (IAM API Reference,
// AddRoleToInstanceProfile; Service Authorization Reference for IAM).
func TestAddRoleToInstanceProfileRequiresPassRole(t *testing.T) {
	const (
		profileOnly = `{"Effect":"Allow","Action":["iam:AddRoleToInstanceProfile","iam:RemoveRoleFromInstanceProfile"],"Resource":"*"}`
		adminARN    = "arn:aws:iam::" + acct + ":role/ops/admin"
	)
	doc := func(stmts ...string) string {
		out := `{"Version":"2012-10-17","Statement":[`
		for i, s := range stmts {
			if i > 0 {
				out += ","
			}
			out += s
		}
		return out + `]}`
	}
	denied := func(reason string) string {
		return "User: arn:aws:iam::" + acct + ":user/mallory is not authorized to perform: iam:PassRole on resource: " + adminARN + " " + reason
	}
	tests := []struct {
		name   string
		policy string
		role   string
		code   string
		msg    string
	}{
		{"no PassRole", doc(profileOnly), "admin", "AccessDenied", denied("because no identity-based policy allows the iam:PassRole action")},
		{"PassRole allowed", doc(profileOnly, `{"Effect":"Allow","Action":"iam:PassRole","Resource":"`+adminARN+`"}`), "admin", "", ""},
		{"PassRole on another role", doc(profileOnly, `{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::`+acct+`:role/app"}`), "admin", "AccessDenied", denied("because no identity-based policy allows the iam:PassRole action")},
		{"explicit deny wins", doc(profileOnly, `{"Effect":"Allow","Action":"iam:*","Resource":"*"}`, `{"Effect":"Deny","Action":"iam:PassRole","Resource":"*"}`), "admin", "AccessDenied", denied("with an explicit deny in an identity-based policy")},
		{"PassedToService ec2", doc(profileOnly, `{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}`), "admin", "", ""},
		{"PassedToService lambda only", doc(profileOnly, `{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}`), "admin", "AccessDenied", denied("because no identity-based policy allows the iam:PassRole action")},
		{"AssociatedResourceArn as documented", doc(profileOnly, `{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"ArnLike":{"iam:AssociatedResourceArn":"arn:aws:ec2:*:`+acct+`:instance/*"}}}`), "admin", "", ""},
		{"AssociatedResourceArn of one instance", doc(profileOnly, `{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"ArnEquals":{"iam:AssociatedResourceArn":"arn:aws:ec2:us-east-1:`+acct+`:instance/i-0123456789abcdef0"}}}`), "admin", "AccessDenied", denied("because no identity-based policy allows the iam:PassRole action")},
		// A role that does not exist is authorized under path "/" first,
		// so a denial does not tell whether it exists.
		{"missing role, denied", doc(profileOnly), "ghost", "AccessDenied", "User: arn:aws:iam::" + acct + ":user/mallory is not authorized to perform: iam:PassRole on resource: arn:aws:iam::" + acct + ":role/ghost because no identity-based policy allows the iam:PassRole action"},
		{"missing role, allowed", doc(profileOnly, `{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}`), "ghost", "NoSuchEntity", "The role with name ghost cannot be found."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvPolicies(t)
			must[*iamapi.CreateRoleOutput](t)(e.s.CreateRole(e.ctx, e.root, &iamapi.CreateRoleInput{RoleName: "admin", Path: "/ops/", AssumeRolePolicyDocument: trustDoc}))
			must[*iamapi.CreateInstanceProfileOutput](t)(e.s.CreateInstanceProfile(e.ctx, e.root, &iamapi.CreateInstanceProfileInput{InstanceProfileName: "web"}))
			u := e.user(t, "mallory")
			must[*iamapi.PutUserPolicyOutput](t)(e.s.PutUserPolicy(e.ctx, e.root, &iamapi.PutUserPolicyInput{UserName: "mallory", PolicyName: "p", PolicyDocument: tc.policy}))
			mallory := &auth.Caller{Kind: auth.KindUser, AccountID: acct, Name: "mallory", ID: u.UserId, ARN: u.Arn, UserID: u.UserId, Path: "/"}
			_, err := e.s.AddRoleToInstanceProfile(e.ctx, mallory, &iamapi.AddRoleToInstanceProfileInput{InstanceProfileName: "web", RoleName: tc.role})
			wantErr(t, err, tc.code, tc.msg)
			got := must[*iamapi.GetInstanceProfileOutput](t)(e.s.GetInstanceProfile(e.ctx, e.root, &iamapi.GetInstanceProfileInput{InstanceProfileName: "web"}))
			if n := len(got.InstanceProfile.Roles); (tc.code == "") != (n == 1) {
				t.Errorf("profile holds %d roles after %s", n, tc.name)
			}
		})
	}
}
