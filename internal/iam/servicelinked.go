package iam

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// serviceLinkedPath starts the path of every service-linked role
// (/aws-service-role/SERVICE/); IAM keeps it for them.
const serviceLinkedPath = "/aws-service-role/"

// linkedService is what IAM knows of a service that has a service-linked
// role: the role's name and the AWS managed policy (under
// /aws-service-role/) the service attaches to it.
type linkedService struct {
	role   string
	policy string
	// suffix: the service accepts CustomSuffix, appended after "_" (Auto
	// Scaling's AWSServiceRoleForAutoScaling_SUFFIX); others refuse it.
	suffix bool
}

// linkedServices are the services of "AWS services that work with IAM"
// (IAM User Guide) whose service-linked role is used most, with the role
// names and policies their "Using service-linked roles" pages give; every
// policy is one of the shipped AWS managed policies (TestLinkedServices).
var linkedServices = map[string]linkedService{
	"autoscaling.amazonaws.com":                      {"AWSServiceRoleForAutoScaling", "AutoScalingServiceRolePolicy", true},
	"elasticloadbalancing.amazonaws.com":             {"AWSServiceRoleForElasticLoadBalancing", "AWSElasticLoadBalancingServiceRolePolicy", false},
	"ecs.amazonaws.com":                              {"AWSServiceRoleForECS", "AmazonECSServiceRolePolicy", false},
	"rds.amazonaws.com":                              {"AWSServiceRoleForRDS", "AmazonRDSServiceRolePolicy", false},
	"organizations.amazonaws.com":                    {"AWSServiceRoleForOrganizations", "AWSOrganizationsServiceTrustPolicy", false},
	"spot.amazonaws.com":                             {"AWSServiceRoleForEC2Spot", "AWSEC2SpotServiceRolePolicy", false},
	"spotfleet.amazonaws.com":                        {"AWSServiceRoleForEC2SpotFleet", "AWSEC2SpotFleetServiceRolePolicy", false},
	"eks.amazonaws.com":                              {"AWSServiceRoleForAmazonEKS", "AmazonEKSServiceRolePolicy", false},
	"eks-nodegroup.amazonaws.com":                    {"AWSServiceRoleForAmazonEKSNodegroup", "AWSServiceRoleForAmazonEKSNodegroup", false},
	"eks-fargate.amazonaws.com":                      {"AWSServiceRoleForAmazonEKSForFargate", "AmazonEKSForFargateServiceRolePolicy", false},
	"elasticache.amazonaws.com":                      {"AWSServiceRoleForElastiCache", "ElastiCacheServiceRolePolicy", false},
	"opensearchservice.amazonaws.com":                {"AWSServiceRoleForAmazonOpenSearchService", "AmazonOpenSearchServiceRolePolicy", false},
	"es.amazonaws.com":                               {"AWSServiceRoleForAmazonElasticsearchService", "AmazonElasticsearchServiceRolePolicy", false},
	"config.amazonaws.com":                           {"AWSServiceRoleForConfig", "AWSConfigServiceRolePolicy", false},
	"guardduty.amazonaws.com":                        {"AWSServiceRoleForAmazonGuardDuty", "AmazonGuardDutyServiceRolePolicy", false},
	"securityhub.amazonaws.com":                      {"AWSServiceRoleForSecurityHub", "AWSSecurityHubServiceRolePolicy", false},
	"trustedadvisor.amazonaws.com":                   {"AWSServiceRoleForTrustedAdvisor", "AWSTrustedAdvisorServiceRolePolicy", false},
	"support.amazonaws.com":                          {"AWSServiceRoleForSupport", "AWSSupportServiceRolePolicy", false},
	"sso.amazonaws.com":                              {"AWSServiceRoleForSSO", "AWSSSOServiceRolePolicy", false},
	"cloudtrail.amazonaws.com":                       {"AWSServiceRoleForCloudTrail", "CloudTrailServiceRolePolicy", false},
	"access-analyzer.amazonaws.com":                  {"AWSServiceRoleForAccessAnalyzer", "AccessAnalyzerServiceRolePolicy", false},
	"ssm.amazonaws.com":                              {"AWSServiceRoleForAmazonSSM", "AmazonSSMServiceRolePolicy", false},
	"replicator.lambda.amazonaws.com":                {"AWSServiceRoleForLambdaReplicator", "AWSLambdaReplicator", false},
	"dynamodb.application-autoscaling.amazonaws.com": {"AWSServiceRoleForApplicationAutoScaling_DynamoDBTable", "AWSApplicationAutoscalingDynamoDBTablePolicy", false},
	"ecs.application-autoscaling.amazonaws.com":      {"AWSServiceRoleForApplicationAutoScaling_ECSService", "AWSApplicationAutoscalingECSServicePolicy", false},
	"ec2.application-autoscaling.amazonaws.com":      {"AWSServiceRoleForApplicationAutoScaling_EC2SpotFleetRequest", "AWSApplicationAutoscalingEC2SpotFleetRequestPolicy", false},
	"lambda.application-autoscaling.amazonaws.com":   {"AWSServiceRoleForApplicationAutoScaling_LambdaConcurrency", "AWSApplicationAutoscalingLambdaConcurrencyPolicy", false},
	"rds.application-autoscaling.amazonaws.com":      {"AWSServiceRoleForApplicationAutoScaling_RDSCluster", "AWSApplicationAutoscalingRDSClusterPolicy", false},
	"transitgateway.amazonaws.com":                   {"AWSServiceRoleForVPCTransitGateway", "AWSVPCTransitGatewayServiceRolePolicy", false},
	"compute-optimizer.amazonaws.com":                {"AWSServiceRoleForComputeOptimizer", "ComputeOptimizerServiceRolePolicy", false},
	"backup.amazonaws.com":                           {"AWSServiceRoleForBackup", "AWSBackupServiceLinkedRolePolicyForBackup", false},
	"kafka.amazonaws.com":                            {"AWSServiceRoleForKafka", "KafkaServiceRolePolicy", false},
	"redshift.amazonaws.com":                         {"AWSServiceRoleForRedshift", "AmazonRedshiftServiceLinkedRolePolicy", false},
	"elasticmapreduce.amazonaws.com":                 {"AWSServiceRoleForEMRCleanup", "AmazonEMRCleanupPolicy", false},
	"globalaccelerator.amazonaws.com":                {"AWSServiceRoleForGlobalAccelerator", "AWSGlobalAcceleratorSLRPolicy", false},
	"ops.apigateway.amazonaws.com":                   {"AWSServiceRoleForAPIGateway", "APIGatewayServiceRolePolicy", false},
	"elasticbeanstalk.amazonaws.com":                 {"AWSServiceRoleForElasticBeanstalk", "AWSElasticBeanstalkServiceRolePolicy", false},
	"inspector2.amazonaws.com":                       {"AWSServiceRoleForAmazonInspector2", "AmazonInspector2ServiceRolePolicy", false},
	"mq.amazonaws.com":                               {"AWSServiceRoleForAmazonMQ", "AmazonMQServiceRolePolicy", false},
	"events.amazonaws.com":                           {"AWSServiceRoleForCloudWatchEvents", "CloudWatchEventsServiceRolePolicy", false},
	"controltower.amazonaws.com":                     {"AWSServiceRoleForAWSControlTower", "AWSControlTowerAccountServiceRolePolicy", false},
}

// isServiceLinked reports whether a role is a service-linked role: the
// path is theirs alone (CreateRole refuses it).
func isServiceLinked(r *store.Role) bool { return strings.HasPrefix(r.Path, serviceLinkedPath) }

// unmodifiable is AWS's refusal of an edit to a role only its service may
// change, as recorded from IAM (e.g. rebuy-de/aws-nuke#331, DetachRolePolicy
// in gruntwork-io/cloud-nuke#880).
func unmodifiable(name string) *awserr.Error {
	return awserr.New("UnmodifiableEntity", http.StatusBadRequest, "Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", name)
}

// modifiableRole refuses an edit to a service-linked role.
func modifiableRole(r *store.Role) error {
	if isServiceLinked(r) {
		return unmodifiable(r.Name)
	}
	return nil
}

// checkRolePath refuses the service-linked roles' path to CreateRole, with
// IAM's message (tilfin/aws-iam-policy-tool#9).
func checkRolePath(path string) error {
	if strings.HasPrefix(path, serviceLinkedPath) {
		return awserr.InvalidInput("Path prefix '%s' can only be used for AWS Service linked Roles", serviceLinkedPath)
	}
	return nil
}

func serviceTrustPolicy(service string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":"sts:AssumeRole"}]}`
}

func (s *Service) CreateServiceLinkedRole(ctx context.Context, c *auth.Caller, in *iamapi.CreateServiceLinkedRoleInput) (*iamapi.CreateServiceLinkedRoleOutput, error) {
	svc, ok := linkedServices[in.AWSServiceName]
	if !ok {
		return nil, awserr.InvalidInput("Service %s does not support service-linked roles.", in.AWSServiceName)
	}
	name := svc.role
	if in.CustomSuffix != "" || in.Sent("CustomSuffix") {
		if !svc.suffix {
			// Recorded from IAM: terraform-community-modules/tf_aws_elasticsearch#23.
			return nil, awserr.InvalidInput("Custom suffix is not allowed for %s", in.AWSServiceName)
		}
		name += "_" + in.CustomSuffix
		if len(name) > 64 {
			return nil, awserr.ValidationError("1 validation error detected: Value '%s' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64", name)
		}
	}
	path := serviceLinkedPath + in.AWSServiceName + "/"
	if err := s.authorize(ctx, c, "CreateServiceLinkedRole", iamARN(c.AccountID, "role", path, name),
		auth.Key{Name: "iam:AWSServiceName", Values: []string{in.AWSServiceName}}); err != nil {
		return nil, err
	}
	pol, err := s.store.Policies().Get(ctx, store.AWSAccount, svc.policy)
	if err != nil {
		return nil, err
	}
	id, err := s.newID(prefixRole)
	if err != nil {
		return nil, err
	}
	r := &store.Role{AccountID: c.AccountID, ID: id, Name: name, Path: path, TrustPolicy: serviceTrustPolicy(in.AWSServiceName),
		Description: in.Description, MaxSessionDuration: 3600, CreatedAt: s.clock()}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		// Recorded from IAM: Rayraegah/terraform-aws-hasura#17.
		taken := awserr.InvalidInput("Service role name %s has been taken in this account, please try a different suffix.", name)
		if err := createRole(ctx, tx, r, taken); err != nil {
			return err
		}
		if err := tx.Attachments().Attach(ctx, store.Attachment{PolicyID: pol.ID, EntityType: store.EntityRole, EntityID: r.ID}); err != nil {
			return err
		}
		return countUse(ctx, tx, c.AccountID, pol, 1, 0)
	})
	if err != nil {
		return nil, err
	}
	out := roleOut(r, true)
	out.RoleLastUsed = nil
	return &iamapi.CreateServiceLinkedRoleOutput{Role: ptr(out)}, nil
}

// Deletion task states (GetServiceLinkedRoleDeletionStatus).
const (
	deletionSucceeded = "SUCCEEDED"
	deletionFailed    = "FAILED"
	jobSLRDeletion    = "service-linked-role-deletion"
)

// deletionFailure is a failed task's Reason, stored as JSON.
type deletionFailure struct {
	Reason    string   `json:"reason"`
	Resources []string `json:"resources,omitempty"`
}

// DeleteServiceLinkedRole deletes the role at once, with its policies, as
// the service would once it no longer uses the role; the task records the
// outcome for GetServiceLinkedRoleDeletionStatus. A role still in an
// instance profile is in use: the task fails and names it, and the role
// stays.
func (s *Service) DeleteServiceLinkedRole(ctx context.Context, c *auth.Caller, in *iamapi.DeleteServiceLinkedRoleInput) (*iamapi.DeleteServiceLinkedRoleOutput, error) {
	r, err := s.roleTarget(ctx, c, "DeleteServiceLinkedRole", in.RoleName)
	if err != nil {
		return nil, err
	}
	if !isServiceLinked(r) {
		return nil, awserr.InvalidInput("Role %s is not a service-linked role.", r.Name)
	}
	service := strings.TrimSuffix(strings.TrimPrefix(r.Path, serviceLinkedPath), "/")
	taskID, err := s.deletionTaskID(service, r.Name)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	job := &store.Job{AccountID: c.AccountID, ID: taskID, Kind: jobSLRDeletion, Status: deletionSucceeded, CreatedAt: now, CompletedAt: &now}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		r, err := reloadRole(ctx, tx, r.ID, r.Name)
		if err != nil {
			return err
		}
		ips, err := tx.InstanceProfiles().ListForRole(ctx, r.ID)
		if err != nil {
			return err
		}
		if len(ips) > 0 {
			f := deletionFailure{Reason: "The role is in use by instance profiles."}
			for _, ip := range ips {
				f.Resources = append(f.Resources, iamARN(ip.AccountID, "instance-profile", ip.Path, ip.Name))
			}
			b, _ := json.Marshal(f)
			job.Status, job.Result = deletionFailed, string(b)
			return tx.Jobs().Put(ctx, job)
		}
		if err := s.dropRolePolicies(ctx, tx, r); err != nil {
			return err
		}
		if err := s.countBoundary(ctx, tx, r.AccountID, r.PermissionsBoundary, ""); err != nil {
			return err
		}
		if err := tx.Roles().Delete(ctx, r.ID); err != nil {
			return err
		}
		return tx.Jobs().Put(ctx, job)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteServiceLinkedRoleOutput{DeletionTaskId: taskID}, nil
}

// dropRolePolicies detaches every managed policy of a role being deleted
// and deletes its inline policies, counting the detachments.
func (s *Service) dropRolePolicies(ctx context.Context, tx store.Repos, r *store.Role) error {
	att, err := tx.Attachments().ListForEntity(ctx, store.EntityRole, r.ID)
	if err != nil {
		return err
	}
	for _, mp := range att {
		if err := tx.Attachments().Detach(ctx, store.Attachment{PolicyID: mp.ID, EntityType: store.EntityRole, EntityID: r.ID}); err != nil {
			return err
		}
		if err := countUse(ctx, tx, r.AccountID, mp, -1, 0); err != nil {
			return err
		}
	}
	inl, err := tx.InlinePolicies().List(ctx, store.EntityRole, r.ID)
	if err != nil {
		return err
	}
	for _, ip := range inl {
		if err := tx.InlinePolicies().Delete(ctx, store.EntityRole, r.ID, ip.Name); err != nil {
			return err
		}
	}
	return nil
}

// deletionTaskID is AWS's form of a deletion task ID,
// task/aws-service-role/SERVICE/ROLE/UUID.
func (s *Service) deletionTaskID(service, role string) (string, error) {
	id, err := s.newJobID()
	return "task/aws-service-role/" + service + "/" + role + "/" + id, err
}

func (s *Service) GetServiceLinkedRoleDeletionStatus(ctx context.Context, c *auth.Caller, in *iamapi.GetServiceLinkedRoleDeletionStatusInput) (*iamapi.GetServiceLinkedRoleDeletionStatusOutput, error) {
	// The task names its role: task/aws-service-role/SERVICE/ROLE/UUID.
	parts := strings.Split(in.DeletionTaskId, "/")
	if len(parts) != 5 || parts[0] != "task" || parts[1] != "aws-service-role" {
		return nil, awserr.InvalidInput("Invalid deletion task id: %s", in.DeletionTaskId)
	}
	arn := iamARN(c.AccountID, "role", serviceLinkedPath+parts[2]+"/", parts[3])
	if err := s.authorize(ctx, c, "GetServiceLinkedRoleDeletionStatus", arn); err != nil {
		return nil, err
	}
	j, err := s.store.Jobs().Get(ctx, c.AccountID, in.DeletionTaskId)
	if err != nil || j.Kind != jobSLRDeletion {
		return nil, notFoundAs(orNotFound(err), awserr.NoSuchEntity("Deletion task %s cannot be found.", in.DeletionTaskId))
	}
	out := &iamapi.GetServiceLinkedRoleDeletionStatusOutput{Status: j.Status}
	if j.Status == deletionFailed {
		var f deletionFailure
		if err := json.Unmarshal([]byte(j.Result), &f); err != nil {
			return nil, err
		}
		out.Reason = &iamapi.DeletionTaskFailureReasonType{Reason: f.Reason,
			RoleUsageList: []iamapi.RoleUsageType{{Region: "us-east-1", Resources: f.Resources}}}
	}
	return out, nil
}
