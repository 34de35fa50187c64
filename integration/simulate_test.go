package integration

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const (
	simReadPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "s3:GetObject",
      "Resource": "*",
      "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}
    },
    {
      "Effect": "Deny",
      "Action": "s3:DeleteObject",
      "Resource": "*"
    }
  ]
}`
	simAllowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
)

// The SDK parses every field of a custom simulation: decisions, matched
// statements with their positions, missing context values, the boundary's
// verdict, the cross-account decision details map and resource-specific
// results, and pages through results with Marker.
func TestSimulateCustomPolicySDK(t *testing.T) {
	e := start(t)
	c := ctx(t)
	root := e.iam(e.root())
	alice := must[*iam.CreateUserOutput](t)(root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("alice")})).User

	out := must[*iam.SimulateCustomPolicyOutput](t)(root.SimulateCustomPolicy(c, &iam.SimulateCustomPolicyInput{
		PolicyInputList:                    []string{simReadPolicy},
		PermissionsBoundaryPolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`},
		ActionNames:                        []string{"s3:GetObject", "s3:DeleteObject", "s3:PutObject"},
	}))
	if len(out.EvaluationResults) != 3 || out.IsTruncated {
		t.Fatalf("results %+v", out)
	}
	get, del, put := out.EvaluationResults[0], out.EvaluationResults[1], out.EvaluationResults[2]
	if get.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny || aws.ToString(get.EvalResourceName) != "*" ||
		!reflect.DeepEqual(get.MissingContextValues, []string{"aws:SourceIp"}) || get.EvalDecisionDetails != nil {
		t.Errorf("GetObject without context %+v", get)
	}
	if del.EvalDecision != types.PolicyEvaluationDecisionTypeExplicitDeny || len(del.MatchedStatements) != 1 {
		t.Fatalf("DeleteObject %+v", del)
	}
	st := del.MatchedStatements[0]
	if aws.ToString(st.SourcePolicyId) != "PolicyInputList.1" || st.SourcePolicyType != "IAM Policy" ||
		*st.StartPosition != (types.Position{Line: 10, Column: 5}) || *st.EndPosition != (types.Position{Line: 14, Column: 6}) {
		t.Errorf("deny statement %s %s %+v %+v", aws.ToString(st.SourcePolicyId), st.SourcePolicyType, st.StartPosition, st.EndPosition)
	}
	if put.EvalDecision != types.PolicyEvaluationDecisionTypeImplicitDeny || len(put.MatchedStatements) != 0 ||
		put.PermissionsBoundaryDecisionDetail == nil || put.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Errorf("PutObject %+v", put)
	}

	// With the context value the read is allowed, within the boundary.
	out = must[*iam.SimulateCustomPolicyOutput](t)(root.SimulateCustomPolicy(c, &iam.SimulateCustomPolicyInput{
		PolicyInputList:                    []string{simReadPolicy},
		PermissionsBoundaryPolicyInputList: []string{simAllowAll},
		ActionNames:                        []string{"s3:GetObject"},
		ResourceArns:                       []string{"arn:aws:s3:::bucket/key"},
		ContextEntries: []types.ContextEntry{{ContextKeyName: aws.String("aws:SourceIp"),
			ContextKeyValues: []string{"192.0.2.10"}, ContextKeyType: types.ContextKeyTypeEnumIp}},
	}))
	get = out.EvaluationResults[0]
	if get.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed || len(get.MatchedStatements) != 2 ||
		*get.MatchedStatements[0].StartPosition != (types.Position{Line: 4, Column: 5}) ||
		get.PermissionsBoundaryDecisionDetail == nil || !get.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary ||
		len(get.MissingContextValues) != 0 {
		t.Errorf("GetObject with context %+v", get)
	}

	// A resource policy in another account: the decision details map and
	// the resource-specific results.
	queue := "arn:aws:sqs:us-east-1:999988887777:q"
	out = must[*iam.SimulateCustomPolicyOutput](t)(root.SimulateCustomPolicy(c, &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}`},
		ActionNames:     []string{"sqs:SendMessage"},
		ResourceArns:    []string{queue},
		ResourcePolicy:  aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + aws.ToString(alice.Arn) + `"},"Action":"sqs:SendMessage","Resource":"*"}]}`),
		CallerArn:       alice.Arn,
	}))
	send := out.EvaluationResults[0]
	wantDetails := map[string]types.PolicyEvaluationDecisionType{"IAM Policy": "allowed", "Resource Policy": "allowed"}
	if send.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed || !reflect.DeepEqual(send.EvalDecisionDetails, wantDetails) {
		t.Errorf("cross-account %+v details %v", send, send.EvalDecisionDetails)
	}
	if len(send.ResourceSpecificResults) != 1 {
		t.Fatalf("resource-specific %+v", send.ResourceSpecificResults)
	}
	rs := send.ResourceSpecificResults[0]
	if aws.ToString(rs.EvalResourceName) != queue || rs.EvalResourceDecision != types.PolicyEvaluationDecisionTypeAllowed ||
		len(rs.MatchedStatements) != 2 || aws.ToString(rs.MatchedStatements[0].SourcePolicyId) != "ResourcePolicy" ||
		rs.MatchedStatements[0].SourcePolicyType != "Resource Policy" || !reflect.DeepEqual(rs.EvalDecisionDetails, wantDetails) {
		t.Errorf("resource-specific result %+v", rs)
	}

	// The SDK's paginator walks every scenario.
	p := iam.NewSimulateCustomPolicyPaginator(root, &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{simAllowAll},
		ActionNames:     []string{"s3:GetObject", "s3:PutObject", "sqs:SendMessage"},
		ResourceArns:    []string{"arn:aws:s3:::a", "arn:aws:s3:::b"},
		MaxItems:        aws.Int32(4),
	})
	pages, n := 0, 0
	for p.HasMorePages() {
		page := must[*iam.SimulateCustomPolicyOutput](t)(p.NextPage(c))
		pages++
		n += len(page.EvaluationResults)
	}
	if pages != 2 || n != 6 {
		t.Errorf("%d pages, %d results", pages, n)
	}

	_, err := root.SimulateCustomPolicy(c, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{"{"}, ActionNames: []string{"s3:GetObject"}})
	wantCode(t, err, "MalformedPolicyDocument", "")
	_, err = root.SimulateCustomPolicy(c, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{simAllowAll}, ActionNames: []string{"s3:GetObject"},
		ContextEntries: []types.ContextEntry{{ContextKeyName: aws.String("aws:x"), ContextKeyType: "text"}}})
	wantCode(t, err, "ValidationError", "contextKeyType")
}

func TestSimulatePrincipalPolicySDK(t *testing.T) {
	e := start(t)
	c := ctx(t)
	root := e.iam(e.root())
	alice := must[*iam.CreateUserOutput](t)(root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/dev/")})).User
	must[*iam.CreateGroupOutput](t)(root.CreateGroup(c, &iam.CreateGroupInput{GroupName: aws.String("devs")}))
	must[*iam.AddUserToGroupOutput](t)(root.AddUserToGroup(c, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")}))
	must[*iam.PutGroupPolicyOutput](t)(root.PutGroupPolicy(c, &iam.PutGroupPolicyInput{GroupName: aws.String("devs"), PolicyName: aws.String("read"), PolicyDocument: aws.String(simReadPolicy)}))
	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(c, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("self"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/dev/${aws:username}"}]}`)}))

	out := must[*iam.SimulatePrincipalPolicyOutput](t)(root.SimulatePrincipalPolicy(c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: alice.Arn,
		ActionNames:     []string{"iam:GetUser", "s3:DeleteObject", "s3:GetObject"},
		ResourceArns:    []string{aws.ToString(alice.Arn)},
	}))
	got := []types.PolicyEvaluationDecisionType{}
	for _, r := range out.EvaluationResults {
		got = append(got, r.EvalDecision)
	}
	want := []types.PolicyEvaluationDecisionType{"allowed", "explicitDeny", "implicitDeny"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decisions %v, want %v", got, want)
	}
	if st := out.EvaluationResults[0].MatchedStatements; len(st) != 1 || aws.ToString(st[0].SourcePolicyId) != "self" || st[0].SourcePolicyType != types.PolicySourceTypeUser {
		t.Errorf("GetUser statements %+v", st)
	}
	if st := out.EvaluationResults[1].MatchedStatements; len(st) != 1 || aws.ToString(st[0].SourcePolicyId) != "read" || st[0].SourcePolicyType != types.PolicySourceTypeGroup {
		t.Errorf("DeleteObject statements %+v", st)
	}
	if m := out.EvaluationResults[2].MissingContextValues; !reflect.DeepEqual(m, []string{"aws:SourceIp"}) {
		t.Errorf("missing %v", m)
	}

	keys := must[*iam.GetContextKeysForPrincipalPolicyOutput](t)(root.GetContextKeysForPrincipalPolicy(c, &iam.GetContextKeysForPrincipalPolicyInput{
		PolicySourceArn: alice.Arn,
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`},
	}))
	if want := []string{"aws:MultiFactorAuthPresent", "aws:SourceIp", "aws:username"}; !reflect.DeepEqual(keys.ContextKeyNames, want) {
		t.Errorf("principal keys %v, want %v", keys.ContextKeyNames, want)
	}
	ckeys := must[*iam.GetContextKeysForCustomPolicyOutput](t)(root.GetContextKeysForCustomPolicy(c, &iam.GetContextKeysForCustomPolicyInput{
		PolicyInputList: []string{simReadPolicy, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"AWS:SOURCEIP":"10.0.0.0/8"}}}]}`},
	}))
	if want := []string{"aws:SourceIp"}; !reflect.DeepEqual(ckeys.ContextKeyNames, want) {
		t.Errorf("custom keys %v, want %v", ckeys.ContextKeyNames, want)
	}

	_, err := root.SimulatePrincipalPolicy(c, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + testAccount + ":user/nobody"), ActionNames: []string{"s3:GetObject"}})
	wantCode(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")
	_, err = root.SimulatePrincipalPolicy(c, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: alice.Arn, ActionNames: []string{"s3"}})
	wantCode(t, err, "ValidationError", "Value 's3' at 'actionNames.1.member' failed to satisfy constraint: Member must have length greater than or equal to 3")

	// A user without permission to simulate is refused.
	k := must[*iam.CreateAccessKeyOutput](t)(root.CreateAccessKey(c, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))
	ac := e.iam(creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""})
	_, err = ac.SimulatePrincipalPolicy(c, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: alice.Arn, ActionNames: []string{"s3:GetObject"}})
	wantCode(t, err, "AccessDenied", "iam:SimulatePrincipalPolicy")
}

func TestGetAccountAuthorizationDetailsSimulatorSDK(t *testing.T) {
	e := start(t)
	c := ctx(t)
	root := e.iam(e.root())
	must[*iam.CreateUserOutput](t)(root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("alice"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}))
	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(c, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("p"), PolicyDocument: aws.String(simAllowAll)}))
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	must[*iam.CreateRoleOutput](t)(root.CreateRole(c, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trust)}))
	must[*iam.CreateInstanceProfileOutput](t)(root.CreateInstanceProfile(c, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("app")}))
	must[*iam.AddRoleToInstanceProfileOutput](t)(root.AddRoleToInstanceProfile(c, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("app"), RoleName: aws.String("app")}))
	must[*iam.AttachRolePolicyOutput](t)(root.AttachRolePolicy(c, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	pol := must[*iam.CreatePolicyOutput](t)(root.CreatePolicy(c, &iam.CreatePolicyInput{PolicyName: aws.String("mine"), PolicyDocument: aws.String(simAllowAll)})).Policy

	out := must[*iam.GetAccountAuthorizationDetailsOutput](t)(root.GetAccountAuthorizationDetails(c, &iam.GetAccountAuthorizationDetailsInput{}))
	if len(out.UserDetailList) != 1 || len(out.RoleDetailList) != 1 || len(out.Policies) != 2 || out.IsTruncated {
		t.Fatalf("details %+v", out)
	}
	u := out.UserDetailList[0]
	if doc, _ := url.QueryUnescape(aws.ToString(u.UserPolicyList[0].PolicyDocument)); aws.ToString(u.UserName) != "alice" || doc != simAllowAll ||
		len(u.Tags) != 1 || aws.ToString(u.Tags[0].Key) != "team" {
		t.Errorf("user %+v", u)
	}
	r := out.RoleDetailList[0]
	if doc, _ := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument)); doc != trust || len(r.InstanceProfileList) != 1 ||
		aws.ToString(r.InstanceProfileList[0].Roles[0].RoleName) != "app" || aws.ToString(r.AttachedManagedPolicies[0].PolicyName) != "ReadOnlyAccess" || r.RoleLastUsed == nil {
		t.Errorf("role %+v", r)
	}
	mp := out.Policies[1]
	if aws.ToString(mp.Arn) != aws.ToString(pol.Arn) || len(mp.PolicyVersionList) != 1 || !mp.PolicyVersionList[0].IsDefaultVersion ||
		aws.ToString(mp.PolicyVersionList[0].VersionId) != "v1" || mp.PolicyVersionList[0].CreateDate == nil {
		t.Errorf("policy %+v", mp)
	}
	if doc, _ := url.QueryUnescape(aws.ToString(mp.PolicyVersionList[0].Document)); doc != simAllowAll {
		t.Errorf("version document %s", aws.ToString(mp.PolicyVersionList[0].Document))
	}

	only := must[*iam.GetAccountAuthorizationDetailsOutput](t)(root.GetAccountAuthorizationDetails(c, &iam.GetAccountAuthorizationDetailsInput{
		Filter: []types.EntityType{types.EntityTypeLocalManagedPolicy}, MaxItems: aws.Int32(1)}))
	if len(only.Policies) != 1 || len(only.UserDetailList) != 0 || only.IsTruncated {
		t.Errorf("filtered %+v", only)
	}
	paged := must[*iam.GetAccountAuthorizationDetailsOutput](t)(root.GetAccountAuthorizationDetails(c, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1)}))
	if !paged.IsTruncated || aws.ToString(paged.Marker) == "" || len(paged.UserDetailList) != 1 {
		t.Errorf("first page %+v", paged)
	}
}
