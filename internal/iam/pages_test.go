package iam

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
)

// pagedList is one paginated IAM listing under test: what it lists is
// named "s<N>" (stable: exists throughout) or "a<N>" and "z<N>" (volatile:
// created and deleted while the walk goes on).
type pagedList struct {
	name   string
	setup  func(t *testing.T, e *env)
	create func(t *testing.T, e *env, name string)
	delete func(t *testing.T, e *env, name string)
	page   func(t *testing.T, e *env, marker string) (names []string, next string)
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// stripPrefix keeps the test's own part of a generated name.
func stripPrefix(names []string, prefix string) []string {
	var out []string
	for _, n := range names {
		if rest, ok := strings.CutPrefix(n, prefix); ok {
			out = append(out, rest)
		}
	}
	return out
}

const pageTrust = trustDoc

func pagedLists() []pagedList {
	three := ptr(3)
	return []pagedList{
		{name: "ListUsers",
			create: func(t *testing.T, e *env, n string) { e.user(t, n) },
			delete: func(t *testing.T, e *env, n string) {
				_, err := e.s.DeleteUser(e.ctx, e.root, &iamapi.DeleteUserInput{UserName: n})
				noErr(t, err)
			},
			page: func(t *testing.T, e *env, m string) ([]string, string) {
				out, err := e.s.ListUsers(e.ctx, e.root, &iamapi.ListUsersInput{Marker: m, MaxItems: three})
				noErr(t, err)
				var ns []string
				for _, u := range out.Users {
					ns = append(ns, u.UserName)
				}
				return ns, out.Marker
			}},
		{name: "ListRoles",
			create: func(t *testing.T, e *env, n string) { e.role(t, n) },
			delete: func(t *testing.T, e *env, n string) {
				_, err := e.s.DeleteRole(e.ctx, e.root, &iamapi.DeleteRoleInput{RoleName: n})
				noErr(t, err)
			},
			page: func(t *testing.T, e *env, m string) ([]string, string) {
				out, err := e.s.ListRoles(e.ctx, e.root, &iamapi.ListRolesInput{Marker: m, MaxItems: three})
				noErr(t, err)
				var ns []string
				for _, r := range out.Roles {
					ns = append(ns, r.RoleName)
				}
				return ns, out.Marker
			}},
		{name: "ListGroups",
			create: func(t *testing.T, e *env, n string) {
				_, err := e.s.CreateGroup(e.ctx, e.root, &iamapi.CreateGroupInput{GroupName: n})
				noErr(t, err)
			},
			delete: func(t *testing.T, e *env, n string) {
				_, err := e.s.DeleteGroup(e.ctx, e.root, &iamapi.DeleteGroupInput{GroupName: n})
				noErr(t, err)
			},
			page: func(t *testing.T, e *env, m string) ([]string, string) {
				out, err := e.s.ListGroups(e.ctx, e.root, &iamapi.ListGroupsInput{Marker: m, MaxItems: three})
				noErr(t, err)
				var ns []string
				for _, g := range out.Groups {
					ns = append(ns, g.GroupName)
				}
				return ns, out.Marker
			}},
		{name: "ListPolicies/Local",
			create: func(t *testing.T, e *env, n string) { e.policy(t, n) },
			delete: func(t *testing.T, e *env, n string) {
				_, err := e.s.DeletePolicy(e.ctx, e.root, &iamapi.DeletePolicyInput{PolicyArn: "arn:aws:iam::" + acct + ":policy/" + n})
				noErr(t, err)
			},
			page: func(t *testing.T, e *env, m string) ([]string, string) {
				out, err := e.s.ListPolicies(e.ctx, e.root, &iamapi.ListPoliciesInput{Scope: "Local", Marker: m, MaxItems: three})
				noErr(t, err)
				var ns []string
				for _, p := range out.Policies {
					ns = append(ns, p.PolicyName)
				}
				return ns, out.Marker
			}},
		{name: "ListInstanceProfiles",
			create: func(t *testing.T, e *env, n string) {
				_, err := e.s.CreateInstanceProfile(e.ctx, e.root, &iamapi.CreateInstanceProfileInput{InstanceProfileName: n})
				noErr(t, err)
			},
			delete: func(t *testing.T, e *env, n string) {
				_, err := e.s.DeleteInstanceProfile(e.ctx, e.root, &iamapi.DeleteInstanceProfileInput{InstanceProfileName: n})
				noErr(t, err)
			},
			page: func(t *testing.T, e *env, m string) ([]string, string) {
				out, err := e.s.ListInstanceProfiles(e.ctx, e.root, &iamapi.ListInstanceProfilesInput{Marker: m, MaxItems: three})
				noErr(t, err)
				var ns []string
				for _, p := range out.InstanceProfiles {
					ns = append(ns, p.InstanceProfileName)
				}
				return ns, out.Marker
			}},
		{name: "GetGroup",
			setup: func(t *testing.T, e *env) {
				_, err := e.s.CreateGroup(e.ctx, e.root, &iamapi.CreateGroupInput{GroupName: "members"})
				noErr(t, err)
			},
			create: func(t *testing.T, e *env, n string) {
				e.user(t, n)
				_, err := e.s.AddUserToGroup(e.ctx, e.root, &iamapi.AddUserToGroupInput{GroupName: "members", UserName: n})
				noErr(t, err)
			},
			delete: func(t *testing.T, e *env, n string) {
				_, err := e.s.RemoveUserFromGroup(e.ctx, e.root, &iamapi.RemoveUserFromGroupInput{GroupName: "members", UserName: n})
				noErr(t, err)
			},
			page: func(t *testing.T, e *env, m string) ([]string, string) {
				out, err := e.s.GetGroup(e.ctx, e.root, &iamapi.GetGroupInput{GroupName: "members", Marker: m, MaxItems: three})
				noErr(t, err)
				var ns []string
				for _, u := range out.Users {
					ns = append(ns, u.UserName)
				}
				return ns, out.Marker
			}},
		{name: "ListEntitiesForPolicy",
			setup: func(t *testing.T, e *env) { e.policy(t, "used") },
			create: func(t *testing.T, e *env, n string) {
				arn := "arn:aws:iam::" + acct + ":policy/used"
				// Roles are attached, users have the policy as boundary, so
				// the walk crosses from one use to the other.
				if strings.HasSuffix(n, "0") || strings.HasSuffix(n, "5") {
					_, err := e.s.CreateUser(e.ctx, e.root, &iamapi.CreateUserInput{UserName: n, PermissionsBoundary: arn})
					noErr(t, err)
					return
				}
				e.role(t, n)
				_, err := e.s.AttachRolePolicy(e.ctx, e.root, &iamapi.AttachRolePolicyInput{RoleName: n, PolicyArn: arn})
				noErr(t, err)
			},
			delete: func(t *testing.T, e *env, n string) {
				arn := "arn:aws:iam::" + acct + ":policy/used"
				if strings.HasSuffix(n, "0") || strings.HasSuffix(n, "5") {
					_, err := e.s.DeleteUserPermissionsBoundary(e.ctx, e.root, &iamapi.DeleteUserPermissionsBoundaryInput{UserName: n})
					noErr(t, err)
					return
				}
				_, err := e.s.DetachRolePolicy(e.ctx, e.root, &iamapi.DetachRolePolicyInput{RoleName: n, PolicyArn: arn})
				noErr(t, err)
			},
			page: func(t *testing.T, e *env, m string) ([]string, string) {
				out, err := e.s.ListEntitiesForPolicy(e.ctx, e.root, &iamapi.ListEntitiesForPolicyInput{
					PolicyArn: "arn:aws:iam::" + acct + ":policy/used", Marker: m, MaxItems: three})
				noErr(t, err)
				var ns []string
				for _, r := range out.PolicyRoles {
					ns = append(ns, r.RoleName)
				}
				for _, u := range out.PolicyUsers {
					ns = append(ns, u.UserName)
				}
				return ns, out.Marker
			}},
		{name: "GetAccountAuthorizationDetails",
			create: func(t *testing.T, e *env, n string) {
				if strings.HasSuffix(n, "1") || strings.HasSuffix(n, "6") {
					e.user(t, n)
					return
				}
				e.role(t, n)
			},
			delete: func(t *testing.T, e *env, n string) {
				var err error
				if strings.HasSuffix(n, "1") || strings.HasSuffix(n, "6") {
					_, err = e.s.DeleteUser(e.ctx, e.root, &iamapi.DeleteUserInput{UserName: n})
				} else {
					_, err = e.s.DeleteRole(e.ctx, e.root, &iamapi.DeleteRoleInput{RoleName: n})
				}
				noErr(t, err)
			},
			page: func(t *testing.T, e *env, m string) ([]string, string) {
				out, err := e.s.GetAccountAuthorizationDetails(e.ctx, e.root, &iamapi.GetAccountAuthorizationDetailsInput{
					Filter: []string{"User", "Role"}, Marker: m, MaxItems: three})
				noErr(t, err)
				var ns []string
				for _, u := range out.UserDetailList {
					ns = append(ns, u.UserName)
				}
				for _, r := range out.RoleDetailList {
					ns = append(ns, r.RoleName)
				}
				return ns, out.Marker
			}},
	}
}

// TestPagesStableWhileTheListChanges walks every paginated listing three
// items a page while, between pages, entities are created and deleted on
// both sides of the cursor: every entity that exists throughout is served
// exactly once, and nothing is served twice (issue 19's marker contract).
func TestPagesStableWhileTheListChanges(t *testing.T) {
	for _, l := range pagedLists() {
		t.Run(l.name, func(t *testing.T) {
			e := newEnv(t)
			if l.setup != nil {
				l.setup(t, e)
			}
			const stable = 20
			for i := range stable {
				l.create(t, e, fmt.Sprintf("s%02d", i))
			}
			// Volatile entities sort before the stable ones ("a…") and after
			// them ("z…"), so the walk sees entities come and go on both
			// sides of its cursor: an offset would skip or repeat.
			volatile := 0
			var live []string
			seen := map[string]int{}
			marker := ""
			for pages := 0; ; pages++ {
				if pages > 50 {
					t.Fatal("the walk does not end")
				}
				names, next := l.page(t, e, marker)
				for _, n := range names {
					seen[n]++
				}
				if next == "" {
					break
				}
				marker = next
				// Change the list between pages: two new entities, and
				// the oldest volatile one goes.
				for range 2 {
					n := fmt.Sprintf("%c%02d", "az"[volatile%2], volatile)
					volatile++
					l.create(t, e, n)
					live = append(live, n)
				}
				if len(live) > 2 {
					l.delete(t, e, live[0])
					live = live[1:]
				}
			}
			for i := range stable {
				if n := seen[fmt.Sprintf("s%02d", i)]; n != 1 {
					t.Errorf("s%02d served %d times", i, n)
				}
			}
			for n, k := range seen {
				if k > 1 {
					t.Errorf("%s served %d times", n, k)
				}
			}
			if volatile == 0 {
				t.Fatal("the list never changed during the walk")
			}
			keys := make([]string, 0, len(seen))
			for n := range seen {
				keys = append(keys, n)
			}
			slices.Sort(keys)
			t.Logf("served %v", keys)
		})
	}
}
