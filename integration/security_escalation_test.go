package integration

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	msts "github.com/mantle-iam/mantle/internal/sts"
)

// The privilege escalation suite: the classic IAM escalation paths (Rhino
// Security Labs' list and its successors), each tried by a user who holds
// only the first step or a neighbouring grant. IAM answers every attempt
// with AccessDenied and its message, naming the action, the resource and
// the policy type that failed to allow it ("Access denied error messages",
// IAM User Guide); what the attacker may legitimately do (the first step)
// succeeds, so each row shows the line between the two.

const (
	adminPolicy    = "arn:aws:iam::aws:policy/AdministratorAccess"
	readOnlyPolicy = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	adminDoc       = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	// guardDoc is a deny an attacker would like to shed.
	guardDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}`
)

func iamARN(kind, name string) string { return "arn:aws:iam::" + testAccount + ":" + kind + "/" + name }

// policyDoc joins statements into a policy document.
func policyDoc(statements ...string) string {
	doc := `{"Version":"2012-10-17","Statement":[`
	for i, s := range statements {
		if i > 0 {
			doc += ","
		}
		doc += s
	}
	return doc + `]}`
}

// allowOn is one Allow statement for actions (a JSON array or string) on
// resource.
func allowOn(actions, resource string) string {
	if actions[0] != '[' {
		actions = `"` + actions + `"`
	}
	return `{"Effect":"Allow","Action":` + actions + `,"Resource":"` + resource + `"}`
}

// notAllowed is the reason IAM gives when no policy of that type allows the
// action: "identity-based policy", "permissions boundary", "session policy".
func notAllowed(set, action string) string {
	return "because no " + set + " allows the " + action + " action"
}

// deniedMsg is IAM's AccessDenied message.
func deniedMsg(principal, action, resource, reason string) string {
	msg := "User: " + principal + " is not authorized to perform: " + action + " on resource: " + resource
	if reason != "" {
		msg += " " + reason
	}
	return msg
}

// wantDenied fails unless err is AccessDenied with exactly msg.
func wantDenied(t *testing.T, err error, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("the attack succeeded (error %v); want AccessDenied: %s", err, msg)
	}
	if ae.ErrorCode() != "AccessDenied" || ae.ErrorMessage() != msg {
		t.Fatalf("want AccessDenied %q\n got %s %q", msg, ae.ErrorCode(), ae.ErrorMessage())
	}
}

// attacker is one escalation row's world: mallory (the attacker, with
// only the row's policy) in a fresh mantle, and root to set the stage.
type attacker struct {
	t       *testing.T
	e       *env
	c       context.Context
	root    *iam.Client
	mallory creds
}

func (a *attacker) iam() *iam.Client { return a.e.iam(a.mallory) }
func (a *attacker) sts() *sts.Client { return a.e.sts(a.mallory) }

func (a *attacker) ok(_ any, err error) {
	a.t.Helper()
	if err != nil {
		a.t.Fatal(err)
	}
}

// roleTrusting creates a role trusting principal with managed policy
// attached ("" for none) and returns its ARN.
func (a *attacker) roleTrusting(name, principal, attached string) string {
	a.t.Helper()
	arn := a.e.newRole(name, trustFor(principal, `"sts:AssumeRole"`, ""), "", 0)
	if attached != "" {
		a.ok(a.root.AttachRolePolicy(a.c, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String(attached)}))
	}
	return arn
}

// admin creates alice, an administrator: the identity worth stealing.
func (a *attacker) admin() {
	a.t.Helper()
	a.ok(a.root.CreateUser(a.c, &iam.CreateUserInput{UserName: aws.String("alice")}))
	a.ok(a.root.AttachUserPolicy(a.c, &iam.AttachUserPolicyInput{UserName: aws.String("alice"), PolicyArn: aws.String(adminPolicy)}))
}

// assume returns mallory's session of role as creds.
func (a *attacker) assume(role string, policy *string) creds {
	a.t.Helper()
	out, err := a.sts().AssumeRole(a.c, &sts.AssumeRoleInput{RoleArn: aws.String(iamARN("role", role)), RoleSessionName: aws.String("s1"), Policy: policy})
	if err != nil {
		a.t.Fatal(err)
	}
	return session(out.Credentials)
}

// profileAndAdminRole creates an administrator role EC2 may assume and,
// through creator, an empty instance profile web.
func (a *attacker) profileAndAdminRole(creator *iam.Client) {
	a.t.Helper()
	a.e.newRole("admin", serviceTrust(msts.ServiceEC2), adminDoc, 0)
	a.ok(creator.CreateInstanceProfile(a.c, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("web")}))
}

// swapInAdmin is mallory putting the administrator role into profile web.
func (a *attacker) swapInAdmin() error {
	_, err := a.iam().AddRoleToInstanceProfile(a.c, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("admin")})
	return err
}

func sessionARN(role string) string {
	return "arn:aws:sts::" + testAccount + ":assumed-role/" + role + "/s1"
}

// TestSecurityPrivilegeEscalation guards the classic IAM privilege
// escalation paths: a user allowed only the first step of a path (or the
// same action on a neighbouring resource, or under a condition) must not
// reach the administrator permissions at its end.
func TestSecurityPrivilegeEscalation(t *testing.T) {
	me := iamARN("user", "mallory")
	selfOnly := "arn:aws:iam::" + testAccount + ":user/${aws:username}"
	tests := []struct {
		name   string
		policy string // mallory's only inline policy
		// setup prepares the stage as root and runs the first step of the
		// path as mallory, which must succeed.
		setup func(a *attacker)
		// attack is the escalating step; it must be AccessDenied.
		attack func(a *attacker) error
		// principal is who the denial names (default mallory).
		principal, action, resource, reason string
	}{
		{
			name:   "CreatePolicyVersion on a policy attached to self",
			policy: policyDoc(allowOn("iam:CreatePolicyVersion", iamARN("policy", "other"))),
			setup: func(a *attacker) {
				a.ok(a.root.CreatePolicy(a.c, &iam.CreatePolicyInput{PolicyName: aws.String("mine"), PolicyDocument: aws.String(allowDoc("iam:GetUser", "*"))}))
				a.ok(a.root.AttachUserPolicy(a.c, &iam.AttachUserPolicyInput{UserName: aws.String("mallory"), PolicyArn: aws.String(iamARN("policy", "mine"))}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().CreatePolicyVersion(a.c, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(iamARN("policy", "mine")), PolicyDocument: aws.String(adminDoc), SetAsDefault: true})
				return err
			},
			action: "iam:CreatePolicyVersion", resource: iamARN("policy", "mine"),
		},
		{
			name:   "SetDefaultPolicyVersion to a dormant admin version",
			policy: policyDoc(allowOn(`["iam:GetPolicyVersion","iam:ListPolicyVersions"]`, "*")),
			setup: func(a *attacker) {
				a.ok(a.root.CreatePolicy(a.c, &iam.CreatePolicyInput{PolicyName: aws.String("mine"), PolicyDocument: aws.String(allowDoc("iam:GetUser", "*"))}))
				a.ok(a.root.CreatePolicyVersion(a.c, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(iamARN("policy", "mine")), PolicyDocument: aws.String(adminDoc)}))
				a.ok(a.root.AttachUserPolicy(a.c, &iam.AttachUserPolicyInput{UserName: aws.String("mallory"), PolicyArn: aws.String(iamARN("policy", "mine"))}))
				a.ok(a.iam().ListPolicyVersions(a.c, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(iamARN("policy", "mine"))}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().SetDefaultPolicyVersion(a.c, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(iamARN("policy", "mine")), VersionId: aws.String("v2")})
				return err
			},
			action: "iam:SetDefaultPolicyVersion", resource: iamARN("policy", "mine"),
		},
		{
			name:   "AttachUserPolicy to self",
			policy: policyDoc(allowOn("iam:AttachUserPolicy", iamARN("user", "other"))),
			attack: func(a *attacker) error {
				_, err := a.iam().AttachUserPolicy(a.c, &iam.AttachUserPolicyInput{UserName: aws.String("mallory"), PolicyArn: aws.String(adminPolicy)})
				return err
			},
			action: "iam:AttachUserPolicy", resource: me,
		},
		{
			name:   "AttachUserPolicy beyond its iam:PolicyARN condition",
			policy: policyDoc(`{"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"` + me + `","Condition":{"ArnEquals":{"iam:PolicyARN":"` + readOnlyPolicy + `"}}}`),
			setup: func(a *attacker) {
				a.ok(a.iam().AttachUserPolicy(a.c, &iam.AttachUserPolicyInput{UserName: aws.String("mallory"), PolicyArn: aws.String(readOnlyPolicy)}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().AttachUserPolicy(a.c, &iam.AttachUserPolicyInput{UserName: aws.String("mallory"), PolicyArn: aws.String(adminPolicy)})
				return err
			},
			action: "iam:AttachUserPolicy", resource: me,
		},
		{
			name:   "PutUserPolicy on self",
			policy: policyDoc(allowOn("iam:PutUserPolicy", iamARN("user", "other"))),
			attack: func(a *attacker) error {
				_, err := a.iam().PutUserPolicy(a.c, &iam.PutUserPolicyInput{UserName: aws.String("mallory"), PolicyName: aws.String("x"), PolicyDocument: aws.String(adminDoc)})
				return err
			},
			action: "iam:PutUserPolicy", resource: me,
		},
		{
			name:   "DeleteUserPolicy of the inline guard on self",
			policy: policyDoc(allowOn("iam:DeleteUserPolicy", iamARN("user", "other"))),
			setup: func(a *attacker) {
				a.ok(a.root.PutUserPolicy(a.c, &iam.PutUserPolicyInput{UserName: aws.String("mallory"), PolicyName: aws.String("guard"),
					PolicyDocument: aws.String(guardDoc)}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().DeleteUserPolicy(a.c, &iam.DeleteUserPolicyInput{UserName: aws.String("mallory"), PolicyName: aws.String("guard")})
				return err
			},
			action: "iam:DeleteUserPolicy", resource: me,
		},
		{
			name:   "DetachUserPolicy of the managed guard on self",
			policy: policyDoc(allowOn("iam:DetachUserPolicy", iamARN("user", "other"))),
			setup: func(a *attacker) {
				a.ok(a.root.CreatePolicy(a.c, &iam.CreatePolicyInput{PolicyName: aws.String("guard"),
					PolicyDocument: aws.String(guardDoc)}))
				a.ok(a.root.AttachUserPolicy(a.c, &iam.AttachUserPolicyInput{UserName: aws.String("mallory"), PolicyArn: aws.String(iamARN("policy", "guard"))}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().DetachUserPolicy(a.c, &iam.DetachUserPolicyInput{UserName: aws.String("mallory"), PolicyArn: aws.String(iamARN("policy", "guard"))})
				return err
			},
			action: "iam:DetachUserPolicy", resource: me,
		},
		{
			name:   "AttachGroupPolicy to own group",
			policy: policyDoc(allowOn("iam:AttachGroupPolicy", iamARN("group", "other"))),
			setup: func(a *attacker) {
				a.ok(a.root.CreateGroup(a.c, &iam.CreateGroupInput{GroupName: aws.String("devs")}))
				a.ok(a.root.AddUserToGroup(a.c, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("mallory")}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().AttachGroupPolicy(a.c, &iam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: aws.String(adminPolicy)})
				return err
			},
			action: "iam:AttachGroupPolicy", resource: iamARN("group", "devs"),
		},
		{
			name:   "PutGroupPolicy on own group",
			policy: policyDoc(allowOn("iam:PutGroupPolicy", iamARN("group", "other"))),
			setup: func(a *attacker) {
				a.ok(a.root.CreateGroup(a.c, &iam.CreateGroupInput{GroupName: aws.String("devs")}))
				a.ok(a.root.AddUserToGroup(a.c, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("mallory")}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().PutGroupPolicy(a.c, &iam.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("x"), PolicyDocument: aws.String(adminDoc)})
				return err
			},
			action: "iam:PutGroupPolicy", resource: iamARN("group", "devs"),
		},
		{
			name:   "RemoveUserFromGroup leaving the guarded group",
			policy: policyDoc(allowOn("iam:RemoveUserFromGroup", iamARN("group", "other"))),
			setup: func(a *attacker) {
				a.ok(a.root.CreateGroup(a.c, &iam.CreateGroupInput{GroupName: aws.String("guarded")}))
				a.ok(a.root.PutGroupPolicy(a.c, &iam.PutGroupPolicyInput{GroupName: aws.String("guarded"), PolicyName: aws.String("guard"), PolicyDocument: aws.String(guardDoc)}))
				a.ok(a.root.AddUserToGroup(a.c, &iam.AddUserToGroupInput{GroupName: aws.String("guarded"), UserName: aws.String("mallory")}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().RemoveUserFromGroup(a.c, &iam.RemoveUserFromGroupInput{GroupName: aws.String("guarded"), UserName: aws.String("mallory")})
				return err
			},
			action: "iam:RemoveUserFromGroup", resource: iamARN("group", "guarded"),
		},
		{
			name:   "DeleteRolePolicy of the guard on an assumable role",
			policy: policyDoc(allowOn("sts:AssumeRole", iamARN("role", "app")), allowOn("iam:DeleteRolePolicy", iamARN("role", "other"))),
			setup: func(a *attacker) {
				a.roleTrusting("app", iamARN("user", "mallory"), adminPolicy)
				a.ok(a.root.PutRolePolicy(a.c, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("guard"), PolicyDocument: aws.String(guardDoc)}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().DeleteRolePolicy(a.c, &iam.DeleteRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("guard")})
				return err
			},
			action: "iam:DeleteRolePolicy", resource: iamARN("role", "app"),
		},
		{
			name:   "DetachRolePolicy of the guard from the role's own session",
			policy: policyDoc(allowOn("sts:AssumeRole", iamARN("role", "app"))),
			setup: func(a *attacker) {
				a.roleTrusting("app", iamARN("user", "mallory"), "")
				a.ok(a.root.PutRolePolicy(a.c, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowDoc("iam:DetachRolePolicy", iamARN("role", "other")))}))
				a.ok(a.root.CreatePolicy(a.c, &iam.CreatePolicyInput{PolicyName: aws.String("guard"), PolicyDocument: aws.String(guardDoc)}))
				a.ok(a.root.AttachRolePolicy(a.c, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(iamARN("policy", "guard"))}))
			},
			attack: func(a *attacker) error {
				_, err := a.e.iam(a.assume("app", nil)).DetachRolePolicy(a.c, &iam.DetachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(iamARN("policy", "guard"))})
				return err
			},
			principal: sessionARN("app"), action: "iam:DetachRolePolicy", resource: iamARN("role", "app"),
		},
		{
			// IAM wants UpdateUser on the source and the target ARN.
			name:   "UpdateUser moving self into a path a role trusts",
			policy: policyDoc(allowOn("sts:AssumeRole", "*"), allowOn("iam:UpdateUser", selfOnly)),
			setup: func(a *attacker) {
				a.e.newRole("admin", policyDoc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+testAccount+`:root"},"Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::`+testAccount+`:user/admins/*"}}}`), adminDoc, 0)
				a.ok(a.iam().UpdateUser(a.c, &iam.UpdateUserInput{UserName: aws.String("mallory"), NewPath: aws.String("/")}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().UpdateUser(a.c, &iam.UpdateUserInput{UserName: aws.String("mallory"), NewPath: aws.String("/admins/")})
				return err
			},
			action: "iam:UpdateUser", resource: iamARN("user", "admins/mallory"),
		},
		{
			name:   "UpdateUser renaming self to an administrator's name",
			policy: policyDoc(allowOn("iam:UpdateUser", selfOnly)),
			attack: func(a *attacker) error {
				_, err := a.iam().UpdateUser(a.c, &iam.UpdateUserInput{UserName: aws.String("mallory"), NewUserName: aws.String("alice")})
				return err
			},
			action: "iam:UpdateUser", resource: iamARN("user", "alice"),
		},
		{
			name:   "UpdateGroup renaming own group to the administrators' group's name",
			policy: policyDoc(allowOn("iam:UpdateGroup", iamARN("group", "devs"))),
			setup: func(a *attacker) {
				a.ok(a.root.CreateGroup(a.c, &iam.CreateGroupInput{GroupName: aws.String("devs")}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().UpdateGroup(a.c, &iam.UpdateGroupInput{GroupName: aws.String("devs"), NewGroupName: aws.String("admins")})
				return err
			},
			action: "iam:UpdateGroup", resource: iamARN("group", "admins"),
		},
		{
			name:   "AddUserToGroup into the administrators' group",
			policy: policyDoc(allowOn("iam:AddUserToGroup", iamARN("group", "devs"))),
			setup: func(a *attacker) {
				a.ok(a.root.CreateGroup(a.c, &iam.CreateGroupInput{GroupName: aws.String("devs")}))
				a.ok(a.root.CreateGroup(a.c, &iam.CreateGroupInput{GroupName: aws.String("admins")}))
				a.ok(a.root.AttachGroupPolicy(a.c, &iam.AttachGroupPolicyInput{GroupName: aws.String("admins"), PolicyArn: aws.String(adminPolicy)}))
				a.ok(a.iam().AddUserToGroup(a.c, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("mallory")}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().AddUserToGroup(a.c, &iam.AddUserToGroupInput{GroupName: aws.String("admins"), UserName: aws.String("mallory")})
				return err
			},
			action: "iam:AddUserToGroup", resource: iamARN("group", "admins"),
		},
		{
			name:   "AttachRolePolicy to a role mallory may assume",
			policy: policyDoc(allowOn("sts:AssumeRole", iamARN("role", "app")), allowOn("iam:AttachRolePolicy", iamARN("role", "other"))),
			setup: func(a *attacker) {
				a.roleTrusting("app", iamARN("user", "mallory"), "")
				a.assume("app", nil)
			},
			attack: func(a *attacker) error {
				_, err := a.iam().AttachRolePolicy(a.c, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(adminPolicy)})
				return err
			},
			action: "iam:AttachRolePolicy", resource: iamARN("role", "app"),
		},
		{
			name:   "PutRolePolicy on a role mallory may assume",
			policy: policyDoc(allowOn("sts:AssumeRole", iamARN("role", "app")), allowOn("iam:PutRolePolicy", iamARN("role", "other"))),
			setup: func(a *attacker) {
				a.roleTrusting("app", iamARN("user", "mallory"), "")
			},
			attack: func(a *attacker) error {
				_, err := a.iam().PutRolePolicy(a.c, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("x"), PolicyDocument: aws.String(adminDoc)})
				return err
			},
			action: "iam:PutRolePolicy", resource: iamARN("role", "app"),
		},
		{
			name:   "CreateAccessKey for an administrator",
			policy: policyDoc(allowOn("iam:CreateAccessKey", selfOnly)),
			setup: func(a *attacker) {
				a.admin()
				a.ok(a.iam().CreateAccessKey(a.c, &iam.CreateAccessKeyInput{}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().CreateAccessKey(a.c, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
				return err
			},
			action: "iam:CreateAccessKey", resource: iamARN("user", "alice"),
		},
		{
			name:   "UpdateAccessKey reactivating an administrator's key",
			policy: policyDoc(allowOn("iam:UpdateAccessKey", selfOnly)),
			setup: func(a *attacker) {
				a.admin()
				k, err := a.root.CreateAccessKey(a.c, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
				a.ok(k, err)
				a.ok(a.root.UpdateAccessKey(a.c, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: k.AccessKey.AccessKeyId, Status: iamtypes.StatusTypeInactive}))
				a.ok(a.iam().UpdateAccessKey(a.c, &iam.UpdateAccessKeyInput{AccessKeyId: aws.String(a.mallory.id), Status: iamtypes.StatusTypeActive}))
			},
			attack: func(a *attacker) error {
				keys, err := a.root.ListAccessKeys(a.c, &iam.ListAccessKeysInput{UserName: aws.String("alice")})
				a.ok(keys, err)
				_, err = a.iam().UpdateAccessKey(a.c, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: keys.AccessKeyMetadata[0].AccessKeyId, Status: iamtypes.StatusTypeActive})
				return err
			},
			action: "iam:UpdateAccessKey", resource: iamARN("user", "alice"),
		},
		{
			name:   "CreateLoginProfile for an administrator",
			policy: policyDoc(allowOn("iam:CreateLoginProfile", selfOnly)),
			setup:  func(a *attacker) { a.admin() },
			attack: func(a *attacker) error {
				_, err := a.iam().CreateLoginProfile(a.c, &iam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Correct-Horse-9-Battery")})
				return err
			},
			action: "iam:CreateLoginProfile", resource: iamARN("user", "alice"),
		},
		{
			name:   "UpdateLoginProfile of an administrator",
			policy: policyDoc(allowOn("iam:UpdateLoginProfile", selfOnly)),
			setup: func(a *attacker) {
				a.admin()
				a.ok(a.root.CreateLoginProfile(a.c, &iam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Alice-Secret-1234")}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().UpdateLoginProfile(a.c, &iam.UpdateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Correct-Horse-9-Battery")})
				return err
			},
			action: "iam:UpdateLoginProfile", resource: iamARN("user", "alice"),
		},
		{
			name:   "UpdateAssumeRolePolicy of an admin role to trust self",
			policy: policyDoc(allowOn("sts:AssumeRole", "*"), allowOn("iam:UpdateAssumeRolePolicy", iamARN("role", "other"))),
			setup:  func(a *attacker) { a.roleTrusting("admin", "arn:aws:iam::"+testAccount+":root", adminPolicy) },
			attack: func(a *attacker) error {
				_, err := a.iam().UpdateAssumeRolePolicy(a.c, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("admin"), PolicyDocument: aws.String(trustFor(iamARN("user", "mallory"), `"sts:AssumeRole"`, ""))})
				return err
			},
			action: "iam:UpdateAssumeRolePolicy", resource: iamARN("role", "admin"),
		},
		{
			// AWS gives no reason for a refused role assumption.
			name:   "AssumeRole of an admin role that trusts someone else",
			policy: policyDoc(allowOn("sts:AssumeRole", "*")),
			setup: func(a *attacker) {
				a.admin()
				a.roleTrusting("admin", iamARN("user", "alice"), adminPolicy)
			},
			attack: func(a *attacker) error {
				_, err := a.sts().AssumeRole(a.c, &sts.AssumeRoleInput{RoleArn: aws.String(iamARN("role", "admin")), RoleSessionName: aws.String("s1")})
				return err
			},
			action: "sts:AssumeRole", resource: iamARN("role", "admin"), reason: "-",
		},
		{
			name:   "role chaining into an admin role that trusts someone else",
			policy: policyDoc(allowOn("sts:AssumeRole", "*")),
			setup: func(a *attacker) {
				a.admin()
				a.roleTrusting("admin", iamARN("user", "alice"), adminPolicy)
				a.roleTrusting("app", iamARN("user", "mallory"), "")
				a.ok(a.root.PutRolePolicy(a.c, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("p"), PolicyDocument: aws.String(policyDoc(allowOn("sts:AssumeRole", "*")))}))
			},
			attack: func(a *attacker) error {
				_, err := a.e.sts(a.assume("app", nil)).AssumeRole(a.c, &sts.AssumeRoleInput{RoleArn: aws.String(iamARN("role", "admin")), RoleSessionName: aws.String("s1")})
				return err
			},
			principal: sessionARN("app"), action: "sts:AssumeRole", resource: iamARN("role", "admin"), reason: "-",
		},
		{
			name:   "AddRoleToInstanceProfile without iam:PassRole (instance profile swap)",
			policy: policyDoc(allowOn(`["iam:AddRoleToInstanceProfile","iam:RemoveRoleFromInstanceProfile"]`, "*")),
			setup:  func(a *attacker) { a.profileAndAdminRole(a.root) },
			attack: (*attacker).swapInAdmin,
			action: "iam:PassRole", resource: iamARN("role", "admin"),
		},
		{
			name: "iam:PassRole granted for another service only",
			policy: policyDoc(allowOn("iam:AddRoleToInstanceProfile", "*"),
				`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}`),
			setup:  func(a *attacker) { a.profileAndAdminRole(a.root) },
			attack: (*attacker).swapInAdmin,
			action: "iam:PassRole", resource: iamARN("role", "admin"),
		},
		{
			name:   "iam:PassRole explicitly denied under iam:*",
			policy: policyDoc(allowOn("iam:*", "*"), `{"Effect":"Deny","Action":"iam:PassRole","Resource":"*"}`),
			setup:  func(a *attacker) { a.profileAndAdminRole(a.iam()) },
			attack: (*attacker).swapInAdmin,
			action: "iam:PassRole", resource: iamARN("role", "admin"), reason: "with an explicit deny in an identity-based policy",
		},
		{
			name:   "DeleteUserPermissionsBoundary on self",
			policy: policyDoc(allowOn("iam:*", "*")),
			setup: func(a *attacker) {
				a.ok(a.root.PutUserPermissionsBoundary(a.c, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("mallory"), PermissionsBoundary: aws.String(readOnlyPolicy)}))
				a.ok(a.iam().GetUser(a.c, &iam.GetUserInput{}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().DeleteUserPermissionsBoundary(a.c, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("mallory")})
				return err
			},
			action: "iam:DeleteUserPermissionsBoundary", resource: me, reason: notAllowed("permissions boundary", "iam:DeleteUserPermissionsBoundary"),
		},
		{
			name:   "PutUserPermissionsBoundary widening self",
			policy: policyDoc(allowOn("iam:*", "*")),
			setup: func(a *attacker) {
				a.ok(a.root.PutUserPermissionsBoundary(a.c, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("mallory"), PermissionsBoundary: aws.String(readOnlyPolicy)}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().PutUserPermissionsBoundary(a.c, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("mallory"), PermissionsBoundary: aws.String(adminPolicy)})
				return err
			},
			action: "iam:PutUserPermissionsBoundary", resource: me, reason: notAllowed("permissions boundary", "iam:PutUserPermissionsBoundary"),
		},
		{
			name:   "DeleteRolePermissionsBoundary from the role's own session",
			policy: policyDoc(allowOn("sts:AssumeRole", "*")),
			setup: func(a *attacker) {
				a.roleTrusting("app", iamARN("user", "mallory"), adminPolicy)
				a.ok(a.root.PutRolePermissionsBoundary(a.c, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("app"), PermissionsBoundary: aws.String(readOnlyPolicy)}))
			},
			attack: func(a *attacker) error {
				_, err := a.e.iam(a.assume("app", nil)).DeleteRolePermissionsBoundary(a.c, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("app")})
				return err
			},
			principal: sessionARN("app"), action: "iam:DeleteRolePermissionsBoundary", resource: iamARN("role", "app"),
			reason: notAllowed("permissions boundary", "iam:DeleteRolePermissionsBoundary"),
		},
		{
			name:   "PutRolePermissionsBoundary widening the role's own session",
			policy: policyDoc(allowOn("sts:AssumeRole", "*")),
			setup: func(a *attacker) {
				a.roleTrusting("app", iamARN("user", "mallory"), adminPolicy)
				a.ok(a.root.PutRolePermissionsBoundary(a.c, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("app"), PermissionsBoundary: aws.String(readOnlyPolicy)}))
			},
			attack: func(a *attacker) error {
				_, err := a.e.iam(a.assume("app", nil)).PutRolePermissionsBoundary(a.c, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("app"), PermissionsBoundary: aws.String(adminPolicy)})
				return err
			},
			principal: sessionARN("app"), action: "iam:PutRolePermissionsBoundary", resource: iamARN("role", "app"),
			reason: notAllowed("permissions boundary", "iam:PutRolePermissionsBoundary"),
		},
		{
			name:   "CreateRole, then AttachRolePolicy",
			policy: policyDoc(allowOn("iam:CreateRole", "*")),
			setup: func(a *attacker) {
				a.ok(a.iam().CreateRole(a.c, &iam.CreateRoleInput{RoleName: aws.String("mine"), AssumeRolePolicyDocument: aws.String(trustFor(iamARN("user", "mallory"), `"sts:AssumeRole"`, ""))}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().AttachRolePolicy(a.c, &iam.AttachRolePolicyInput{RoleName: aws.String("mine"), PolicyArn: aws.String(adminPolicy)})
				return err
			},
			action: "iam:AttachRolePolicy", resource: iamARN("role", "mine"),
		},
		{
			name:   "CreateRole, then PutRolePolicy",
			policy: policyDoc(allowOn("iam:CreateRole", "*")),
			setup: func(a *attacker) {
				a.ok(a.iam().CreateRole(a.c, &iam.CreateRoleInput{RoleName: aws.String("mine"), AssumeRolePolicyDocument: aws.String(trustFor(iamARN("user", "mallory"), `"sts:AssumeRole"`, ""))}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().PutRolePolicy(a.c, &iam.PutRolePolicyInput{RoleName: aws.String("mine"), PolicyName: aws.String("x"), PolicyDocument: aws.String(adminDoc)})
				return err
			},
			action: "iam:PutRolePolicy", resource: iamARN("role", "mine"),
		},
		{
			name:   "CreateRole without the required permissions boundary",
			policy: policyDoc(`{"Effect":"Allow","Action":"iam:CreateRole","Resource":"*","Condition":{"StringEquals":{"iam:PermissionsBoundary":"` + readOnlyPolicy + `"}}}`),
			setup: func(a *attacker) {
				a.ok(a.iam().CreateRole(a.c, &iam.CreateRoleInput{RoleName: aws.String("bounded"), PermissionsBoundary: aws.String(readOnlyPolicy),
					AssumeRolePolicyDocument: aws.String(trustFor(iamARN("user", "mallory"), `"sts:AssumeRole"`, ""))}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().CreateRole(a.c, &iam.CreateRoleInput{RoleName: aws.String("free"), AssumeRolePolicyDocument: aws.String(trustFor(iamARN("user", "mallory"), `"sts:AssumeRole"`, ""))})
				return err
			},
			action: "iam:CreateRole", resource: iamARN("role", "free"),
		},
		{
			name:   "CreateUser without the required permissions boundary",
			policy: policyDoc(`{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*","Condition":{"StringEquals":{"iam:PermissionsBoundary":"` + readOnlyPolicy + `"}}}`),
			setup: func(a *attacker) {
				a.ok(a.iam().CreateUser(a.c, &iam.CreateUserInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String(readOnlyPolicy)}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().CreateUser(a.c, &iam.CreateUserInput{UserName: aws.String("free")})
				return err
			},
			action: "iam:CreateUser", resource: iamARN("user", "free"),
		},
		{
			name:   "CreateUser, then CreateAccessKey for it",
			policy: policyDoc(allowOn("iam:CreateUser", "*")),
			setup: func(a *attacker) {
				a.ok(a.iam().CreateUser(a.c, &iam.CreateUserInput{UserName: aws.String("puppet")}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().CreateAccessKey(a.c, &iam.CreateAccessKeyInput{UserName: aws.String("puppet")})
				return err
			},
			action: "iam:CreateAccessKey", resource: iamARN("user", "puppet"),
		},
		{
			name:   "CreatePolicy, then attach it to self",
			policy: policyDoc(allowOn("iam:CreatePolicy", "*")),
			setup: func(a *attacker) {
				a.ok(a.iam().CreatePolicy(a.c, &iam.CreatePolicyInput{PolicyName: aws.String("mine"), PolicyDocument: aws.String(adminDoc)}))
			},
			attack: func(a *attacker) error {
				_, err := a.iam().AttachUserPolicy(a.c, &iam.AttachUserPolicyInput{UserName: aws.String("mallory"), PolicyArn: aws.String(iamARN("policy", "mine"))})
				return err
			},
			action: "iam:AttachUserPolicy", resource: me,
		},
		{
			name:   "TagRole to meet an aws:ResourceTag condition",
			policy: policyDoc(`{"Effect":"Allow","Action":"iam:AttachRolePolicy","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"dev"}}}`),
			setup:  func(a *attacker) { a.roleTrusting("admin", "arn:aws:iam::"+testAccount+":root", "") },
			attack: func(a *attacker) error {
				_, err := a.iam().TagRole(a.c, &iam.TagRoleInput{RoleName: aws.String("admin"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("dev")}}})
				return err
			},
			action: "iam:TagRole", resource: iamARN("role", "admin"),
		},
		{
			name:   "session policy narrowing an admin role",
			policy: policyDoc(allowOn("sts:AssumeRole", "*")),
			setup:  func(a *attacker) { a.roleTrusting("boss", iamARN("user", "mallory"), adminPolicy) },
			attack: func(a *attacker) error {
				narrow := a.assume("boss", aws.String(allowDoc("iam:Get*", "*")))
				_, err := a.e.iam(narrow).CreateUser(a.c, &iam.CreateUserInput{UserName: aws.String("backdoor")})
				return err
			},
			principal: sessionARN("boss"), action: "iam:CreateUser", resource: iamARN("user", "backdoor"), reason: notAllowed("session policy", "iam:CreateUser"),
		},
	}
	if len(tests) < 39 {
		t.Fatalf("%d escalation paths; the suite keeps at least 39", len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t)
			a := &attacker{t: t, e: e, c: ctx(t), root: e.iam(e.root())}
			a.mallory = e.newUser("mallory", tc.policy)
			if tc.setup != nil {
				tc.setup(a)
			}
			principal := tc.principal
			if principal == "" {
				principal = me
			}
			reason := tc.reason
			switch reason {
			case "":
				reason = notAllowed("identity-based policy", tc.action)
			case "-":
				reason = ""
			}
			wantDenied(t, tc.attack(a), deniedMsg(principal, tc.action, tc.resource, reason))
		})
	}
}

// TestSecurityInstanceProfileSwap guards issue 9's instance profile swap,
// end to end through the IMDS mantle serves: a user allowed only to add
// and remove roles of instance profiles takes the instance's role out and
// tries to put an administrator role in, which needs iam:PassRole on it
// (with iam:PassedToService ec2.amazonaws.com). Refused, the instance gets
// no administrator credentials; once PassRole is granted for EC2 the same
// call works, as in AWS.
func TestSecurityInstanceProfileSwap(t *testing.T) {
	e, st := startWorkload(t)
	c := ctx(t)
	root := e.iam(e.root())
	e.newRole("web", serviceTrust(msts.ServiceEC2), allowDoc("iam:ListUsers", "*"), 0)
	e.newRole("admin", serviceTrust(msts.ServiceEC2), adminDoc, 0)
	e.instanceProfile("web", "web")
	mallory := e.newUser("mallory", policyDoc(allowOn(`["iam:AddRoleToInstanceProfile","iam:RemoveRoleFromInstanceProfile"]`, "*")))
	m := e.iam(mallory)
	client := e.imdsFor(st, "web")

	must[*iam.RemoveRoleFromInstanceProfileOutput](t)(m.RemoveRoleFromInstanceProfile(c, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("web")}))
	_, err := m.AddRoleToInstanceProfile(c, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("admin")})
	wantDenied(t, err, deniedMsg(iamARN("user", "mallory"), "iam:PassRole", iamARN("role", "admin"), notAllowed("identity-based policy", "iam:PassRole")))
	if _, err := ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = client }).Retrieve(c); err == nil {
		t.Fatal("the instance still obtained credentials after the refused swap")
	}
	got := must[*iam.GetInstanceProfileOutput](t)(root.GetInstanceProfile(c, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")}))
	if len(got.InstanceProfile.Roles) != 0 {
		t.Fatalf("profile holds %+v after the refused swap", got.InstanceProfile.Roles)
	}

	// PassRole for another service still does not do.
	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(c, &iam.PutUserPolicyInput{UserName: aws.String("mallory"), PolicyName: aws.String("pass"),
		PolicyDocument: aws.String(policyDoc(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"ecs-tasks.amazonaws.com"}}}`))}))
	_, err = m.AddRoleToInstanceProfile(c, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("admin")})
	wantDenied(t, err, deniedMsg(iamARN("user", "mallory"), "iam:PassRole", iamARN("role", "admin"), notAllowed("identity-based policy", "iam:PassRole")))

	// Granted for EC2 and the documented iam:AssociatedResourceArn, the
	// swap is an administrator's legitimate change, and the instance's
	// credentials follow it.
	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(c, &iam.PutUserPolicyInput{UserName: aws.String("mallory"), PolicyName: aws.String("pass"),
		PolicyDocument: aws.String(policyDoc(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"` + iamARN("role", "admin") + `","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"},"ArnLike":{"iam:AssociatedResourceArn":"arn:aws:ec2:*:` + testAccount + `:instance/*"}}}`))}))
	must[*iam.AddRoleToInstanceProfileOutput](t)(m.AddRoleToInstanceProfile(c, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("admin")}))
	stsc, _ := e.clientsWith(ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = client }))
	id := must[*sts.GetCallerIdentityOutput](t)(stsc.GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))
	if want := "arn:aws:sts::" + testAccount + ":assumed-role/admin/" + testInstance; aws.ToString(id.Arn) != want {
		t.Fatalf("identity %s, want %s", aws.ToString(id.Arn), want)
	}

	// An explicit deny on iam:PassRole wins over every allow.
	must[*iam.RemoveRoleFromInstanceProfileOutput](t)(m.RemoveRoleFromInstanceProfile(c, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("admin")}))
	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(c, &iam.PutUserPolicyInput{UserName: aws.String("mallory"), PolicyName: aws.String("deny"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:PassRole","Resource":"*"}]}`)}))
	_, err = m.AddRoleToInstanceProfile(c, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("admin")})
	wantDenied(t, err, deniedMsg(iamARN("user", "mallory"), "iam:PassRole", iamARN("role", "admin"), "with an explicit deny in an identity-based policy"))
}

// TestSecuritySessionLaundering guards the limits on what temporary
// credentials may mint: a federated user (GetFederationToken, even with an
// administrator session policy) may not assume a role, nor mint further
// federation or session tokens; session-token credentials may not mint
// more session or federation tokens (which would outlive the original);
// and a role session cannot chain into a longer one than the hour AWS
// allows role chaining.
func TestSecuritySessionLaundering(t *testing.T) {
	e := start(t)
	c := ctx(t)
	m := e.newUser("mallory", policyDoc(allowOn(`["sts:GetFederationToken","sts:AssumeRole","sts:GetSessionToken"]`, "*")))
	admin := e.newRole("admin", trustFor(userARN("mallory"), `"sts:AssumeRole"`, ""), adminDoc, 43200)
	e.newRole("hop", trustFor(userARN("mallory"), `"sts:AssumeRole"`, ""), allowDoc("sts:AssumeRole", "*"), 43200)
	must[*iam.UpdateAssumeRolePolicyOutput](t)(e.iam(e.root()).UpdateAssumeRolePolicy(c, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("admin"),
		PolicyDocument: aws.String(policyDoc(`{"Effect":"Allow","Principal":{"AWS":["` + userARN("mallory") + `","` + iamARN("role", "hop") + `"]},"Action":"sts:AssumeRole"}`))}))
	ft := must[*sts.GetFederationTokenOutput](t)(e.sts(m).GetFederationToken(c, &sts.GetFederationTokenInput{Name: aws.String("fed"), Policy: aws.String(adminDoc)}))
	fed := session(ft.Credentials)
	gst := must[*sts.GetSessionTokenOutput](t)(e.sts(m).GetSessionToken(c, &sts.GetSessionTokenInput{}))
	sess := session(gst.Credentials)

	_, err := e.sts(fed).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(admin), RoleSessionName: aws.String("s1")})
	wantDenied(t, err, deniedMsg("arn:aws:sts::"+testAccount+":federated-user/fed", "sts:AssumeRole", admin, ""))
	for name, cr := range map[string]creds{"federated user": fed, "session token": sess} {
		t.Run(name, func(t *testing.T) {
			_, err := e.sts(cr).GetFederationToken(c, &sts.GetFederationTokenInput{Name: aws.String("again"), Policy: aws.String(adminDoc)})
			wantAPIError(t, err, "AccessDenied", "Cannot call GetFederationToken with session credentials")
			_, err = e.sts(cr).GetSessionToken(c, &sts.GetSessionTokenInput{})
			wantAPIError(t, err, "AccessDenied", "Cannot call GetSessionToken with session credentials")
		})
	}

	hop := must[*sts.AssumeRoleOutput](t)(e.sts(m).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(iamARN("role", "hop")), RoleSessionName: aws.String("s1")}))
	_, err = e.sts(session(hop.Credentials)).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(admin), RoleSessionName: aws.String("s2"), DurationSeconds: aws.Int32(7200)})
	wantCode(t, err, "ValidationError", "role chaining")
	chained := must[*sts.AssumeRoleOutput](t)(e.sts(session(hop.Credentials)).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(admin), RoleSessionName: aws.String("s2")}))
	if d := time.Until(aws.ToTime(chained.Credentials.Expiration)); d > time.Hour+time.Minute {
		t.Fatalf("a chained session lasts %v, beyond an hour", d)
	}
}

// TestSecurityAWSManagedPoliciesReadOnly guards AWS managed policies, which
// every account shares: an administrator of an account (not root alone)
// may read them, as in AWS, but no one may rewrite, re-default, tag or
// delete them, or a change made in one account would grant, in every
// account, whatever ReadOnlyAccess was rewritten to.
func TestSecurityAWSManagedPoliciesReadOnly(t *testing.T) {
	e := start(t)
	c := ctx(t)
	admin := e.newUser("admin", adminDoc)
	x := newCrossAccount(t, e)
	for _, who := range []struct {
		name, arn string
		c         creds
	}{
		{"administrator", userARN("admin"), admin},
		{"root", "arn:aws:iam::" + testAccount + ":root", e.root()},
		{"another account's administrator", "arn:aws:sts::" + x.member + ":assumed-role/OrganizationAccountAccessRole/ops", x.memberAdmin},
	} {
		t.Run(who.name, func(t *testing.T) {
			m := e.iam(who.c)
			pol := must[*iam.GetPolicyOutput](t)(m.GetPolicy(c, &iam.GetPolicyInput{PolicyArn: aws.String(readOnlyPolicy)}))
			must[*iam.GetPolicyVersionOutput](t)(m.GetPolicyVersion(c, &iam.GetPolicyVersionInput{PolicyArn: aws.String(readOnlyPolicy), VersionId: pol.Policy.DefaultVersionId}))
			denied := func(action string) string {
				return "User: " + who.arn + " is not authorized to perform: iam:" + action + " on resource: policy " + readOnlyPolicy
			}
			_, err := m.CreatePolicyVersion(c, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(readOnlyPolicy), PolicyDocument: aws.String(adminDoc), SetAsDefault: true})
			wantAPIError(t, err, "AccessDenied", denied("CreatePolicyVersion"))
			_, err = m.SetDefaultPolicyVersion(c, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(readOnlyPolicy), VersionId: pol.Policy.DefaultVersionId})
			wantAPIError(t, err, "AccessDenied", denied("SetDefaultPolicyVersion"))
			_, err = m.DeletePolicyVersion(c, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(readOnlyPolicy), VersionId: pol.Policy.DefaultVersionId})
			wantAPIError(t, err, "AccessDenied", denied("DeletePolicyVersion"))
			_, err = m.TagPolicy(c, &iam.TagPolicyInput{PolicyArn: aws.String(readOnlyPolicy), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			wantAPIError(t, err, "AccessDenied", denied("TagPolicy"))
			_, err = m.DeletePolicy(c, &iam.DeletePolicyInput{PolicyArn: aws.String(readOnlyPolicy)})
			wantAPIError(t, err, "AccessDenied", denied("DeletePolicy"))
		})
	}
	// The policy is as AWS wrote it.
	pol := must[*iam.GetPolicyOutput](t)(e.iam(e.root()).GetPolicy(c, &iam.GetPolicyInput{PolicyArn: aws.String(readOnlyPolicy)}))
	v := must[*iam.GetPolicyVersionOutput](t)(e.iam(e.root()).GetPolicyVersion(c, &iam.GetPolicyVersionInput{PolicyArn: aws.String(readOnlyPolicy), VersionId: pol.Policy.DefaultVersionId}))
	if doc, _ := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document)); strings.Contains(doc, `"Action":"*"`) {
		t.Fatalf("ReadOnlyAccess was rewritten: %s", doc)
	}
}

// TestSecuritySessionTagSpoofing guards attribute-based access control:
// session tags and the source identity become aws:PrincipalTag and
// aws:SourceIdentity, which policies trust, so setting them needs
// sts:TagSession / sts:SetSourceIdentity in the role's trust policy, and a
// tag the calling session holds as transitive (in any letter case) cannot
// be overridden down a role chain.
func TestSecuritySessionTagSpoofing(t *testing.T) {
	e := start(t)
	c := ctx(t)
	m := e.newUser("mallory", policyDoc(allowOn(`["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]`, "*")))
	plain := e.newRole("plain", trustFor(userARN("mallory"), `"sts:AssumeRole"`, ""), "", 0)
	tag := func(k, v string) []ststypes.Tag { return []ststypes.Tag{{Key: aws.String(k), Value: aws.String(v)}} }

	_, err := e.sts(m).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(plain), RoleSessionName: aws.String("s1"), Tags: tag("team", "admin")})
	wantDenied(t, err, deniedMsg(userARN("mallory"), "sts:TagSession", plain, ""))
	_, err = e.sts(m).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(plain), RoleSessionName: aws.String("s1"), SourceIdentity: aws.String("alice")})
	wantDenied(t, err, deniedMsg(userARN("mallory"), "sts:SetSourceIdentity", plain, ""))

	first := e.newRole("first", trustFor(userARN("mallory"), `["sts:AssumeRole","sts:TagSession"]`, ""), policyDoc(allowOn(`["sts:AssumeRole","sts:TagSession"]`, "*")), 0)
	second := e.newRole("second", trustFor(iamARN("role", "first"), `["sts:AssumeRole","sts:TagSession"]`, ""), "", 0)
	out := must[*sts.AssumeRoleOutput](t)(e.sts(m).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(first), RoleSessionName: aws.String("s1"),
		Tags: tag("team", "dev"), TransitiveTagKeys: []string{"team"}}))
	for _, key := range []string{"team", "TEAM"} {
		_, err = e.sts(session(out.Credentials)).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("s2"), Tags: tag(key, "admin")})
		wantAPIError(t, err, "InvalidParameterValue", "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.")
	}
}
