package iam

import (
	"fmt"
	"testing"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
)

// TestAccountQuotas raises nothing and lowers each account quota to 2: the
// third create gets IAM's LimitExceeded naming the quota ("Cannot exceed
// quota for RolesPerAccount: 1500" and "UsersPerAccount: 5000" as recorded
// from AWS by Terraform and OpenShift's issue trackers), GetAccountSummary
// reports the value in force, and "default" restores AWS's.
func TestAccountQuotas(t *testing.T) {
	e := newEnv(t)
	creates := map[string]func(name string) error{
		"UsersPerAccount": func(n string) error {
			_, err := e.s.CreateUser(e.ctx, e.root, &iamapi.CreateUserInput{UserName: n})
			return err
		},
		"GroupsPerAccount": func(n string) error {
			_, err := e.s.CreateGroup(e.ctx, e.root, &iamapi.CreateGroupInput{GroupName: n})
			return err
		},
		"RolesPerAccount": func(n string) error {
			_, err := e.s.CreateRole(e.ctx, e.root, &iamapi.CreateRoleInput{RoleName: n, AssumeRolePolicyDocument: trustDoc})
			return err
		},
		"PoliciesPerAccount": func(n string) error {
			_, err := e.s.CreatePolicy(e.ctx, e.root, &iamapi.CreatePolicyInput{PolicyName: n, PolicyDocument: allowS3})
			return err
		},
		"InstanceProfilesPerAccount": func(n string) error {
			_, err := e.s.CreateInstanceProfile(e.ctx, e.root, &iamapi.CreateInstanceProfileInput{InstanceProfileName: n})
			return err
		},
	}
	if len(creates) != len(Quotas) {
		t.Fatalf("%d quotas, %d tested", len(Quotas), len(creates))
	}
	summary := func() map[string]int {
		out, err := e.s.GetAccountSummary(e.ctx, e.root, &iamapi.GetAccountSummaryInput{})
		if err != nil {
			t.Fatal(err)
		}
		return out.SummaryMap
	}
	for _, q := range Quotas {
		t.Run(q.Name, func(t *testing.T) {
			if got := summary()[q.Summary]; got != q.Default {
				t.Errorf("%s before: %d, want AWS's default %d", q.Summary, got, q.Default)
			}
			if err := SetQuotas(e.ctx, e.s.store, map[string]int{q.Name: 2}); err != nil {
				t.Fatal(err)
			}
			if got := summary()[q.Summary]; got != 2 {
				t.Errorf("%s: %d, want 2", q.Summary, got)
			}
			create := creates[q.Name]
			for i := range 2 {
				wantErr(t, create(fmt.Sprintf("q%d", i)), "", "")
			}
			wantErr(t, create("q2"), "LimitExceeded", fmt.Sprintf("Cannot exceed quota for %s: 2", q.Name))
			if err := SetQuotas(e.ctx, e.s.store, map[string]int{q.Name: -1}); err != nil {
				t.Fatal(err)
			}
			wantErr(t, create("q2"), "", "")
			if got := summary()[q.Summary]; got != q.Default {
				t.Errorf("%s after default: %d, want %d", q.Summary, got, q.Default)
			}
		})
	}
}

func TestParseQuota(t *testing.T) {
	for _, tc := range []struct {
		in    string
		name  string
		value int
		err   bool
	}{
		{"RolesPerAccount=100000", "RolesPerAccount", 100000, false},
		{"rolesperaccount=5", "RolesPerAccount", 5, false},
		{"L-FE177D64=7", "RolesPerAccount", 7, false},
		{"UsersPerAccount=default", "UsersPerAccount", -1, false},
		{"UsersPerAccount=0", "UsersPerAccount", 0, false},
		{"UsersPerAccount", "", 0, true},
		{"UsersPerAccount=-1", "", 0, true},
		{"UsersPerAccount=1e6", "", 0, true},
		{"UsersPerAccount=99999999999", "", 0, true},
		{"BucketsPerAccount=5", "", 0, true},
		{"=5", "", 0, true},
	} {
		q, v, err := ParseQuota(tc.in)
		if (err != nil) != tc.err || (!tc.err && (q.Name != tc.name || v != tc.value)) {
			t.Errorf("ParseQuota(%q) = %s, %d, %v", tc.in, q.Name, v, err)
		}
	}
}
