package iam

import (
	"net/url"
	"regexp"
	"testing"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	"github.com/mantle-iam/mantle/internal/iam/awsmanaged"
)

// Every service's policy is a shipped AWS managed policy under
// /aws-service-role/, and every role name is a valid one.
func TestLinkedServices(t *testing.T) {
	ps, err := awsmanaged.All()
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, p := range ps {
		if p.Path == "/aws-service-role/" {
			linked[p.Name] = true
		}
	}
	for svc, l := range linkedServices {
		if !linked[l.policy] {
			t.Errorf("%s: no AWS managed policy %s under /aws-service-role/", svc, l.policy)
		}
		if len(l.role) > 64 || l.role[:17] != "AWSServiceRoleFor" {
			t.Errorf("%s: role name %s", svc, l.role)
		}
	}
}

func TestServiceLinkedRole(t *testing.T) {
	e := newEnv(t)
	out := must[*iamapi.CreateServiceLinkedRoleOutput](t)(e.s.CreateServiceLinkedRole(e.ctx, e.root, &iamapi.CreateServiceLinkedRoleInput{AWSServiceName: "ecs.amazonaws.com"}))
	r := out.Role
	if r.RoleName != "AWSServiceRoleForECS" || r.Path != "/aws-service-role/ecs.amazonaws.com/" ||
		r.Arn != "arn:aws:iam::"+acct+":role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS" {
		t.Errorf("role %+v", r)
	}
	if doc, _ := url.QueryUnescape(r.AssumeRolePolicyDocument); doc != serviceTrustPolicy("ecs.amazonaws.com") {
		t.Errorf("trust policy %s", doc)
	}
	att := must[*iamapi.ListAttachedRolePoliciesOutput](t)(e.s.ListAttachedRolePolicies(e.ctx, e.root, &iamapi.ListAttachedRolePoliciesInput{RoleName: r.RoleName}))
	if len(att.AttachedPolicies) != 1 || att.AttachedPolicies[0].PolicyArn != "arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy" {
		t.Errorf("attached %+v", att.AttachedPolicies)
	}
	p := must[*iamapi.GetPolicyOutput](t)(e.s.GetPolicy(e.ctx, e.root, &iamapi.GetPolicyInput{PolicyArn: "arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy"}))
	if *p.Policy.AttachmentCount != 1 {
		t.Errorf("AttachmentCount %d", *p.Policy.AttachmentCount)
	}

	// Errors as IAM words them (sources in servicelinked.go).
	_, err := e.s.CreateServiceLinkedRole(e.ctx, e.root, &iamapi.CreateServiceLinkedRoleInput{AWSServiceName: "ecs.amazonaws.com"})
	wantErr(t, err, "InvalidInput", "Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix.")
	_, err = e.s.CreateServiceLinkedRole(e.ctx, e.root, &iamapi.CreateServiceLinkedRoleInput{AWSServiceName: "es.amazonaws.com", CustomSuffix: "x"})
	wantErr(t, err, "InvalidInput", "Custom suffix is not allowed for es.amazonaws.com")
	asg := must[*iamapi.CreateServiceLinkedRoleOutput](t)(e.s.CreateServiceLinkedRole(e.ctx, e.root, &iamapi.CreateServiceLinkedRoleInput{AWSServiceName: "autoscaling.amazonaws.com", CustomSuffix: "blue", Description: "blue fleet"}))
	if asg.Role.RoleName != "AWSServiceRoleForAutoScaling_blue" || asg.Role.Description != "blue fleet" {
		t.Errorf("suffixed role %+v", asg.Role)
	}
	_, err = e.s.CreateRole(e.ctx, e.root, &iamapi.CreateRoleInput{RoleName: "sneaky", Path: "/aws-service-role/ecs.amazonaws.com/", AssumeRolePolicyDocument: trustDoc})
	wantErr(t, err, "InvalidInput", "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles")

	// Only the service may change the role.
	const msg = "Cannot perform the operation on the protected role 'AWSServiceRoleForECS' - this role is only modifiable by AWS"
	name := "AWSServiceRoleForECS"
	for _, tc := range []struct {
		action string
		call   func() error
	}{
		{"UpdateAssumeRolePolicy", func() error {
			_, err := e.s.UpdateAssumeRolePolicy(e.ctx, e.root, &iamapi.UpdateAssumeRolePolicyInput{RoleName: name, PolicyDocument: trustDoc})
			return err
		}},
		{"PutRolePolicy", func() error {
			_, err := e.s.PutRolePolicy(e.ctx, e.root, &iamapi.PutRolePolicyInput{RoleName: name, PolicyName: "x", PolicyDocument: allowS3})
			return err
		}},
		{"DeleteRolePolicy", func() error {
			_, err := e.s.DeleteRolePolicy(e.ctx, e.root, &iamapi.DeleteRolePolicyInput{RoleName: name, PolicyName: "x"})
			return err
		}},
		{"AttachRolePolicy", func() error {
			_, err := e.s.AttachRolePolicy(e.ctx, e.root, &iamapi.AttachRolePolicyInput{RoleName: name, PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"})
			return err
		}},
		{"DetachRolePolicy", func() error {
			_, err := e.s.DetachRolePolicy(e.ctx, e.root, &iamapi.DetachRolePolicyInput{RoleName: name, PolicyArn: "arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy"})
			return err
		}},
		{"PutRolePermissionsBoundary", func() error {
			_, err := e.s.PutRolePermissionsBoundary(e.ctx, e.root, &iamapi.PutRolePermissionsBoundaryInput{RoleName: name, PermissionsBoundary: "arn:aws:iam::aws:policy/ReadOnlyAccess"})
			return err
		}},
		{"DeleteRole", func() error {
			_, err := e.s.DeleteRole(e.ctx, e.root, &iamapi.DeleteRoleInput{RoleName: name})
			return err
		}},
	} {
		t.Run(tc.action, func(t *testing.T) { wantErr(t, tc.call(), "UnmodifiableEntity", msg) })
	}
	// Its description is the caller's to edit, as in AWS.
	must[*iamapi.UpdateRoleDescriptionOutput](t)(e.s.UpdateRoleDescription(e.ctx, e.root, &iamapi.UpdateRoleDescriptionInput{RoleName: name, Description: "d"}))

	// Deleting it is a task; the role and its attachment go at once.
	del := must[*iamapi.DeleteServiceLinkedRoleOutput](t)(e.s.DeleteServiceLinkedRole(e.ctx, e.root, &iamapi.DeleteServiceLinkedRoleInput{RoleName: name}))
	if !regexpMatch(`^task/aws-service-role/ecs\.amazonaws\.com/AWSServiceRoleForECS/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, del.DeletionTaskId) {
		t.Errorf("task ID %s", del.DeletionTaskId)
	}
	st := must[*iamapi.GetServiceLinkedRoleDeletionStatusOutput](t)(e.s.GetServiceLinkedRoleDeletionStatus(e.ctx, e.root, &iamapi.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: del.DeletionTaskId}))
	if st.Status != "SUCCEEDED" || st.Reason != nil {
		t.Errorf("status %+v", st)
	}
	_, err = e.s.GetRole(e.ctx, e.root, &iamapi.GetRoleInput{RoleName: name})
	wantErr(t, err, "NoSuchEntity", "")
	p = must[*iamapi.GetPolicyOutput](t)(e.s.GetPolicy(e.ctx, e.root, &iamapi.GetPolicyInput{PolicyArn: "arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy"}))
	if *p.Policy.AttachmentCount != 0 {
		t.Errorf("AttachmentCount after deletion %d", *p.Policy.AttachmentCount)
	}
	_, err = e.s.GetServiceLinkedRoleDeletionStatus(e.ctx, e.root, &iamapi.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: "task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/00000000-0000-4000-8000-000000000000"})
	wantErr(t, err, "NoSuchEntity", "")
	e.role(t, "plain")
	_, err = e.s.DeleteServiceLinkedRole(e.ctx, e.root, &iamapi.DeleteServiceLinkedRoleInput{RoleName: "plain"})
	wantErr(t, err, "InvalidInput", "")
	// The role can be created again once deleted.
	must[*iamapi.CreateServiceLinkedRoleOutput](t)(e.s.CreateServiceLinkedRole(e.ctx, e.root, &iamapi.CreateServiceLinkedRoleInput{AWSServiceName: "ecs.amazonaws.com"}))
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }
