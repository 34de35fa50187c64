package integration

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

const denyCreateUser = `{"Version":"2012-10-17","Statement":[{"Sid":"NoNewUsers","Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}`

// scpTree builds root → Workloads → Prod with SCPs enabled and the member
// in Prod, and returns the root's and the OUs' IDs.
func (e *env) scpTree(t *testing.T, member string) (rootID, wID, pID string) {
	t.Helper()
	c := ctx(t)
	o := e.orgs(e.root())
	rootID = aws.ToString(must[*organizations.ListRootsOutput](t)(o.ListRoots(c, &organizations.ListRootsInput{})).Roots[0].Id)
	en := must[*organizations.EnablePolicyTypeOutput](t)(o.EnablePolicyType(c, &organizations.EnablePolicyTypeInput{
		RootId: aws.String(rootID), PolicyType: types.PolicyTypeServiceControlPolicy,
	}))
	if pt := en.Root.PolicyTypes; len(pt) != 1 || pt[0].Type != types.PolicyTypeServiceControlPolicy || pt[0].Status != types.PolicyTypeStatusEnabled {
		t.Fatalf("root after EnablePolicyType %+v", en.Root)
	}
	mk := func(parent, name string) string {
		out := must[*organizations.CreateOrganizationalUnitOutput](t)(o.CreateOrganizationalUnit(c, &organizations.CreateOrganizationalUnitInput{
			ParentId: aws.String(parent), Name: aws.String(name),
		}))
		return aws.ToString(out.OrganizationalUnit.Id)
	}
	wID = mk(rootID, "Workloads")
	pID = mk(wID, "Prod")
	must[*organizations.MoveAccountOutput](t)(o.MoveAccount(c, &organizations.MoveAccountInput{
		AccountId: aws.String(member), SourceParentId: aws.String(rootID), DestinationParentId: aws.String(pID),
	}))
	return rootID, wID, pID
}

// The point of SCPs: a deny attached to Prod caps the member account's
// administrator (its OrganizationAccountAccessRole session), not the
// management account, and moving the account out of Prod lifts it at once.
// Denial wording: IAM User Guide, "Troubleshoot access denied error
// messages" ("… with an explicit deny in a service control policy",
// "… because no service control policy allows the … action").
func TestSCPEnforcement(t *testing.T) {
	e := start(t)
	c := ctx(t)
	o := e.orgs(e.root())
	_, member := e.orgWithMember(t, "prod-app")
	rootID, wID, pID := e.scpTree(t, member)

	// FullAWSAccess is on every level by default.
	for _, target := range []string{rootID, wID, pID, member} {
		got := must[*organizations.ListPoliciesForTargetOutput](t)(o.ListPoliciesForTarget(c, &organizations.ListPoliciesForTargetInput{
			TargetId: aws.String(target), Filter: types.PolicyTypeServiceControlPolicy,
		}))
		if len(got.Policies) != 1 || aws.ToString(got.Policies[0].Id) != "p-FullAWSAccess" || !got.Policies[0].AwsManaged ||
			aws.ToString(got.Policies[0].Arn) != "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess" {
			t.Fatalf("SCPs of %s: %+v", target, got.Policies)
		}
	}

	pol := must[*organizations.CreatePolicyOutput](t)(o.CreatePolicy(c, &organizations.CreatePolicyInput{
		Name: aws.String("NoNewUsers"), Description: aws.String("no IAM users"), Type: types.PolicyTypeServiceControlPolicy,
		Content: aws.String(denyCreateUser),
	})).Policy
	polID := aws.ToString(pol.PolicySummary.Id)
	must[*organizations.AttachPolicyOutput](t)(o.AttachPolicy(c, &organizations.AttachPolicyInput{PolicyId: aws.String(polID), TargetId: aws.String(pID)}))

	admin := e.memberAdmin(t, member)
	adminARN := "arn:aws:sts::" + member + ":assumed-role/OrganizationAccountAccessRole/admin"
	_, err := e.iam(admin).CreateUser(c, &iam.CreateUserInput{UserName: aws.String("dana")})
	wantCode(t, err, "AccessDenied", "User: "+adminARN+" is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::"+member+":user/dana with an explicit deny in a service control policy")
	// Other actions still pass every level.
	must[*iam.ListUsersOutput](t)(e.iam(admin).ListUsers(c, &iam.ListUsersInput{}))
	// The simulator weighs the same SCPs.
	sim := must[*iam.SimulatePrincipalPolicyOutput](t)(e.iam(admin).SimulatePrincipalPolicy(c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"),
		ActionNames:     []string{"iam:CreateUser", "iam:ListUsers"},
	}))
	for i, want := range []struct {
		decision string
		byOrg    bool
	}{{"explicitDeny", false}, {"allowed", true}} {
		r := sim.EvaluationResults[i]
		if string(r.EvalDecision) != want.decision || r.OrganizationsDecisionDetail == nil || r.OrganizationsDecisionDetail.AllowedByOrganizations != want.byOrg {
			t.Fatalf("simulated %s: %s %+v", aws.ToString(r.EvalActionName), r.EvalDecision, r.OrganizationsDecisionDetail)
		}
	}
	// The management account is beyond SCPs.
	must[*iam.CreateUserOutput](t)(e.iam(e.root()).CreateUser(c, &iam.CreateUserInput{UserName: aws.String("dana")}))

	// Out of Prod: lifted at once, the same credentials.
	must[*organizations.MoveAccountOutput](t)(o.MoveAccount(c, &organizations.MoveAccountInput{
		AccountId: aws.String(member), SourceParentId: aws.String(pID), DestinationParentId: aws.String(wID),
	}))
	must[*iam.CreateUserOutput](t)(e.iam(admin).CreateUser(c, &iam.CreateUserInput{UserName: aws.String("dana")}))

	// Every level must allow: an account whose only SCP allows reads
	// cannot write, an implicit deny in a service control policy.
	readOnly := must[*organizations.CreatePolicyOutput](t)(o.CreatePolicy(c, &organizations.CreatePolicyInput{
		Name: aws.String("ReadOnly"), Description: aws.String(""), Type: types.PolicyTypeServiceControlPolicy,
		Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`),
	})).Policy
	must[*organizations.AttachPolicyOutput](t)(o.AttachPolicy(c, &organizations.AttachPolicyInput{PolicyId: readOnly.PolicySummary.Id, TargetId: aws.String(member)}))
	must[*organizations.DetachPolicyOutput](t)(o.DetachPolicy(c, &organizations.DetachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(member)}))
	_, err = e.iam(admin).CreateUser(c, &iam.CreateUserInput{UserName: aws.String("erin")})
	wantCode(t, err, "AccessDenied", "because no service control policy allows the iam:CreateUser action")
	must[*iam.ListUsersOutput](t)(e.iam(admin).ListUsers(c, &iam.ListUsersInput{}))

	// Targets of a policy, and a policy still attached cannot go.
	targets := must[*organizations.ListTargetsForPolicyOutput](t)(o.ListTargetsForPolicy(c, &organizations.ListTargetsForPolicyInput{PolicyId: readOnly.PolicySummary.Id}))
	if len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].TargetId) != member || targets.Targets[0].Type != types.TargetTypeAccount ||
		aws.ToString(targets.Targets[0].Name) != "prod-app" {
		t.Fatalf("targets %+v", targets.Targets)
	}
	_, err = o.DeletePolicy(c, &organizations.DeletePolicyInput{PolicyId: readOnly.PolicySummary.Id})
	wantCode(t, err, "PolicyInUseException", "")

	// Disabling SCPs detaches them all: nothing caps the member any more.
	must[*organizations.DisablePolicyTypeOutput](t)(o.DisablePolicyType(c, &organizations.DisablePolicyTypeInput{
		RootId: aws.String(rootID), PolicyType: types.PolicyTypeServiceControlPolicy,
	}))
	must[*iam.CreateUserOutput](t)(e.iam(admin).CreateUser(c, &iam.CreateUserInput{UserName: aws.String("erin")}))
	must[*organizations.DeletePolicyOutput](t)(o.DeletePolicy(c, &organizations.DeletePolicyInput{PolicyId: readOnly.PolicySummary.Id}))
}

// Validation and errors of the policy operations, as the API reference
// names them.
func TestSCPErrors(t *testing.T) {
	e := start(t)
	c := ctx(t)
	o := e.orgs(e.root())
	_, member := e.orgWithMember(t, "errs")
	rootID := aws.ToString(must[*organizations.ListRootsOutput](t)(o.ListRoots(c, &organizations.ListRootsInput{})).Roots[0].Id)
	scp := func(name, content string) error {
		_, err := o.CreatePolicy(c, &organizations.CreatePolicyInput{Name: aws.String(name), Description: aws.String(""),
			Type: types.PolicyTypeServiceControlPolicy, Content: aws.String(content)})
		return err
	}
	pol := must[*organizations.CreatePolicyOutput](t)(o.CreatePolicy(c, &organizations.CreatePolicyInput{
		Name: aws.String("Deny"), Description: aws.String(""), Type: types.PolicyTypeServiceControlPolicy, Content: aws.String(denyCreateUser),
	})).Policy
	polID := aws.ToString(pol.PolicySummary.Id)
	if !strings.HasPrefix(aws.ToString(pol.PolicySummary.Arn), "arn:aws:organizations::"+testAccount+":policy/o-") ||
		!strings.HasSuffix(aws.ToString(pol.PolicySummary.Arn), "/service_control_policy/"+polID) || pol.PolicySummary.AwsManaged {
		t.Fatalf("policy %+v", pol.PolicySummary)
	}
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}` + strings.Repeat(" ", 5100)
	for _, tc := range []struct {
		name string
		err  error
		code string
		msg  string
	}{
		{"principal in an SCP", scp("P", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`),
			"MalformedPolicyDocumentException", "does not meet the requirements of the specified policy type"},
		{"not JSON", scp("J", `{`), "MalformedPolicyDocumentException", ""},
		{"too large, spaces counted", scp("B", big), "ConstraintViolationException", "You have exceeded the maximum policy size."},
		{"same name", scp("Deny", denyCreateUser), "DuplicatePolicyException", ""},
		{"type not enabled", func() error {
			_, err := o.AttachPolicy(c, &organizations.AttachPolicyInput{PolicyId: aws.String(polID), TargetId: aws.String(member)})
			return err
		}(), "PolicyTypeNotEnabledException", ""},
		{"describe missing", func() error {
			_, err := o.DescribePolicy(c, &organizations.DescribePolicyInput{PolicyId: aws.String("p-zzzzzzzz")})
			return err
		}(), "PolicyNotFoundException", ""},
		{"change an AWS managed policy", func() error {
			_, err := o.UpdatePolicy(c, &organizations.UpdatePolicyInput{PolicyId: aws.String("p-FullAWSAccess"), Name: aws.String("x")})
			return err
		}(), "AccessDeniedException", ""},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.err, tc.code, tc.msg) })
	}
	// The reason rides with the ConstraintViolationException.
	var cv *types.ConstraintViolationException
	if err := scp("B2", big); !errors.As(err, &cv) || cv.Reason != types.ConstraintViolationExceptionReasonPolicyContentLimitExceeded {
		t.Fatalf("size violation %v", err)
	}

	must[*organizations.EnablePolicyTypeOutput](t)(o.EnablePolicyType(c, &organizations.EnablePolicyTypeInput{RootId: aws.String(rootID), PolicyType: types.PolicyTypeServiceControlPolicy}))
	_, err := o.EnablePolicyType(c, &organizations.EnablePolicyTypeInput{RootId: aws.String(rootID), PolicyType: types.PolicyTypeServiceControlPolicy})
	wantCode(t, err, "PolicyTypeAlreadyEnabledException", "")
	_, err = o.EnablePolicyType(c, &organizations.EnablePolicyTypeInput{RootId: aws.String("r-zzzz"), PolicyType: types.PolicyTypeTagPolicy})
	wantCode(t, err, "RootNotFoundException", "")
	must[*organizations.AttachPolicyOutput](t)(o.AttachPolicy(c, &organizations.AttachPolicyInput{PolicyId: aws.String(polID), TargetId: aws.String(member)}))
	_, err = o.AttachPolicy(c, &organizations.AttachPolicyInput{PolicyId: aws.String(polID), TargetId: aws.String(member)})
	wantCode(t, err, "DuplicatePolicyAttachmentException", "The selected policy is already attached to the specified target.")
	_, err = o.AttachPolicy(c, &organizations.AttachPolicyInput{PolicyId: aws.String(polID), TargetId: aws.String("ou-zzzz-zzzzzzzz")})
	wantCode(t, err, "TargetNotFoundException", "")
	// The last SCP of a target stays.
	_, err = o.DetachPolicy(c, &organizations.DetachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(rootID)})
	if !errors.As(err, &cv) || cv.Reason != types.ConstraintViolationExceptionReasonMinPolicyTypeAttachmentLimitExceeded {
		t.Fatalf("detaching the last SCP: %v", err)
	}
	_, err = o.DetachPolicy(c, &organizations.DetachPolicyInput{PolicyId: aws.String(polID), TargetId: aws.String(rootID)})
	wantCode(t, err, "PolicyNotAttachedException", "")
	// Up to five SCPs on one target.
	for i := range 4 {
		id := must[*organizations.CreatePolicyOutput](t)(o.CreatePolicy(c, &organizations.CreatePolicyInput{
			Name: aws.String("more" + string(rune('a'+i))), Description: aws.String(""), Type: types.PolicyTypeServiceControlPolicy, Content: aws.String(denyCreateUser),
		})).Policy.PolicySummary.Id
		_, err = o.AttachPolicy(c, &organizations.AttachPolicyInput{PolicyId: id, TargetId: aws.String(member)})
		if i < 3 && err != nil {
			t.Fatal(err)
		}
	}
	if !errors.As(err, &cv) || cv.Reason != types.ConstraintViolationExceptionReasonMaxPolicyTypeAttachmentLimitExceeded {
		t.Fatalf("sixth SCP: %v", err)
	}

	// Member accounts do not manage policies.
	_, err = e.orgs(e.memberAdmin(t, member)).ListPolicies(c, &organizations.ListPoliciesInput{Filter: types.PolicyTypeServiceControlPolicy})
	wantCode(t, err, "AccessDeniedException", "")

	// ListPolicies pages (keyset tokens) through the AWS managed policy and
	// the organization's own.
	seen := map[string]bool{}
	p := organizations.NewListPoliciesPaginator(o, &organizations.ListPoliciesInput{Filter: types.PolicyTypeServiceControlPolicy, MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page := must[*organizations.ListPoliciesOutput](t)(p.NextPage(c))
		if len(page.Policies) > 2 {
			t.Fatalf("page of %d", len(page.Policies))
		}
		for _, s := range page.Policies {
			if seen[aws.ToString(s.Id)] {
				t.Fatalf("%s twice", aws.ToString(s.Id))
			}
			seen[aws.ToString(s.Id)] = true
		}
	}
	if len(seen) != 6 || !seen["p-FullAWSAccess"] || !seen[polID] {
		t.Fatalf("listed %v", seen)
	}
}
