package iam

import (
	"testing"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	"github.com/mantle-iam/mantle/internal/auth"
)

// TestRenameNeedsPermissionOnTarget: UpdateUser and UpdateGroup that change
// a name or path need the permission on the source and on the target ARN,
// as IAM documents ("to change Bob to Robert, the entity making the request
// must have permission on Bob and Robert"). A user allowed to update only
// themselves cannot move into a path that other policies trust.
func TestRenameNeedsPermissionOnTarget(t *testing.T) {
	const self = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:UpdateUser","iam:UpdateGroup"],"Resource":["arn:aws:iam::` + acct + `:user/${aws:username}","arn:aws:iam::` + acct + `:group/devs"]}]}`
	const anyPath = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:UpdateUser","iam:UpdateGroup"],"Resource":["arn:aws:iam::` + acct + `:user/*","arn:aws:iam::` + acct + `:group/*"]}]}`
	denied := func(action, resource string) string {
		return "User: arn:aws:iam::" + acct + ":user/mallory is not authorized to perform: " + action + " on resource: " + resource +
			" because no identity-based policy allows the " + action + " action"
	}
	tests := []struct {
		name      string
		policy    string
		do        func(e *env, c *auth.Caller) error
		code, msg string
	}{
		{"move self into another path", self, func(e *env, c *auth.Caller) error {
			_, err := e.s.UpdateUser(e.ctx, c, &iamapi.UpdateUserInput{UserName: "mallory", NewPath: "/admins/"})
			return err
		}, "AccessDenied", denied("iam:UpdateUser", "arn:aws:iam::"+acct+":user/admins/mallory")},
		{"rename self", self, func(e *env, c *auth.Caller) error {
			_, err := e.s.UpdateUser(e.ctx, c, &iamapi.UpdateUserInput{UserName: "mallory", NewUserName: "admin"})
			return err
		}, "AccessDenied", denied("iam:UpdateUser", "arn:aws:iam::"+acct+":user/admin")},
		{"same name and path", self, func(e *env, c *auth.Caller) error {
			_, err := e.s.UpdateUser(e.ctx, c, &iamapi.UpdateUserInput{UserName: "mallory", NewPath: "/"})
			return err
		}, "", ""},
		{"rename group", self, func(e *env, c *auth.Caller) error {
			_, err := e.s.UpdateGroup(e.ctx, c, &iamapi.UpdateGroupInput{GroupName: "devs", NewGroupName: "admins"})
			return err
		}, "AccessDenied", denied("iam:UpdateGroup", "arn:aws:iam::"+acct+":group/admins")},
		{"move self, allowed on both", anyPath, func(e *env, c *auth.Caller) error {
			_, err := e.s.UpdateUser(e.ctx, c, &iamapi.UpdateUserInput{UserName: "mallory", NewPath: "/admins/"})
			return err
		}, "", ""},
		{"rename group, allowed on both", anyPath, func(e *env, c *auth.Caller) error {
			_, err := e.s.UpdateGroup(e.ctx, c, &iamapi.UpdateGroupInput{GroupName: "devs", NewGroupName: "admins", NewPath: "/x/"})
			return err
		}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvPolicies(t)
			u := e.user(t, "mallory")
			must[*iamapi.CreateGroupOutput](t)(e.s.CreateGroup(e.ctx, e.root, &iamapi.CreateGroupInput{GroupName: "devs"}))
			must[*iamapi.PutUserPolicyOutput](t)(e.s.PutUserPolicy(e.ctx, e.root, &iamapi.PutUserPolicyInput{UserName: "mallory", PolicyName: "p", PolicyDocument: tc.policy}))
			mallory := &auth.Caller{Kind: auth.KindUser, AccountID: acct, Name: "mallory", ID: u.UserId, ARN: u.Arn, UserID: u.UserId, Path: "/"}
			wantErr(t, tc.do(e, mallory), tc.code, tc.msg)
		})
	}
}
