package integration

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// Centralized root access ("Centrally manage root access for member
// accounts"; STS AssumeRoot): with IAM's trusted access and root sessions
// enabled, an IAM principal of the management account gets a root session
// of a member account limited to a task policy; anything outside the task
// is refused.
func TestAssumeRoot(t *testing.T) {
	e := start(t)
	c := ctx(t)
	o := e.orgs(e.root())
	_, member := e.orgWithMember(t, "rooted")
	task := "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
	ops := e.newUser("root-ops", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRoot","Resource":"*"}]}`)
	assumeRoot := func(target, arn string) (*sts.AssumeRootOutput, error) {
		return e.sts(ops).AssumeRoot(c, &sts.AssumeRootInput{TargetPrincipal: aws.String(target), TaskPolicyArn: &ststypes.PolicyDescriptorType{Arn: aws.String(arn)}})
	}

	_, err := e.iam(e.root()).ListOrganizationsFeatures(c, &iam.ListOrganizationsFeaturesInput{})
	wantCode(t, err, "ServiceAccessNotEnabledException", "")
	must[*organizations.EnableAWSServiceAccessOutput](t)(o.EnableAWSServiceAccess(c, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String("iam.amazonaws.com")}))
	_, err = assumeRoot(member, task)
	wantCode(t, err, "AccessDenied", "is not authorized to perform: sts:AssumeRoot on resource: arn:aws:iam::"+member+":root")
	en := must[*iam.EnableOrganizationsRootSessionsOutput](t)(e.iam(e.root()).EnableOrganizationsRootSessions(c, &iam.EnableOrganizationsRootSessionsInput{}))
	if len(en.EnabledFeatures) != 1 || en.EnabledFeatures[0] != "RootSessions" || aws.ToString(en.OrganizationId) == "" {
		t.Fatalf("features %+v", en)
	}
	// A member account is no management account.
	_, err = e.iam(e.memberAdmin(t, member)).EnableOrganizationsRootSessions(c, &iam.EnableOrganizationsRootSessionsInput{})
	wantCode(t, err, "CallerIsNotManagementAccountException", "")

	_, err = assumeRoot(member, "arn:aws:iam::aws:policy/AdministratorAccess")
	wantCode(t, err, "ValidationError", "")
	_, err = assumeRoot(testAccount, task)
	wantCode(t, err, "AccessDenied", "")
	out := must[*sts.AssumeRootOutput](t)(assumeRoot(member, task))
	root := creds{aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken)}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d > 15*time.Minute || d < 14*time.Minute {
		t.Fatalf("root session lasts %v", d)
	}
	id := must[*sts.GetCallerIdentityOutput](t)(e.sts(root).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Arn) != "arn:aws:iam::"+member+":root" || aws.ToString(id.Account) != member {
		t.Fatalf("identity %+v", id)
	}
	// Within the task: auditing root's credentials.
	must[*iam.GetAccountSummaryOutput](t)(e.iam(root).GetAccountSummary(c, &iam.GetAccountSummaryInput{}))
	must[*iam.ListMFADevicesOutput](t)(e.iam(root).ListMFADevices(c, &iam.ListMFADevicesInput{}))
	// Outside it: refused by the task policy, the session policy.
	_, err = e.iam(root).CreateUser(c, &iam.CreateUserInput{UserName: aws.String("sneaky")})
	wantCode(t, err, "AccessDenied", "with an explicit deny in a session policy")
	_, err = e.iam(root).ListUsers(c, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied", "with an explicit deny in a session policy")

	must[*iam.DisableOrganizationsRootSessionsOutput](t)(e.iam(e.root()).DisableOrganizationsRootSessions(c, &iam.DisableOrganizationsRootSessionsInput{}))
	_, err = assumeRoot(member, task)
	wantCode(t, err, "AccessDenied", "")
}
