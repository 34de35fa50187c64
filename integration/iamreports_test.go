package integration

import (
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Service-linked roles through the SDK: the service's name, path, policy and
// trust, AWS's UnmodifiableEntity on edits (typed by the SDK), and deletion
// as a task.
func TestServiceLinkedRoleSDK(t *testing.T) {
	e := start(t)
	c := ctx(t)
	root := e.iam(e.root())
	r := must[*iam.CreateServiceLinkedRoleOutput](t)(root.CreateServiceLinkedRole(c, &iam.CreateServiceLinkedRoleInput{
		AWSServiceName: aws.String("elasticloadbalancing.amazonaws.com")})).Role
	if aws.ToString(r.Arn) != "arn:aws:iam::"+testAccount+":role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing" {
		t.Errorf("ARN %s", aws.ToString(r.Arn))
	}
	att := must[*iam.ListAttachedRolePoliciesOutput](t)(root.ListAttachedRolePolicies(c, &iam.ListAttachedRolePoliciesInput{RoleName: r.RoleName}))
	if len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != "arn:aws:iam::aws:policy/aws-service-role/AWSElasticLoadBalancingServiceRolePolicy" {
		t.Errorf("attached %+v", att.AttachedPolicies)
	}
	_, err := root.DetachRolePolicy(c, &iam.DetachRolePolicyInput{RoleName: r.RoleName, PolicyArn: att.AttachedPolicies[0].PolicyArn})
	var ue *types.UnmodifiableEntityException
	if !errors.As(err, &ue) || aws.ToString(ue.Message) != "Cannot perform the operation on the protected role 'AWSServiceRoleForElasticLoadBalancing' - this role is only modifiable by AWS" {
		t.Errorf("DetachRolePolicy: %v", err)
	}
	_, err = root.DeleteRole(c, &iam.DeleteRoleInput{RoleName: r.RoleName})
	wantCode(t, err, "UnmodifiableEntity", "protected role")
	_, err = root.CreateServiceLinkedRole(c, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("elasticloadbalancing.amazonaws.com")})
	wantCode(t, err, "InvalidInput", "Service role name AWSServiceRoleForElasticLoadBalancing has been taken in this account, please try a different suffix.")

	del := must[*iam.DeleteServiceLinkedRoleOutput](t)(root.DeleteServiceLinkedRole(c, &iam.DeleteServiceLinkedRoleInput{RoleName: r.RoleName}))
	st := must[*iam.GetServiceLinkedRoleDeletionStatusOutput](t)(root.GetServiceLinkedRoleDeletionStatus(c, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: del.DeletionTaskId}))
	if st.Status != types.DeletionTaskStatusTypeSucceeded {
		t.Errorf("deletion status %s", st.Status)
	}
	_, err = root.GetRole(c, &iam.GetRoleInput{RoleName: r.RoleName})
	wantCode(t, err, "NoSuchEntity", "")
}

// The credential report through the SDK: the first Generate starts it, the
// next finds it complete, and the content (base64 on the wire, decoded by
// the SDK) is AWS's CSV.
func TestCredentialReportSDK(t *testing.T) {
	e := start(t)
	c := ctx(t)
	root := e.iam(e.root())
	_, err := root.GetCredentialReport(c, &iam.GetCredentialReportInput{})
	var np *types.CredentialReportNotPresentException
	if !errors.As(err, &np) {
		t.Fatalf("before generating: %v", err)
	}
	must[*iam.CreateUserOutput](t)(root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("carol")}))
	g := must[*iam.GenerateCredentialReportOutput](t)(root.GenerateCredentialReport(c, &iam.GenerateCredentialReportInput{}))
	if g.State != types.ReportStateTypeStarted {
		t.Errorf("first generate %s", g.State)
	}
	g = must[*iam.GenerateCredentialReportOutput](t)(root.GenerateCredentialReport(c, &iam.GenerateCredentialReportInput{}))
	if g.State != types.ReportStateTypeComplete {
		t.Errorf("second generate %s", g.State)
	}
	rep := must[*iam.GetCredentialReportOutput](t)(root.GetCredentialReport(c, &iam.GetCredentialReportInput{}))
	rows, err := csv.NewReader(strings.NewReader(string(rep.Content))).ReadAll()
	if err != nil || len(rows) != 3 || len(rows[0]) != 22 || rows[1][0] != "<root_account>" || rows[2][0] != "carol" ||
		rows[2][1] != "arn:aws:iam::"+testAccount+":user/carol" || rep.ReportFormat != types.ReportFormatTypeTextCsv {
		t.Errorf("report %v %q", err, rep.Content)
	}
	// The root row carries the root key mantle was started with.
	if rows[1][8] != "true" {
		t.Errorf("root access_key_1_active %s", rows[1][8])
	}
}

// Access advisor from mantle's own trail: a user's calls show as its last
// access of the service once the trail holds them.
func TestAccessAdvisorSDK(t *testing.T) {
	e := start(t)
	c := ctx(t)
	root := e.iam(e.root())
	must[*iam.CreateUserOutput](t)(root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("dora")}))
	must[*iam.AttachUserPolicyOutput](t)(root.AttachUserPolicy(c, &iam.AttachUserPolicyInput{UserName: aws.String("dora"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))
	k := must[*iam.CreateAccessKeyOutput](t)(root.CreateAccessKey(c, &iam.CreateAccessKeyInput{UserName: aws.String("dora")})).AccessKey
	dora := e.iam(creds{aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), ""})
	must[*iam.ListUsersOutput](t)(dora.ListUsers(c, &iam.ListUsersInput{}))
	arn := "arn:aws:iam::" + testAccount + ":user/dora"

	deadline := time.Now().Add(20 * time.Second)
	for {
		id := must[*iam.GenerateServiceLastAccessedDetailsOutput](t)(root.GenerateServiceLastAccessedDetails(c, &iam.GenerateServiceLastAccessedDetailsInput{
			Arn: aws.String(arn), Granularity: types.AccessAdvisorUsageGranularityTypeActionLevel})).JobId
		out := must[*iam.GetServiceLastAccessedDetailsOutput](t)(root.GetServiceLastAccessedDetails(c, &iam.GetServiceLastAccessedDetailsInput{JobId: id}))
		if out.JobStatus != types.JobStatusTypeCompleted || len(out.ServicesLastAccessed) != 1 || aws.ToString(out.ServicesLastAccessed[0].ServiceNamespace) != "iam" {
			t.Fatalf("job %+v", out)
		}
		if s := out.ServicesLastAccessed[0]; s.LastAuthenticated != nil {
			if aws.ToString(s.LastAuthenticatedEntity) != arn || len(s.TrackedActionsLastAccessed) != 1 ||
				aws.ToString(s.TrackedActionsLastAccessed[0].ActionName) != "ListUsers" {
				t.Errorf("iam %+v", s)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("dora's call never reached the report")
		}
		time.Sleep(200 * time.Millisecond)
	}
	lp := must[*iam.ListPoliciesGrantingServiceAccessOutput](t)(root.ListPoliciesGrantingServiceAccess(c, &iam.ListPoliciesGrantingServiceAccessInput{
		Arn: aws.String(arn), ServiceNamespaces: []string{"iam"}}))
	if len(lp.PoliciesGrantingServiceAccess) != 1 || len(lp.PoliciesGrantingServiceAccess[0].Policies) != 1 ||
		aws.ToString(lp.PoliciesGrantingServiceAccess[0].Policies[0].PolicyArn) != "arn:aws:iam::aws:policy/IAMReadOnlyAccess" {
		t.Errorf("granting %+v", lp.PoliciesGrantingServiceAccess)
	}
}
