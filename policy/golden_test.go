package policy

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// Golden explanations: decision, AccessDenied reason ("Access denied error
// messages", IAM troubleshooting guide), deciding and matched statements with
// positions, missing context values and per-type verdicts, as
// SimulateCustomPolicy reports them (EvaluationResult: EvalDecision,
// MatchedStatements, MissingContextValues, PermissionsBoundaryDecisionDetail,
// OrganizationsDecisionDetail).
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html
func TestExplainGolden(t *testing.T) {
	identity := MustParse(`{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadOwnPrefix",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": "arn:aws:s3:::shared/${aws:username}/*",
      "Condition": {"Bool": {"aws:SecureTransport": "true"}}
    },
    {
      "Sid": "NoDeletes",
      "Effect": "Deny",
      "Action": "s3:Delete*",
      "Resource": "*"
    },
    {
      "Sid": "OfficeOnly",
      "Effect": "Deny",
      "Action": "*",
      "Resource": "*",
      "Condition": {"NotIpAddressIfExists": {"aws:SourceIp": "192.0.2.0/24"}}
    }
  ]
}`, KindIdentity).WithID("arn:aws:iam::111122223333:policy/Reader")
	boundary := MustParse(`{"Version":"2012-10-17","Statement":[{"Sid":"OnlyS3","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, KindBoundary).WithID("arn:aws:iam::111122223333:policy/Boundary")
	scpRoot := MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, KindSCP).WithID("p-FullAWSAccess")
	scpOU := MustParse(`{"Version":"2012-10-17","Statement":[{"Sid":"RegionLock","Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}`, KindSCP).WithID("p-regionlock")
	alice := user("alice")
	ctx := []ContextEntry{{Key: "aws:SecureTransport", Value: "true"}, {Key: "aws:SourceIp", Value: "192.0.2.10"}, {Key: "aws:RequestedRegion", Value: "eu-west-1"}}
	cases := []struct {
		name string
		req  Request
		in   Input
	}{
		{"allowed", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::shared/alice/report.csv", Context: ctx},
			Input{Identity: []*Policy{identity}, Boundary: boundary, SCPs: [][]*Policy{{scpRoot}, {scpRoot, scpOU}}}},
		{"explicit_deny_identity", Request{Principal: alice, Action: "s3:DeleteObject", Resource: "arn:aws:s3:::shared/alice/report.csv", Context: ctx},
			Input{Identity: []*Policy{identity}, Boundary: boundary}},
		{"implicit_deny_missing_context", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::shared/alice/report.csv",
			Context: []ContextEntry{{Key: "aws:SourceIp", Value: "192.0.2.10"}}},
			Input{Identity: []*Policy{identity}}},
		{"explicit_deny_ifexists_absent", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::shared/alice/report.csv"},
			Input{Identity: []*Policy{identity}}},
		{"same_account_role_grant", Request{Principal: DerivePrincipal("arn:aws:sts::111122223333:assumed-role/Dev/s1"), Action: "sqs:SendMessage", Resource: "arn:aws:sqs:eu-west-1:111122223333:jobs"},
			Input{Resource: MustParse(`{"Version":"2012-10-17","Statement":[{"Sid":"DevSends","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Dev"},"Action":"sqs:SendMessage","Resource":"*"}]}`, KindResource).WithID("queue-policy"),
				Session: []*Policy{MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, KindSession).WithID("session")}}},
		{"explicit_deny_scp", Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::shared/alice/report.csv",
			Context: []ContextEntry{{Key: "aws:SecureTransport", Value: "true"}, {Key: "aws:RequestedRegion", Value: "us-east-1"}}},
			Input{Identity: []*Policy{identity}, SCPs: [][]*Policy{{scpRoot}, {scpRoot, scpOU}}}},
		{"implicit_deny_boundary", Request{Principal: alice, Action: "iam:ListUsers", Resource: "*", Context: ctx},
			Input{Identity: []*Policy{identity, MustParse(`{"Statement":{"Effect":"Allow","Action":"iam:List*","Resource":"*"}}`, KindIdentity).WithID("inline/list")}, Boundary: boundary}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := json.MarshalIndent(Explain(&c.req, &c.in).Report(), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if string(got) != string(want) {
				t.Errorf("explanation differs from %s (run go test -update to accept):\n%s", path, got)
			}
		})
	}
}
