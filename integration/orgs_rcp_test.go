package integration

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// secondOrg makes a second organization on the same mantle: an account
// created in the first and removed from it (it keeps the role its first
// management account administers it through, as on AWS) creates its own.
// With createOrg false the account stays standalone.
func (e *env) secondOrg(t *testing.T, name string, createOrg bool) (account string, admin creds, orgID string) {
	t.Helper()
	c := ctx(t)
	o := e.orgs(e.root())
	account = aws.ToString(must[*organizations.CreateAccountOutput](t)(o.CreateAccount(c, &organizations.CreateAccountInput{
		AccountName: aws.String(name), Email: aws.String(name + "@example.com"),
	})).CreateAccountStatus.AccountId)
	admin = e.memberAdmin(t, account)
	must[*organizations.RemoveAccountFromOrganizationOutput](t)(o.RemoveAccountFromOrganization(c, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(account)}))
	if !createOrg {
		return account, admin, ""
	}
	out := must[*organizations.CreateOrganizationOutput](t)(e.orgs(admin).CreateOrganization(c, &organizations.CreateOrganizationInput{}))
	return account, admin, aws.ToString(out.Organization.Id)
}

// "RCP examples": an RCP denying sts:AssumeRole to principals outside the
// organization (aws:PrincipalOrgID) refuses them even where the role's
// trust policy names them; principals of the organization pass.
func TestRCPPrincipalOrgID(t *testing.T) {
	e := start(t)
	c := ctx(t)
	o := e.orgs(e.root())
	org, member := e.orgWithMember(t, "shared")
	orgID := aws.ToString(org.Id)
	outsider, outsiderAdmin, otherOrg := e.secondOrg(t, "outsider", true)
	if otherOrg == "" || otherOrg == orgID {
		t.Fatalf("second organization %q", otherOrg)
	}

	roleARN := "arn:aws:iam::" + member + ":role/shared"
	must[*iam.CreateRoleOutput](t)(e.iam(e.memberAdmin(t, member)).CreateRole(c, &iam.CreateRoleInput{
		RoleName: aws.String("shared"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::` +
			outsider + `:root","arn:aws:iam::` + testAccount + `:root"]},"Action":"sts:AssumeRole"}]}`),
	}))
	assume := func(cr creds) error {
		_, err := e.sts(cr).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("session")})
		return err
	}
	insider := e.newUser("insider", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	if err := assume(outsiderAdmin); err != nil {
		t.Fatalf("before the RCP the trust policy decides: %v", err)
	}

	rootID := aws.ToString(must[*organizations.ListRootsOutput](t)(o.ListRoots(c, &organizations.ListRootsInput{})).Roots[0].Id)
	must[*organizations.EnablePolicyTypeOutput](t)(o.EnablePolicyType(c, &organizations.EnablePolicyTypeInput{RootId: aws.String(rootID), PolicyType: types.PolicyTypeResourceControlPolicy}))
	got := must[*organizations.ListPoliciesForTargetOutput](t)(o.ListPoliciesForTarget(c, &organizations.ListPoliciesForTargetInput{
		TargetId: aws.String(member), Filter: types.PolicyTypeResourceControlPolicy,
	}))
	if len(got.Policies) != 1 || aws.ToString(got.Policies[0].Id) != "p-RCPFullAWSAccess" {
		t.Fatalf("default RCP %+v", got.Policies)
	}
	// An RCP may not Allow (only RCPFullAWSAccess does).
	_, err := o.CreatePolicy(c, &organizations.CreatePolicyInput{Name: aws.String("bad"), Description: aws.String(""), Type: types.PolicyTypeResourceControlPolicy,
		Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`)})
	wantCode(t, err, "MalformedPolicyDocumentException", "")
	rcp := must[*organizations.CreatePolicyOutput](t)(o.CreatePolicy(c, &organizations.CreatePolicyInput{
		Name: aws.String("OrgOnly"), Description: aws.String("roles only for the organization"), Type: types.PolicyTypeResourceControlPolicy,
		Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*",
			"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"` + orgID + `"}}}]}`),
	})).Policy
	must[*organizations.AttachPolicyOutput](t)(o.AttachPolicy(c, &organizations.AttachPolicyInput{PolicyId: rcp.PolicySummary.Id, TargetId: aws.String(rootID)}))

	// AWS words a refused assumption without the policy reason.
	wantCode(t, assume(outsiderAdmin), "AccessDenied", "is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
	if err := assume(insider); err != nil {
		t.Fatalf("a principal of the organization: %v", err)
	}
	// RCPFullAWSAccess stays.
	_, err = o.DetachPolicy(c, &organizations.DetachPolicyInput{PolicyId: aws.String("p-RCPFullAWSAccess"), TargetId: aws.String(member)})
	wantCode(t, err, "ConstraintViolationException", "")
	// Detached: the outsider is back to what the trust policy says.
	must[*organizations.DetachPolicyOutput](t)(o.DetachPolicy(c, &organizations.DetachPolicyInput{PolicyId: rcp.PolicySummary.Id, TargetId: aws.String(rootID)}))
	if err := assume(outsiderAdmin); err != nil {
		t.Fatal(err)
	}
}

// Invitations between two organizations on one mantle, and leaving.
func TestOrganizationsInvitation(t *testing.T) {
	e := start(t)
	c := ctx(t)
	o := e.orgs(e.root())
	e.orgWithMember(t, "first")
	_, bAdmin, orgB := e.secondOrg(t, "b-mgmt", true)
	invitee, inviteeAdmin, _ := e.secondOrg(t, "invitee", false)
	b := e.orgs(bAdmin)

	hs := must[*organizations.InviteAccountToOrganizationOutput](t)(b.InviteAccountToOrganization(c, &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(invitee)}, Notes: aws.String("join us"),
	})).Handshake
	if hs.State != types.HandshakeStateOpen || hs.Action != types.ActionTypeInviteAccountToOrganization || len(hs.Parties) != 2 ||
		aws.ToString(hs.Parties[0].Id) != orgB || hs.ExpirationTimestamp.Sub(aws.ToTime(hs.RequestedTimestamp)).Hours() != 15*24 {
		t.Fatalf("handshake %+v", hs)
	}
	_, err := b.InviteAccountToOrganization(c, &organizations.InviteAccountToOrganizationInput{
		Target: &types.HandshakeParty{Type: types.HandshakePartyTypeAccount, Id: aws.String(invitee)}})
	wantCode(t, err, "DuplicateHandshakeException", "")
	// The first organization's management account cannot accept it.
	_, err = o.AcceptHandshake(c, &organizations.AcceptHandshakeInput{HandshakeId: hs.Id})
	wantCode(t, err, "HandshakeNotFoundException", "")

	inv := e.orgs(inviteeAdmin)
	mine := must[*organizations.ListHandshakesForAccountOutput](t)(inv.ListHandshakesForAccount(c, &organizations.ListHandshakesForAccountInput{}))
	if len(mine.Handshakes) != 1 || aws.ToString(mine.Handshakes[0].Id) != aws.ToString(hs.Id) {
		t.Fatalf("handshakes for the invitee %+v", mine.Handshakes)
	}
	acc := must[*organizations.AcceptHandshakeOutput](t)(inv.AcceptHandshake(c, &organizations.AcceptHandshakeInput{HandshakeId: hs.Id})).Handshake
	if acc.State != types.HandshakeStateAccepted {
		t.Fatalf("accepted %+v", acc)
	}
	_, err = inv.DeclineHandshake(c, &organizations.DeclineHandshakeInput{HandshakeId: hs.Id})
	wantCode(t, err, "InvalidHandshakeTransitionException", "")
	d := must[*organizations.DescribeAccountOutput](t)(b.DescribeAccount(c, &organizations.DescribeAccountInput{AccountId: aws.String(invitee)}))
	if d.Account.JoinedMethod != types.AccountJoinedMethodInvited || d.Account.State != types.AccountStateActive {
		t.Fatalf("joined %+v", d.Account)
	}
	if org := must[*organizations.DescribeOrganizationOutput](t)(inv.DescribeOrganization(c, &organizations.DescribeOrganizationInput{})); aws.ToString(org.Organization.Id) != orgB {
		t.Fatalf("invitee's organization %+v", org.Organization)
	}

	// Leaving; a new invitation, declined; another, canceled.
	must[*organizations.LeaveOrganizationOutput](t)(inv.LeaveOrganization(c, &organizations.LeaveOrganizationInput{}))
	_, err = b.LeaveOrganization(c, &organizations.LeaveOrganizationInput{})
	wantCode(t, err, "MasterCannotLeaveOrganizationException", "")
	invite := func() *string {
		return must[*organizations.InviteAccountToOrganizationOutput](t)(b.InviteAccountToOrganization(c, &organizations.InviteAccountToOrganizationInput{
			Target: &types.HandshakeParty{Type: types.HandshakePartyTypeEmail, Id: aws.String("invitee@example.com")},
		})).Handshake.Id
	}
	h2 := invite()
	if got := must[*organizations.DeclineHandshakeOutput](t)(inv.DeclineHandshake(c, &organizations.DeclineHandshakeInput{HandshakeId: h2})); got.Handshake.State != types.HandshakeStateDeclined {
		t.Fatalf("declined %+v", got.Handshake)
	}
	h3 := invite()
	if got := must[*organizations.CancelHandshakeOutput](t)(b.CancelHandshake(c, &organizations.CancelHandshakeInput{HandshakeId: h3})); got.Handshake.State != types.HandshakeStateCanceled {
		t.Fatalf("canceled %+v", got.Handshake)
	}
	all := must[*organizations.ListHandshakesForOrganizationOutput](t)(b.ListHandshakesForOrganization(c, &organizations.ListHandshakesForOrganizationInput{MaxResults: aws.Int32(2)}))
	if len(all.Handshakes) != 2 || all.NextToken == nil {
		t.Fatalf("first page %+v", all)
	}
	rest := must[*organizations.ListHandshakesForOrganizationOutput](t)(b.ListHandshakesForOrganization(c, &organizations.ListHandshakesForOrganizationInput{MaxResults: aws.Int32(2), NextToken: all.NextToken}))
	if len(rest.Handshakes) != 1 || rest.NextToken != nil {
		t.Fatalf("second page %+v", rest)
	}
}

// CloseAccount suspends at once; DescribeEffectivePolicy merges management
// policies down the tree with the inheritance operators.
func TestOrganizationsCloseAndEffectivePolicy(t *testing.T) {
	e := start(t)
	c := ctx(t)
	o := e.orgs(e.root())
	_, member := e.orgWithMember(t, "closing")
	admin := e.memberAdmin(t, member)
	rootID := aws.ToString(must[*organizations.ListRootsOutput](t)(o.ListRoots(c, &organizations.ListRootsInput{})).Roots[0].Id)

	must[*organizations.EnablePolicyTypeOutput](t)(o.EnablePolicyType(c, &organizations.EnablePolicyTypeInput{RootId: aws.String(rootID), PolicyType: types.PolicyTypeTagPolicy}))
	_, err := o.DescribeEffectivePolicy(c, &organizations.DescribeEffectivePolicyInput{PolicyType: types.EffectivePolicyTypeTagPolicy, TargetId: aws.String(member)})
	wantCode(t, err, "EffectivePolicyNotFoundException", "")
	tag := func(name, content, target string) {
		p := must[*organizations.CreatePolicyOutput](t)(o.CreatePolicy(c, &organizations.CreatePolicyInput{Name: aws.String(name), Description: aws.String(""),
			Type: types.PolicyTypeTagPolicy, Content: aws.String(content)})).Policy
		must[*organizations.AttachPolicyOutput](t)(o.AttachPolicy(c, &organizations.AttachPolicyInput{PolicyId: p.PolicySummary.Id, TargetId: aws.String(target)}))
	}
	tag("base", `{"tags":{"costcenter":{"tag_key":{"@@assign":"CostCenter"},"tag_value":{"@@assign":["100","200"]}}}}`, rootID)
	tag("more", `{"tags":{"costcenter":{"tag_value":{"@@append":["300"]}},"project":{"tag_key":{"@@assign":"Project"}}}}`, member)
	// A member account sees its own.
	eff := must[*organizations.DescribeEffectivePolicyOutput](t)(e.orgs(admin).DescribeEffectivePolicy(c, &organizations.DescribeEffectivePolicyInput{PolicyType: types.EffectivePolicyTypeTagPolicy}))
	var gotDoc, wantDoc any
	_ = json.Unmarshal([]byte(aws.ToString(eff.EffectivePolicy.PolicyContent)), &gotDoc)
	_ = json.Unmarshal([]byte(`{"tags":{"costcenter":{"tag_key":"CostCenter","tag_value":["100","200","300"]},"project":{"tag_key":"Project"}}}`), &wantDoc)
	if !reflect.DeepEqual(gotDoc, wantDoc) || aws.ToString(eff.EffectivePolicy.TargetId) != member {
		t.Fatalf("effective policy %s", aws.ToString(eff.EffectivePolicy.PolicyContent))
	}
	_, err = o.DescribeEffectivePolicy(c, &organizations.DescribeEffectivePolicyInput{PolicyType: "SERVICE_CONTROL_POLICY", TargetId: aws.String(member)})
	wantCode(t, err, "InvalidInputException", "")
	_, err = o.CreatePolicy(c, &organizations.CreatePolicyInput{Name: aws.String("x"), Description: aws.String(""), Type: types.PolicyTypeTagPolicy, Content: aws.String(`[1]`)})
	wantCode(t, err, "MalformedPolicyDocumentException", "")

	// Closed: SUSPENDED, and its principals may do nothing.
	must[*organizations.CloseAccountOutput](t)(o.CloseAccount(c, &organizations.CloseAccountInput{AccountId: aws.String(member)}))
	d := must[*organizations.DescribeAccountOutput](t)(o.DescribeAccount(c, &organizations.DescribeAccountInput{AccountId: aws.String(member)}))
	if d.Account.State != types.AccountStateSuspended || d.Account.Status != types.AccountStatusSuspended {
		t.Fatalf("closed account %+v", d.Account)
	}
	_, err = e.iam(admin).ListUsers(c, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied", "")
	_, err = o.CloseAccount(c, &organizations.CloseAccountInput{AccountId: aws.String(member)})
	wantCode(t, err, "AccountAlreadyClosedException", "")
	_, err = o.CloseAccount(c, &organizations.CloseAccountInput{AccountId: aws.String(testAccount)})
	wantCode(t, err, "ConstraintViolationException", "")
	st := must[*organizations.ListCreateAccountStatusOutput](t)(o.ListCreateAccountStatus(c, &organizations.ListCreateAccountStatusInput{States: []types.CreateAccountState{types.CreateAccountStateSucceeded}}))
	if len(st.CreateAccountStatuses) != 1 || aws.ToString(st.CreateAccountStatuses[0].AccountId) != member {
		t.Fatalf("create account statuses %+v", st.CreateAccountStatuses)
	}
}
