package policy

import (
	"strings"
	"testing"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

func stmt(effect, action, resource string, extra ...string) string {
	s := `{"Effect":"` + effect + `","Action":"` + action + `"`
	if resource != "" {
		s += `,"Resource":"` + resource + `"`
	}
	for _, e := range extra {
		s += "," + e
	}
	return s + "}"
}

func doc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func pol(t *testing.T, kind Kind, stmts ...string) *Policy {
	t.Helper()
	p, err := Parse(doc(stmts...), kind)
	if err != nil {
		t.Fatalf("parse %v: %v", kind, err)
	}
	return p
}

const bucketObj = "arn:aws:s3:::bucket/key"

// "Policy evaluation logic" and its "Policy evaluation for requests within a
// single account" flowchart:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html
// "Cross-account policy evaluation logic":
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
// "Permissions boundaries for IAM entities" (resource-based policies section):
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
// "Session policies" (in "Policies and permissions in IAM"):
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session
// "AWS JSON policy elements: NotPrincipal":
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
func TestEvaluationLogic(t *testing.T) {
	alice := "arn:aws:iam::" + acctA + ":user/alice"
	roleDev := "arn:aws:iam::" + acctA + ":role/team/Dev"
	sessDev := "arn:aws:sts::" + acctA + ":assumed-role/Dev/s1"
	fed := "arn:aws:sts::" + acctA + ":federated-user/fred"
	allowGet := stmt("Allow", "s3:GetObject", "*")
	denyGet := stmt("Deny", "s3:GetObject", "*")
	allowList := stmt("Allow", "s3:ListBucket", "*")
	rp := func(principal string) string {
		return stmt("Allow", "s3:GetObject", bucketObj, `"Principal":`+principal)
	}
	type policies struct {
		identity, boundary, session, resource []string
		scp, rcp                              [][]string
		trust                                 bool
	}
	tests := []struct {
		name      string
		principal string
		action    string
		resource  string
		resAcct   string
		p         policies
		want      Decision
		reason    string
	}{
		{"identity allows", alice, "", "", "", policies{identity: []string{allowGet}}, Allowed, ""},
		{"nothing applies", alice, "", "", "", policies{}, ImplicitDeny, "because no identity-based policy allows the s3:GetObject action"},
		{"identity deny wins", alice, "", "", "", policies{identity: []string{allowGet, denyGet}}, ExplicitDeny, "with an explicit deny in an identity-based policy"},
		{"boundary implicit", alice, "", "", "", policies{identity: []string{allowGet}, boundary: []string{allowList}}, ImplicitDeny, "because no permissions boundary allows the s3:GetObject action"},
		{"boundary allows", alice, "", "", "", policies{identity: []string{allowGet}, boundary: []string{stmt("Allow", "s3:*", "*")}}, Allowed, ""},
		{"boundary does not grant", alice, "", "", "", policies{boundary: []string{allowGet}}, ImplicitDeny, "because no identity-based policy allows the s3:GetObject action"},
		{"boundary deny", alice, "", "", "", policies{identity: []string{allowGet}, boundary: []string{stmt("Allow", "*", "*"), denyGet}}, ExplicitDeny, "with an explicit deny in a permissions boundary"},
		{"session implicit", sessDev, "", "", "", policies{identity: []string{allowGet}, session: []string{allowList}}, ImplicitDeny, "because no session policy allows the s3:GetObject action"},
		{"session allows", sessDev, "", "", "", policies{identity: []string{allowGet}, session: []string{allowGet}}, Allowed, ""},
		{"session deny", sessDev, "", "", "", policies{identity: []string{allowGet}, session: []string{allowGet, denyGet}}, ExplicitDeny, "with an explicit deny in a session policy"},
		{"session does not grant", sessDev, "", "", "", policies{session: []string{allowGet}}, ImplicitDeny, "because no identity-based policy allows the s3:GetObject action"},

		// Same account, resource-based policies.
		{"resource names user", alice, "", "", "", policies{resource: []string{rp(`{"AWS":"` + alice + `"}`)}}, Allowed, ""},
		{"resource names user despite boundary", alice, "", "", "", policies{resource: []string{rp(`{"AWS":"` + alice + `"}`)}, boundary: []string{allowList}}, Allowed, ""},
		{"resource names other user", alice, "", "", "", policies{resource: []string{rp(`{"AWS":"arn:aws:iam::` + acctA + `:user/bob"}`)}}, ImplicitDeny, "because no identity-based policy allows the s3:GetObject action"},
		{"resource names account", alice, "", "", "", policies{resource: []string{rp(`{"AWS":"` + acctA + `"}`)}}, ImplicitDeny, "because no identity-based policy allows the s3:GetObject action"},
		{"resource names account root plus identity", alice, "", "", "", policies{resource: []string{rp(`{"AWS":"arn:aws:iam::` + acctA + `:root"}`)}, identity: []string{allowGet}}, Allowed, ""},
		{"resource names role", sessDev, "", "", "", policies{resource: []string{rp(`{"AWS":"` + roleDev + `"}`)}}, Allowed, ""},
		{"resource names role, boundary limits", sessDev, "", "", "", policies{resource: []string{rp(`{"AWS":"` + roleDev + `"}`)}, boundary: []string{allowList}}, ImplicitDeny, "because no permissions boundary allows the s3:GetObject action"},
		{"resource names role, session policy limits", sessDev, "", "", "", policies{resource: []string{rp(`{"AWS":"` + roleDev + `"}`)}, session: []string{allowList}}, ImplicitDeny, "because no session policy allows the s3:GetObject action"},
		{"resource names role, boundary allows", sessDev, "", "", "", policies{resource: []string{rp(`{"AWS":"` + roleDev + `"}`)}, boundary: []string{allowGet}, session: []string{allowGet}}, Allowed, ""},
		{"resource names session", sessDev, "", "", "", policies{resource: []string{rp(`{"AWS":"` + sessDev + `"}`)}, boundary: []string{allowList}, session: []string{allowList}}, Allowed, ""},
		{"resource names other session", sessDev, "", "", "", policies{resource: []string{rp(`{"AWS":"arn:aws:sts::` + acctA + `:assumed-role/Dev/s2"}`)}}, ImplicitDeny, "because no identity-based policy allows the s3:GetObject action"},
		{"resource names federated user", fed, "", "", "", policies{resource: []string{rp(`{"AWS":"` + fed + `"}`)}, session: []string{allowList}}, Allowed, ""},
		{"resource wildcard principal", alice, "", "", "", policies{resource: []string{rp(`"*"`)}}, Allowed, ""},
		{"resource deny beats identity", alice, "", "", "", policies{identity: []string{allowGet}, resource: []string{stmt("Deny", "s3:GetObject", "*", `"Principal":{"AWS":"*"}`)}}, ExplicitDeny, "with an explicit deny in a resource-based policy"},
		{"resource deny other principal", alice, "", "", "", policies{identity: []string{allowGet}, resource: []string{stmt("Deny", "s3:GetObject", "*", `"Principal":{"AWS":"arn:aws:iam::`+acctA+`:user/bob"}`)}}, Allowed, ""},

		// NotPrincipal.
		{"notprincipal excludes listed user", alice, "", "", "", policies{identity: []string{allowGet}, resource: []string{stmt("Deny", "s3:GetObject", "*", `"NotPrincipal":{"AWS":["`+alice+`","`+acctA+`"]}`)}}, Allowed, ""},
		{"notprincipal needs the account too", alice, "", "", "", policies{identity: []string{allowGet}, resource: []string{stmt("Deny", "s3:GetObject", "*", `"NotPrincipal":{"AWS":["`+alice+`"]}`)}}, ExplicitDeny, "with an explicit deny in a resource-based policy"},
		{"notprincipal always denies with boundary", alice, "", "", "", policies{identity: []string{allowGet}, boundary: []string{allowGet}, resource: []string{stmt("Deny", "s3:GetObject", "*", `"NotPrincipal":{"AWS":["`+alice+`","`+acctA+`"]}`)}}, ExplicitDeny, "with an explicit deny in a resource-based policy"},
		{"notprincipal session needs role and account", sessDev, "", "", "", policies{identity: []string{allowGet}, resource: []string{stmt("Deny", "s3:GetObject", "*", `"NotPrincipal":{"AWS":["`+sessDev+`","`+roleDev+`","`+acctA+`"]}`)}}, Allowed, ""},

		// Organizations.
		{"scp all levels allow", alice, "", "", "", policies{identity: []string{allowGet}, scp: [][]string{{stmt("Allow", "*", "*")}, {stmt("Allow", "s3:*", "*")}}}, Allowed, ""},
		{"scp level missing allow", alice, "", "", "", policies{identity: []string{allowGet}, scp: [][]string{{stmt("Allow", "*", "*")}, {stmt("Allow", "ec2:*", "*")}}}, ImplicitDeny, "because no service control policy allows the s3:GetObject action"},
		{"scp deny", alice, "", "", "", policies{identity: []string{allowGet}, scp: [][]string{{stmt("Allow", "*", "*"), denyGet}}}, ExplicitDeny, "with an explicit deny in a service control policy"},
		{"scp limits resource-policy grant", alice, "", "", "", policies{resource: []string{rp(`{"AWS":"` + alice + `"}`)}, scp: [][]string{{stmt("Allow", "ec2:*", "*")}}}, ImplicitDeny, "because no service control policy allows the s3:GetObject action"},
		{"explicit deny beats scp implicit deny", alice, "", "", "", policies{identity: []string{denyGet}, scp: [][]string{{stmt("Allow", "ec2:*", "*")}}}, ExplicitDeny, "with an explicit deny in an identity-based policy"},
		{"scp applies to root", "arn:aws:iam::" + acctA + ":root", "", "", "", policies{scp: [][]string{{stmt("Allow", "*", "*"), denyGet}}}, ExplicitDeny, "with an explicit deny in a service control policy"},
		{"rcp full access", alice, "", "", "", policies{identity: []string{allowGet}, rcp: [][]string{{stmt("Allow", "*", "*", `"Principal":"*"`)}}}, Allowed, ""},
		{"rcp deny", alice, "", "", "", policies{identity: []string{allowGet}, rcp: [][]string{{stmt("Allow", "*", "*", `"Principal":"*"`), stmt("Deny", "s3:*", "*", `"Principal":"*"`, `"Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}`)}}}, ExplicitDeny, "with an explicit deny in a resource control policy"},
		{"rcp level without allow", alice, "", "", "", policies{identity: []string{allowGet}, rcp: [][]string{{stmt("Deny", "s3:DeleteBucket", "*", `"Principal":"*"`)}}}, ImplicitDeny, "because no resource control policy allows the s3:GetObject action"},

		// Root user: full access in its own account unless denied.
		{"root same account", "arn:aws:iam::" + acctA + ":root", "", "", "", policies{}, Allowed, ""},

		// Cross-account: both sides must allow.
		{"cross identity only", alice, "", "", acctB, policies{identity: []string{allowGet}}, ImplicitDeny, "because no resource-based policy allows the s3:GetObject action"},
		{"cross resource only", alice, "", "", acctB, policies{resource: []string{rp(`{"AWS":"` + alice + `"}`)}}, ImplicitDeny, "because no identity-based policy allows the s3:GetObject action"},
		{"cross both", alice, "", "", acctB, policies{identity: []string{allowGet}, resource: []string{rp(`{"AWS":"` + alice + `"}`)}}, Allowed, ""},
		{"cross trusts account", alice, "", "", acctB, policies{identity: []string{allowGet}, resource: []string{rp(`{"AWS":"` + acctA + `"}`)}}, Allowed, ""},
		{"cross boundary applies", alice, "", "", acctB, policies{identity: []string{allowGet}, boundary: []string{allowList}, resource: []string{rp(`{"AWS":"` + alice + `"}`)}}, ImplicitDeny, "because no permissions boundary allows the s3:GetObject action"},
		{"cross account from ARN", alice, "sqs:SendMessage", "arn:aws:sqs:us-east-1:" + acctB + ":q", "", policies{identity: []string{stmt("Allow", "sqs:*", "*")}}, ImplicitDeny, "because no resource-based policy allows the sqs:SendMessage action"},
		{"cross root needs resource policy", "arn:aws:iam::" + acctA + ":root", "", "", acctB, policies{}, ImplicitDeny, "because no resource-based policy allows the s3:GetObject action"},

		// Anonymous and service callers: only resource policies apply.
		{"anonymous public", "", "", "", "", policies{resource: []string{rp(`"*"`)}}, Allowed, ""},
		{"anonymous aws star", "", "", "", "", policies{resource: []string{rp(`{"AWS":"*"}`)}}, Allowed, ""},
		{"anonymous denied", "", "", "", "", policies{resource: []string{rp(`{"AWS":"` + acctA + `"}`)}}, ImplicitDeny, "because no resource-based policy allows the s3:GetObject action"},
		{"service principal", "cloudtrail.amazonaws.com", "", "", "", policies{resource: []string{rp(`{"Service":"cloudtrail.amazonaws.com"}`)}}, Allowed, ""},
		{"service principal aws star", "cloudtrail.amazonaws.com", "", "", "", policies{resource: []string{rp(`{"AWS":"*"}`)}}, ImplicitDeny, "because no resource-based policy allows the s3:GetObject action"},

		// Role trust policies are resource-based policies on the role.
		{"trust names user", alice, "sts:AssumeRole", roleDev, "", policies{trust: true, resource: []string{stmt("Allow", "sts:AssumeRole", "", `"Principal":{"AWS":"`+alice+`"}`)}}, Allowed, ""},
		{"trust names account needs identity", alice, "sts:AssumeRole", roleDev, "", policies{trust: true, resource: []string{stmt("Allow", "sts:AssumeRole", "", `"Principal":{"AWS":"arn:aws:iam::`+acctA+`:root"}`)}}, ImplicitDeny, "because no identity-based policy allows the sts:AssumeRole action"},
		{"trust names account with identity", alice, "sts:AssumeRole", roleDev, "", policies{trust: true, identity: []string{stmt("Allow", "sts:AssumeRole", roleDev)}, resource: []string{stmt("Allow", "sts:AssumeRole", "", `"Principal":{"AWS":"arn:aws:iam::`+acctA+`:root"}`)}}, Allowed, ""},
		{"trust required in same account", alice, "sts:AssumeRole", roleDev, "", policies{trust: true, identity: []string{stmt("Allow", "sts:AssumeRole", "*")}, resource: []string{stmt("Allow", "sts:AssumeRole", "", `"Principal":{"AWS":"arn:aws:iam::`+acctA+`:user/bob"}`)}}, ImplicitDeny, "because no resource-based policy allows the sts:AssumeRole action"},
		{"trust names session role, session policy limits", sessDev, "sts:AssumeRole", "arn:aws:iam::" + acctA + ":role/Other", "", policies{trust: true, session: []string{allowList}, resource: []string{stmt("Allow", "sts:AssumeRole", "", `"Principal":{"AWS":"`+roleDev+`"}`)}}, ImplicitDeny, "because no session policy allows the sts:AssumeRole action"},
		{"trust cross-account", "arn:aws:iam::" + acctB + ":user/bob", "sts:AssumeRole", roleDev, "", policies{trust: true, identity: []string{stmt("Allow", "sts:AssumeRole", "*")}, resource: []string{stmt("Allow", "sts:AssumeRole", "", `"Principal":{"AWS":"`+acctB+`"}`, `"Condition":{"StringEquals":{"sts:ExternalId":"x"}}`)}}, ImplicitDeny, "because no resource-based policy allows the sts:AssumeRole action"},
		{"trust web identity", "accounts.google.com", "sts:AssumeRoleWithWebIdentity", roleDev, "", policies{trust: true, resource: []string{stmt("Allow", "sts:AssumeRoleWithWebIdentity", "", `"Principal":{"Federated":"accounts.google.com"}`)}}, Allowed, ""},
		{"trust service", "ec2.amazonaws.com", "sts:AssumeRole", roleDev, "", policies{trust: true, resource: []string{stmt("Allow", "sts:AssumeRole", "", `"Principal":{"Service":"ec2.amazonaws.com"}`)}}, Allowed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &Input{}
			for _, d := range tt.p.identity {
				in.Identity = append(in.Identity, pol(t, KindIdentity, d))
			}
			if tt.p.boundary != nil {
				in.Boundary = pol(t, KindBoundary, tt.p.boundary...)
			}
			for _, d := range tt.p.session {
				in.Session = append(in.Session, pol(t, KindSession, d))
			}
			if tt.p.resource != nil {
				kind := KindResource
				if tt.p.trust {
					kind = KindTrust
				}
				in.Resource = pol(t, kind, tt.p.resource...)
			}
			for _, lvl := range tt.p.scp {
				in.SCPs = append(in.SCPs, []*Policy{pol(t, KindSCP, lvl...)})
			}
			for _, lvl := range tt.p.rcp {
				in.RCPs = append(in.RCPs, []*Policy{pol(t, KindRCP, lvl...)})
			}
			req := Request{Principal: DerivePrincipal(tt.principal), Action: "s3:GetObject", Resource: bucketObj, ResourceAccount: tt.resAcct}
			if tt.action != "" {
				req.Action = tt.action
			}
			if tt.resource != "" {
				req.Resource = tt.resource
			}
			if req.Principal.Type == PrincipalAssumedRole {
				req.Principal.RoleARN = roleDev
			}
			res := Evaluate(&req, in)
			if res.Decision != tt.want || res.Reason() != tt.reason {
				t.Fatalf("got %v %q, want %v %q", res.Decision, res.Reason(), tt.want, tt.reason)
			}
			// Explain must agree with Evaluate.
			if x := Explain(&req, in); x.Decision != res.Decision || x.Cause != res.Cause {
				t.Fatalf("Explain got %v/%v, Evaluate %v/%v", x.Decision, x.Cause, res.Decision, res.Cause)
			}
		})
	}
}

// "Access denied error messages" in the IAM troubleshooting guide: the
// server prefixes the reason with the principal, action and resource.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
func TestDeniedMessage(t *testing.T) {
	req := Request{Principal: user("alice"), Action: "iam:CreateUser", Resource: "arn:aws:iam::111122223333:user/bob"}
	res := Evaluate(&req, &Input{})
	want := "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::111122223333:user/bob because no identity-based policy allows the iam:CreateUser action"
	if got := res.DeniedMessage(req.Principal.ARN, req.Resource); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// Evaluate must not allocate (the server calls it on every request).
func TestEvaluateDoesNotAllocate(t *testing.T) {
	req, in := realisticInput(t)
	if n := testing.AllocsPerRun(100, func() { Evaluate(req, in) }); n != 0 {
		t.Fatalf("Evaluate allocates %v times", n)
	}
}

// SimulateCustomPolicy's MissingContextValues lists every key the matching
// statements' conditions need and the request lacks, and
// GetContextKeysForCustomPolicy lists them all up front.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html
func TestExplainMissingContextValues(t *testing.T) {
	p := pol(t, KindIdentity,
		stmt("Allow", "s3:GetObject", "*", `"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"},"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}`),
		stmt("Allow", "ec2:*", "*", `"Condition":{"StringEquals":{"ec2:InstanceType":"t3.micro"}}`))
	req := Request{Principal: user("alice"), Action: "s3:GetObject", Resource: bucketObj,
		Context: []ContextEntry{{Key: "aws:RequestedRegion", Value: "us-east-1"}}}
	x := Explain(&req, &Input{Identity: []*Policy{p}})
	got := strings.Join(x.MissingContextValues, ",")
	if x.Decision != ImplicitDeny || got != "aws:MultiFactorAuthAge,aws:MultiFactorAuthPresent" {
		t.Fatalf("got %v, missing %q", x.Decision, got)
	}
	if keys := strings.Join(ContextKeys(p), ","); keys != "aws:MultiFactorAuthAge,aws:MultiFactorAuthPresent,aws:RequestedRegion,ec2:InstanceType" {
		t.Fatalf("ContextKeys = %s", keys)
	}
}

// Compiled policies are shared by every request the server handles; run
// under -race this checks that evaluation only reads them.
func TestEvaluateConcurrently(t *testing.T) {
	req, in := realisticInput(t)
	done := make(chan bool)
	for g := 0; g < 8; g++ {
		go func() {
			r := *req
			ok := true
			for i := 0; i < 200; i++ {
				res := Evaluate(&r, in)
				ok = ok && res.Allowed() && Explain(&r, in).Allowed()
			}
			done <- ok
		}()
	}
	for g := 0; g < 8; g++ {
		if !<-done {
			t.Fatal("concurrent evaluation disagreed")
		}
	}
}

// A root session scoped by a task policy (STS AssumeRoot) is narrowed by
// its session policies like any session; without them root is unbounded.
func TestRootSessionPolicies(t *testing.T) {
	task := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"iam:ListAccessKeys","Resource":"*"}]}`, KindSession)
	all := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, KindSession)
	root := DerivePrincipal("111122223333")
	for _, tc := range []struct {
		action  string
		session []*Policy
		want    Decision
	}{
		{"iam:ListAccessKeys", []*Policy{task, all}, Allowed},
		{"iam:CreateUser", []*Policy{task, all}, ExplicitDeny},
		{"iam:CreateUser", nil, Allowed},
		{"iam:CreateUser", []*Policy{task}, ExplicitDeny},
		{"iam:ListAccessKeys", []*Policy{task}, ImplicitDeny}, // nothing in the session allows
	} {
		r := Evaluate(&Request{Principal: root, Action: tc.action, Resource: "*"}, &Input{Session: tc.session})
		if r.Decision != tc.want {
			t.Errorf("%s with %d session policies: %v, want %v", tc.action, len(tc.session), r.Decision, tc.want)
		}
		if r.Decision != Allowed && r.Cause != SetSession {
			t.Errorf("%s: cause %v", tc.action, r.Cause)
		}
	}
}
