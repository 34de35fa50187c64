package policy

import (
	"sort"
	"strings"
)

// trace collects what the IAM simulator reports; Evaluate runs without one.
type trace struct {
	matched []StatementRef
	missing []string
	sets    []SetDecision
}

func (t *trace) addMissing(key string) {
	for _, k := range t.missing {
		if strings.EqualFold(k, key) {
			return
		}
	}
	t.missing = append(t.missing, key)
}

// SetDecision is the verdict of one policy type (or one organization level)
// on its own, as the simulator's PermissionsBoundaryDecisionDetail and
// OrganizationsDecisionDetail report it.
type SetDecision struct {
	Set      PolicySet
	Level    int
	Decision Decision
}

// Explanation is a Result with everything the IAM simulator reports.
type Explanation struct {
	Result
	// Statements lists every statement that matched the request, in every
	// policy that was evaluated, allow and deny alike.
	Statements []StatementRef
	// MissingContextValues lists condition keys that the conditions of
	// otherwise matching statements needed but the request did not carry.
	MissingContextValues []string
	// Sets holds each evaluated policy type's own verdict.
	Sets []SetDecision
}

// Explain evaluates like Evaluate, evaluating every policy even after a
// deny, and records the details. It allocates; use it for the simulator and
// diagnostics, not on the request path.
func Explain(req *Request, in *Input) *Explanation {
	tr := &trace{}
	res := evaluate(req, in, tr)
	sort.Strings(tr.missing)
	return &Explanation{Result: res, Statements: tr.matched, MissingContextValues: tr.missing, Sets: tr.sets}
}

// AllowedByBoundary reports the permissions boundary's own verdict and
// whether one applied.
func (x *Explanation) AllowedByBoundary() (allowed, applied bool) {
	for _, s := range x.Sets {
		if s.Set == SetBoundary {
			return s.Decision == Allowed, true
		}
	}
	return false, false
}

// AllowedByOrganizations reports whether every SCP level allowed (and no SCP
// denied), and whether SCPs applied.
func (x *Explanation) AllowedByOrganizations() (allowed, applied bool) {
	allowed = true
	for _, s := range x.Sets {
		if s.Set == SetSCP {
			applied = true
			allowed = allowed && s.Decision == Allowed
		}
	}
	return allowed && applied, applied
}

// Reason is the tail AWS appends to an AccessDenied message, for example
// "because no identity-based policy allows the iam:CreateUser action" or
// "with an explicit deny in a service control policy" (wording from the IAM
// troubleshooting page "Access denied error messages"). It is empty when the
// request is allowed.
func (r *Result) Reason() string {
	switch r.Decision {
	case ExplicitDeny:
		return "with an explicit deny in " + article(r.Cause) + r.Cause.String()
	case ImplicitDeny:
		cause := r.Cause
		if cause == 0 {
			cause = SetIdentity
		}
		return "because no " + cause.String() + " allows the " + r.action + " action"
	}
	return ""
}

func article(s PolicySet) string {
	if s == SetIdentity {
		return "an "
	}
	return "a "
}

// DeniedMessage builds the full AccessDenied message for a denied request:
// "User: ARN is not authorized to perform: ACTION on resource: RESOURCE
// because ...".
func (r *Result) DeniedMessage(principalARN, resource string) string {
	msg := "User: " + principalARN + " is not authorized to perform: " + r.action
	if resource != "" {
		msg += " on resource: " + resource
	}
	if reason := r.Reason(); reason != "" {
		msg += " " + reason
	}
	return msg
}
