package iam

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
)

func TestGetAccountAuthorizationDetails(t *testing.T) {
	e := newEnv(t)
	alice := e.user(t, "alice")
	e.user(t, "bob")
	e.role(t, "app")
	local := e.policy(t, "local-s3")
	must[*iamapi.CreateGroupOutput](t)(e.s.CreateGroup(e.ctx, e.root, &iamapi.CreateGroupInput{GroupName: "devs"}))
	must[*iamapi.AddUserToGroupOutput](t)(e.s.AddUserToGroup(e.ctx, e.root, &iamapi.AddUserToGroupInput{GroupName: "devs", UserName: "alice"}))
	must[*iamapi.PutGroupPolicyOutput](t)(e.s.PutGroupPolicy(e.ctx, e.root, &iamapi.PutGroupPolicyInput{GroupName: "devs", PolicyName: "g", PolicyDocument: simAllowGet}))
	must[*iamapi.PutUserPolicyOutput](t)(e.s.PutUserPolicy(e.ctx, e.root, &iamapi.PutUserPolicyInput{UserName: "alice", PolicyName: "inline one", PolicyDocument: simAllowGet}))
	must[*iamapi.AttachUserPolicyOutput](t)(e.s.AttachUserPolicy(e.ctx, e.root, &iamapi.AttachUserPolicyInput{UserName: "alice", PolicyArn: local.Arn}))
	must[*iamapi.AttachRolePolicyOutput](t)(e.s.AttachRolePolicy(e.ctx, e.root, &iamapi.AttachRolePolicyInput{RoleName: "app", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}))
	must[*iamapi.PutRolePolicyOutput](t)(e.s.PutRolePolicy(e.ctx, e.root, &iamapi.PutRolePolicyInput{RoleName: "app", PolicyName: "r", PolicyDocument: simDenyPut}))
	must[*iamapi.PutUserPermissionsBoundaryOutput](t)(e.s.PutUserPermissionsBoundary(e.ctx, e.root, &iamapi.PutUserPermissionsBoundaryInput{UserName: "alice", PermissionsBoundary: "arn:aws:iam::aws:policy/PowerUserAccess"}))
	must[*iamapi.CreateInstanceProfileOutput](t)(e.s.CreateInstanceProfile(e.ctx, e.root, &iamapi.CreateInstanceProfileInput{InstanceProfileName: "app-ip"}))
	must[*iamapi.AddRoleToInstanceProfileOutput](t)(e.s.AddRoleToInstanceProfile(e.ctx, e.root, &iamapi.AddRoleToInstanceProfileInput{InstanceProfileName: "app-ip", RoleName: "app"}))
	must[*iamapi.TagUserOutput](t)(e.s.TagUser(e.ctx, e.root, &iamapi.TagUserInput{UserName: "alice", Tags: []iamapi.Tag{{Key: "team", Value: "blue"}}}))

	all := must[*iamapi.GetAccountAuthorizationDetailsOutput](t)(e.s.GetAccountAuthorizationDetails(e.ctx, e.root, &iamapi.GetAccountAuthorizationDetailsInput{}))
	if c := e.authz.last(); c.action != "iam:GetAccountAuthorizationDetails" || c.resource != "*" {
		t.Errorf("authorized %+v", c)
	}
	if len(all.UserDetailList) != 2 || len(all.GroupDetailList) != 1 || len(all.RoleDetailList) != 1 || isTrue(all.IsTruncated) {
		t.Fatalf("counts %d %d %d truncated %v", len(all.UserDetailList), len(all.GroupDetailList), len(all.RoleDetailList), all.IsTruncated)
	}
	u := all.UserDetailList[0]
	if u.UserName != "alice" || u.Arn != alice.Arn || !reflect.DeepEqual(u.GroupList, []string{"devs"}) ||
		len(u.UserPolicyList) != 1 || u.UserPolicyList[0].PolicyName != "inline one" ||
		!reflect.DeepEqual(u.AttachedManagedPolicies, []iamapi.AttachedPolicy{{PolicyName: "local-s3", PolicyArn: local.Arn}}) ||
		u.PermissionsBoundary == nil || u.PermissionsBoundary.PermissionsBoundaryArn != "arn:aws:iam::aws:policy/PowerUserAccess" ||
		!reflect.DeepEqual([]iamapi.Tag(u.Tags), []iamapi.Tag{{Key: "team", Value: "blue"}}) {
		t.Errorf("alice %+v", u)
	}
	if doc, err := url.QueryUnescape(u.UserPolicyList[0].PolicyDocument); err != nil || doc != simAllowGet || strings.Contains(u.UserPolicyList[0].PolicyDocument, "{") {
		t.Errorf("inline document not percent-encoded: %s", u.UserPolicyList[0].PolicyDocument)
	}
	if b := all.UserDetailList[1]; b.UserName != "bob" || len(b.GroupList) != 0 || b.PermissionsBoundary != nil {
		t.Errorf("bob %+v", b)
	}
	g := all.GroupDetailList[0]
	if g.GroupName != "devs" || len(g.GroupPolicyList) != 1 || len(g.AttachedManagedPolicies) != 0 {
		t.Errorf("group %+v", g)
	}
	r := all.RoleDetailList[0]
	if r.RoleName != "app" || len(r.InstanceProfileList) != 1 || r.InstanceProfileList[0].InstanceProfileName != "app-ip" ||
		len(r.RolePolicyList) != 1 || r.AttachedManagedPolicies[0].PolicyName != "ReadOnlyAccess" || r.RoleLastUsed == nil {
		t.Errorf("role %+v", r)
	}
	if doc, _ := url.QueryUnescape(r.AssumeRolePolicyDocument); doc != trustDoc {
		t.Errorf("trust policy %s", r.AssumeRolePolicyDocument)
	}
	var names []string
	for _, p := range all.Policies {
		names = append(names, p.PolicyName)
	}
	// AWS managed policies in use (as boundary or attached) come first, then
	// every local policy.
	if want := []string{"PowerUserAccess", "ReadOnlyAccess", "local-s3"}; !reflect.DeepEqual(names, want) {
		t.Errorf("policies %v, want %v", names, want)
	}
	lp := all.Policies[2]
	if lp.Arn != local.Arn || *lp.AttachmentCount != 1 || !isTrue(lp.IsAttachable) || len(lp.PolicyVersionList) != 1 ||
		lp.PolicyVersionList[0].VersionId != "v1" || !isTrue(lp.PolicyVersionList[0].IsDefaultVersion) {
		t.Errorf("local policy %+v", lp)
	}
	if doc, _ := url.QueryUnescape(lp.PolicyVersionList[0].Document); doc != allowS3 {
		t.Errorf("version document %s", lp.PolicyVersionList[0].Document)
	}

	tests := []struct {
		name   string
		filter []string
		counts [4]int
		code   string
	}{
		{"users", []string{"User"}, [4]int{2, 0, 0, 0}, ""},
		{"roles and groups", []string{"Role", "Group"}, [4]int{0, 1, 1, 0}, ""},
		{"local policies", []string{"LocalManagedPolicy"}, [4]int{0, 0, 0, 1}, ""},
		{"aws policies", []string{"AWSManagedPolicy"}, [4]int{0, 0, 0, 2}, ""},
		{"bad filter", []string{"Users"}, [4]int{}, "ValidationError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.s.GetAccountAuthorizationDetails(e.ctx, e.root, &iamapi.GetAccountAuthorizationDetailsInput{Filter: tc.filter})
			wantErr(t, err, tc.code, "")
			if err != nil {
				return
			}
			got := [4]int{len(out.UserDetailList), len(out.GroupDetailList), len(out.RoleDetailList), len(out.Policies)}
			if got != tc.counts {
				t.Errorf("counts %v, want %v", got, tc.counts)
			}
		})
	}

	// Pages of two walk users, groups, roles and policies in order.
	var seen []string
	in := &iamapi.GetAccountAuthorizationDetailsInput{MaxItems: ptr(2)}
	for n := 0; n < 10; n++ {
		out := must[*iamapi.GetAccountAuthorizationDetailsOutput](t)(e.s.GetAccountAuthorizationDetails(e.ctx, e.root, in))
		for _, u := range out.UserDetailList {
			seen = append(seen, "u:"+u.UserName)
		}
		for _, g := range out.GroupDetailList {
			seen = append(seen, "g:"+g.GroupName)
		}
		for _, r := range out.RoleDetailList {
			seen = append(seen, "r:"+r.RoleName)
		}
		for _, p := range out.Policies {
			seen = append(seen, "p:"+p.PolicyName)
		}
		if !isTrue(out.IsTruncated) {
			break
		}
		in.Marker = out.Marker
	}
	if want := []string{"u:alice", "u:bob", "g:devs", "r:app", "p:PowerUserAccess", "p:ReadOnlyAccess", "p:local-s3"}; !reflect.DeepEqual(seen, want) {
		t.Errorf("pages %v", seen)
	}
}

func TestAuthorizationDetailsXML(t *testing.T) {
	out := iamapi.GetAccountAuthorizationDetailsOutput{
		UserDetailList: []iamapi.UserDetail{{UserName: "alice", UserPolicyList: []iamapi.PolicyDetail{{PolicyName: "p", PolicyDocument: "%7B%7D"}}, GroupList: []string{"devs"},
			AttachedManagedPolicies: []iamapi.AttachedPolicy{{PolicyName: "x", PolicyArn: "arn:aws:iam::aws:policy/x"}}}},
		RoleDetailList: []iamapi.RoleDetail{{RoleName: "app", InstanceProfileList: []iamapi.InstanceProfile{{InstanceProfileName: "ip"}}}},
		Policies:       []iamapi.ManagedPolicyDetail{{PolicyName: "x", PolicyVersionList: []iamapi.PolicyVersion{{Document: "%7B%7D", VersionId: "v1", IsDefaultVersion: ptr(true)}}}},
	}
	b := out.AppendXML(nil)
	for _, want := range []string{
		"<UserDetailList><member><UserName>alice</UserName>",
		"<UserPolicyList><member><PolicyName>p</PolicyName><PolicyDocument>%7B%7D</PolicyDocument></member></UserPolicyList>",
		"<GroupList><member>devs</member></GroupList>",
		"<AttachedManagedPolicies><member><PolicyName>x</PolicyName><PolicyArn>arn:aws:iam::aws:policy/x</PolicyArn></member></AttachedManagedPolicies>",
		"<RoleDetailList><member><RoleName>app</RoleName>",
		"<InstanceProfileList><member><InstanceProfileName>ip</InstanceProfileName>",
		"<Policies><member><PolicyName>x</PolicyName>",
		"<PolicyVersionList><member><Document>%7B%7D</Document><VersionId>v1</VersionId><IsDefaultVersion>true</IsDefaultVersion>",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("XML lacks %s\n%s", want, b)
		}
	}
}
