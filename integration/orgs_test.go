package integration

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
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
