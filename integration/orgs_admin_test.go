package integration

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// Tags on roots, OUs, accounts and policies.
func TestOrganizationsTags(t *testing.T) {
	e := start(t)
	c := ctx(t)
	o := e.orgs(e.root())
	_, member := e.orgWithMember(t, "tagged")
	rootID := aws.ToString(must[*organizations.ListRootsOutput](t)(o.ListRoots(c, &organizations.ListRootsInput{})).Roots[0].Id)
	ou := must[*organizations.CreateOrganizationalUnitOutput](t)(o.CreateOrganizationalUnit(c, &organizations.CreateOrganizationalUnitInput{
		ParentId: aws.String(rootID), Name: aws.String("Tagged"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}},
	})).OrganizationalUnit
	pol := must[*organizations.CreatePolicyOutput](t)(o.CreatePolicy(c, &organizations.CreatePolicyInput{Name: aws.String("t"), Description: aws.String(""),
		Type: types.PolicyTypeServiceControlPolicy, Content: aws.String(denyCreateUser), Tags: []types.Tag{{Key: aws.String("owner"), Value: aws.String("sec")}}})).Policy
	for _, id := range []string{rootID, aws.ToString(ou.Id), member, aws.ToString(pol.PolicySummary.Id)} {
		must[*organizations.TagResourceOutput](t)(o.TagResource(c, &organizations.TagResourceInput{ResourceId: aws.String(id),
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("env"), Value: aws.String("dev")}}}))
		must[*organizations.UntagResourceOutput](t)(o.UntagResource(c, &organizations.UntagResourceInput{ResourceId: aws.String(id), TagKeys: []string{"team"}}))
		got := must[*organizations.ListTagsForResourceOutput](t)(o.ListTagsForResource(c, &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)}))
		found := map[string]string{}
		for _, tg := range got.Tags {
			found[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		if found["env"] != "dev" || found["team"] != "" {
			t.Fatalf("tags of %s: %v", id, found)
		}
		if id == aws.ToString(pol.PolicySummary.Id) && found["owner"] != "sec" {
			t.Fatalf("tags given at creation lost: %v", found)
		}
	}
	_, err := o.TagResource(c, &organizations.TagResourceInput{ResourceId: aws.String("ou-zzzz-zzzzzzzz"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	wantCode(t, err, "TargetNotFoundException", "")
	many := make([]types.Tag, 51)
	for i := range many {
		many[i] = types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")}
	}
	_, err = o.TagResource(c, &organizations.TagResourceInput{ResourceId: aws.String(member), Tags: many})
	wantCode(t, err, "ConstraintViolationException", "")
}

// Trusted access, delegated administrators, and the resource policy that
// delegates Organizations actions to a member account.
func TestOrganizationsDelegation(t *testing.T) {
	e := start(t)
	c := ctx(t)
	o := e.orgs(e.root())
	_, member := e.orgWithMember(t, "security")
	svc := "guardduty.amazonaws.com"

	_, err := o.RegisterDelegatedAdministrator(c, &organizations.RegisterDelegatedAdministratorInput{AccountId: aws.String(member), ServicePrincipal: aws.String(svc)})
	wantCode(t, err, "ConstraintViolationException", "")
	must[*organizations.EnableAWSServiceAccessOutput](t)(o.EnableAWSServiceAccess(c, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(svc)}))
	acc := must[*organizations.ListAWSServiceAccessForOrganizationOutput](t)(o.ListAWSServiceAccessForOrganization(c, &organizations.ListAWSServiceAccessForOrganizationInput{}))
	if len(acc.EnabledServicePrincipals) != 1 || aws.ToString(acc.EnabledServicePrincipals[0].ServicePrincipal) != svc {
		t.Fatalf("service access %+v", acc.EnabledServicePrincipals)
	}
	must[*organizations.RegisterDelegatedAdministratorOutput](t)(o.RegisterDelegatedAdministrator(c, &organizations.RegisterDelegatedAdministratorInput{AccountId: aws.String(member), ServicePrincipal: aws.String(svc)}))
	_, err = o.RegisterDelegatedAdministrator(c, &organizations.RegisterDelegatedAdministratorInput{AccountId: aws.String(member), ServicePrincipal: aws.String(svc)})
	wantCode(t, err, "AccountAlreadyRegisteredException", "")
	_, err = o.RegisterDelegatedAdministrator(c, &organizations.RegisterDelegatedAdministratorInput{AccountId: aws.String(testAccount), ServicePrincipal: aws.String(svc)})
	wantCode(t, err, "ConstraintViolationException", "")
	admins := must[*organizations.ListDelegatedAdministratorsOutput](t)(o.ListDelegatedAdministrators(c, &organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String(svc)}))
	if len(admins.DelegatedAdministrators) != 1 || aws.ToString(admins.DelegatedAdministrators[0].Id) != member {
		t.Fatalf("delegated administrators %+v", admins.DelegatedAdministrators)
	}
	services := must[*organizations.ListDelegatedServicesForAccountOutput](t)(o.ListDelegatedServicesForAccount(c, &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String(member)}))
	if len(services.DelegatedServices) != 1 || aws.ToString(services.DelegatedServices[0].ServicePrincipal) != svc {
		t.Fatalf("delegated services %+v", services.DelegatedServices)
	}
	// A delegated administrator cannot leave the organization.
	_, err = o.RemoveAccountFromOrganization(c, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(member)})
	wantCode(t, err, "ConstraintViolationException", "")

	// The resource policy delegates reads to the member account.
	admin := e.orgs(e.memberAdmin(t, member))
	_, err = admin.ListAccounts(c, &organizations.ListAccountsInput{})
	wantCode(t, err, "AccessDeniedException", "")
	_, err = admin.DescribeResourcePolicy(c, &organizations.DescribeResourcePolicyInput{})
	wantCode(t, err, "ResourcePolicyNotFoundException", "")
	_, err = o.PutResourcePolicy(c, &organizations.PutResourcePolicyInput{Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:*","Resource":"*"}]}`)})
	wantCode(t, err, "MalformedPolicyDocumentException", "")
	rp := must[*organizations.PutResourcePolicyOutput](t)(o.PutResourcePolicy(c, &organizations.PutResourcePolicyInput{Content: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + member + `:root"},"Action":["organizations:List*","organizations:Describe*"],"Resource":"*"}]}`)}))
	if aws.ToString(rp.ResourcePolicy.ResourcePolicySummary.Arn) == "" {
		t.Fatalf("resource policy %+v", rp.ResourcePolicy)
	}
	accts := must[*organizations.ListAccountsOutput](t)(admin.ListAccounts(c, &organizations.ListAccountsInput{}))
	if len(accts.Accounts) != 2 {
		t.Fatalf("delegated ListAccounts %+v", accts.Accounts)
	}
	_, err = admin.CreateOrganizationalUnit(c, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String("r-zzzz"), Name: aws.String("x")})
	wantCode(t, err, "AccessDeniedException", "")
	must[*organizations.DeleteResourcePolicyOutput](t)(o.DeleteResourcePolicy(c, &organizations.DeleteResourcePolicyInput{}))
	_, err = admin.ListAccounts(c, &organizations.ListAccountsInput{})
	wantCode(t, err, "AccessDeniedException", "")

	must[*organizations.DeregisterDelegatedAdministratorOutput](t)(o.DeregisterDelegatedAdministrator(c, &organizations.DeregisterDelegatedAdministratorInput{AccountId: aws.String(member), ServicePrincipal: aws.String(svc)}))
	_, err = o.ListDelegatedServicesForAccount(c, &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String(member)})
	wantCode(t, err, "AccountNotRegisteredException", "")
	must[*organizations.DisableAWSServiceAccessOutput](t)(o.DisableAWSServiceAccess(c, &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String(svc)}))
}

// Every list of Organizations pages with MaxResults and an opaque keyset
// NextToken: walking the pages two at a time sees each item once.
func TestOrganizationsListsPaginate(t *testing.T) {
	e := start(t)
	c := ctx(t)
	o := e.orgs(e.root())
	e.orgWithMember(t, "p0")
	for i := 1; i < 3; i++ {
		must[*organizations.CreateAccountOutput](t)(o.CreateAccount(c, &organizations.CreateAccountInput{
			AccountName: aws.String(fmt.Sprintf("p%d", i)), Email: aws.String(fmt.Sprintf("p%d@example.com", i)),
		}))
	}
	rootID := aws.ToString(must[*organizations.ListRootsOutput](t)(o.ListRoots(c, &organizations.ListRootsInput{})).Roots[0].Id)
	must[*organizations.EnablePolicyTypeOutput](t)(o.EnablePolicyType(c, &organizations.EnablePolicyTypeInput{RootId: aws.String(rootID), PolicyType: types.PolicyTypeServiceControlPolicy}))
	for i := range 3 {
		must[*organizations.CreatePolicyOutput](t)(o.CreatePolicy(c, &organizations.CreatePolicyInput{Name: aws.String(fmt.Sprintf("s%d", i)), Description: aws.String(""),
			Type: types.PolicyTypeServiceControlPolicy, Content: aws.String(denyCreateUser)}))
	}
	for _, svc := range []string{"a.amazonaws.com", "b.amazonaws.com", "c.amazonaws.com"} {
		must[*organizations.EnableAWSServiceAccessOutput](t)(o.EnableAWSServiceAccess(c, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(svc)}))
	}
	two := aws.Int32(2)
	count := func(name string, want int, next func(token *string) (n int, tok *string, err error)) {
		t.Helper()
		var tok *string
		total, pages := 0, 0
		for {
			n, nt, err := next(tok)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if n > 2 {
				t.Fatalf("%s: page of %d", name, n)
			}
			total += n
			pages++
			if nt == nil {
				break
			}
			tok = nt
		}
		if total != want {
			t.Fatalf("%s: %d items in %d pages, want %d", name, total, pages, want)
		}
	}
	count("ListAccounts", 4, func(tok *string) (int, *string, error) {
		out, err := o.ListAccounts(c, &organizations.ListAccountsInput{MaxResults: two, NextToken: tok})
		if err != nil {
			return 0, nil, err
		}
		return len(out.Accounts), out.NextToken, nil
	})
	count("ListAccountsForParent", 4, func(tok *string) (int, *string, error) {
		out, err := o.ListAccountsForParent(c, &organizations.ListAccountsForParentInput{ParentId: aws.String(rootID), MaxResults: two, NextToken: tok})
		if err != nil {
			return 0, nil, err
		}
		return len(out.Accounts), out.NextToken, nil
	})
	count("ListChildren", 4, func(tok *string) (int, *string, error) {
		out, err := o.ListChildren(c, &organizations.ListChildrenInput{ParentId: aws.String(rootID), ChildType: types.ChildTypeAccount, MaxResults: two, NextToken: tok})
		if err != nil {
			return 0, nil, err
		}
		return len(out.Children), out.NextToken, nil
	})
	count("ListCreateAccountStatus", 3, func(tok *string) (int, *string, error) {
		out, err := o.ListCreateAccountStatus(c, &organizations.ListCreateAccountStatusInput{MaxResults: two, NextToken: tok})
		if err != nil {
			return 0, nil, err
		}
		return len(out.CreateAccountStatuses), out.NextToken, nil
	})
	count("ListPolicies", 4, func(tok *string) (int, *string, error) {
		out, err := o.ListPolicies(c, &organizations.ListPoliciesInput{Filter: types.PolicyTypeServiceControlPolicy, MaxResults: two, NextToken: tok})
		if err != nil {
			return 0, nil, err
		}
		return len(out.Policies), out.NextToken, nil
	})
	count("ListTargetsForPolicy", 5, func(tok *string) (int, *string, error) {
		out, err := o.ListTargetsForPolicy(c, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), MaxResults: two, NextToken: tok})
		if err != nil {
			return 0, nil, err
		}
		return len(out.Targets), out.NextToken, nil
	})
	count("ListAWSServiceAccessForOrganization", 3, func(tok *string) (int, *string, error) {
		out, err := o.ListAWSServiceAccessForOrganization(c, &organizations.ListAWSServiceAccessForOrganizationInput{MaxResults: two, NextToken: tok})
		if err != nil {
			return 0, nil, err
		}
		return len(out.EnabledServicePrincipals), out.NextToken, nil
	})
	count("ListRoots", 1, func(tok *string) (int, *string, error) {
		out, err := o.ListRoots(c, &organizations.ListRootsInput{MaxResults: two, NextToken: tok})
		if err != nil {
			return 0, nil, err
		}
		return len(out.Roots), out.NextToken, nil
	})
	// An offset is no token.
	_, err := o.ListAccounts(c, &organizations.ListAccountsInput{NextToken: aws.String("Mg")})
	wantCode(t, err, "InvalidInputException", "You specified an invalid value for nextToken.")
}
