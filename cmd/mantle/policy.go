package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mantle-iam/mantle/policy"
)

// newPolicyCmd groups the offline policy tools: they run the same engine as
// the server, so a document or decision can be checked without a server.
func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Validate and evaluate IAM policies offline"}
	cmd.AddCommand(newPolicyValidateCmd(), newPolicyEvalCmd())
	return cmd
}

func newPolicyValidateCmd() *cobra.Command {
	var kindName string
	cmd := &cobra.Command{
		Use:   "validate [--kind managed|inline|trust|session|resource|scp|rcp] FILE...",
		Short: "Check policy documents as IAM would, printing AWS's error messages",
		Long: `validate checks each document as AWS does where --kind says it goes, with
the function mantle's own API runs, and prints AWS's error for a refused one:

  managed   a managed policy (CreatePolicy, CreatePolicyVersion; also a
            permissions boundary): Version 2012-10-17 required, PolicySize
            6,144 (identity and boundary mean managed)
  inline    an inline policy (PutUserPolicy, PutGroupPolicy, PutRolePolicy)
  trust     a role trust policy (CreateRole, UpdateAssumeRolePolicy),
            ACLSizePerRole 2,048
  session   an STS session policy, packed size included
  resource, scp, rcp  resource-based, service control, resource control`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			use, err := policy.ParseUse(kindName)
			if err != nil {
				return usageError{fmt.Errorf("--kind: %w", err)}
			}
			out := cmd.OutOrStdout()
			invalid := 0
			for _, name := range args {
				data, err := readInput(cmd, name)
				if err != nil {
					return err
				}
				if err := validateDocument(string(data), use); err != nil {
					invalid++
					fmt.Fprintf(out, "%s: %v\n", name, err)
					continue
				}
				fmt.Fprintf(out, "%s: valid %s policy\n", name, use)
			}
			if invalid > 0 {
				return fmt.Errorf("%d of %d policy documents are invalid", invalid, len(args))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&kindName, "kind", "managed", "where the policy goes: managed, inline, trust, session, resource, scp or rcp")
	return cmd
}

// validateDocument checks the document as the API does (policy.Validate)
// and applies the size quota of the place it goes that depends on the
// document alone.
func validateDocument(doc string, use policy.Use) error {
	if _, err := policy.Validate(doc, use); err != nil {
		return err
	}
	switch use {
	case policy.UseManaged:
		return policy.CheckManagedPolicySize(doc)
	case policy.UseTrust:
		return policy.CheckTrustPolicySize(doc, 0)
	case policy.UseSession:
		return policy.CheckPackedPolicySize([]string{doc}, nil)
	}
	return nil
}

func readInput(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	return os.ReadFile(name)
}

// evalInput is the request file of `mantle policy eval`.
type evalInput struct {
	Principal               string                     `json:"principal"`
	Action                  string                     `json:"action"`
	Resource                string                     `json:"resource"`
	ResourceAccount         string                     `json:"resourceAccount"`
	Context                 map[string]json.RawMessage `json:"context"`
	IdentityPolicies        []json.RawMessage          `json:"identityPolicies"`
	PermissionsBoundary     json.RawMessage            `json:"permissionsBoundary"`
	SessionPolicies         []json.RawMessage          `json:"sessionPolicies"`
	ResourcePolicy          json.RawMessage            `json:"resourcePolicy"`
	ServiceControlPolicies  [][]json.RawMessage        `json:"serviceControlPolicies"`
	ResourceControlPolicies [][]json.RawMessage        `json:"resourceControlPolicies"`
}

// evalOutput is the explanation plus, for a denial, the AccessDenied message
// the server would return.
type evalOutput struct {
	policy.Report
	Message string `json:"message,omitempty"`
}

func newPolicyEvalCmd() *cobra.Command {
	var inputName string
	cmd := &cobra.Command{
		Use:   "eval --input FILE",
		Short: "Evaluate one request against policies offline and explain the decision",
		Long: `eval evaluates one request against the policies given with it, as IAM's
policy evaluation logic does, and prints the decision as JSON: "allowed",
"explicitDeny" or "implicitDeny", the statements that decided it, every
statement that matched, the context keys conditions asked for but the input
lacks, and each policy type's own decision; for a denial, also the
AccessDenied message mantle would return.

The input is one JSON object (unknown fields are refused):

  principal                the caller's ARN: arn:aws:iam::ACCOUNT:user/NAME,
                           arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION,
                           arn:aws:iam::ACCOUNT:root, ...
  action                   required, e.g. "s3:GetObject"
  resource                 the resource ARN (default "*")
  resourceAccount          the account owning the resource (default: the
                           principal's; another makes the request
                           cross-account)
  context                  condition keys: "key": value, a value being a
                           string, number or boolean, or a list of them for a
                           multi-valued key
  identityPolicies         list of the principal's policies
  permissionsBoundary      one policy
  sessionPolicies          list of session policies
  resourcePolicy           one policy (a role's trust policy for sts: actions
                           on a role)
  serviceControlPolicies   list of levels (root, OUs..., account), each a list
                           of policies; omit it when no organization applies
  resourceControlPolicies  the same, for RCPs

A policy is a JSON object or a JSON string holding the document, as AWS's
APIs take it. Example (docs/examples/policy-eval.json in the repository):

  {
    "principal": "arn:aws:sts::111122223333:assumed-role/deploy/ci",
    "action": "s3:PutObject",
    "resource": "arn:aws:s3:::releases/app/v1.2.3.tar.gz",
    "context": {"aws:SourceIp": "10.0.4.17"},
    "identityPolicies": [{"Version": "2012-10-17", "Statement": [{
      "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::releases/*",
      "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/16"}}}]}]
  }`,
		Example: `  mantle policy eval --input docs/examples/policy-eval.json
  mantle policy eval < request.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readInput(cmd, inputName)
			if err != nil {
				return err
			}
			req, in, err := buildEval(data)
			if err != nil {
				return err
			}
			x := policy.Explain(req, in)
			out := evalOutput{Report: x.Report()}
			if !x.Allowed() {
				out.Message = x.DeniedMessage(req.Principal.ARN, req.Resource)
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
	cmd.Flags().StringVar(&inputName, "input", "-", "request file (JSON), - for standard input")
	return cmd
}

func buildEval(data []byte) (*policy.Request, *policy.Input, error) {
	var ei evalInput
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ei); err != nil {
		return nil, nil, fmt.Errorf("reading eval input: %w", err)
	}
	if ei.Action == "" {
		return nil, nil, errors.New("eval input: action is required")
	}
	if ei.Resource == "" {
		ei.Resource = "*"
	}
	req := &policy.Request{
		Principal:       policy.DerivePrincipal(ei.Principal),
		Action:          ei.Action,
		Resource:        ei.Resource,
		ResourceAccount: ei.ResourceAccount,
	}
	if err := applyContext(req, ei.Context); err != nil {
		return nil, nil, err
	}

	in := &policy.Input{}
	parse := func(raw json.RawMessage, kind policy.Kind, id string) (*policy.Policy, error) {
		doc, err := policyText(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		p, err := policy.Parse(doc, kind)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		return p.WithID(id), nil
	}
	present := func(raw json.RawMessage) bool {
		return len(raw) > 0 && string(bytes.TrimSpace(raw)) != "null"
	}
	for i, raw := range ei.IdentityPolicies {
		p, err := parse(raw, policy.KindIdentity, fmt.Sprintf("identityPolicies[%d]", i))
		if err != nil {
			return nil, nil, err
		}
		in.Identity = append(in.Identity, p)
	}
	if present(ei.PermissionsBoundary) {
		p, err := parse(ei.PermissionsBoundary, policy.KindBoundary, "permissionsBoundary")
		if err != nil {
			return nil, nil, err
		}
		in.Boundary = p
	}
	for i, raw := range ei.SessionPolicies {
		p, err := parse(raw, policy.KindSession, fmt.Sprintf("sessionPolicies[%d]", i))
		if err != nil {
			return nil, nil, err
		}
		in.Session = append(in.Session, p)
	}
	if present(ei.ResourcePolicy) {
		// A role's trust policy is the resource policy of sts:AssumeRole*.
		kind := policy.KindResource
		if strings.HasPrefix(strings.ToLower(ei.Action), "sts:") && strings.Contains(ei.Resource, ":role/") {
			kind = policy.KindTrust
		}
		p, err := parse(ei.ResourcePolicy, kind, "resourcePolicy")
		if err != nil {
			return nil, nil, err
		}
		in.Resource = p
	}
	levels := func(lists [][]json.RawMessage, kind policy.Kind, name string) ([][]*policy.Policy, error) {
		if lists == nil {
			return nil, nil
		}
		out := make([][]*policy.Policy, 0, len(lists))
		for l, list := range lists {
			var level []*policy.Policy
			for i, raw := range list {
				p, err := parse(raw, kind, fmt.Sprintf("%s[%d][%d]", name, l, i))
				if err != nil {
					return nil, err
				}
				level = append(level, p)
			}
			out = append(out, level)
		}
		return out, nil
	}
	var err error
	if in.SCPs, err = levels(ei.ServiceControlPolicies, policy.KindSCP, "serviceControlPolicies"); err != nil {
		return nil, nil, err
	}
	if in.RCPs, err = levels(ei.ResourceControlPolicies, policy.KindRCP, "resourceControlPolicies"); err != nil {
		return nil, nil, err
	}
	return req, in, nil
}

// policyText accepts a policy as a JSON object or as a JSON string holding
// the document, the two forms AWS APIs and tools use.
func policyText(raw json.RawMessage) (string, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '"' {
		var s string
		if err := json.Unmarshal(trimmed, &s); err != nil {
			return "", err
		}
		return s, nil
	}
	return string(trimmed), nil
}

// applyContext copies context keys into the request. Keys that describe the
// principal also update it, so that a context override of, say,
// aws:PrincipalAccount changes the same-account decision too.
func applyContext(req *policy.Request, ctx map[string]json.RawMessage) error {
	keys := make([]string, 0, len(ctx))
	for key := range ctx {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		vals, multi, err := contextValues(ctx[key])
		if err != nil {
			return fmt.Errorf("context key %s: %w", key, err)
		}
		e := policy.ContextEntry{Key: key}
		if multi {
			e.Values = vals
		} else {
			e.Value = vals[0]
		}
		req.Context = append(req.Context, e)
		if multi {
			continue
		}
		p := &req.Principal
		switch strings.ToLower(key) {
		case "aws:principalaccount":
			p.Account = vals[0]
		case "aws:principalarn":
			if p.Type == policy.PrincipalAssumedRole {
				p.RoleARN = vals[0]
			}
		case "aws:userid":
			p.UserID = vals[0]
		case "aws:username":
			p.Username = vals[0]
		}
	}
	return nil
}

// contextValues reads a context value: a string, number or boolean, or a
// list of them (a multi-valued key).
func contextValues(raw json.RawMessage) ([]string, bool, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err == nil {
		out := make([]string, 0, len(list))
		for _, item := range list {
			s, err := scalarText(item)
			if err != nil {
				return nil, false, err
			}
			out = append(out, s)
		}
		return out, true, nil
	}
	s, err := scalarText(raw)
	if err != nil {
		return nil, false, err
	}
	return []string{s}, false, nil
}

func scalarText(raw json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case float64, bool:
		return string(bytes.TrimSpace(raw)), nil
	}
	return "", errors.New("value must be a string, number, boolean or a list of them")
}
