package authz

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/policy"
)

const (
	member     = "222233334444"
	management = "999988887777"
	fullAccess = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	rcpFull    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
)

type fakeOrgs struct {
	controls map[string]*OrgControls
	reads    atomic.Int64
}

func (f *fakeOrgs) AccountControls(_ context.Context, account string) (*OrgControls, error) {
	f.reads.Add(1)
	if c, ok := f.controls[account]; ok {
		return c, nil
	}
	return &OrgControls{}, nil
}

func docs(ds ...string) []Doc {
	out := make([]Doc, len(ds))
	for i, d := range ds {
		out[i] = Doc{ID: "p-" + string(rune('a'+i)), Document: d}
	}
	return out
}

// threeLevels is root → OU → account, FullAWSAccess everywhere and a deny
// of iam:CreateUser on the OU.
func threeLevels(ouExtra ...string) [][]Doc {
	return [][]Doc{docs(fullAccess), docs(append([]string{fullAccess}, ouExtra...)...), docs(fullAccess)}
}

func orgSetup() (*Authorizer, *fakeOrgs) {
	src := &fakeSource{principals: map[string]*Principal{
		"AIDAADMIN":  {Name: "admin", Path: "/", Identity: []Doc{{ID: "admin", Document: fullAccess}}},
		"AROALINKED": {Name: "AWSServiceRoleForX", Path: "/aws-service-role/x.amazonaws.com/", Identity: []Doc{{ID: "admin", Document: fullAccess}}},
	}}
	orgs := &fakeOrgs{controls: map[string]*OrgControls{
		member: {OrganizationID: "o-abcdefghij", Path: "o-abcdefghij/r-ab12/ou-ab12-11111111/",
			SCPs: threeLevels(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}`),
			RCPs: [][]Doc{docs(rcpFull, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*",
				"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-abcdefghij"}}}]}`), docs(rcpFull), docs(rcpFull)}},
		management: {OrganizationID: "o-abcdefghij", Path: "o-abcdefghij/r-ab12/"},
	}}
	a := New(nil)
	a.Policies, a.Orgs = src, orgs
	return a, orgs
}

func memberUser(account string) *auth.Caller {
	return &auth.Caller{Kind: auth.KindUser, AccountID: account, ID: "AIDAADMIN", UserID: "AIDAADMIN", Name: "admin", Path: "/",
		ARN: "arn:aws:iam::" + account + ":user/admin", RequestTime: time.Now()}
}

// "SCP effects on permissions": SCPs cap every principal of a member
// account, its root user included, but not service-linked roles and not
// the management account.
func TestSCPs(t *testing.T) {
	a, _ := orgSetup()
	root := &auth.Caller{Kind: auth.KindRoot, AccountID: member, ID: member, UserID: member, ARN: "arn:aws:iam::" + member + ":root"}
	linked := &auth.Caller{Kind: auth.KindAssumedRole, AccountID: member, ID: "AROALINKED", Name: "AWSServiceRoleForX",
		Path: "/aws-service-role/x.amazonaws.com/", UserID: "AROALINKED:s", Temporary: true,
		ARN: "arn:aws:sts::" + member + ":assumed-role/AWSServiceRoleForX/s"}
	mgmtRoot := &auth.Caller{Kind: auth.KindRoot, AccountID: management, ID: management, UserID: management, ARN: "arn:aws:iam::" + management + ":root"}
	for _, tt := range []struct {
		name   string
		c      *auth.Caller
		action string
		want   string
	}{
		{"member user denied", memberUser(member), "iam:CreateUser", "with an explicit deny in a service control policy"},
		{"member user, other action", memberUser(member), "iam:DeleteUser", ""},
		{"member root denied", root, "iam:CreateUser", "with an explicit deny in a service control policy"},
		{"member root, other action", root, "iam:DeleteUser", ""},
		{"service-linked role exempt", linked, "iam:CreateUser", ""},
		{"management account exempt", memberUser(management), "iam:CreateUser", ""},
		{"management root exempt", mgmtRoot, "iam:CreateUser", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := "arn:aws:iam::" + tt.c.AccountID + ":user/x"
			err := a.Authorize(context.Background(), tt.c, tt.action, res)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if e := awserr.As(err); e == nil || e.Message != "User: "+tt.c.ARN+" is not authorized to perform: "+tt.action+" on resource: "+res+" "+tt.want {
				t.Fatalf("got %v", err)
			}
		})
	}
}

// A level that allows nothing denies implicitly, in AWS's words.
func TestSCPLevelWithoutAllow(t *testing.T) {
	a, orgs := orgSetup()
	orgs.controls[member].SCPs = [][]Doc{docs(fullAccess), docs(allow("iam:Get*", "*")), docs(fullAccess)}
	err := a.Authorize(context.Background(), memberUser(member), "iam:CreateUser", "*")
	if e := awserr.As(err); e == nil || !strings.HasSuffix(e.Message, "because no service control policy allows the iam:CreateUser action") {
		t.Fatalf("got %v", err)
	}
	if err := a.Authorize(context.Background(), memberUser(member), "iam:GetUser", "*"); err != nil {
		t.Fatal(err)
	}
}

// RCPs cap what is done to a member account's roles, whoever asks, and the
// organization's keys are in the context.
func TestRCPsAndOrgKeys(t *testing.T) {
	a, _ := orgSetup()
	trust := policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`, policy.KindTrust)
	role := "arn:aws:iam::" + member + ":role/shared"
	ctx := context.Background()
	outsider := memberUser(acct) // 111122223333: in no organization
	res, err := a.Evaluate(ctx, outsider, "sts:AssumeRole", role, trust)
	if err != nil || res.Allowed() || res.Cause != policy.SetRCP || res.Decision != policy.ExplicitDeny {
		t.Fatalf("outsider: %+v %v", res, err)
	}
	res, err = a.Evaluate(ctx, memberUser(management), "sts:AssumeRole", role, trust)
	if err != nil || !res.Allowed() {
		t.Fatalf("same organization: %+v %v", res, err)
	}
	// IAM is not an RCP service: the RCP does not reach iam actions.
	if err := a.Authorize(ctx, memberUser(member), "iam:GetRole", role); err != nil {
		t.Fatal(err)
	}

	cond := func(key, op, value string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"` + op + `":{"` + key + `":"` + value + `"}}}]}`
	}
	for _, tt := range []struct{ key, op, value string }{
		{"aws:PrincipalOrgID", "StringEquals", "o-abcdefghij"},
		{"aws:PrincipalOrgPaths", "ForAnyValue:StringLike", "o-abcdefghij/r-ab12/ou-ab12-11111111/*"},
		{"aws:ResourceOrgID", "StringEquals", "o-abcdefghij"},
		{"aws:ResourceOrgPaths", "ForAnyValue:StringLike", "o-abcdefghij/r-ab12/*"},
	} {
		a2, orgs := orgSetup()
		_ = orgs
		src := a2.Policies.(*fakeSource)
		src.principals["AIDAADMIN"] = &Principal{Name: "admin", Path: "/", Identity: []Doc{{ID: "c", Document: cond(tt.key, tt.op, tt.value)}}}
		if err := a2.Authorize(ctx, memberUser(member), "iam:GetRole", role); err != nil {
			t.Errorf("%s: %v", tt.key, err)
		}
		if err := a2.Authorize(ctx, memberUser(acct), "iam:GetRole", "arn:aws:iam::"+acct+":role/x"); err == nil {
			t.Errorf("%s present outside an organization", tt.key)
		}
	}
}

// Compiled controls are cached per account until the generation moves.
func TestOrgControlsCached(t *testing.T) {
	a, orgs := orgSetup()
	ctx := context.Background()
	for range 3 {
		_ = a.Authorize(ctx, memberUser(member), "iam:GetUser", "arn:aws:iam::"+member+":user/x")
	}
	if n := orgs.reads.Load(); n != 1 {
		t.Fatalf("%d reads of the organization for 3 requests", n)
	}
	orgs.controls[member].SCPs = nil
	a.Policies.(*fakeSource).gen.Add(1)
	if err := a.Authorize(ctx, memberUser(member), "iam:CreateUser", "arn:aws:iam::"+member+":user/x"); err != nil {
		t.Fatalf("an SCP still applied after the generation moved: %v", err)
	}
}

// BenchmarkSCPCost measures what a three-level SCP hierarchy (FullAWSAccess
// at each level plus a deny on the OU) adds to an authorization decision:
// the same user, allowed, in a standalone account and in a member account.
func BenchmarkSCPCost(b *testing.B) {
	a, _ := orgSetup()
	ctx := context.Background()
	for _, bc := range []struct {
		name    string
		account string
	}{{"standalone", acct}, {"member3levels", member}} {
		c := memberUser(bc.account)
		res := "arn:aws:iam::" + bc.account + ":user/x"
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := a.Authorize(ctx, c, "iam:DeleteUser", res); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
