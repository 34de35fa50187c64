package integration

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// orgWithMember creates an organization in the test account and one member
// account, and returns the member's ID.
func (e *env) orgWithMember(t *testing.T, name string) (org *types.Organization, member string) {
	t.Helper()
	c := ctx(t)
	o := e.orgs(e.root())
	out := must[*organizations.CreateOrganizationOutput](t)(o.CreateOrganization(c, &organizations.CreateOrganizationInput{}))
	ca := must[*organizations.CreateAccountOutput](t)(o.CreateAccount(c, &organizations.CreateAccountInput{
		AccountName: aws.String(name), Email: aws.String(name + "@example.com"),
	}))
	return out.Organization, aws.ToString(ca.CreateAccountStatus.AccountId)
}

// memberAdmin returns a session of OrganizationAccountAccessRole in member,
// assumed by a management-account user allowed to assume it.
func (e *env) memberAdmin(t *testing.T, member string) creds {
	t.Helper()
	c := ctx(t)
	roleARN := "arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"
	ops := e.newUser("ops-"+member, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+roleARN+`"}]}`)
	out := must[*sts.AssumeRoleOutput](t)(e.sts(ops).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("admin")}))
	return creds{aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken)}
}

// The organization tree: root → Workloads → Prod, with the member moved
// into Prod and out again. IDs, ARNs and paths have the formats of the
// Organizations API reference (Root, OrganizationalUnit: "ou-" followed by
// the root's 4-32 characters, "-", 8-32 characters).
func TestOrganizationsTree(t *testing.T) {
	e := start(t)
	c := ctx(t)
	o := e.orgs(e.root())
	org, member := e.orgWithMember(t, "workload")
	orgID := aws.ToString(org.Id)

	roots := must[*organizations.ListRootsOutput](t)(o.ListRoots(c, &organizations.ListRootsInput{}))
	if len(roots.Roots) != 1 || roots.NextToken != nil {
		t.Fatalf("roots %+v", roots)
	}
	root := roots.Roots[0]
	rootID := aws.ToString(root.Id)
	if !regexp.MustCompile(`^r-[0-9a-z]{4,32}$`).MatchString(rootID) || aws.ToString(root.Name) != "Root" ||
		aws.ToString(root.Arn) != "arn:aws:organizations::"+testAccount+":root/"+orgID+"/"+rootID {
		t.Fatalf("root %+v", root)
	}

	mkOU := func(parent, name string) types.OrganizationalUnit {
		t.Helper()
		out := must[*organizations.CreateOrganizationalUnitOutput](t)(o.CreateOrganizationalUnit(c, &organizations.CreateOrganizationalUnitInput{
			ParentId: aws.String(parent), Name: aws.String(name),
		}))
		return *out.OrganizationalUnit
	}
	workloads := mkOU(rootID, "Workloads")
	prod := mkOU(aws.ToString(workloads.Id), "Prod")
	wID, pID := aws.ToString(workloads.Id), aws.ToString(prod.Id)
	if !regexp.MustCompile(`^ou-`+rootID[2:]+`-[a-z0-9]{8,32}$`).MatchString(pID) ||
		aws.ToString(prod.Arn) != "arn:aws:organizations::"+testAccount+":ou/"+orgID+"/"+pID ||
		aws.ToString(prod.Path) != orgID+"/"+rootID+"/"+wID+"/"+pID+"/" {
		t.Fatalf("OU %+v", prod)
	}
	d := must[*organizations.DescribeOrganizationalUnitOutput](t)(o.DescribeOrganizationalUnit(c, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(pID)}))
	if ou := d.OrganizationalUnit; aws.ToString(ou.Id) != pID || aws.ToString(ou.Arn) != aws.ToString(prod.Arn) ||
		aws.ToString(ou.Name) != "Prod" || aws.ToString(ou.Path) != aws.ToString(prod.Path) {
		t.Fatalf("described %+v, created %+v", d.OrganizationalUnit, prod)
	}

	// Errors, as the API reference names them.
	for _, tc := range []struct {
		name string
		call func() error
		code string
	}{
		{"sibling of the same name", func() error {
			_, err := o.CreateOrganizationalUnit(c, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(wID), Name: aws.String("Prod")})
			return err
		}, "DuplicateOrganizationalUnitException"},
		{"missing parent", func() error {
			_, err := o.CreateOrganizationalUnit(c, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String("ou-zzzz-zzzzzzzz"), Name: aws.String("X")})
			return err
		}, "ParentNotFoundException"},
		{"malformed parent", func() error {
			_, err := o.CreateOrganizationalUnit(c, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String("p-1"), Name: aws.String("X")})
			return err
		}, "InvalidInputException"},
		{"describe missing", func() error {
			_, err := o.DescribeOrganizationalUnit(c, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String("ou-zzzz-zzzzzzzz")})
			return err
		}, "OrganizationalUnitNotFoundException"},
		{"rename onto a sibling", func() error {
			mkOU(wID, "Dev")
			_, err := o.UpdateOrganizationalUnit(c, &organizations.UpdateOrganizationalUnitInput{OrganizationalUnitId: aws.String(pID), Name: aws.String("Dev")})
			return err
		}, "DuplicateOrganizationalUnitException"},
		{"delete non-empty", func() error {
			_, err := o.DeleteOrganizationalUnit(c, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(wID)})
			return err
		}, "OrganizationalUnitNotEmptyException"},
		{"parents of a stranger", func() error {
			_, err := o.ListParents(c, &organizations.ListParentsInput{ChildId: aws.String("999999999999")})
			return err
		}, "ChildNotFoundException"},
		{"move from the wrong parent", func() error {
			_, err := o.MoveAccount(c, &organizations.MoveAccountInput{AccountId: aws.String(member), SourceParentId: aws.String(wID), DestinationParentId: aws.String(pID)})
			return err
		}, "AccountNotFoundException"},
		{"move to where it is", func() error {
			_, err := o.MoveAccount(c, &organizations.MoveAccountInput{AccountId: aws.String(member), SourceParentId: aws.String(rootID), DestinationParentId: aws.String(rootID)})
			return err
		}, "DuplicateAccountException"},
		{"move from a missing parent", func() error {
			_, err := o.MoveAccount(c, &organizations.MoveAccountInput{AccountId: aws.String(member), SourceParentId: aws.String("ou-zzzz-zzzzzzzz"), DestinationParentId: aws.String(pID)})
			return err
		}, "SourceParentNotFoundException"},
		{"move to a missing parent", func() error {
			_, err := o.MoveAccount(c, &organizations.MoveAccountInput{AccountId: aws.String(member), SourceParentId: aws.String(rootID), DestinationParentId: aws.String("ou-zzzz-zzzzzzzz")})
			return err
		}, "DestinationParentNotFoundException"},
		{"bad token", func() error {
			_, err := o.ListChildren(c, &organizations.ListChildrenInput{ParentId: aws.String(rootID), ChildType: types.ChildTypeAccount, NextToken: aws.String("!!")})
			return err
		}, "InvalidInputException"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.call(), tc.code, "") })
	}

	must[*organizations.MoveAccountOutput](t)(o.MoveAccount(c, &organizations.MoveAccountInput{
		AccountId: aws.String(member), SourceParentId: aws.String(rootID), DestinationParentId: aws.String(pID),
	}))
	parents := must[*organizations.ListParentsOutput](t)(o.ListParents(c, &organizations.ListParentsInput{ChildId: aws.String(member)}))
	if len(parents.Parents) != 1 || aws.ToString(parents.Parents[0].Id) != pID || parents.Parents[0].Type != types.ParentTypeOrganizationalUnit {
		t.Fatalf("parents %+v", parents.Parents)
	}
	parents = must[*organizations.ListParentsOutput](t)(o.ListParents(c, &organizations.ListParentsInput{ChildId: aws.String(wID)}))
	if len(parents.Parents) != 1 || aws.ToString(parents.Parents[0].Id) != rootID || parents.Parents[0].Type != types.ParentTypeRoot {
		t.Fatalf("parents of Workloads %+v", parents.Parents)
	}
	inProd := must[*organizations.ListAccountsForParentOutput](t)(o.ListAccountsForParent(c, &organizations.ListAccountsForParentInput{ParentId: aws.String(pID)}))
	if len(inProd.Accounts) != 1 || aws.ToString(inProd.Accounts[0].Id) != member {
		t.Fatalf("accounts in Prod %+v", inProd.Accounts)
	}
	atRoot := must[*organizations.ListChildrenOutput](t)(o.ListChildren(c, &organizations.ListChildrenInput{ParentId: aws.String(rootID), ChildType: types.ChildTypeAccount}))
	if len(atRoot.Children) != 1 || aws.ToString(atRoot.Children[0].Id) != testAccount {
		t.Fatalf("accounts at the root %+v", atRoot.Children)
	}
	_, err := o.DeleteOrganizationalUnit(c, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(pID)})
	wantCode(t, err, "OrganizationalUnitNotEmptyException", "The specified OU is not empty.")

	// Only the management account administers the tree.
	_, err = e.orgs(e.memberAdmin(t, member)).ListRoots(c, &organizations.ListRootsInput{})
	wantCode(t, err, "AccessDeniedException", "You don't have permissions to access this resource.")

	// Renamed, moved out, emptied, deleted.
	u := must[*organizations.UpdateOrganizationalUnitOutput](t)(o.UpdateOrganizationalUnit(c, &organizations.UpdateOrganizationalUnitInput{OrganizationalUnitId: aws.String(pID), Name: aws.String("Production")}))
	if aws.ToString(u.OrganizationalUnit.Name) != "Production" || aws.ToString(u.OrganizationalUnit.Id) != pID {
		t.Fatalf("renamed %+v", u.OrganizationalUnit)
	}
	must[*organizations.MoveAccountOutput](t)(o.MoveAccount(c, &organizations.MoveAccountInput{
		AccountId: aws.String(member), SourceParentId: aws.String(pID), DestinationParentId: aws.String(rootID),
	}))
	must[*organizations.DeleteOrganizationalUnitOutput](t)(o.DeleteOrganizationalUnit(c, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(pID)}))
	_, err = o.DescribeOrganizationalUnit(c, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(pID)})
	wantCode(t, err, "OrganizationalUnitNotFoundException", "")
	atRoot = must[*organizations.ListChildrenOutput](t)(o.ListChildren(c, &organizations.ListChildrenInput{ParentId: aws.String(rootID), ChildType: types.ChildTypeAccount}))
	if len(atRoot.Children) != 2 {
		t.Fatalf("accounts at the root %+v", atRoot.Children)
	}
}

// Every list pages with MaxResults and NextToken; the SDK's paginator walks
// the pages and sees each OU once.
func TestOrganizationsTreePagination(t *testing.T) {
	e := start(t)
	c := ctx(t)
	o := e.orgs(e.root())
	e.orgWithMember(t, "pages")
	rootID := aws.ToString(must[*organizations.ListRootsOutput](t)(o.ListRoots(c, &organizations.ListRootsInput{})).Roots[0].Id)
	want := map[string]bool{}
	for i := range 5 {
		out := must[*organizations.CreateOrganizationalUnitOutput](t)(o.CreateOrganizationalUnit(c, &organizations.CreateOrganizationalUnitInput{
			ParentId: aws.String(rootID), Name: aws.String(fmt.Sprintf("ou-%d", i)),
		}))
		want[aws.ToString(out.OrganizationalUnit.Id)] = true
	}
	pages, seen := 0, map[string]bool{}
	p := organizations.NewListOrganizationalUnitsForParentPaginator(o, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(rootID), MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out := must[*organizations.ListOrganizationalUnitsForParentOutput](t)(p.NextPage(c))
		pages++
		for _, ou := range out.OrganizationalUnits {
			if seen[aws.ToString(ou.Id)] || !want[aws.ToString(ou.Id)] {
				t.Fatalf("page %d: OU %s again or unknown", pages, aws.ToString(ou.Id))
			}
			seen[aws.ToString(ou.Id)] = true
		}
	}
	if pages != 3 || len(seen) != 5 {
		t.Fatalf("%d pages, %d OUs", pages, len(seen))
	}
	kids := must[*organizations.ListChildrenOutput](t)(o.ListChildren(c, &organizations.ListChildrenInput{ParentId: aws.String(rootID), ChildType: types.ChildTypeOrganizationalUnit, MaxResults: aws.Int32(4)}))
	if len(kids.Children) != 4 || kids.NextToken == nil {
		t.Fatalf("children %+v", kids)
	}
	accts := must[*organizations.ListAccountsOutput](t)(o.ListAccounts(c, &organizations.ListAccountsInput{MaxResults: aws.Int32(1)}))
	if len(accts.Accounts) != 1 || accts.NextToken == nil {
		t.Fatalf("accounts %+v", accts)
	}
	accts = must[*organizations.ListAccountsOutput](t)(o.ListAccounts(c, &organizations.ListAccountsInput{MaxResults: aws.Int32(1), NextToken: accts.NextToken}))
	if len(accts.Accounts) != 1 || accts.NextToken != nil {
		t.Fatalf("second page of accounts %+v", accts)
	}
	_, err := o.ListAccounts(c, &organizations.ListAccountsInput{MaxResults: aws.Int32(21)})
	wantCode(t, err, "InvalidInputException", "")
}

// OUs nest five levels deep under the root, no deeper (Organizations
// quotas: "OU maximum nesting in a root: five levels of OUs deep").
func TestOrganizationsOUDepth(t *testing.T) {
	e := start(t)
	c := ctx(t)
	o := e.orgs(e.root())
	e.orgWithMember(t, "deep")
	parent := aws.ToString(must[*organizations.ListRootsOutput](t)(o.ListRoots(c, &organizations.ListRootsInput{})).Roots[0].Id)
	for i := range 5 {
		out := must[*organizations.CreateOrganizationalUnitOutput](t)(o.CreateOrganizationalUnit(c, &organizations.CreateOrganizationalUnitInput{
			ParentId: aws.String(parent), Name: aws.String(fmt.Sprintf("level-%d", i+1)),
		}))
		parent = aws.ToString(out.OrganizationalUnit.Id)
	}
	_, err := o.CreateOrganizationalUnit(c, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String("level-6")})
	wantCode(t, err, "ConstraintViolationException", "too many levels deep")
}
