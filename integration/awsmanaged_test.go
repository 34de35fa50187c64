package integration

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// retrying is an IAM client that retries as the SDK does by default. Its
// transport can close the connection of a large answer that arrives before
// it has finished with the request (aws/aws-sdk-go-v2#2737, answered by
// retrying net.ErrClosed, #2949), which the harness's non-retrying clients
// report; AWS managed policies make large answers.
func retrying(e *env, c creds) *iam.Client {
	return iam.NewFromConfig(e.config(c), func(o *iam.Options) { o.Retryer = retry.NewStandard() })
}

// listAWSPolicies pages through ListPolicies with the SDK's paginator.
func listAWSPolicies(t *testing.T, e *env, in *iam.ListPoliciesInput) []types.Policy {
	t.Helper()
	var out []types.Policy
	p := iam.NewListPoliciesPaginator(retrying(e, e.root()), in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Policies...)
	}
	return out
}

// All of AWS's managed policies are served, and the ones tutorials and
// infrastructure modules attach by ARN work as AWS's do.
func TestAWSManagedPoliciesSDK(t *testing.T) {
	e := start(t)
	c := ctx(t)
	root := retrying(e, e.root())

	all := listAWSPolicies(t, e, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, MaxItems: aws.Int32(400)})
	if len(all) != 1569 {
		t.Fatalf("%d AWS managed policies, want 1569", len(all))
	}
	for i := 1; i < len(all); i++ {
		if strings.ToLower(*all[i-1].PolicyName) >= strings.ToLower(*all[i].PolicyName) {
			t.Fatalf("not in name order: %s, %s", *all[i-1].PolicyName, *all[i].PolicyName)
		}
	}
	for prefix, want := range map[string]int{"/service-role/": 226, "/aws-service-role/": 356, "/job-function/": 11, "/root-task/": 5} {
		if got := listAWSPolicies(t, e, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, PathPrefix: aws.String(prefix)}); len(got) != want {
			t.Errorf("%d policies under %s, want %d", len(got), prefix, want)
		}
	}

	ec2 := must[*iam.GetPolicyOutput](t)(root.GetPolicy(c, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonEC2FullAccess")})).Policy
	v := must[*iam.GetPolicyVersionOutput](t)(root.GetPolicyVersion(c, &iam.GetPolicyVersionInput{PolicyArn: ec2.Arn, VersionId: ec2.DefaultVersionId})).PolicyVersion
	doc, err := url.QueryUnescape(aws.ToString(v.Document))
	if err != nil || !strings.Contains(doc, `"ec2:*"`) || !v.IsDefaultVersion {
		t.Errorf("AmazonEC2FullAccess %s: %v %s", aws.ToString(v.VersionId), err, doc)
	}
	if !strings.HasPrefix(aws.ToString(ec2.PolicyId), "ANPA") || ec2.CreateDate == nil || !ec2.IsAttachable {
		t.Errorf("AmazonEC2FullAccess %+v", ec2)
	}

	// Attached by ARN as every tutorial does.
	must[*iam.CreateUserOutput](t)(root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("auditor")}))
	must[*iam.CreateRoleOutput](t)(root.CreateRole(c, &iam.CreateRoleInput{RoleName: aws.String("fn"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))
	for _, arn := range []string{"arn:aws:iam::aws:policy/AmazonEC2FullAccess", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
		"arn:aws:iam::aws:policy/SecurityAudit", "arn:aws:iam::aws:policy/ReadOnlyAccess"} {
		must[*iam.AttachUserPolicyOutput](t)(root.AttachUserPolicy(c, &iam.AttachUserPolicyInput{UserName: aws.String("auditor"), PolicyArn: aws.String(arn)}))
	}
	must[*iam.AttachRolePolicyOutput](t)(root.AttachRolePolicy(c, &iam.AttachRolePolicyInput{RoleName: aws.String("fn"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")}))
	_, err = root.AttachRolePolicy(c, &iam.AttachRolePolicyInput{RoleName: aws.String("fn"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole")})
	wantCode(t, err, "NoSuchEntity", "Policy arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole does not exist or is not attachable.")

	attached := listAWSPolicies(t, e, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, OnlyAttached: true})
	var names []string
	for _, p := range attached {
		names = append(names, aws.ToString(p.PolicyName))
		if aws.ToInt32(p.AttachmentCount) != 1 {
			t.Errorf("%s AttachmentCount %d", *p.PolicyName, aws.ToInt32(p.AttachmentCount))
		}
	}
	if got := strings.Join(names, ","); got != "AmazonEC2FullAccess,AmazonS3ReadOnlyAccess,AWSLambdaBasicExecutionRole,ReadOnlyAccess,SecurityAudit" {
		t.Errorf("OnlyAttached: %s", got)
	}
	ents := must[*iam.ListEntitiesForPolicyOutput](t)(root.ListEntitiesForPolicy(c, &iam.ListEntitiesForPolicyInput{
		PolicyArn: aws.String("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")}))
	if len(ents.PolicyRoles) != 1 || aws.ToString(ents.PolicyRoles[0].RoleName) != "fn" || len(ents.PolicyUsers) != 0 {
		t.Errorf("entities %+v", ents)
	}
	details := must[*iam.GetAccountAuthorizationDetailsOutput](t)(root.GetAccountAuthorizationDetails(c, &iam.GetAccountAuthorizationDetailsInput{
		Filter: []types.EntityType{types.EntityTypeAWSManagedPolicy}}))
	if len(details.Policies) != 5 || aws.ToInt32(details.Policies[0].AttachmentCount) != 1 || len(details.Policies[0].PolicyVersionList) != 1 {
		t.Errorf("GetAccountAuthorizationDetails AWS managed: %d policies", len(details.Policies))
	}

	// AWS's full ReadOnlyAccess grants reads of every service, IAM's
	// included, and no writes.
	k := must[*iam.CreateAccessKeyOutput](t)(root.CreateAccessKey(c, &iam.CreateAccessKeyInput{UserName: aws.String("auditor")})).AccessKey
	auditor := retrying(e, creds{aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), ""})
	must[*iam.ListRolesOutput](t)(auditor.ListRoles(c, &iam.ListRolesInput{}))
	must[*iam.GetAccountAuthorizationDetailsOutput](t)(auditor.GetAccountAuthorizationDetails(c, &iam.GetAccountAuthorizationDetailsInput{}))
	_, err = auditor.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("mallory")})
	wantCode(t, err, "AccessDenied", "iam:CreateUser")
	sim := must[*iam.SimulatePrincipalPolicyOutput](t)(root.SimulatePrincipalPolicy(c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + testAccount + ":user/auditor"),
		ActionNames:     []string{"s3:GetObject", "ec2:RunInstances", "s3:PutObject"}}))
	for i, want := range []types.PolicyEvaluationDecisionType{types.PolicyEvaluationDecisionTypeAllowed, types.PolicyEvaluationDecisionTypeAllowed, types.PolicyEvaluationDecisionTypeImplicitDeny} {
		if got := sim.EvaluationResults[i].EvalDecision; got != want {
			t.Errorf("%s: %s, want %s", aws.ToString(sim.EvaluationResults[i].EvalActionName), got, want)
		}
	}

	// They stay AWS's: no account may change them.
	_, err = root.CreatePolicyVersion(c, &iam.CreatePolicyVersionInput{PolicyArn: ec2.Arn,
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	wantCode(t, err, "AccessDenied", "")
}
