package integration

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func (e *env) orgs(c creds) *organizations.Client { return organizations.NewFromConfig(e.config(c)) }

// The management account creates an organization and a member account; the
// member account gets OrganizationAccountAccessRole trusting the management
// account, with administrator access, as in AWS.
func TestOrganizationsCreateAccount(t *testing.T) {
	e := start(t)
	c := ctx(t)
	o := e.orgs(e.root())

	_, err := o.DescribeOrganization(c, &organizations.DescribeOrganizationInput{})
	wantCode(t, err, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")

	org := must[*organizations.CreateOrganizationOutput](t)(o.CreateOrganization(c, &organizations.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetAll}))
	if aws.ToString(org.Organization.MasterAccountId) != testAccount {
		t.Fatalf("organization %+v", org.Organization)
	}
	_, err = o.CreateOrganization(c, &organizations.CreateOrganizationInput{})
	wantCode(t, err, "AlreadyInOrganizationException", "")

	ca := must[*organizations.CreateAccountOutput](t)(o.CreateAccount(c, &organizations.CreateAccountInput{
		AccountName: aws.String("dev"), Email: aws.String("dev@example.com"),
	}))
	st := must[*organizations.DescribeCreateAccountStatusOutput](t)(o.DescribeCreateAccountStatus(c, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: ca.CreateAccountStatus.Id}))
	if st.CreateAccountStatus.State != types.CreateAccountStateSucceeded || len(aws.ToString(st.CreateAccountStatus.AccountId)) != 12 {
		t.Fatalf("status %+v", st.CreateAccountStatus)
	}
	member := aws.ToString(st.CreateAccountStatus.AccountId)
	accts := must[*organizations.ListAccountsOutput](t)(o.ListAccounts(c, &organizations.ListAccountsInput{}))
	if len(accts.Accounts) != 2 {
		t.Fatalf("accounts %+v", accts.Accounts)
	}
	_, err = o.CreateAccount(c, &organizations.CreateAccountInput{AccountName: aws.String("x"), Email: aws.String("not-an-email")})
	wantCode(t, err, "InvalidInputException", "")

	// The management root cannot reach into the member's IAM directly;
	// the role is there for STS (see the STS tests).
	_, err = e.iam(e.root()).GetRole(c, &iam.GetRoleInput{RoleName: aws.String("OrganizationAccountAccessRole")})
	wantCode(t, err, "NoSuchEntity", "")
	_ = member
}

// Cross-account access through the role Organizations creates in a member
// account: the management account's user needs its own identity permission
// for sts:AssumeRole (the trust policy names the account, not the user), and
// the session then acts in the member account only.
func TestCrossAccountThroughMemberRole(t *testing.T) {
	e := start(t)
	c := ctx(t)
	o := e.orgs(e.root())
	must[*organizations.CreateOrganizationOutput](t)(o.CreateOrganization(c, &organizations.CreateOrganizationInput{}))
	ca := must[*organizations.CreateAccountOutput](t)(o.CreateAccount(c, &organizations.CreateAccountInput{
		AccountName: aws.String("prod"), Email: aws.String("prod@example.com"),
	}))
	member := aws.ToString(ca.CreateAccountStatus.AccountId)
	roleARN := "arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"

	root := e.iam(e.root())
	must[*iam.CreateUserOutput](t)(root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("ops")}))
	k := must[*iam.CreateAccessKeyOutput](t)(root.CreateAccessKey(c, &iam.CreateAccessKeyInput{UserName: aws.String("ops")}))
	ops := creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}

	_, err := e.sts(ops).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ops")})
	// AWS gives no policy reason for a refused role assumption.
	wantCode(t, err, "AccessDenied", "User: arn:aws:iam::"+testAccount+":user/ops is not authorized to perform: sts:AssumeRole on resource: "+roleARN)
	if strings.Contains(err.Error(), "because") {
		t.Fatalf("AssumeRole denial carries a reason AWS does not give: %v", err)
	}

	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(c, &iam.PutUserPolicyInput{
		UserName: aws.String("ops"), PolicyName: aws.String("assume-member"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"` + roleARN + `"}]}`),
	}))
	out := must[*sts.AssumeRoleOutput](t)(e.sts(ops).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ops")}))
	sess := creds{aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken)}
	who := must[*sts.GetCallerIdentityOutput](t)(e.sts(sess).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))
	if aws.ToString(who.Account) != member || aws.ToString(who.Arn) != "arn:aws:sts::"+member+":assumed-role/OrganizationAccountAccessRole/ops" {
		t.Fatalf("identity %+v", who)
	}
	// Administrator of the member account: IAM there is the member's.
	must[*iam.CreateUserOutput](t)(e.iam(sess).CreateUser(c, &iam.CreateUserInput{UserName: aws.String("member-admin")}))
	users := must[*iam.ListUsersOutput](t)(e.iam(sess).ListUsers(c, &iam.ListUsersInput{}))
	if len(users.Users) != 1 || aws.ToString(users.Users[0].Arn) != "arn:aws:iam::"+member+":user/member-admin" {
		t.Fatalf("member users %+v", users.Users)
	}
	// The management account's own users are not visible from there.
	mgmtUsers := must[*iam.ListUsersOutput](t)(root.ListUsers(c, &iam.ListUsersInput{}))
	if len(mgmtUsers.Users) != 1 {
		t.Fatalf("management users %+v", mgmtUsers.Users)
	}
}

// A member account's role that trusts "any principal of my organization"
// with aws:PrincipalOrgID, the usual organization-wide trust.
func TestPrincipalOrgIDInTrustPolicy(t *testing.T) {
	e := start(t)
	c := ctx(t)
	o := e.orgs(e.root())
	org := must[*organizations.CreateOrganizationOutput](t)(o.CreateOrganization(c, &organizations.CreateOrganizationInput{}))
	orgID := aws.ToString(org.Organization.Id)
	caller := e.newUser("org-member", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"` + orgID + `"}}}]}`
	roleARN := e.newRole("org-wide", trust, "", 0)
	must[*sts.AssumeRoleOutput](t)(e.sts(caller).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("ok")}))

	other := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-someoneelse"}}}]}`
	otherARN := e.newRole("other-org", other, "", 0)
	_, err := e.sts(caller).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(otherARN), RoleSessionName: aws.String("no")})
	wantCode(t, err, "AccessDenied", "sts:AssumeRole")
}
