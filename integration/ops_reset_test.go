package integration

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/mantle-iam/mantle/internal/server"
)

const resetState = `
policies:
  - name: readers
    document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "iam:Get*", Resource: "*"}]}
users:
  - name: ci
    managedPolicies: [readers, "arn:aws:iam::aws:policy/ReadOnlyAccess"]
    accessKeys: [{id: AKIACIEXAMPLE0000001, secret: ciSecretExample000000000000000000000000a}]
roles:
  - name: deploy
    trustPolicy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::111122223333:user/ci"}, Action: "sts:AssumeRole"}]}
organization:
  units: [{name: eng, accounts: [{name: a1, email: a1@example.com}]}]
`

func TestResetWipesToFirstStart(t *testing.T) {
	e := startConfig(t, func(c *server.Config) { c.AllowReset = true })
	resetRoundTrip(t, e, e)
}

// On PostgreSQL the reset is one change: another node serves the wiped
// state on its next request.
func TestResetTwoNodes(t *testing.T) {
	nodes := startNodes(t, 2, func(c *server.Config) { c.AllowReset = true })
	resetRoundTrip(t, nodes[0], nodes[1])
}

func resetRoundTrip(t *testing.T, e, other *env) {
	c := ctx(t)
	if n := len(e.apply(t, resetState).Changes); n < 5 {
		t.Fatalf("apply changed %d things", n)
	}
	root := e.iam(e.root())
	must[*iam.CreateAccountAliasOutput](t)(root.CreateAccountAlias(c, &iam.CreateAccountAliasInput{AccountAlias: aws.String("before-reset")}))
	must[*iam.UpdateAccountPasswordPolicyOutput](t)(root.UpdateAccountPasswordPolicy(c, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(12)}))
	must[*iam.CreateVirtualMFADeviceOutput](t)(root.CreateVirtualMFADevice(c, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("phone")}))
	ci := creds{"AKIACIEXAMPLE0000001", "ciSecretExample000000000000000000000000a", ""}
	must[*sts.GetCallerIdentityOutput](t)(other.sts(ci).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))

	resp, err := http.Post(e.URL+"/_mantle/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reset: HTTP %d", resp.StatusCode)
	}

	oroot := other.iam(other.root())
	if _, err := other.sts(ci).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}); err == nil {
		t.Error("the declared key still signs after the reset")
	}
	users := must[*iam.ListUsersOutput](t)(oroot.ListUsers(c, &iam.ListUsersInput{}))
	roles := must[*iam.ListRolesOutput](t)(oroot.ListRoles(c, &iam.ListRolesInput{}))
	local := must[*iam.ListPoliciesOutput](t)(oroot.ListPolicies(c, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal}))
	mfa := must[*iam.ListVirtualMFADevicesOutput](t)(oroot.ListVirtualMFADevices(c, &iam.ListVirtualMFADevicesInput{}))
	aliases := must[*iam.ListAccountAliasesOutput](t)(oroot.ListAccountAliases(c, &iam.ListAccountAliasesInput{}))
	if len(users.Users)+len(roles.Roles)+len(local.Policies)+len(mfa.VirtualMFADevices)+len(aliases.AccountAliases) != 0 {
		t.Errorf("left after reset: %d users, %d roles, %d policies, %d MFA devices, aliases %v",
			len(users.Users), len(roles.Roles), len(local.Policies), len(mfa.VirtualMFADevices), aliases.AccountAliases)
	}
	_, err = oroot.GetAccountPasswordPolicy(c, &iam.GetAccountPasswordPolicyInput{})
	wantCode(t, err, "NoSuchEntity", "")
	ro := must[*iam.GetPolicyOutput](t)(oroot.GetPolicy(c, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	if aws.ToInt32(ro.Policy.AttachmentCount) != 0 {
		t.Errorf("AWS managed policy attachment count %d after reset", aws.ToInt32(ro.Policy.AttachmentCount))
	}
	_, err = organizations.NewFromConfig(other.config(other.root())).DescribeOrganization(c, &organizations.DescribeOrganizationInput{})
	wantCode(t, err, "AWSOrganizationsNotInUseException", "")
	events := must[*cloudtrail.LookupEventsOutput](t)(other.cloudtrail(other.root()).LookupEvents(c, &cloudtrail.LookupEventsInput{}))
	for _, ev := range events.Events {
		// The lookups made since the reset are the only events.
		if n := aws.ToString(ev.EventName); !strings.HasPrefix(n, "List") && !strings.HasPrefix(n, "Get") && !strings.HasPrefix(n, "Describe") && n != "LookupEvents" {
			t.Errorf("event %s survived the reset", n)
		}
	}

	// Back in business: the same state applies again, from scratch.
	if n := len(e.apply(t, resetState).Changes); n < 5 {
		t.Fatalf("apply after reset changed %d things", n)
	}
	must[*sts.GetCallerIdentityOutput](t)(other.sts(ci).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))
}

func TestResetRefusedWithoutFlag(t *testing.T) {
	e := start(t)
	resp, err := http.Post(e.URL+"/_mantle/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /_mantle/reset without --allow-reset: HTTP %d, want 404", resp.StatusCode)
	}
	b, status := e.adminStatus(t, "/v1/reset", nil)
	if status != http.StatusForbidden || !strings.Contains(string(b), "--allow-reset") {
		t.Errorf("admin reset without --allow-reset: HTTP %d %s", status, b)
	}
	must[*iam.GetUserOutput](t)(e.iam(e.root()).GetUser(ctx(t), &iam.GetUserInput{}))
}
