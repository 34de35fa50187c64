package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mantle-iam/mantle/policy"
)

func runCLI(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Messages are IAM's MalformedPolicyDocument wording ("IAM JSON policy
// element reference", "Troubleshoot IAM policies").
// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_policies.html
func TestPolicyValidateCLI(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.json", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`)
	withPrincipal := writeFile(t, dir, "principal.json", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`)
	trust := writeFile(t, dir, "trust.json", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}}`)
	tests := []struct {
		name    string
		args    []string
		stdin   string
		wantErr bool
		want    []string
	}{
		{"valid managed", []string{"policy", "validate", good}, "", false, []string{"good.json: valid managed policy"}},
		{"principal in identity", []string{"policy", "validate", "--kind", "identity", good, withPrincipal}, "", true,
			[]string{"good.json: valid managed policy", "principal.json: MalformedPolicyDocument: Policy document should not specify a principal."}},
		{"resource kind", []string{"policy", "validate", "--kind", "resource", withPrincipal}, "", false, []string{"valid resource policy"}},
		{"trust with resource", []string{"policy", "validate", "--kind", "trust", trust}, "", true, []string{"MalformedPolicyDocument: Has prohibited field Resource"}},
		{"stdin", []string{"policy", "validate", "--kind", "inline", "-"}, `{"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}`, true,
			[]string{"-: MalformedPolicyDocument: Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."}},
		// The managed/inline difference the API makes (policy.TestValidateByUse).
		{"managed needs version", []string{"policy", "validate", "-"}, `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`, true,
			[]string{"-: MalformedPolicyDocument: Policy document must be version 2012-10-17 or greater."}},
		{"inline does not", []string{"policy", "validate", "--kind", "inline", "-"}, `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`, false,
			[]string{"-: valid inline policy"}},
		{"trust invalid json", []string{"policy", "validate", "--kind", "trust", "-"}, `{`, true,
			[]string{"-: MalformedPolicyDocument: This policy contains invalid Json"}},
		{"bad kind", []string{"policy", "validate", "--kind", "nope", good}, "", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCLI(t, tt.stdin, tt.args...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v; output:\n%s", err, tt.wantErr, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// Decisions follow "Cross-account policy evaluation logic":
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
func TestPolicyEvalCLI(t *testing.T) {
	const base = `"principal": "arn:aws:iam::111111111111:user/alice",
	 "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
	 "resourceAccount": "222222222222",
	 "context": {"aws:SourceIp": "192.0.2.1", "aws:TagKeys": ["a", "b"]},
	 "identityPolicies": [{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}]`
	tests := []struct {
		name     string
		input    string
		decision string
		reason   string
		missing  []string
		wantErr  string
	}{
		{"cross-account without resource policy", `{` + base + `}`, "implicitDeny", "because no resource-based policy allows the s3:GetObject action", nil, ""},
		{"cross-account with resource policy as string", `{` + base + `,
		  "resourcePolicy": "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"111111111111\"},\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\",\"Condition\":{\"IpAddress\":{\"aws:SourceIp\":\"192.0.2.0/24\"}}}}"}`,
			"allowed", "", nil, ""},
		{"scp level without allow", `{` + base + `,
		  "resourcePolicy": {"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}},
		  "serviceControlPolicies": [[{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}], [{"Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}]]}`,
			// The deny needs aws:SecureTransport, which is absent, so the
			// second level has no allow.
			"implicitDeny", "because no service control policy allows the s3:GetObject action", []string{"aws:SecureTransport"}, ""},
		{"context overrides principal account", `{` + strings.Replace(base, `"aws:SourceIp": "192.0.2.1"`, `"aws:PrincipalAccount": "222222222222"`, 1) + `}`, "allowed", "", nil, ""},
		{"trust policy", `{"principal": "arn:aws:iam::111111111111:user/alice", "action": "sts:AssumeRole", "resource": "arn:aws:iam::111111111111:role/R",
		  "resourcePolicy": {"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/alice"},"Action":"sts:AssumeRole"}}}`,
			"allowed", "", nil, ""},
		{"invalid policy", `{"principal": "arn:aws:iam::111111111111:user/alice", "action": "s3:GetObject", "identityPolicies": [{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}]}`,
			"", "", nil, "identityPolicies[0]: MalformedPolicyDocument: Policy document should not specify a principal."},
		{"unknown field", `{"principal": "x", "action": "s3:GetObject", "identityPolicy": {}}`, "", "", nil, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCLI(t, tt.input, "policy", "eval", "--input", "-")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("eval: %v\n%s", err, out)
			}
			var got struct {
				Decision             string   `json:"decision"`
				Reason               string   `json:"reason"`
				Message              string   `json:"message"`
				MissingContextValues []string `json:"missingContextValues"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			if got.Decision != tt.decision || got.Reason != tt.reason {
				t.Fatalf("got %s %q, want %s %q\n%s", got.Decision, got.Reason, tt.decision, tt.reason, out)
			}
			if got.Decision != "allowed" && !strings.HasPrefix(got.Message, "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: ") {
				t.Errorf("message = %q", got.Message)
			}
			if strings.Join(got.MissingContextValues, ",") != strings.Join(tt.missing, ",") {
				t.Errorf("missing = %v, want %v", got.MissingContextValues, tt.missing)
			}
		})
	}

	// --input FILE reads the file.
	path := writeFile(t, t.TempDir(), "req.json", `{`+base+`}`)
	if out, err := runCLI(t, "", "policy", "eval", "--input", path); err != nil || !strings.Contains(out, `"decision": "implicitDeny"`) {
		t.Fatalf("eval --input file: %v\n%s", err, out)
	}
}

// The documented example input (docs/examples/policy-eval.json, shown by
// README.md) evaluates as the README says, and so does the one in --help.
func TestPolicyEvalDocumentedExample(t *testing.T) {
	example, err := os.ReadFile("../../docs/examples/policy-eval.json")
	if err != nil {
		t.Fatal(err)
	}
	eval := func(t *testing.T, input string) evalOutput {
		t.Helper()
		out, err := runCLI(t, input, "policy", "eval")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var got evalOutput
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	tests := []struct {
		name, from, to    string
		decision, decider string
	}{
		{"as written", "", "", "allowed", "WriteReleases"},
		{"from outside the network", `"aws:SourceIp": "10.0.4.17"`, `"aws:SourceIp": "192.0.2.1"`, "implicitDeny", ""},
		{"without KMS", `"s3:x-amz-server-side-encryption": "aws:kms"`, `"s3:x-amz-server-side-encryption": "AES256"`, "explicitDeny", "RequireKMS"},
		{"an action the SCP denies", `"action": "s3:PutObject"`, `"action": "s3:DeleteBucket"`, "explicitDeny", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := string(example)
			if tt.from != "" {
				if !strings.Contains(input, tt.from) {
					t.Fatalf("example lacks %s", tt.from)
				}
				input = strings.Replace(input, tt.from, tt.to, 1)
			}
			got := eval(t, input)
			if got.Decision != tt.decision {
				t.Fatalf("decision %s, want %s", got.Decision, tt.decision)
			}
			if tt.decider != "" && (len(got.DecidingStatements) == 0 || !slices.ContainsFunc(got.DecidingStatements,
				func(s policy.ReportStatement) bool { return s.Sid == tt.decider })) {
				t.Errorf("deciding statements %+v, want %s among them", got.DecidingStatements, tt.decider)
			}
		})
	}

	long := newPolicyEvalCmd().Long
	_, inHelp, ok := strings.Cut(long, "policy-eval.json in the repository):\n")
	if !ok {
		t.Fatal("--help has no example")
	}
	if got := eval(t, inHelp); got.Decision != "allowed" {
		t.Errorf("--help's example: %s", got.Decision)
	}
}
