package integration

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/mantle-iam/mantle/internal/federation/saml/samltest"
)

const applyState = `
policies:
  - name: readers
    path: /team/
    description: read IAM
    document:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: ["iam:Get*", "iam:List*"]
          Resource: "*"
groups:
  - name: devs
    managedPolicies: [readers]
    policies:
      whoami: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}'
roles:
  - name: deploy
    description: CI deploys
    maxSessionDuration: 7200
    trustPolicy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: {AWS: "arn:aws:iam::111122223333:user/ci"}
          Action: sts:AssumeRole
    managedPolicies: ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    tags: {team: platform}
users:
  - name: ci
    groups: [devs]
    tags: {owner: platform}
    accessKeys:
      - id: AKIACIEXAMPLE0000001
        secret: ciSecretExample000000000000000000000000a
oidcProviders:
  - url: https://token.actions.githubusercontent.com
    clientIds: [sts.amazonaws.com]
    thumbprints: ["6938fd4d98bab03faadb97b34396831e3780aea1"]
samlProviders:
  - name: corp
    metadata: |
      METADATA
organization:
  featureSet: ALL
  units:
    - name: engineering
      units:
        - name: prod
          accounts:
            - {name: prod-1, email: prod-1@example.com}
  accounts:
    - {name: sandbox, email: sandbox@example.com}
`

type applyResult struct {
	Changes []string `json:"changes"`
}

func (e *env) apply(t *testing.T, state string) applyResult {
	t.Helper()
	var r applyResult
	if err := json.Unmarshal(e.admin(t, "/v1/apply", strings.NewReader(state)), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// The whole authorization state of the account, to compare two applies.
func (e *env) authState(t *testing.T) string {
	t.Helper()
	c := ctx(t)
	out := must[*iam.GetAccountAuthorizationDetailsOutput](t)(e.iam(e.root()).GetAccountAuthorizationDetails(c, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1000)}))
	accs := must[*organizations.ListAccountsOutput](t)(organizations.NewFromConfig(e.config(e.root())).ListAccounts(c, &organizations.ListAccountsInput{}))
	b, err := json.Marshal([]any{out.UserDetailList, out.GroupDetailList, out.RoleDetailList, out.Policies, accs.Accounts})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApplyIsIdempotent(t *testing.T) {
	e := start(t)
	c := ctx(t)
	idp, err := samltest.New("https://idp.example.com/saml")
	if err != nil {
		t.Fatal(err)
	}
	indented := "      " + strings.ReplaceAll(strings.TrimSpace(idp.Metadata()), "\n", "\n      ")
	state := strings.Replace(applyState, "      METADATA", indented, 1)

	first := e.apply(t, state)
	if len(first.Changes) < 10 {
		t.Fatalf("first apply changed only: %q", first.Changes)
	}
	before := e.authState(t)
	second := e.apply(t, state)
	if len(second.Changes) != 0 {
		t.Fatalf("second apply changed: %q", second.Changes)
	}
	if after := e.authState(t); after != before {
		t.Fatalf("state moved on the second apply:\n%s\n%s", before, after)
	}

	// The declared key signs; the group's policies apply to it.
	ci := creds{"AKIACIEXAMPLE0000001", "ciSecretExample000000000000000000000000a", ""}
	must[*iam.GetRoleOutput](t)(e.iam(ci).GetRole(c, &iam.GetRoleInput{RoleName: aws.String("deploy")}))
	sess := must[*sts.AssumeRoleOutput](t)(e.sts(ci).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + testAccount + ":role/deploy"), RoleSessionName: aws.String("ci")}))
	if sess.Credentials == nil {
		t.Fatal("no session")
	}
	role := must[*iam.GetRoleOutput](t)(e.iam(e.root()).GetRole(c, &iam.GetRoleInput{RoleName: aws.String("deploy")}))
	if aws.ToInt32(role.Role.MaxSessionDuration) != 7200 || aws.ToString(role.Role.Description) != "CI deploys" {
		t.Errorf("role: %+v", role.Role)
	}

	// A changed file changes what differs, and only that.
	changed := strings.Replace(state, "description: CI deploys", "description: CI deploys (v2)", 1)
	changed = strings.Replace(changed, `Action: ["iam:Get*", "iam:List*"]`, `Action: ["iam:Get*"]`, 1)
	third := e.apply(t, changed)
	want := []string{"updated policy arn:aws:iam::" + testAccount + ":policy/team/readers", "updated role deploy"}
	if strings.Join(third.Changes, "|") != strings.Join(want, "|") {
		t.Errorf("changes %q, want %q", third.Changes, want)
	}

	// The trail says who made the changes.
	events := lookup(t, e.cloudtrail(e.root()), cttypes.LookupAttributeKeyEventName, "CreateUser")
	if len(events) != 1 {
		t.Fatalf("%d CreateUser events, want 1", len(events))
	}
	if r := record(t, events[0]); r.UserIdentity.Type != "Root" {
		t.Errorf("CreateUser by %+v", r.UserIdentity)
	}
}

// A state file gets AWS's validation and error messages; a misspelt key is
// refused rather than ignored.
func TestApplyRefusesBadState(t *testing.T) {
	e := start(t)
	for _, tc := range []struct{ state, want string }{
		{"users:\n  - nme: x\n", `unknown field "nme"`},
		{"users:\n  - name: 'bad name!'\n", "ValidationError"},
		{"roles:\n  - name: r\n    trustPolicy: '{\"Version\":\"2012-10-17\",\"Statement\":[]}'\n", "MalformedPolicyDocument"},
		{"users:\n  - name: k\n    accessKeys: [{id: ASIAEXAMPLE000000001, secret: short}]\n", "starts with AKIA"},
		{"policies:\n  - name: p\n    document: [1, 2]\n", "a policy document is an object or a string"},
	} {
		b, status := e.adminStatus(t, "/v1/apply", strings.NewReader(tc.state))
		if status != http.StatusBadRequest || !strings.Contains(string(b), tc.want) {
			t.Errorf("%q: HTTP %d %s, want 400 with %q", tc.state, status, b, tc.want)
		}
	}
}
