package iam

import (
	"testing"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
)

func TestPasswordPolicyAndLoginProfiles(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice")
	_, err := e.s.GetAccountPasswordPolicy(e.ctx, e.root, &iamapi.GetAccountPasswordPolicyInput{})
	wantErr(t, err, "NoSuchEntity", "The Password Policy with domain name 123456789012 cannot be found.")

	// Without a policy, AWS's default applies: 8 characters, three classes.
	_, err = e.s.CreateLoginProfile(e.ctx, e.root, &iamapi.CreateLoginProfileInput{UserName: "alice", Password: "short"})
	wantErr(t, err, "PasswordPolicyViolation", "Password does not conform to the account password policy.")
	lp := must[*iamapi.CreateLoginProfileOutput](t)(e.s.CreateLoginProfile(e.ctx, e.root, &iamapi.CreateLoginProfileInput{UserName: "alice", Password: "Passw0rdOk", PasswordResetRequired: ptr(true)}))
	if lp.LoginProfile.UserName != "alice" || !isTrue(lp.LoginProfile.PasswordResetRequired) {
		t.Errorf("login profile %+v", lp.LoginProfile)
	}
	_, err = e.s.CreateLoginProfile(e.ctx, e.root, &iamapi.CreateLoginProfileInput{UserName: "alice", Password: "Passw0rdOk"})
	wantErr(t, err, "EntityAlreadyExists", "Login Profile for user alice already exists.")
	_, err = e.s.DeleteUser(e.ctx, e.root, &iamapi.DeleteUserInput{UserName: "alice"})
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must delete login profile first.")

	must[*iamapi.UpdateAccountPasswordPolicyOutput](t)(e.s.UpdateAccountPasswordPolicy(e.ctx, e.root, &iamapi.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: ptr(12), RequireSymbols: ptr(true), AllowUsersToChangePassword: ptr(true), MaxPasswordAge: ptr(90)}))
	pp := must[*iamapi.GetAccountPasswordPolicyOutput](t)(e.s.GetAccountPasswordPolicy(e.ctx, e.root, &iamapi.GetAccountPasswordPolicyInput{}))
	if *pp.PasswordPolicy.MinimumPasswordLength != 12 || !isTrue(pp.PasswordPolicy.ExpirePasswords) || *pp.PasswordPolicy.MaxPasswordAge != 90 {
		t.Errorf("policy %+v", pp.PasswordPolicy)
	}

	me := &auth.Caller{Kind: auth.KindUser, AccountID: acct, Name: "alice", ID: u.UserId, ARN: u.Arn}
	tests := []struct {
		name     string
		old, new string
		code     string
	}{
		{"wrong old", "nope", "Longenough!pass", "InvalidInput"},
		{"too short", "Passw0rdOk", "Sh0rt!", "PasswordPolicyViolation"},
		{"no symbol", "Passw0rdOk", "Longenoughpass1", "PasswordPolicyViolation"},
		{"ok", "Passw0rdOk", "Longenough!pass", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s.ChangePassword(e.ctx, me, &iamapi.ChangePasswordInput{OldPassword: tc.old, NewPassword: tc.new})
			wantErr(t, err, tc.code, "")
		})
	}
	if _, err := e.s.VerifyPassword(e.ctx, acct, "alice", "Longenough!pass"); err != nil {
		t.Errorf("new password rejected: %v", err)
	}
	got := must[*iamapi.GetLoginProfileOutput](t)(e.s.GetLoginProfile(e.ctx, me, &iamapi.GetLoginProfileInput{}))
	if isTrue(got.LoginProfile.PasswordResetRequired) {
		t.Error("ChangePassword did not clear PasswordResetRequired")
	}
	_, err = e.s.ChangePassword(e.ctx, e.root, &iamapi.ChangePasswordInput{OldPassword: "a", NewPassword: "b"})
	wantErr(t, err, "InvalidUserType", "")
	must[*iamapi.UpdateLoginProfileOutput](t)(e.s.UpdateLoginProfile(e.ctx, e.root, &iamapi.UpdateLoginProfileInput{UserName: "alice", Password: "Another!long1", PasswordResetRequired: ptr(true)}))
	if _, err := e.s.VerifyPassword(e.ctx, acct, "alice", "Longenough!pass"); err == nil {
		t.Error("old password still accepted")
	}
	must[*iamapi.DeleteLoginProfileOutput](t)(e.s.DeleteLoginProfile(e.ctx, e.root, &iamapi.DeleteLoginProfileInput{UserName: "alice"}))
	_, err = e.s.GetLoginProfile(e.ctx, e.root, &iamapi.GetLoginProfileInput{UserName: "alice"})
	wantErr(t, err, "NoSuchEntity", "Login Profile for user alice cannot be found.")
	must[*iamapi.DeleteAccountPasswordPolicyOutput](t)(e.s.DeleteAccountPasswordPolicy(e.ctx, e.root, &iamapi.DeleteAccountPasswordPolicyInput{}))
	_, err = e.s.DeleteAccountPasswordPolicy(e.ctx, e.root, &iamapi.DeleteAccountPasswordPolicyInput{})
	// AWS words the delete otherwise than the get (localstack's recorded snapshots).
	wantErr(t, err, "NoSuchEntity", "The account policy with name PasswordPolicy cannot be found.")
}

func TestAccountAliases(t *testing.T) {
	e := newEnv(t)
	if err := e.s.EnsureAccount(e.ctx, "210987654321", "other", "o@example.com"); err != nil {
		t.Fatal(err)
	}
	other := &auth.Caller{Kind: auth.KindRoot, AccountID: "210987654321"}
	must[*iamapi.CreateAccountAliasOutput](t)(e.s.CreateAccountAlias(e.ctx, e.root, &iamapi.CreateAccountAliasInput{AccountAlias: "my-corp"}))
	_, err := e.s.CreateAccountAlias(e.ctx, other, &iamapi.CreateAccountAliasInput{AccountAlias: "my-corp"})
	wantErr(t, err, "EntityAlreadyExists", "The account alias my-corp already exists.")
	_, err = e.s.CreateAccountAlias(e.ctx, other, &iamapi.CreateAccountAliasInput{AccountAlias: "a--b"})
	wantErr(t, err, "ValidationError", "")
	list := must[*iamapi.ListAccountAliasesOutput](t)(e.s.ListAccountAliases(e.ctx, e.root, &iamapi.ListAccountAliasesInput{}))
	if len(list.AccountAliases) != 1 || list.AccountAliases[0] != "my-corp" {
		t.Errorf("aliases %v", list.AccountAliases)
	}
	_, err = e.s.DeleteAccountAlias(e.ctx, e.root, &iamapi.DeleteAccountAliasInput{AccountAlias: "nope"})
	wantErr(t, err, "NoSuchEntity", "The account alias nope cannot be found.")
	must[*iamapi.DeleteAccountAliasOutput](t)(e.s.DeleteAccountAlias(e.ctx, e.root, &iamapi.DeleteAccountAliasInput{AccountAlias: "my-corp"}))
	must[*iamapi.CreateAccountAliasOutput](t)(e.s.CreateAccountAlias(e.ctx, other, &iamapi.CreateAccountAliasInput{AccountAlias: "my-corp"}))
}

func TestGetAccountSummary(t *testing.T) {
	e := newEnv(t)
	e.user(t, "a")
	e.user(t, "b")
	e.role(t, "r")
	e.policy(t, "p")
	if _, _, err := e.s.GenerateRootAccessKey(e.ctx, acct); err != nil {
		t.Fatal(err)
	}
	out := must[*iamapi.GetAccountSummaryOutput](t)(e.s.GetAccountSummary(e.ctx, e.root, &iamapi.GetAccountSummaryInput{}))
	for k, want := range map[string]int{"Users": 2, "Roles": 1, "Policies": 1, "UsersQuota": 5000, "AccessKeysPerUserQuota": 2,
		"AccountAccessKeysPresent": 1, "PolicySizeQuota": 6144, "AttachedPoliciesPerRoleQuota": 10, "Groups": 0} {
		if got, ok := out.SummaryMap[k]; !ok || got != want {
			t.Errorf("%s = %d (present %v), want %d", k, got, ok, want)
		}
	}
	if e.authz.last().resource != "*" {
		t.Errorf("GetAccountSummary authorized on %s", e.authz.last().resource)
	}
}

func TestInstanceProfiles(t *testing.T) {
	e := newEnv(t)
	e.role(t, "r1")
	e.role(t, "r2")
	ip := must[*iamapi.CreateInstanceProfileOutput](t)(e.s.CreateInstanceProfile(e.ctx, e.root, &iamapi.CreateInstanceProfileInput{InstanceProfileName: "ip", Path: "/web/", Tags: []iamapi.Tag{{Key: "a", Value: "b"}}}))
	if ip.InstanceProfile.Arn != "arn:aws:iam::123456789012:instance-profile/web/ip" || ip.InstanceProfile.InstanceProfileId[:4] != "AIPA" {
		t.Errorf("profile %+v", ip.InstanceProfile)
	}
	_, err := e.s.CreateInstanceProfile(e.ctx, e.root, &iamapi.CreateInstanceProfileInput{InstanceProfileName: "IP"})
	wantErr(t, err, "EntityAlreadyExists", "Instance Profile IP already exists.")
	must[*iamapi.AddRoleToInstanceProfileOutput](t)(e.s.AddRoleToInstanceProfile(e.ctx, e.root, &iamapi.AddRoleToInstanceProfileInput{InstanceProfileName: "ip", RoleName: "r1"}))
	_, err = e.s.AddRoleToInstanceProfile(e.ctx, e.root, &iamapi.AddRoleToInstanceProfileInput{InstanceProfileName: "ip", RoleName: "r2"})
	wantErr(t, err, "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	_, err = e.s.AddRoleToInstanceProfile(e.ctx, e.root, &iamapi.AddRoleToInstanceProfileInput{InstanceProfileName: "ip", RoleName: "ghost"})
	wantErr(t, err, "NoSuchEntity", "The role with name ghost cannot be found.")
	got := must[*iamapi.GetInstanceProfileOutput](t)(e.s.GetInstanceProfile(e.ctx, e.root, &iamapi.GetInstanceProfileInput{InstanceProfileName: "ip"}))
	if len(got.InstanceProfile.Roles) != 1 || got.InstanceProfile.Roles[0].RoleName != "r1" {
		t.Errorf("roles %+v", got.InstanceProfile.Roles)
	}
	_, err = e.s.DeleteRole(e.ctx, e.root, &iamapi.DeleteRoleInput{RoleName: "r1"})
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
	_, err = e.s.DeleteInstanceProfile(e.ctx, e.root, &iamapi.DeleteInstanceProfileInput{InstanceProfileName: "ip"})
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
	forRole := must[*iamapi.ListInstanceProfilesForRoleOutput](t)(e.s.ListInstanceProfilesForRole(e.ctx, e.root, &iamapi.ListInstanceProfilesForRoleInput{RoleName: "r1"}))
	if len(forRole.InstanceProfiles) != 1 {
		t.Errorf("for role %+v", forRole)
	}
	must[*iamapi.TagInstanceProfileOutput](t)(e.s.TagInstanceProfile(e.ctx, e.root, &iamapi.TagInstanceProfileInput{InstanceProfileName: "ip", Tags: []iamapi.Tag{{Key: "c", Value: "d"}}}))
	must[*iamapi.UntagInstanceProfileOutput](t)(e.s.UntagInstanceProfile(e.ctx, e.root, &iamapi.UntagInstanceProfileInput{InstanceProfileName: "ip", TagKeys: []string{"a"}}))
	tags := must[*iamapi.ListInstanceProfileTagsOutput](t)(e.s.ListInstanceProfileTags(e.ctx, e.root, &iamapi.ListInstanceProfileTagsInput{InstanceProfileName: "ip"}))
	if len(tags.Tags) != 1 || tags.Tags[0].Key != "c" {
		t.Errorf("tags %+v", tags.Tags)
	}
	must[*iamapi.RemoveRoleFromInstanceProfileOutput](t)(e.s.RemoveRoleFromInstanceProfile(e.ctx, e.root, &iamapi.RemoveRoleFromInstanceProfileInput{InstanceProfileName: "ip", RoleName: "r1"}))
	_, err = e.s.RemoveRoleFromInstanceProfile(e.ctx, e.root, &iamapi.RemoveRoleFromInstanceProfileInput{InstanceProfileName: "ip", RoleName: "r1"})
	wantErr(t, err, "NoSuchEntity", "")
	must[*iamapi.DeleteInstanceProfileOutput](t)(e.s.DeleteInstanceProfile(e.ctx, e.root, &iamapi.DeleteInstanceProfileInput{InstanceProfileName: "ip"}))
	_, err = e.s.GetInstanceProfile(e.ctx, e.root, &iamapi.GetInstanceProfileInput{InstanceProfileName: "ip"})
	wantErr(t, err, "NoSuchEntity", "Instance Profile ip cannot be found.")
	list := must[*iamapi.ListInstanceProfilesOutput](t)(e.s.ListInstanceProfiles(e.ctx, e.root, &iamapi.ListInstanceProfilesInput{}))
	if len(list.InstanceProfiles) != 0 {
		t.Errorf("list %+v", list)
	}
}
