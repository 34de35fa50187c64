package iam

import (
	"regexp"
	"strings"
	"testing"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
)

func TestCreateUser(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice")
	if !regexp.MustCompile(`^AIDA[A-Z2-7]{17}$`).MatchString(u.UserId) {
		t.Errorf("UserId %q is not in AWS's format", u.UserId)
	}
	if u.Arn != "arn:aws:iam::123456789012:user/alice" || u.Path != "/" {
		t.Errorf("Arn %q Path %q", u.Arn, u.Path)
	}
	if u.CreateDate.Nanosecond() != 0 || u.CreateDate.Location().String() != "UTC" {
		t.Errorf("CreateDate %v is not whole UTC seconds", u.CreateDate)
	}
	tests := []struct {
		name string
		in   iamapi.CreateUserInput
		code string
		msg  string
	}{
		{"duplicate any case", iamapi.CreateUserInput{UserName: "ALICE"}, "EntityAlreadyExists", "User with name ALICE already exists."},
		{"bad path", iamapi.CreateUserInput{UserName: "bob", Path: "nope"}, "ValidationError",
			"The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."},
		{"with path and tags", iamapi.CreateUserInput{UserName: "bob", Path: "/eng/", Tags: []iamapi.Tag{{Key: "team", Value: "a"}}}, "", ""},
		{"duplicate tag keys", iamapi.CreateUserInput{UserName: "carol", Tags: []iamapi.Tag{{Key: "K", Value: "1"}, {Key: "k", Value: "2"}}}, "InvalidInput",
			"Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"missing boundary", iamapi.CreateUserInput{UserName: "dave", PermissionsBoundary: "arn:aws:iam::123456789012:policy/none"}, "NoSuchEntity",
			"Policy arn:aws:iam::123456789012:policy/none does not exist or is not attachable."},
		{"aws boundary", iamapi.CreateUserInput{UserName: "erin", PermissionsBoundary: "arn:aws:iam::aws:policy/ReadOnlyAccess"}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s.CreateUser(e.ctx, e.root, &tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	got := must[*iamapi.GetUserOutput](t)(e.s.GetUser(e.ctx, e.root, &iamapi.GetUserInput{UserName: "bob"}))
	if got.User.Arn != "arn:aws:iam::123456789012:user/eng/bob" || len(got.User.Tags) != 1 {
		t.Errorf("GetUser bob = %+v", got.User)
	}
	erin := must[*iamapi.GetUserOutput](t)(e.s.GetUser(e.ctx, e.root, &iamapi.GetUserInput{UserName: "erin"}))
	if erin.User.PermissionsBoundary == nil || erin.User.PermissionsBoundary.PermissionsBoundaryArn != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
		t.Errorf("erin boundary = %+v", erin.User.PermissionsBoundary)
	}
	pol := must[*iamapi.GetPolicyOutput](t)(e.s.GetPolicy(e.ctx, e.root, &iamapi.GetPolicyInput{PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}))
	if *pol.Policy.PermissionsBoundaryUsageCount != 1 {
		t.Errorf("boundary usage = %d, want 1", pol.Policy.PermissionsBoundaryUsageCount)
	}
}

func TestCreateUserAuthorization(t *testing.T) {
	e := newEnv(t)
	_, err := e.s.CreateUser(e.ctx, e.root, &iamapi.CreateUserInput{UserName: "a", Path: "/p/", Tags: []iamapi.Tag{{Key: "k", Value: "v"}},
		PermissionsBoundary: "arn:aws:iam::aws:policy/ReadOnlyAccess"})
	wantErr(t, err, "", "")
	c := e.authz.last()
	if c.action != "iam:CreateUser" || c.resource != "arn:aws:iam::123456789012:user/p/a" {
		t.Errorf("authorized %s on %s", c.action, c.resource)
	}
	keys := map[string]string{}
	for _, k := range c.keys {
		keys[k.Name] = strings.Join(k.Values, ",")
	}
	for k, v := range map[string]string{"aws:RequestTag/k": "v", "aws:TagKeys": "k", "iam:PermissionsBoundary": "arn:aws:iam::aws:policy/ReadOnlyAccess"} {
		if keys[k] != v {
			t.Errorf("key %s = %q, want %q (all: %v)", k, keys[k], v, keys)
		}
	}
}

// AWS checks permission before it reveals whether the target exists.
func TestAccessDeniedBeforeNoSuchEntity(t *testing.T) {
	e := newEnv(t)
	e.authz.deny = true
	calls := []struct {
		name string
		call func() error
	}{
		{"GetUser", func() error {
			_, err := e.s.GetUser(e.ctx, e.root, &iamapi.GetUserInput{UserName: "ghost"})
			return err
		}},
		{"DeleteUser", func() error {
			_, err := e.s.DeleteUser(e.ctx, e.root, &iamapi.DeleteUserInput{UserName: "ghost"})
			return err
		}},
		{"GetRole", func() error {
			_, err := e.s.GetRole(e.ctx, e.root, &iamapi.GetRoleInput{RoleName: "ghost"})
			return err
		}},
		{"GetGroup", func() error {
			_, err := e.s.GetGroup(e.ctx, e.root, &iamapi.GetGroupInput{GroupName: "ghost"})
			return err
		}},
		{"GetPolicy", func() error {
			_, err := e.s.GetPolicy(e.ctx, e.root, &iamapi.GetPolicyInput{PolicyArn: "arn:aws:iam::123456789012:policy/ghost"})
			return err
		}},
		{"AttachRolePolicy", func() error {
			_, err := e.s.AttachRolePolicy(e.ctx, e.root, &iamapi.AttachRolePolicyInput{RoleName: "ghost", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"})
			return err
		}},
		{"ListUsers", func() error { _, err := e.s.ListUsers(e.ctx, e.root, &iamapi.ListUsersInput{}); return err }},
		{"DeleteAccessKey", func() error {
			_, err := e.s.DeleteAccessKey(e.ctx, e.root, &iamapi.DeleteAccessKeyInput{UserName: "ghost", AccessKeyId: "AKIAAAAAAAAAAAAAAAAA"})
			return err
		}},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, tc.call(), "AccessDenied", "")
			if got := e.authz.last(); got.action != "iam:"+tc.name {
				t.Errorf("authorized %s", got.action)
			}
		})
	}
	if got := e.authz.last().resource; got != "arn:aws:iam::123456789012:user/ghost" {
		t.Errorf("missing user authorized as %s", got)
	}
}

func TestGetUserSelf(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice")
	me := &auth.Caller{Kind: auth.KindUser, AccountID: acct, Name: "alice", ID: u.UserId, ARN: u.Arn}
	got := must[*iamapi.GetUserOutput](t)(e.s.GetUser(e.ctx, me, &iamapi.GetUserInput{}))
	if got.User.UserName != "alice" {
		t.Errorf("self = %+v", got.User)
	}
	root := must[*iamapi.GetUserOutput](t)(e.s.GetUser(e.ctx, e.root, &iamapi.GetUserInput{}))
	if root.User.Arn != "arn:aws:iam::123456789012:root" || root.User.UserId != acct || root.User.UserName != "" {
		t.Errorf("root = %+v", root.User)
	}
	role := &auth.Caller{Kind: auth.KindAssumedRole, AccountID: acct}
	_, err := e.s.GetUser(e.ctx, role, &iamapi.GetUserInput{})
	wantErr(t, err, "ValidationError", "Must specify userName when calling with non-User credentials")
	_, err = e.s.GetUser(e.ctx, e.root, &iamapi.GetUserInput{UserName: "nobody"})
	wantErr(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")
}

func TestUpdateUser(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice")
	e.user(t, "bob")
	_, err := e.s.UpdateUser(e.ctx, e.root, &iamapi.UpdateUserInput{UserName: "alice", NewUserName: "Bob"})
	wantErr(t, err, "EntityAlreadyExists", "User with name Bob already exists.")
	_, err = e.s.UpdateUser(e.ctx, e.root, &iamapi.UpdateUserInput{UserName: "alice", NewUserName: "alicia", NewPath: "/x/"})
	wantErr(t, err, "", "")
	got := must[*iamapi.GetUserOutput](t)(e.s.GetUser(e.ctx, e.root, &iamapi.GetUserInput{UserName: "alicia"}))
	if got.User.Arn != "arn:aws:iam::123456789012:user/x/alicia" {
		t.Errorf("renamed user ARN %s", got.User.Arn)
	}
	_, err = e.s.UpdateUser(e.ctx, e.root, &iamapi.UpdateUserInput{UserName: "alice", NewUserName: "z"})
	wantErr(t, err, "NoSuchEntity", "The user with name alice cannot be found.")
}

func TestDeleteUserConflicts(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice")
	key := must[*iamapi.CreateAccessKeyOutput](t)(e.s.CreateAccessKey(e.ctx, e.root, &iamapi.CreateAccessKeyInput{UserName: "alice"}))
	must[*iamapi.CreateGroupOutput](t)(e.s.CreateGroup(e.ctx, e.root, &iamapi.CreateGroupInput{GroupName: "g"}))
	must[*iamapi.AddUserToGroupOutput](t)(e.s.AddUserToGroup(e.ctx, e.root, &iamapi.AddUserToGroupInput{GroupName: "g", UserName: "alice"}))
	must[*iamapi.PutUserPolicyOutput](t)(e.s.PutUserPolicy(e.ctx, e.root, &iamapi.PutUserPolicyInput{UserName: "alice", PolicyName: "p", PolicyDocument: allowS3}))
	must[*iamapi.AttachUserPolicyOutput](t)(e.s.AttachUserPolicy(e.ctx, e.root, &iamapi.AttachUserPolicyInput{UserName: "alice", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}))

	steps := []struct {
		msg    string
		remove func() error
	}{
		{"Cannot delete entity, must delete access keys first.", func() error {
			_, err := e.s.DeleteAccessKey(e.ctx, e.root, &iamapi.DeleteAccessKeyInput{UserName: "alice", AccessKeyId: key.AccessKey.AccessKeyId})
			return err
		}},
		{"Cannot delete entity, must remove users from group first.", func() error {
			_, err := e.s.RemoveUserFromGroup(e.ctx, e.root, &iamapi.RemoveUserFromGroupInput{GroupName: "g", UserName: "alice"})
			return err
		}},
		{"Cannot delete entity, must delete policies first.", func() error {
			_, err := e.s.DeleteUserPolicy(e.ctx, e.root, &iamapi.DeleteUserPolicyInput{UserName: "alice", PolicyName: "p"})
			return err
		}},
		{"Cannot delete entity, must detach all policies first.", func() error {
			_, err := e.s.DetachUserPolicy(e.ctx, e.root, &iamapi.DetachUserPolicyInput{UserName: "alice", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"})
			return err
		}},
	}
	for _, st := range steps {
		_, err := e.s.DeleteUser(e.ctx, e.root, &iamapi.DeleteUserInput{UserName: "alice"})
		wantErr(t, err, "DeleteConflict", st.msg)
		if err := st.remove(); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.s.DeleteUser(e.ctx, e.root, &iamapi.DeleteUserInput{UserName: "alice"})
	wantErr(t, err, "", "")
	_, err = e.s.DeleteUser(e.ctx, e.root, &iamapi.DeleteUserInput{UserName: "alice"})
	wantErr(t, err, "NoSuchEntity", "The user with name alice cannot be found.")
}

func TestListUsersPagination(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"dave", "Alice", "carol", "bob", "eve"} {
		e.user(t, n)
	}
	must[*iamapi.CreateUserOutput](t)(e.s.CreateUser(e.ctx, e.root, &iamapi.CreateUserInput{UserName: "frank", Path: "/ops/"}))
	var names []string
	marker := ""
	pages := 0
	for {
		out := must[*iamapi.ListUsersOutput](t)(e.s.ListUsers(e.ctx, e.root, &iamapi.ListUsersInput{Marker: marker, MaxItems: ptr(2)}))
		pages++
		for _, u := range out.Users {
			names = append(names, u.UserName)
			if u.Tags != nil || u.PermissionsBoundary != nil {
				t.Errorf("ListUsers returned tags/boundary for %s", u.UserName)
			}
		}
		if !isTrue(out.IsTruncated) {
			if out.Marker != "" {
				t.Error("marker on last page")
			}
			break
		}
		marker = out.Marker
	}
	if got := strings.Join(names, ","); got != "Alice,bob,carol,dave,eve,frank" || pages != 3 {
		t.Errorf("got %s in %d pages", got, pages)
	}
	ops := must[*iamapi.ListUsersOutput](t)(e.s.ListUsers(e.ctx, e.root, &iamapi.ListUsersInput{PathPrefix: "/ops"}))
	if len(ops.Users) != 1 || ops.Users[0].UserName != "frank" {
		t.Errorf("PathPrefix /ops: %+v", ops.Users)
	}
	_, err := e.s.ListUsers(e.ctx, e.root, &iamapi.ListUsersInput{Marker: "!!garbage"})
	wantErr(t, err, "ValidationError", "Invalid Marker.")
}

func TestUserTags(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice")
	tag := func(ts ...iamapi.Tag) error {
		_, err := e.s.TagUser(e.ctx, e.root, &iamapi.TagUserInput{UserName: "alice", Tags: ts})
		return err
	}
	wantErr(t, tag(iamapi.Tag{Key: "Team", Value: "a"}, iamapi.Tag{Key: "env", Value: "prod"}), "", "")
	wantErr(t, tag(iamapi.Tag{Key: "team", Value: "b"}), "", "") // same key in another case replaces
	wantErr(t, tag(iamapi.Tag{Key: "aws:x", Value: "b"}), "InvalidInput", "")
	wantErr(t, tag(iamapi.Tag{Key: "bad#key", Value: "b"}), "ValidationError", "")
	out := must[*iamapi.ListUserTagsOutput](t)(e.s.ListUserTags(e.ctx, e.root, &iamapi.ListUserTagsInput{UserName: "alice"}))
	if len(out.Tags) != 2 || out.Tags[0] != (iamapi.Tag{Key: "team", Value: "b"}) || out.Tags[1] != (iamapi.Tag{Key: "env", Value: "prod"}) {
		t.Errorf("tags = %+v", out.Tags)
	}
	many := make([]iamapi.Tag, 49)
	for i := range many {
		many[i] = iamapi.Tag{Key: "k" + padIndex(i), Value: "v"}
	}
	wantErr(t, tag(many...), "LimitExceeded", "The number of tags has reached the maximum limit.")
	wantErr(t, tag(many[:48]...), "", "")
	page := must[*iamapi.ListUserTagsOutput](t)(e.s.ListUserTags(e.ctx, e.root, &iamapi.ListUserTagsInput{UserName: "alice", MaxItems: ptr(30)}))
	if len(page.Tags) != 30 || !isTrue(page.IsTruncated) {
		t.Fatalf("first page: %d tags truncated=%v", len(page.Tags), page.IsTruncated)
	}
	rest := must[*iamapi.ListUserTagsOutput](t)(e.s.ListUserTags(e.ctx, e.root, &iamapi.ListUserTagsInput{UserName: "alice", Marker: page.Marker}))
	if len(rest.Tags) != 20 || isTrue(rest.IsTruncated) {
		t.Errorf("second page: %d tags truncated=%v", len(rest.Tags), rest.IsTruncated)
	}
	_, err := e.s.UntagUser(e.ctx, e.root, &iamapi.UntagUserInput{UserName: "alice", TagKeys: []string{"TEAM", "absent"}})
	wantErr(t, err, "", "")
	if c := e.authz.last(); c.action != "iam:UntagUser" || len(c.keys) == 0 || c.keys[0].Name != "aws:TagKeys" {
		t.Errorf("untag authorized with %+v", c)
	}
	out = must[*iamapi.ListUserTagsOutput](t)(e.s.ListUserTags(e.ctx, e.root, &iamapi.ListUserTagsInput{UserName: "alice"}))
	if len(out.Tags) != 49 {
		t.Errorf("after untag %d tags", len(out.Tags))
	}
	// Actions on a tagged user carry its tags as resource tags.
	must[*iamapi.GetUserOutput](t)(e.s.GetUser(e.ctx, e.root, &iamapi.GetUserInput{UserName: "alice"}))
	found := false
	for _, k := range e.authz.last().keys {
		if k.Name == "iam:ResourceTag/env" && k.Values[0] == "prod" {
			found = true
		}
	}
	if !found {
		t.Errorf("GetUser did not pass iam:ResourceTag/env: %+v", e.authz.last().keys)
	}
}

func TestUserPermissionsBoundary(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice")
	arn := e.policy(t, "boundary").Arn
	_, err := e.s.DeleteUserPermissionsBoundary(e.ctx, e.root, &iamapi.DeleteUserPermissionsBoundaryInput{UserName: "alice"})
	wantErr(t, err, "NoSuchEntity", "")
	_, err = e.s.PutUserPermissionsBoundary(e.ctx, e.root, &iamapi.PutUserPermissionsBoundaryInput{UserName: "alice", PermissionsBoundary: arn})
	wantErr(t, err, "", "")
	if c := e.authz.last(); c.keys[0].Name != "iam:PermissionsBoundary" {
		t.Errorf("keys %+v", c.keys)
	}
	_, err = e.s.DeletePolicy(e.ctx, e.root, &iamapi.DeletePolicyInput{PolicyArn: arn})
	wantErr(t, err, "DeleteConflict", "Cannot delete a policy attached to entities.")
	ents := must[*iamapi.ListEntitiesForPolicyOutput](t)(e.s.ListEntitiesForPolicy(e.ctx, e.root, &iamapi.ListEntitiesForPolicyInput{PolicyArn: arn, PolicyUsageFilter: "PermissionsBoundary"}))
	if len(ents.PolicyUsers) != 1 || ents.PolicyUsers[0].UserName != "alice" {
		t.Errorf("entities %+v", ents)
	}
	_, err = e.s.DeleteUserPermissionsBoundary(e.ctx, e.root, &iamapi.DeleteUserPermissionsBoundaryInput{UserName: "alice"})
	wantErr(t, err, "", "")
	_, err = e.s.DeletePolicy(e.ctx, e.root, &iamapi.DeletePolicyInput{PolicyArn: arn})
	wantErr(t, err, "", "")
}
