package iam

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/store"
)

func TestAccessKeys(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice")
	alice := &auth.Caller{Kind: auth.KindUser, AccountID: acct, Name: "alice", ID: u.UserId, ARN: u.Arn}
	k1 := must[*iamapi.CreateAccessKeyOutput](t)(e.s.CreateAccessKey(e.ctx, alice, &iamapi.CreateAccessKeyInput{}))
	if !regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`).MatchString(k1.AccessKey.AccessKeyId) ||
		!regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`).MatchString(k1.AccessKey.SecretAccessKey) {
		t.Errorf("key %+v not in AWS's format", k1.AccessKey)
	}
	if k1.AccessKey.UserName != "alice" || k1.AccessKey.Status != "Active" {
		t.Errorf("key %+v", k1.AccessKey)
	}
	if c := e.authz.last(); c.resource != u.Arn {
		t.Errorf("self-service key authorized on %s", c.resource)
	}
	must[*iamapi.CreateAccessKeyOutput](t)(e.s.CreateAccessKey(e.ctx, e.root, &iamapi.CreateAccessKeyInput{UserName: "alice"}))
	_, err := e.s.CreateAccessKey(e.ctx, e.root, &iamapi.CreateAccessKeyInput{UserName: "alice"})
	wantErr(t, err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")

	k, secret, owner, err := e.s.LookupAccessKey(e.ctx, k1.AccessKey.AccessKeyId)
	if err != nil || secret != k1.AccessKey.SecretAccessKey || owner.Name != "alice" || k.UserID != u.UserId {
		t.Fatalf("lookup: %v %v %v", err, secret == k1.AccessKey.SecretAccessKey, owner)
	}
	list := must[*iamapi.ListAccessKeysOutput](t)(e.s.ListAccessKeys(e.ctx, alice, &iamapi.ListAccessKeysInput{}))
	if len(list.AccessKeyMetadata) != 2 {
		t.Errorf("list %+v", list)
	}
	tests := []struct {
		name   string
		status string
		id     string
		code   string
		msg    string
	}{
		{"deactivate", "Inactive", k1.AccessKey.AccessKeyId, "", ""},
		{"unknown", "Active", "AKIAAAAAAAAAAAAAAAAA", "NoSuchEntity", "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found."},
		{"bad status", "Expired", k1.AccessKey.AccessKeyId, "ValidationError", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s.UpdateAccessKey(e.ctx, e.root, &iamapi.UpdateAccessKeyInput{UserName: "alice", AccessKeyId: tc.id, Status: tc.status})
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	if _, _, _, err := e.s.LookupAccessKey(e.ctx, k1.AccessKey.AccessKeyId); !errors.Is(err, ErrUnknownAccessKey) {
		t.Errorf("inactive key lookup: %v", err)
	}
	if _, _, _, err := e.s.LookupAccessKey(e.ctx, "AKIANOPE"); !errors.Is(err, ErrUnknownAccessKey) {
		t.Errorf("unknown key lookup: %v", err)
	}
	// A key of another user is not found under this one.
	e.user(t, "bob")
	_, err = e.s.DeleteAccessKey(e.ctx, e.root, &iamapi.DeleteAccessKeyInput{UserName: "bob", AccessKeyId: k1.AccessKey.AccessKeyId})
	wantErr(t, err, "NoSuchEntity", "The Access Key with id "+k1.AccessKey.AccessKeyId+" cannot be found.")

	last := must[*iamapi.GetAccessKeyLastUsedOutput](t)(e.s.GetAccessKeyLastUsed(e.ctx, e.root, &iamapi.GetAccessKeyLastUsedInput{AccessKeyId: k1.AccessKey.AccessKeyId}))
	if last.UserName != "alice" || last.AccessKeyLastUsed.ServiceName != "N/A" || !last.AccessKeyLastUsed.LastUsedDate.IsZero() {
		t.Errorf("never used: %+v", last)
	}
	if err := e.s.RecordAccessKeyUse(e.ctx, k1.AccessKey.AccessKeyId, "iam", "us-east-1"); err != nil {
		t.Fatal(err)
	}
	last = must[*iamapi.GetAccessKeyLastUsedOutput](t)(e.s.GetAccessKeyLastUsed(e.ctx, e.root, &iamapi.GetAccessKeyLastUsedInput{AccessKeyId: k1.AccessKey.AccessKeyId}))
	if last.AccessKeyLastUsed.ServiceName != "iam" || last.AccessKeyLastUsed.Region != "us-east-1" || !last.AccessKeyLastUsed.LastUsedDate.Equal(e.now.Truncate(1e9)) {
		t.Errorf("used: %+v", last.AccessKeyLastUsed)
	}
}

func TestRootAccessKeys(t *testing.T) {
	e := newEnv(t)
	const id, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	if err := e.s.CreateRootAccessKey(e.ctx, acct, id, secret); err != nil {
		t.Fatal(err)
	}
	if err := e.s.CreateRootAccessKey(e.ctx, acct, id, secret); err != nil {
		t.Errorf("re-import: %v", err)
	}
	wantErr(t, e.s.CreateRootAccessKey(e.ctx, acct, id, "another-secret-value-xx"), "EntityAlreadyExists", "")
	_, got, owner, err := e.s.LookupAccessKey(e.ctx, id)
	if err != nil || got != secret || owner != nil {
		t.Fatalf("lookup root key: %v %q %v", err, got, owner)
	}
	gid, gsecret, err := e.s.GenerateRootAccessKey(e.ctx, acct)
	if err != nil || len(gid) != 20 || len(gsecret) != 40 {
		t.Fatalf("generate: %v %q", err, gid)
	}
	list := must[*iamapi.ListAccessKeysOutput](t)(e.s.ListAccessKeys(e.ctx, e.root, &iamapi.ListAccessKeysInput{}))
	if len(list.AccessKeyMetadata) != 2 {
		t.Errorf("root keys: %+v", list.AccessKeyMetadata)
	}
	_, _, err = e.s.GenerateRootAccessKey(e.ctx, acct)
	wantErr(t, err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
}

func TestRoles(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice")
	trustUser := func(arn string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + arn + `"},"Action":"sts:AssumeRole"}]}`
	}
	tests := []struct {
		name string
		in   iamapi.CreateRoleInput
		code string
		msg  string
	}{
		{"service trust", iamapi.CreateRoleInput{RoleName: "r1", AssumeRolePolicyDocument: trustDoc, Description: "d", MaxSessionDuration: ptr(7200)}, "", ""},
		{"existing user principal", iamapi.CreateRoleInput{RoleName: "r2", AssumeRolePolicyDocument: trustUser("arn:aws:iam::123456789012:user/alice")}, "", ""},
		{"account principal", iamapi.CreateRoleInput{RoleName: "r3", AssumeRolePolicyDocument: trustUser("arn:aws:iam::210987654321:root")}, "", ""},
		{"missing user principal", iamapi.CreateRoleInput{RoleName: "r4", AssumeRolePolicyDocument: trustUser("arn:aws:iam::123456789012:user/ghost")},
			"MalformedPolicyDocument", `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/ghost"`},
		{"missing role principal", iamapi.CreateRoleInput{RoleName: "r4", AssumeRolePolicyDocument: trustUser("arn:aws:iam::123456789012:role/ghost")},
			"MalformedPolicyDocument", `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/ghost"`},
		{"duplicate", iamapi.CreateRoleInput{RoleName: "R1", AssumeRolePolicyDocument: trustDoc}, "EntityAlreadyExists", "Role with name R1 already exists."},
		{"short session", iamapi.CreateRoleInput{RoleName: "r5", AssumeRolePolicyDocument: trustDoc, MaxSessionDuration: ptr(60)}, "ValidationError",
			"1 validation error detected: Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"},
		{"long session", iamapi.CreateRoleInput{RoleName: "r5", AssumeRolePolicyDocument: trustDoc, MaxSessionDuration: ptr(43201)}, "ValidationError",
			"1 validation error detected: Value '43201' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"identity doc as trust", iamapi.CreateRoleInput{RoleName: "r5", AssumeRolePolicyDocument: allowS3}, "MalformedPolicyDocument", ""},
		// IAM reads trust policies with another parser, worded its own way
		// (policy.TestValidateByUse).
		{"syntax", iamapi.CreateRoleInput{RoleName: "r5", AssumeRolePolicyDocument: "{"}, "MalformedPolicyDocument", "This policy contains invalid Json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s.CreateRole(e.ctx, e.root, &tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	got := must[*iamapi.GetRoleOutput](t)(e.s.GetRole(e.ctx, e.root, &iamapi.GetRoleInput{RoleName: "r1"}))
	r := got.Role
	if !strings.HasPrefix(r.RoleId, "AROA") || *r.MaxSessionDuration != 7200 || r.Description != "d" || r.RoleLastUsed == nil {
		t.Errorf("role %+v", r)
	}
	if doc, _ := url.QueryUnescape(r.AssumeRolePolicyDocument); doc != trustDoc || strings.Contains(r.AssumeRolePolicyDocument, "+") {
		t.Errorf("trust policy encoding %q", r.AssumeRolePolicyDocument)
	}
	_, err := e.s.UpdateRole(e.ctx, e.root, &iamapi.UpdateRoleInput{RoleName: "r1", Description: "new", MaxSessionDuration: ptr(3600)})
	wantErr(t, err, "", "")
	upd := must[*iamapi.UpdateRoleDescriptionOutput](t)(e.s.UpdateRoleDescription(e.ctx, e.root, &iamapi.UpdateRoleDescriptionInput{RoleName: "r1", Description: "newer"}))
	// UpdateRoleDescription answers like CreateRole: no MaxSessionDuration,
	// no RoleLastUsed (localstack's recorded AWS snapshots,
	// test_iam_roles.snapshot.json).
	if upd.Role.Description != "newer" || upd.Role.MaxSessionDuration != nil || upd.Role.RoleLastUsed != nil {
		t.Errorf("updated %+v", upd.Role)
	}
	_, err = e.s.UpdateAssumeRolePolicy(e.ctx, e.root, &iamapi.UpdateAssumeRolePolicyInput{RoleName: "r1", PolicyDocument: trustUser("arn:aws:iam::123456789012:user/nobody")})
	wantErr(t, err, "MalformedPolicyDocument", `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/nobody"`)

	byARN, err := e.s.GetRoleByARN(e.ctx, "arn:aws:iam::123456789012:role/r1")
	if err != nil || byARN.Name != "r1" {
		t.Fatalf("GetRoleByARN: %v", err)
	}
	if _, err := e.s.GetRoleByARN(e.ctx, "arn:aws:iam::123456789012:role/other/r1"); err == nil {
		t.Error("GetRoleByARN ignored the path")
	}
	if err := e.s.RecordRoleUse(e.ctx, byARN.ID, "eu-west-1"); err != nil {
		t.Fatal(err)
	}
	got = must[*iamapi.GetRoleOutput](t)(e.s.GetRole(e.ctx, e.root, &iamapi.GetRoleInput{RoleName: "r1"}))
	if got.Role.RoleLastUsed.Region != "eu-west-1" || got.Role.RoleLastUsed.LastUsedDate.IsZero() {
		t.Errorf("last used %+v", got.Role.RoleLastUsed)
	}

	list := must[*iamapi.ListRolesOutput](t)(e.s.ListRoles(e.ctx, e.root, &iamapi.ListRolesInput{}))
	if len(list.Roles) != 3 || list.Roles[0].Tags != nil || list.Roles[0].RoleLastUsed != nil {
		t.Errorf("ListRoles %+v", list.Roles)
	}
	_, err = e.s.TagRole(e.ctx, e.root, &iamapi.TagRoleInput{RoleName: "r1", Tags: []iamapi.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}})
	wantErr(t, err, "", "")
	_, err = e.s.UntagRole(e.ctx, e.root, &iamapi.UntagRoleInput{RoleName: "r1", TagKeys: []string{"a"}})
	wantErr(t, err, "", "")
	tags := must[*iamapi.ListRoleTagsOutput](t)(e.s.ListRoleTags(e.ctx, e.root, &iamapi.ListRoleTagsInput{RoleName: "r1"}))
	if len(tags.Tags) != 1 || tags.Tags[0].Key != "b" {
		t.Errorf("role tags %+v", tags.Tags)
	}
	_, err = e.s.PutRolePermissionsBoundary(e.ctx, e.root, &iamapi.PutRolePermissionsBoundaryInput{RoleName: "r1", PermissionsBoundary: "arn:aws:iam::aws:policy/PowerUserAccess"})
	wantErr(t, err, "", "")
	_, err = e.s.DeleteRolePermissionsBoundary(e.ctx, e.root, &iamapi.DeleteRolePermissionsBoundaryInput{RoleName: "r1"})
	wantErr(t, err, "", "")
	_, err = e.s.DeleteRolePermissionsBoundary(e.ctx, e.root, &iamapi.DeleteRolePermissionsBoundaryInput{RoleName: "r1"})
	wantErr(t, err, "NoSuchEntity", "")
	pu := must[*iamapi.GetPolicyOutput](t)(e.s.GetPolicy(e.ctx, e.root, &iamapi.GetPolicyInput{PolicyArn: "arn:aws:iam::aws:policy/PowerUserAccess"}))
	if *pu.Policy.PermissionsBoundaryUsageCount != 0 {
		t.Errorf("boundary count %d after removal", pu.Policy.PermissionsBoundaryUsageCount)
	}
}

func TestDeleteRoleConflicts(t *testing.T) {
	e := newEnv(t)
	e.role(t, "r")
	must[*iamapi.PutRolePolicyOutput](t)(e.s.PutRolePolicy(e.ctx, e.root, &iamapi.PutRolePolicyInput{RoleName: "r", PolicyName: "p", PolicyDocument: allowS3}))
	must[*iamapi.AttachRolePolicyOutput](t)(e.s.AttachRolePolicy(e.ctx, e.root, &iamapi.AttachRolePolicyInput{RoleName: "r", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}))
	_, err := e.s.DeleteRole(e.ctx, e.root, &iamapi.DeleteRoleInput{RoleName: "r"})
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	must[*iamapi.DeleteRolePolicyOutput](t)(e.s.DeleteRolePolicy(e.ctx, e.root, &iamapi.DeleteRolePolicyInput{RoleName: "r", PolicyName: "p"}))
	_, err = e.s.DeleteRole(e.ctx, e.root, &iamapi.DeleteRoleInput{RoleName: "r"})
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	must[*iamapi.DetachRolePolicyOutput](t)(e.s.DetachRolePolicy(e.ctx, e.root, &iamapi.DetachRolePolicyInput{RoleName: "r", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}))
	_, err = e.s.DetachRolePolicy(e.ctx, e.root, &iamapi.DetachRolePolicyInput{RoleName: "r", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"})
	wantErr(t, err, "NoSuchEntity", "Policy arn:aws:iam::aws:policy/ReadOnlyAccess was not found.")
	_, err = e.s.DeleteRole(e.ctx, e.root, &iamapi.DeleteRoleInput{RoleName: "r"})
	wantErr(t, err, "", "")
	_, err = e.s.GetRole(e.ctx, e.root, &iamapi.GetRoleInput{RoleName: "r"})
	wantErr(t, err, "NoSuchEntity", "The role with name r cannot be found.")
}

func TestManagedPolicies(t *testing.T) {
	e := newEnv(t)
	p := e.policy(t, "p")
	if p.Arn != "arn:aws:iam::123456789012:policy/p" || p.DefaultVersionId != "v1" || !strings.HasPrefix(p.PolicyId, "ANPA") || !isTrue(p.IsAttachable) {
		t.Errorf("policy %+v", p)
	}
	_, err := e.s.CreatePolicy(e.ctx, e.root, &iamapi.CreatePolicyInput{PolicyName: "P", PolicyDocument: allowS3})
	wantErr(t, err, "EntityAlreadyExists", "A policy called P already exists. Duplicate names are not allowed.")
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("a", 6100) + `"}]}`
	_, err = e.s.CreatePolicy(e.ctx, e.root, &iamapi.CreatePolicyInput{PolicyName: "big", PolicyDocument: big})
	wantErr(t, err, "LimitExceeded", "Cannot exceed quota for PolicySize: 6144")
	_, err = e.s.CreatePolicy(e.ctx, e.root, &iamapi.CreatePolicyInput{PolicyName: "bad", PolicyDocument: trustDoc})
	wantErr(t, err, "MalformedPolicyDocument", "Policy document should not specify a principal.")

	for i := 2; i <= 5; i++ {
		v := must[*iamapi.CreatePolicyVersionOutput](t)(e.s.CreatePolicyVersion(e.ctx, e.root, &iamapi.CreatePolicyVersionInput{PolicyArn: p.Arn, PolicyDocument: allowS3, SetAsDefault: ptr(i == 3)}))
		if v.PolicyVersion.VersionId != fmt.Sprintf("v%d", i) || *v.PolicyVersion.IsDefaultVersion != (i == 3) {
			t.Errorf("version %+v", v.PolicyVersion)
		}
	}
	_, err = e.s.CreatePolicyVersion(e.ctx, e.root, &iamapi.CreatePolicyVersionInput{PolicyArn: p.Arn, PolicyDocument: allowS3})
	wantErr(t, err, "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
	_, err = e.s.DeletePolicyVersion(e.ctx, e.root, &iamapi.DeletePolicyVersionInput{PolicyArn: p.Arn, VersionId: "v3"})
	wantErr(t, err, "DeleteConflict", "Cannot delete the default version of a policy.")
	_, err = e.s.DeletePolicyVersion(e.ctx, e.root, &iamapi.DeletePolicyVersionInput{PolicyArn: p.Arn, VersionId: "v9"})
	wantErr(t, err, "NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/p version v9 does not exist or is not attachable.")
	vs := must[*iamapi.ListPolicyVersionsOutput](t)(e.s.ListPolicyVersions(e.ctx, e.root, &iamapi.ListPolicyVersionsInput{PolicyArn: p.Arn, MaxItems: ptr(3)}))
	if len(vs.Versions) != 3 || !isTrue(vs.IsTruncated) || vs.Versions[0].VersionId != "v5" {
		t.Errorf("versions page %+v", vs)
	}
	vs2 := must[*iamapi.ListPolicyVersionsOutput](t)(e.s.ListPolicyVersions(e.ctx, e.root, &iamapi.ListPolicyVersionsInput{PolicyArn: p.Arn, Marker: vs.Marker}))
	if len(vs2.Versions) != 2 || vs2.Versions[1].VersionId != "v1" {
		t.Errorf("versions page 2 %+v", vs2)
	}
	gv := must[*iamapi.GetPolicyVersionOutput](t)(e.s.GetPolicyVersion(e.ctx, e.root, &iamapi.GetPolicyVersionInput{PolicyArn: p.Arn, VersionId: "v3"}))
	if doc, _ := url.QueryUnescape(gv.PolicyVersion.Document); doc != allowS3 || !isTrue(gv.PolicyVersion.IsDefaultVersion) {
		t.Errorf("version doc %+v", gv.PolicyVersion)
	}
	must[*iamapi.SetDefaultPolicyVersionOutput](t)(e.s.SetDefaultPolicyVersion(e.ctx, e.root, &iamapi.SetDefaultPolicyVersionInput{PolicyArn: p.Arn, VersionId: "v1"}))
	_, err = e.s.DeletePolicy(e.ctx, e.root, &iamapi.DeletePolicyInput{PolicyArn: p.Arn})
	wantErr(t, err, "DeleteConflict", "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	for _, v := range []string{"v2", "v3", "v4", "v5"} {
		must[*iamapi.DeletePolicyVersionOutput](t)(e.s.DeletePolicyVersion(e.ctx, e.root, &iamapi.DeletePolicyVersionInput{PolicyArn: p.Arn, VersionId: v}))
	}
	_, err = e.s.DeletePolicy(e.ctx, e.root, &iamapi.DeletePolicyInput{PolicyArn: p.Arn})
	wantErr(t, err, "", "")
	_, err = e.s.GetPolicy(e.ctx, e.root, &iamapi.GetPolicyInput{PolicyArn: p.Arn})
	wantErr(t, err, "NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/p does not exist or is not attachable.")
	_, err = e.s.GetPolicy(e.ctx, e.root, &iamapi.GetPolicyInput{PolicyArn: "not-an-arn"})
	wantErr(t, err, "InvalidInput", "ARN not-an-arn is not valid.")

	// AWS managed policies are listed, attachable and immutable.
	_, err = e.s.CreatePolicyVersion(e.ctx, e.root, &iamapi.CreatePolicyVersionInput{PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess", PolicyDocument: allowS3})
	wantErr(t, err, "AccessDenied", "")
	_, err = e.s.DeletePolicy(e.ctx, e.root, &iamapi.DeletePolicyInput{PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"})
	wantErr(t, err, "AccessDenied", "")
	vo := must[*iamapi.GetPolicyOutput](t)(e.s.GetPolicy(e.ctx, e.root, &iamapi.GetPolicyInput{PolicyArn: "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"}))
	if vo.Policy.Path != "/job-function/" {
		t.Errorf("ViewOnlyAccess %+v", vo.Policy)
	}
}

func TestListPolicies(t *testing.T) {
	e := newEnv(t)
	e.policy(t, "local-b")
	e.policy(t, "local-a")
	e.role(t, "r")
	must[*iamapi.AttachRolePolicyOutput](t)(e.s.AttachRolePolicy(e.ctx, e.root, &iamapi.AttachRolePolicyInput{RoleName: "r", PolicyArn: "arn:aws:iam::123456789012:policy/local-b"}))
	names := func(in iamapi.ListPoliciesInput) string {
		var all []string
		for {
			out := must[*iamapi.ListPoliciesOutput](t)(e.s.ListPolicies(e.ctx, e.root, &in))
			for _, p := range out.Policies {
				all = append(all, p.PolicyName)
			}
			if !isTrue(out.IsTruncated) {
				return strings.Join(all, ",")
			}
			in.Marker = out.Marker
		}
	}
	if got := names(iamapi.ListPoliciesInput{Scope: "Local"}); got != "local-a,local-b" {
		t.Errorf("Local: %s", got)
	}
	if got := names(iamapi.ListPoliciesInput{Scope: "Local", OnlyAttached: ptr(true)}); got != "local-b" {
		t.Errorf("OnlyAttached: %s", got)
	}
	// All 1,569 AWS managed policies, in pages of 400 (the last one short).
	aws := names(iamapi.ListPoliciesInput{Scope: "AWS", MaxItems: ptr(400)})
	if n := strings.Count(aws, ",") + 1; n != 1569 || strings.Contains(aws, "local") {
		t.Errorf("AWS: %d policies", n)
	}
	all := names(iamapi.ListPoliciesInput{MaxItems: ptr(1000)})
	if !strings.HasSuffix(all, ",local-a,local-b") || strings.Count(all, ",")+1 != 1569+2 {
		t.Errorf("All: %d policies, ends %q", strings.Count(all, ",")+1, all[max(0, len(all)-40):])
	}
	if got := names(iamapi.ListPoliciesInput{Scope: "AWS", PathPrefix: "/root-task/"}); got != "IAMAuditRootUserCredentials,IAMCreateRootUserPassword,IAMDeleteRootUserCredentials,S3UnlockBucketPolicy,SQSUnlockQueuePolicy" {
		t.Errorf("PathPrefix: %s", got)
	}
}

func TestAttachLimitsAndEntities(t *testing.T) {
	e := newEnv(t)
	e.user(t, "u")
	var arns []string
	for i := 0; i < 11; i++ {
		arns = append(arns, e.policy(t, fmt.Sprintf("p%02d", i)).Arn)
	}
	for i, arn := range arns {
		_, err := e.s.AttachUserPolicy(e.ctx, e.root, &iamapi.AttachUserPolicyInput{UserName: "u", PolicyArn: arn})
		if i < 10 {
			wantErr(t, err, "", "")
		} else {
			wantErr(t, err, "LimitExceeded", "Cannot exceed quota for PoliciesPerUser: 10")
		}
	}
	c := e.authz.last()
	if c.action != "iam:AttachUserPolicy" || c.keys[0].Name != "iam:PolicyARN" || c.keys[0].Values[0] != arns[10] {
		t.Errorf("attach authorized with %+v", c)
	}
	// Attaching again is a no-op that does not count twice.
	must[*iamapi.AttachUserPolicyOutput](t)(e.s.AttachUserPolicy(e.ctx, e.root, &iamapi.AttachUserPolicyInput{UserName: "u", PolicyArn: arns[0]}))
	p0 := must[*iamapi.GetPolicyOutput](t)(e.s.GetPolicy(e.ctx, e.root, &iamapi.GetPolicyInput{PolicyArn: arns[0]}))
	if *p0.Policy.AttachmentCount != 1 {
		t.Errorf("AttachmentCount %d", p0.Policy.AttachmentCount)
	}
	att := must[*iamapi.ListAttachedUserPoliciesOutput](t)(e.s.ListAttachedUserPolicies(e.ctx, e.root, &iamapi.ListAttachedUserPoliciesInput{UserName: "u", MaxItems: ptr(6)}))
	att2 := must[*iamapi.ListAttachedUserPoliciesOutput](t)(e.s.ListAttachedUserPolicies(e.ctx, e.root, &iamapi.ListAttachedUserPoliciesInput{UserName: "u", Marker: att.Marker}))
	if len(att.AttachedPolicies) != 6 || len(att2.AttachedPolicies) != 4 || isTrue(att2.IsTruncated) || att2.AttachedPolicies[3].PolicyName != "p09" {
		t.Errorf("attached pages %+v %+v", att, att2)
	}
	_, err := e.s.AttachUserPolicy(e.ctx, e.root, &iamapi.AttachUserPolicyInput{UserName: "u", PolicyArn: "arn:aws:iam::123456789012:policy/none"})
	wantErr(t, err, "NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/none does not exist or is not attachable.")
	_, err = e.s.DeletePolicy(e.ctx, e.root, &iamapi.DeletePolicyInput{PolicyArn: arns[0]})
	wantErr(t, err, "DeleteConflict", "Cannot delete a policy attached to entities.")

	must[*iamapi.CreateGroupOutput](t)(e.s.CreateGroup(e.ctx, e.root, &iamapi.CreateGroupInput{GroupName: "g"}))
	e.role(t, "r")
	must[*iamapi.AttachGroupPolicyOutput](t)(e.s.AttachGroupPolicy(e.ctx, e.root, &iamapi.AttachGroupPolicyInput{GroupName: "g", PolicyArn: arns[0]}))
	must[*iamapi.AttachRolePolicyOutput](t)(e.s.AttachRolePolicy(e.ctx, e.root, &iamapi.AttachRolePolicyInput{RoleName: "r", PolicyArn: arns[0]}))
	ents := must[*iamapi.ListEntitiesForPolicyOutput](t)(e.s.ListEntitiesForPolicy(e.ctx, e.root, &iamapi.ListEntitiesForPolicyInput{PolicyArn: arns[0]}))
	if len(ents.PolicyUsers) != 1 || len(ents.PolicyGroups) != 1 || len(ents.PolicyRoles) != 1 {
		t.Errorf("entities %+v", ents)
	}
	only := must[*iamapi.ListEntitiesForPolicyOutput](t)(e.s.ListEntitiesForPolicy(e.ctx, e.root, &iamapi.ListEntitiesForPolicyInput{PolicyArn: arns[0], EntityFilter: "Role"}))
	if len(only.PolicyUsers) != 0 || len(only.PolicyRoles) != 1 {
		t.Errorf("filtered entities %+v", only)
	}
	ag := must[*iamapi.ListAttachedGroupPoliciesOutput](t)(e.s.ListAttachedGroupPolicies(e.ctx, e.root, &iamapi.ListAttachedGroupPoliciesInput{GroupName: "g"}))
	ar := must[*iamapi.ListAttachedRolePoliciesOutput](t)(e.s.ListAttachedRolePolicies(e.ctx, e.root, &iamapi.ListAttachedRolePoliciesInput{RoleName: "r"}))
	if len(ag.AttachedPolicies) != 1 || len(ar.AttachedPolicies) != 1 {
		t.Errorf("group/role attachments %+v %+v", ag, ar)
	}
}

func TestInlinePolicies(t *testing.T) {
	e := newEnv(t)
	e.user(t, "u")
	must[*iamapi.CreateGroupOutput](t)(e.s.CreateGroup(e.ctx, e.root, &iamapi.CreateGroupInput{GroupName: "g"}))
	e.role(t, "r")
	doc := func(n int) string {
		// A document whose size without whitespace is exactly n.
		base := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::"}]}`
		pad := n - len(base)
		return base[:len(base)-4] + strings.Repeat("a", pad) + base[len(base)-4:]
	}
	tests := []struct {
		name string
		put  func(name, doc string) error
		get  func(name string) (string, error)
		del  func(name string) error
		list func() ([]string, error)
		max  int
		noun string
		ent  string
	}{
		{"user", func(n, d string) error {
			_, err := e.s.PutUserPolicy(e.ctx, e.root, &iamapi.PutUserPolicyInput{UserName: "u", PolicyName: n, PolicyDocument: d})
			return err
		}, func(n string) (string, error) {
			out, err := e.s.GetUserPolicy(e.ctx, e.root, &iamapi.GetUserPolicyInput{UserName: "u", PolicyName: n})
			if err != nil {
				return "", err
			}
			return out.PolicyDocument, nil
		}, func(n string) error {
			_, err := e.s.DeleteUserPolicy(e.ctx, e.root, &iamapi.DeleteUserPolicyInput{UserName: "u", PolicyName: n})
			return err
		}, func() ([]string, error) {
			out, err := e.s.ListUserPolicies(e.ctx, e.root, &iamapi.ListUserPoliciesInput{UserName: "u"})
			return out.PolicyNames, err
		}, 2048, "user", "u"},
		{"group", func(n, d string) error {
			_, err := e.s.PutGroupPolicy(e.ctx, e.root, &iamapi.PutGroupPolicyInput{GroupName: "g", PolicyName: n, PolicyDocument: d})
			return err
		}, func(n string) (string, error) {
			out, err := e.s.GetGroupPolicy(e.ctx, e.root, &iamapi.GetGroupPolicyInput{GroupName: "g", PolicyName: n})
			if err != nil {
				return "", err
			}
			return out.PolicyDocument, nil
		}, func(n string) error {
			_, err := e.s.DeleteGroupPolicy(e.ctx, e.root, &iamapi.DeleteGroupPolicyInput{GroupName: "g", PolicyName: n})
			return err
		}, func() ([]string, error) {
			out, err := e.s.ListGroupPolicies(e.ctx, e.root, &iamapi.ListGroupPoliciesInput{GroupName: "g"})
			return out.PolicyNames, err
		}, 5120, "group", "g"},
		{"role", func(n, d string) error {
			_, err := e.s.PutRolePolicy(e.ctx, e.root, &iamapi.PutRolePolicyInput{RoleName: "r", PolicyName: n, PolicyDocument: d})
			return err
		}, func(n string) (string, error) {
			out, err := e.s.GetRolePolicy(e.ctx, e.root, &iamapi.GetRolePolicyInput{RoleName: "r", PolicyName: n})
			if err != nil {
				return "", err
			}
			return out.PolicyDocument, nil
		}, func(n string) error {
			_, err := e.s.DeleteRolePolicy(e.ctx, e.root, &iamapi.DeleteRolePolicyInput{RoleName: "r", PolicyName: n})
			return err
		}, func() ([]string, error) {
			out, err := e.s.ListRolePolicies(e.ctx, e.root, &iamapi.ListRolePoliciesInput{RoleName: "r"})
			return out.PolicyNames, err
		}, 10240, "role", "r"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			half := tc.max / 2
			wantErr(t, tc.put("one", doc(half)), "", "")
			wantErr(t, tc.put("two", doc(tc.max-half)), "", "")
			wantErr(t, tc.put("three", doc(200)), "LimitExceeded",
				fmt.Sprintf("Maximum policy size of %d bytes exceeded for %s %s", tc.max, tc.noun, tc.ent))
			// Replacing a policy counts its new size, not both.
			wantErr(t, tc.put("two", doc(tc.max-half-10)), "", "")
			wantErr(t, tc.put("bad", trustDoc), "MalformedPolicyDocument", "")
			enc, err := tc.get("one")
			if dec, _ := url.QueryUnescape(enc); err != nil || dec != doc(half) {
				t.Errorf("get: %v", err)
			}
			_, err = tc.get("nope")
			wantErr(t, err, "NoSuchEntity", fmt.Sprintf("The %s policy with name nope cannot be found.", tc.noun))
			names, err := tc.list()
			if err != nil || strings.Join(names, ",") != "one,two" {
				t.Errorf("list %v %v", names, err)
			}
			wantErr(t, tc.del("two"), "", "")
			wantErr(t, tc.del("two"), "NoSuchEntity", fmt.Sprintf("The %s policy with name two cannot be found.", tc.noun))
		})
	}
}

func TestGroups(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"a", "b", "c"} {
		e.user(t, n)
	}
	g := must[*iamapi.CreateGroupOutput](t)(e.s.CreateGroup(e.ctx, e.root, &iamapi.CreateGroupInput{GroupName: "devs", Path: "/eng/"}))
	if g.Group.Arn != "arn:aws:iam::123456789012:group/eng/devs" || !strings.HasPrefix(g.Group.GroupId, "AGPA") {
		t.Errorf("group %+v", g.Group)
	}
	_, err := e.s.CreateGroup(e.ctx, e.root, &iamapi.CreateGroupInput{GroupName: "DEVS"})
	wantErr(t, err, "EntityAlreadyExists", "Group with name DEVS already exists.")
	for _, n := range []string{"c", "a", "b", "a"} {
		must[*iamapi.AddUserToGroupOutput](t)(e.s.AddUserToGroup(e.ctx, e.root, &iamapi.AddUserToGroupInput{GroupName: "devs", UserName: n}))
	}
	_, err = e.s.AddUserToGroup(e.ctx, e.root, &iamapi.AddUserToGroupInput{GroupName: "devs", UserName: "zed"})
	wantErr(t, err, "NoSuchEntity", "The user with name zed cannot be found.")
	page := must[*iamapi.GetGroupOutput](t)(e.s.GetGroup(e.ctx, e.root, &iamapi.GetGroupInput{GroupName: "devs", MaxItems: ptr(2)}))
	if len(page.Users) != 2 || !isTrue(page.IsTruncated) || page.Users[0].UserName != "a" {
		t.Errorf("GetGroup page %+v", page)
	}
	rest := must[*iamapi.GetGroupOutput](t)(e.s.GetGroup(e.ctx, e.root, &iamapi.GetGroupInput{GroupName: "devs", Marker: page.Marker}))
	if len(rest.Users) != 1 || rest.Users[0].UserName != "c" || isTrue(rest.IsTruncated) {
		t.Errorf("GetGroup rest %+v", rest)
	}
	_, err = e.s.DeleteGroup(e.ctx, e.root, &iamapi.DeleteGroupInput{GroupName: "devs"})
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
	for i := 0; i < 10; i++ {
		name := fmt.Sprintf("g%d", i)
		must[*iamapi.CreateGroupOutput](t)(e.s.CreateGroup(e.ctx, e.root, &iamapi.CreateGroupInput{GroupName: name}))
		_, err := e.s.AddUserToGroup(e.ctx, e.root, &iamapi.AddUserToGroupInput{GroupName: name, UserName: "a"})
		if i < 9 {
			wantErr(t, err, "", "")
		} else {
			wantErr(t, err, "LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10")
		}
	}
	gs := must[*iamapi.ListGroupsForUserOutput](t)(e.s.ListGroupsForUser(e.ctx, e.root, &iamapi.ListGroupsForUserInput{UserName: "a"}))
	if len(gs.Groups) != 10 {
		t.Errorf("groups for a: %d", len(gs.Groups))
	}
	_, err = e.s.UpdateGroup(e.ctx, e.root, &iamapi.UpdateGroupInput{GroupName: "devs", NewGroupName: "g1"})
	wantErr(t, err, "EntityAlreadyExists", "Group with name g1 already exists.")
	must[*iamapi.UpdateGroupOutput](t)(e.s.UpdateGroup(e.ctx, e.root, &iamapi.UpdateGroupInput{GroupName: "devs", NewGroupName: "developers", NewPath: "/"}))
	for _, n := range []string{"a", "b", "c"} {
		must[*iamapi.RemoveUserFromGroupOutput](t)(e.s.RemoveUserFromGroup(e.ctx, e.root, &iamapi.RemoveUserFromGroupInput{GroupName: "developers", UserName: n}))
	}
	_, err = e.s.RemoveUserFromGroup(e.ctx, e.root, &iamapi.RemoveUserFromGroupInput{GroupName: "developers", UserName: "a"})
	wantErr(t, err, "NoSuchEntity", "")
	must[*iamapi.PutGroupPolicyOutput](t)(e.s.PutGroupPolicy(e.ctx, e.root, &iamapi.PutGroupPolicyInput{GroupName: "developers", PolicyName: "p", PolicyDocument: allowS3}))
	_, err = e.s.DeleteGroup(e.ctx, e.root, &iamapi.DeleteGroupInput{GroupName: "developers"})
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	must[*iamapi.DeleteGroupPolicyOutput](t)(e.s.DeleteGroupPolicy(e.ctx, e.root, &iamapi.DeleteGroupPolicyInput{GroupName: "developers", PolicyName: "p"}))
	must[*iamapi.DeleteGroupOutput](t)(e.s.DeleteGroup(e.ctx, e.root, &iamapi.DeleteGroupInput{GroupName: "developers"}))
	list := must[*iamapi.ListGroupsOutput](t)(e.s.ListGroups(e.ctx, e.root, &iamapi.ListGroupsInput{}))
	if len(list.Groups) != 10 {
		t.Errorf("ListGroups %d", len(list.Groups))
	}
}

func TestPrincipalPoliciesAndGeneration(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "u")
	gen := e.s.Generation()
	must[*iamapi.PutUserPolicyOutput](t)(e.s.PutUserPolicy(e.ctx, e.root, &iamapi.PutUserPolicyInput{UserName: "u", PolicyName: "inl", PolicyDocument: allowS3}))
	if e.s.Generation() <= gen {
		t.Error("generation did not advance")
	}
	must[*iamapi.AttachUserPolicyOutput](t)(e.s.AttachUserPolicy(e.ctx, e.root, &iamapi.AttachUserPolicyInput{UserName: "u", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}))
	must[*iamapi.CreateGroupOutput](t)(e.s.CreateGroup(e.ctx, e.root, &iamapi.CreateGroupInput{GroupName: "g"}))
	must[*iamapi.AddUserToGroupOutput](t)(e.s.AddUserToGroup(e.ctx, e.root, &iamapi.AddUserToGroupInput{GroupName: "g", UserName: "u"}))
	must[*iamapi.PutGroupPolicyOutput](t)(e.s.PutGroupPolicy(e.ctx, e.root, &iamapi.PutGroupPolicyInput{GroupName: "g", PolicyName: "gp", PolicyDocument: allowS3}))
	must[*iamapi.PutUserPermissionsBoundaryOutput](t)(e.s.PutUserPermissionsBoundary(e.ctx, e.root, &iamapi.PutUserPermissionsBoundaryInput{UserName: "u", PermissionsBoundary: "arn:aws:iam::aws:policy/PowerUserAccess"}))
	set, err := e.s.PrincipalPolicies(e.ctx, acct, store.EntityUser, u.UserId)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range set.Identity {
		got = append(got, p.Kind+":"+p.Name)
	}
	if strings.Join(got, " ") != "inline:inl managed:arn:aws:iam::aws:policy/ReadOnlyAccess inline:gp" {
		t.Errorf("identity %v", got)
	}
	if set.Boundary == nil || set.Boundary.Name != "arn:aws:iam::aws:policy/PowerUserAccess" || !strings.Contains(set.Boundary.Document, "NotAction") {
		t.Errorf("boundary %+v", set.Boundary)
	}
	if _, err := e.s.PrincipalPolicies(e.ctx, "999999999999", store.EntityUser, u.UserId); err == nil {
		t.Error("another account's user was returned")
	}
	r := e.role(t, "r")
	rs, err := e.s.PrincipalPolicies(e.ctx, acct, store.EntityRole, r.RoleId)
	if err != nil || len(rs.Identity) != 0 || rs.Boundary != nil {
		t.Errorf("role set %+v %v", rs, err)
	}
}
