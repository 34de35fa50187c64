package integration

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// The API refuses a document with IAM's verdict for where it goes, the
// verdicts of policy.TestValidateManagedRecorded (recorded against AWS):
// the same document passes PutUserPolicy and fails CreatePolicy for its
// missing Version, and a trust policy that is not JSON gets the trust
// parser's message.
func TestPolicyDocumentVerdictsByPlace(t *testing.T) {
	e := start(t)
	c := ctx(t)
	root := e.iam(e.root())
	must[*iam.CreateUserOutput](t)(root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("u")}))
	noVersion := `{"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}`

	_, err := root.CreatePolicy(c, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(noVersion)})
	wantCode(t, err, "MalformedPolicyDocument", "Policy document must be version 2012-10-17 or greater.")
	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(c, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("p"), PolicyDocument: aws.String(noVersion)}))

	cases := []struct{ doc, msg string }{
		{`{"Version":"2012-10-17","Statement":{"Effect":"denY","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}}`, "The policy failed legacy parsing"},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"aws:s3:::example_bucket"}}`, `Partition "s3" is not valid for resource "arn:s3:::example_bucket:*".`},
		{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam:us-east-1::example_bucket"}}`, "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information."},
		{`{"Version":"2012-10-17","Statement":{"Effect":"invalid","Action":"s3:ListBucket","Resource":"*"}}`, "Syntax errors in policy."},
	}
	for _, tc := range cases {
		_, err := root.CreatePolicyVersion(c, &iam.CreatePolicyVersionInput{PolicyArn: aws.String("arn:aws:iam::" + testAccount + ":policy/nope"), PolicyDocument: aws.String(tc.doc)})
		if err == nil {
			t.Fatalf("%s accepted", tc.doc)
		}
		_, err = root.PutUserPolicy(c, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("q"), PolicyDocument: aws.String(tc.doc)})
		wantCode(t, err, "MalformedPolicyDocument", tc.msg)
	}
	// AWS accepts these (moto's valid_policy_documents).
	for _, doc := range []string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:fdsasf"}}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringEqualsIfExists":{"a":"asf"}}}}`,
	} {
		must[*iam.CreatePolicyOutput](t)(root.CreatePolicy(c, &iam.CreatePolicyInput{PolicyName: aws.String("ok"), PolicyDocument: aws.String(doc)}))
		must[*iam.DeletePolicyOutput](t)(root.DeletePolicy(c, &iam.DeletePolicyInput{PolicyArn: aws.String("arn:aws:iam::" + testAccount + ":policy/ok")}))
	}
	_, err = root.CreateRole(c, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[`)})
	wantCode(t, err, "MalformedPolicyDocument", "This policy contains invalid Json")
}

// The service-role policies of the AWS managed set belong to service-linked
// roles only: attaching one to a customer's role is AWS's
// PolicyNotAttachable.
func TestServiceRolePolicyNotAttachable(t *testing.T) {
	e := start(t)
	c := ctx(t)
	root := e.iam(e.root())
	must[*iam.CreateRoleOutput](t)(root.CreateRole(c, &iam.CreateRoleInput{RoleName: aws.String("r"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))
	_, err := root.AttachRolePolicy(c, &iam.AttachRolePolicyInput{RoleName: aws.String("r"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy")})
	wantCode(t, err, "PolicyNotAttachable", "Cannot attach a Service Role Policy to a Customer Role.")
}
