package sts

import (
	"strings"

	"github.com/mantle-iam/mantle/internal/awserr"
)

// checkRoleARN applies STS's ARN syntax to a RoleArn before anything else:
// arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE with partition, service and
// resource present. AWS answers "X is invalid" (ValidationError) for
// "nothing-valid-in-here", "arn::b:::something/test-role",
// "arn:a::::something/test-role", "arn:a:::something/test-role" and
// "arn:a:a::aaaaaaaaaa:" (localstack's recorded AWS answers,
// tests/aws/services/sts/test_sts.snapshot.json, test_sts_invalid_parameters).
func checkRoleARN(arn string) error {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return invalidARN(arn)
	}
	return nil
}

func invalidARN(arn string) error { return awserr.ValidationError("%s is invalid", arn) }
