// Package imds serves a role's temporary credentials to workloads through
// the local endpoints AWS's SDKs already know, so a program finds them with
// its default credential chain and no configuration of its own:
//
//   - the EC2 instance metadata service, IMDSv2 only (HttpTokens=required):
//     a session token from PUT /latest/api/token on every GET, the
//     instance profile's role under /latest/meta-data/iam/, the instance ID,
//     placement and the instance identity document (SDKs read the region
//     there);
//   - the container credentials endpoint of ECS and EKS Pod Identity
//     (AWS_CONTAINER_CREDENTIALS_FULL_URI with
//     AWS_CONTAINER_AUTHORIZATION_TOKEN or _TOKEN_FILE).
//
// The credentials are a role session issued as the AWS service would obtain
// it (internal/sts AssumeRoleForService: the role's trust policy must allow
// ec2.amazonaws.com or ecs-tasks.amazonaws.com). The instance profile and
// the role are read at every credentials request, so a role that is removed,
// replaced or no longer trusts the service shows at once; the credentials
// themselves are cached and handed out unchanged until they come within the
// refresh window of their expiry (Rotator), as EC2 makes new credentials
// available well before the old ones expire.
//
// IMDS session tokens are stateless: an expiry sealed with an HMAC under a
// key made at start, so they cost no memory and end with the process.
package imds
