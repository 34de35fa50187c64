package iam

import (
	"regexp"
	"strings"
	"testing"

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
		in   CreateUserInput
		code string
		msg  string
	}{
		{"duplicate any case", CreateUserInput{UserName: "ALICE"}, "EntityAlreadyExists", "User with name ALICE already exists."},
		{"bad path", CreateUserInput{UserName: "bob", Path: "nope"}, "ValidationError",
			"The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."},
		{"with path and tags", CreateUserInput{UserName: "bob", Path: "/eng/", Tags: []Tag{{"team", "a"}}}, "", ""},
		{"duplicate tag keys", CreateUserInput{UserName: "carol", Tags: []Tag{{"K", "1"}, {"k", "2"}}}, "InvalidInput",
			"Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"missing boundary", CreateUserInput{UserName: "dave", PermissionsBoundary: "arn:aws:iam::123456789012:policy/none"}, "NoSuchEntity",
			"Policy arn:aws:iam::123456789012:policy/none does not exist or is not attachable."},
		{"aws boundary", CreateUserInput{UserName: "erin", PermissionsBoundary: "arn:aws:iam::aws:policy/ReadOnlyAccess"}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s.CreateUser(e.ctx, e.root, &tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	got := must[*GetUserOutput](t)(e.s.GetUser(e.ctx, e.root, &GetUserInput{UserName: "bob"}))
	if got.User.Arn != "arn:aws:iam::123456789012:user/eng/bob" || len(got.User.Tags) != 1 {
		t.Errorf("GetUser bob = %+v", got.User)
	}
	erin := must[*GetUserOutput](t)(e.s.GetUser(e.ctx, e.root, &GetUserInput{UserName: "erin"}))
	if erin.User.PermissionsBoundary == nil || erin.User.PermissionsBoundary.PermissionsBoundaryArn != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
		t.Errorf("erin boundary = %+v", erin.User.PermissionsBoundary)
	}
	pol := must[*GetPolicyOutput](t)(e.s.GetPolicy(e.ctx, e.root, &GetPolicyInput{PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}))
	if pol.Policy.PermissionsBoundaryUsageCount != 1 {
		t.Errorf("boundary usage = %d, want 1", pol.Policy.PermissionsBoundaryUsageCount)
	}
}

func TestCreateUserAuthorization(t *testing.T) {
	e := newEnv(t)
	_, err := e.s.CreateUser(e.ctx, e.root, &CreateUserInput{UserName: "a", Path: "/p/", Tags: []Tag{{"k", "v"}},
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
		{"GetUser", func() error { _, err := e.s.GetUser(e.ctx, e.root, &GetUserInput{UserName: "ghost"}); return err }},
		{"DeleteUser", func() error { _, err := e.s.DeleteUser(e.ctx, e.root, &DeleteUserInput{UserName: "ghost"}); return err }},
		{"GetRole", func() error { _, err := e.s.GetRole(e.ctx, e.root, &GetRoleInput{RoleName: "ghost"}); return err }},
		{"GetGroup", func() error { _, err := e.s.GetGroup(e.ctx, e.root, &GetGroupInput{GroupName: "ghost"}); return err }},
		{"GetPolicy", func() error {
			_, err := e.s.GetPolicy(e.ctx, e.root, &GetPolicyInput{PolicyArn: "arn:aws:iam::123456789012:policy/ghost"})
			return err
		}},
		{"AttachRolePolicy", func() error {
			_, err := e.s.AttachRolePolicy(e.ctx, e.root, &AttachRolePolicyInput{RoleName: "ghost", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"})
			return err
		}},
		{"ListUsers", func() error { _, err := e.s.ListUsers(e.ctx, e.root, &ListUsersInput{}); return err }},
		{"DeleteAccessKey", func() error {
			_, err := e.s.DeleteAccessKey(e.ctx, e.root, &DeleteAccessKeyInput{UserName: "ghost", AccessKeyId: "AKIAAAAAAAAAAAAAAAAA"})
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
	got := must[*GetUserOutput](t)(e.s.GetUser(e.ctx, me, &GetUserInput{}))
	if got.User.UserName != "alice" {
		t.Errorf("self = %+v", got.User)
	}
	root := must[*GetUserOutput](t)(e.s.GetUser(e.ctx, e.root, &GetUserInput{}))
	if root.User.Arn != "arn:aws:iam::123456789012:root" || root.User.UserId != acct || root.User.UserName != "" {
		t.Errorf("root = %+v", root.User)
	}
	role := &auth.Caller{Kind: auth.KindAssumedRole, AccountID: acct}
	_, err := e.s.GetUser(e.ctx, role, &GetUserInput{})
	wantErr(t, err, "ValidationError", "Must specify userName when calling with non-User credentials")
	_, err = e.s.GetUser(e.ctx, e.root, &GetUserInput{UserName: "nobody"})
	wantErr(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")
}

func TestUpdateUser(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice")
	e.user(t, "bob")
	_, err := e.s.UpdateUser(e.ctx, e.root, &UpdateUserInput{UserName: "alice", NewUserName: "Bob"})
	wantErr(t, err, "EntityAlreadyExists", "User with name Bob already exists.")
	_, err = e.s.UpdateUser(e.ctx, e.root, &UpdateUserInput{UserName: "alice", NewUserName: "alicia", NewPath: "/x/"})
	wantErr(t, err, "", "")
	got := must[*GetUserOutput](t)(e.s.GetUser(e.ctx, e.root, &GetUserInput{UserName: "alicia"}))
	if got.User.Arn != "arn:aws:iam::123456789012:user/x/alicia" {
		t.Errorf("renamed user ARN %s", got.User.Arn)
	}
	_, err = e.s.UpdateUser(e.ctx, e.root, &UpdateUserInput{UserName: "alice", NewUserName: "z"})
	wantErr(t, err, "NoSuchEntity", "The user with name alice cannot be found.")
}

func TestDeleteUserConflicts(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice")
	key := must[*CreateAccessKeyOutput](t)(e.s.CreateAccessKey(e.ctx, e.root, &CreateAccessKeyInput{UserName: "alice"}))
	must[*CreateGroupOutput](t)(e.s.CreateGroup(e.ctx, e.root, &CreateGroupInput{GroupName: "g"}))
	must[*AddUserToGroupOutput](t)(e.s.AddUserToGroup(e.ctx, e.root, &AddUserToGroupInput{GroupName: "g", UserName: "alice"}))
	must[*PutUserPolicyOutput](t)(e.s.PutUserPolicy(e.ctx, e.root, &PutUserPolicyInput{UserName: "alice", PolicyName: "p", PolicyDocument: allowS3}))
	must[*AttachUserPolicyOutput](t)(e.s.AttachUserPolicy(e.ctx, e.root, &AttachUserPolicyInput{UserName: "alice", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}))

	steps := []struct {
		msg    string
		remove func() error
	}{
		{"Cannot delete entity, must delete access keys first.", func() error {
			_, err := e.s.DeleteAccessKey(e.ctx, e.root, &DeleteAccessKeyInput{UserName: "alice", AccessKeyId: key.AccessKey.AccessKeyId})
			return err
		}},
		{"Cannot delete entity, must remove users from group first.", func() error {
			_, err := e.s.RemoveUserFromGroup(e.ctx, e.root, &RemoveUserFromGroupInput{GroupName: "g", UserName: "alice"})
			return err
		}},
		{"Cannot delete entity, must delete policies first.", func() error {
			_, err := e.s.DeleteUserPolicy(e.ctx, e.root, &DeleteUserPolicyInput{UserName: "alice", PolicyName: "p"})
			return err
		}},
		{"Cannot delete entity, must detach all policies first.", func() error {
			_, err := e.s.DetachUserPolicy(e.ctx, e.root, &DetachUserPolicyInput{UserName: "alice", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"})
			return err
		}},
	}
	for _, st := range steps {
		_, err := e.s.DeleteUser(e.ctx, e.root, &DeleteUserInput{UserName: "alice"})
		wantErr(t, err, "DeleteConflict", st.msg)
		if err := st.remove(); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.s.DeleteUser(e.ctx, e.root, &DeleteUserInput{UserName: "alice"})
	wantErr(t, err, "", "")
	_, err = e.s.DeleteUser(e.ctx, e.root, &DeleteUserInput{UserName: "alice"})
	wantErr(t, err, "NoSuchEntity", "The user with name alice cannot be found.")
}

func TestListUsersPagination(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"dave", "Alice", "carol", "bob", "eve"} {
		e.user(t, n)
	}
	must[*CreateUserOutput](t)(e.s.CreateUser(e.ctx, e.root, &CreateUserInput{UserName: "frank", Path: "/ops/"}))
	var names []string
	marker := ""
	pages := 0
	for {
		out := must[*ListUsersOutput](t)(e.s.ListUsers(e.ctx, e.root, &ListUsersInput{Marker: marker, MaxItems: ptr(2)}))
		pages++
		for _, u := range out.Users {
			names = append(names, u.UserName)
			if u.Tags != nil || u.PermissionsBoundary != nil {
				t.Errorf("ListUsers returned tags/boundary for %s", u.UserName)
			}
		}
		if !out.IsTruncated {
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
	ops := must[*ListUsersOutput](t)(e.s.ListUsers(e.ctx, e.root, &ListUsersInput{PathPrefix: "/ops"}))
	if len(ops.Users) != 1 || ops.Users[0].UserName != "frank" {
		t.Errorf("PathPrefix /ops: %+v", ops.Users)
	}
	_, err := e.s.ListUsers(e.ctx, e.root, &ListUsersInput{Marker: "!!garbage"})
	wantErr(t, err, "ValidationError", "Invalid Marker.")
}

func TestUserTags(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice")
	tag := func(ts ...Tag) error {
		_, err := e.s.TagUser(e.ctx, e.root, &TagUserInput{UserName: "alice", Tags: ts})
		return err
	}
	wantErr(t, tag(Tag{"Team", "a"}, Tag{"env", "prod"}), "", "")
	wantErr(t, tag(Tag{"team", "b"}), "", "") // same key in another case replaces
	wantErr(t, tag(Tag{"aws:x", "b"}), "InvalidInput", "")
	wantErr(t, tag(Tag{"bad#key", "b"}), "ValidationError", "")
	out := must[*ListTagsOutput](t)(e.s.ListUserTags(e.ctx, e.root, &ListUserTagsInput{UserName: "alice"}))
	if len(out.Tags) != 2 || out.Tags[0] != (Tag{"team", "b"}) || out.Tags[1] != (Tag{"env", "prod"}) {
		t.Errorf("tags = %+v", out.Tags)
	}
	many := make([]Tag, 49)
	for i := range many {
		many[i] = Tag{Key: "k" + padIndex(i), Value: "v"}
	}
	wantErr(t, tag(many...), "LimitExceeded", "The number of tags has reached the maximum limit.")
	wantErr(t, tag(many[:48]...), "", "")
	page := must[*ListTagsOutput](t)(e.s.ListUserTags(e.ctx, e.root, &ListUserTagsInput{UserName: "alice", MaxItems: ptr(30)}))
	if len(page.Tags) != 30 || !page.IsTruncated {
		t.Fatalf("first page: %d tags truncated=%v", len(page.Tags), page.IsTruncated)
	}
	rest := must[*ListTagsOutput](t)(e.s.ListUserTags(e.ctx, e.root, &ListUserTagsInput{UserName: "alice", Marker: page.Marker}))
	if len(rest.Tags) != 20 || rest.IsTruncated {
		t.Errorf("second page: %d tags truncated=%v", len(rest.Tags), rest.IsTruncated)
	}
	_, err := e.s.UntagUser(e.ctx, e.root, &UntagUserInput{UserName: "alice", TagKeys: []string{"TEAM", "absent"}})
	wantErr(t, err, "", "")
	if c := e.authz.last(); c.action != "iam:UntagUser" || len(c.keys) == 0 || c.keys[0].Name != "aws:TagKeys" {
		t.Errorf("untag authorized with %+v", c)
	}
	out = must[*ListTagsOutput](t)(e.s.ListUserTags(e.ctx, e.root, &ListUserTagsInput{UserName: "alice"}))
	if len(out.Tags) != 49 {
		t.Errorf("after untag %d tags", len(out.Tags))
	}
	// Actions on a tagged user carry its tags as resource tags.
	must[*GetUserOutput](t)(e.s.GetUser(e.ctx, e.root, &GetUserInput{UserName: "alice"}))
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
	_, err := e.s.DeleteUserPermissionsBoundary(e.ctx, e.root, &DeleteUserPermissionsBoundaryInput{UserName: "alice"})
	wantErr(t, err, "NoSuchEntity", "")
	_, err = e.s.PutUserPermissionsBoundary(e.ctx, e.root, &PutUserPermissionsBoundaryInput{UserName: "alice", PermissionsBoundary: arn})
	wantErr(t, err, "", "")
	if c := e.authz.last(); c.keys[0].Name != "iam:PermissionsBoundary" {
		t.Errorf("keys %+v", c.keys)
	}
	_, err = e.s.DeletePolicy(e.ctx, e.root, &DeletePolicyInput{PolicyArn: arn})
	wantErr(t, err, "DeleteConflict", "Cannot delete a policy attached to entities.")
	ents := must[*ListEntitiesForPolicyOutput](t)(e.s.ListEntitiesForPolicy(e.ctx, e.root, &ListEntitiesForPolicyInput{PolicyArn: arn, PolicyUsageFilter: "PermissionsBoundary"}))
	if len(ents.PolicyUsers) != 1 || ents.PolicyUsers[0].UserName != "alice" {
		t.Errorf("entities %+v", ents)
	}
	_, err = e.s.DeleteUserPermissionsBoundary(e.ctx, e.root, &DeleteUserPermissionsBoundaryInput{UserName: "alice"})
	wantErr(t, err, "", "")
	_, err = e.s.DeletePolicy(e.ctx, e.root, &DeletePolicyInput{PolicyArn: arn})
	wantErr(t, err, "", "")
}
