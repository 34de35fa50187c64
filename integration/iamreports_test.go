package integration

import (
	"encoding/csv"
	"errors"
	"strings"
	"testing"

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
