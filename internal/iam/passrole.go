package iam

import (
	"context"

	"github.com/mantle-iam/mantle/internal/auth"
)

// iam:PassRole is a permission-only action: nothing calls it, but an
// operation that hands a role to a service for that service to assume later
// requires it as a dependent action, on the role's ARN. Of the operations
// mantle serves (IAM, STS, Organizations), the Service Authorization
// Reference and the API reference ("The caller of this operation must be
// granted the PassRole permission") name one: AddRoleToInstanceProfile,
// whose role EC2 (and mantle's IMDS) then hands to every process on the
// instance. The other served operations that take a role act on it
// (AttachRolePolicy, UpdateAssumeRolePolicy, …), assume it (STS, checked
// against its trust policy) or create it (Organizations CreateAccount), and
// pass it to no service.
//
// Roles mantle itself hands out are operator configuration, not requests:
// `serve --imds-instance-profile` and `--container-role` name the profile and
// role on the command line, with no caller to authorize, so no PassRole
// check applies there; the trust policy (ec2.amazonaws.com,
// ecs-tasks.amazonaws.com) still decides at each credentials request.

// Values AWS sets for the PassRole condition keys of
// AddRoleToInstanceProfile. The instance the profile will serve is not known
// yet, so iam:AssociatedResourceArn names every instance of the account in
// every Region; the API reference says a policy must use exactly
// arn:aws:ec2:*:ACCOUNT:instance/* to match it.
const ec2Service = "ec2.amazonaws.com"

func anyInstanceARN(account string) string { return "arn:aws:ec2:*:" + account + ":instance/*" }

// passRole authorizes c to pass the role at roleARN to service, for use by
// the resource associated (iam:AssociatedResourceArn). A denial reads as
// AWS's: "User: … is not authorized to perform: iam:PassRole on resource:
// ROLE because …".
func (s *Service) passRole(ctx context.Context, c *auth.Caller, roleARN, service, associated string) error {
	return s.authorize(ctx, c, "PassRole", roleARN,
		auth.Key{Name: "iam:PassedToService", Values: []string{service}},
		auth.Key{Name: "iam:AssociatedResourceArn", Values: []string{associated}})
}
