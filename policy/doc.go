// Package policy is mantle's IAM policy engine: it parses, validates,
// compiles and evaluates AWS IAM policy documents, and explains its
// decisions.
//
// It owns the policy language (elements, condition operators, policy
// variables, wildcard and ARN matching), IAM's validation rules and messages
// per policy kind, the size quotas, and AWS's evaluation logic across
// identity-based policies, permissions boundaries, session policies,
// resource-based policies (including role trust policies), SCPs and RCPs,
// within one account and across accounts. Storing policies and building
// requests belong to the IAM and STS layers.
//
// Use:
//
//	p, err := policy.Parse(doc, policy.KindIdentity) // err is a *policy.Error
//	req := policy.Request{
//		Principal: policy.DerivePrincipal("arn:aws:iam::111122223333:user/alice"),
//		Action:    "s3:GetObject",
//		Resource:  "arn:aws:s3:::bucket/key",
//		Context:   []policy.ContextEntry{{Key: "aws:SourceIp", Value: "192.0.2.1"}},
//	}
//	res := policy.Evaluate(&req, &policy.Input{Identity: []*policy.Policy{p}})
//	if !res.Allowed() {
//		msg := res.DeniedMessage(req.Principal.ARN, req.Resource)
//	}
//
// Compiled policies are immutable and safe for concurrent use; Evaluate does
// not allocate. Explain returns the simulator's details (all matched
// statements, missing context values, per-type verdicts).
package policy
