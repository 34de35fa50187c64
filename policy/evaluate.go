package policy

import "strings"

// PolicySet is the role a policy plays in a request; it decides how the
// policy combines with the others ("Policy evaluation logic").
type PolicySet uint8

// Policy sets.
const (
	SetIdentity PolicySet = iota + 1 // identity-based policies of the caller
	SetBoundary                      // the caller's permissions boundary
	SetSession                       // session policies of the caller's session
	SetResource                      // resource-based policy (a role's trust policy for sts:AssumeRole*)
	SetSCP                           // service control policies of the caller's account
	SetRCP                           // resource control policies of the resource's account
)

var setLabels = [...]string{
	SetIdentity: "identity-based policy",
	SetBoundary: "permissions boundary",
	SetSession:  "session policy",
	SetResource: "resource-based policy",
	SetSCP:      "service control policy",
	SetRCP:      "resource control policy",
}

// String is the policy type as AWS's AccessDenied messages name it.
func (s PolicySet) String() string {
	if int(s) < len(setLabels) {
		return setLabels[s]
	}
	return "policy"
}

// Input holds the policies that apply to a request. Nil or empty fields do
// not apply: a nil SCPs means the caller's account is in no organization, a
// nil RCPs that the resource's account is in none, and no Session policies
// means the caller's session was created without any.
type Input struct {
	Identity []*Policy
	Boundary *Policy
	Session  []*Policy
	Resource *Policy
	// SCPs lists service control policies per level of the caller's
	// organization: the root, each OU down the path, then the account. Each
	// level must allow the action.
	SCPs [][]*Policy
	// RCPs lists resource control policies per level of the resource
	// owner's organization, in the same order.
	RCPs [][]*Policy
	// RequireResourcePolicy makes the resource-based policy necessary even
	// within one account, as for KMS key policies. A Resource parsed as
	// KindTrust always is: a role can only be assumed if its trust policy
	// allows it ("Policy evaluation logic", the KMS and trust-policy
	// exception).
	RequireResourcePolicy bool
}

// Decision is the outcome of an evaluation.
type Decision uint8

// Decisions. The zero value is ImplicitDeny so an unset Result denies.
const (
	ImplicitDeny Decision = iota
	Allowed
	ExplicitDeny
)

// String returns the IAM simulator's EvalDecision spelling.
func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// StatementRef points at one statement of one policy in an Input.
type StatementRef struct {
	Set    PolicySet
	Level  int // level in SCPs or RCPs; 0 otherwise
	Policy *Policy
	Index  int // index of the statement in the policy
}

// Statement returns the referenced statement.
func (s StatementRef) Statement() *Statement { return &s.Policy.statements[s.Index] }

const maxRefs = 8

// Result is a decision and the statements that made it. It is a plain value
// so Evaluate can return it without allocating.
type Result struct {
	Decision Decision
	// Cause is the policy type that denied the request (for ExplicitDeny,
	// the one holding the deny; for ImplicitDeny, the one that failed to
	// allow). It is zero when the request is allowed.
	Cause  PolicySet
	action string
	refs   [maxRefs]StatementRef
	n      uint8
}

// Allowed reports whether the request is allowed.
func (r *Result) Allowed() bool { return r.Decision == Allowed }

// Matched returns the deciding statements: the denying statement for an
// explicit deny, the allowing statement of each policy type that had to allow
// for an allowed request, none for an implicit deny.
func (r *Result) Matched() []StatementRef { return r.refs[:r.n] }

func (r *Result) add(ref StatementRef) {
	if int(r.n) < maxRefs {
		r.refs[r.n] = ref
		r.n++
	}
}

// Evaluate decides whether req is allowed under the policies in in. It
// allocates nothing and may be called concurrently.
func Evaluate(req *Request, in *Input) Result {
	return evaluate(req, in, nil)
}

// outcome accumulates one policy set's matches.
type outcome struct {
	allow, deny bool
	grant       grant
	allowRef    StatementRef
	denyRef     StatementRef
}

type evaluator struct {
	r           *Request
	tr          *trace
	action      string
	svc         string
	svcBuf      [64]byte
	svcLen      int
	svcLower    bool
	res         arnParts
	hasBoundary bool
}

func (e *evaluator) init(r *Request, in *Input, tr *trace) {
	e.r, e.tr, e.action = r, tr, r.Action
	e.hasBoundary = in.Boundary != nil
	e.res = splitARN(r.Resource)
	svc, _, _ := strings.Cut(r.Action, ":")
	e.svc, e.svcLower = svc, true
	for i := 0; i < len(svc); i++ {
		if c := svc[i]; c >= 'A' && c <= 'Z' {
			e.svcLower = false
			break
		}
	}
	if !e.svcLower && len(svc) <= len(e.svcBuf) {
		for i := 0; i < len(svc); i++ {
			e.svcBuf[i] = foldByte(svc[i])
		}
		e.svcLen = len(svc)
	} else if !e.svcLower {
		e.svc, e.svcLower = strings.ToLower(svc), true
	}
}

// candidates returns the statements of p indexed under the request's service.
func (e *evaluator) candidates(p *Policy) []int32 {
	if e.svcLower {
		return p.byService[e.svc]
	}
	return p.byService[string(e.svcBuf[:e.svcLen])]
}

func (e *evaluator) evalPolicy(p *Policy, set PolicySet, level int, o *outcome) {
	if p == nil {
		return
	}
	idx, wild := e.candidates(p), p.anyService
	i, j := 0, 0
	for i < len(idx) || j < len(wild) {
		var s int32
		if j >= len(wild) || (i < len(idx) && idx[i] < wild[j]) {
			s = idx[i]
			i++
		} else {
			s = wild[j]
			j++
		}
		st := &p.statements[s]
		if e.tr == nil && st.Effect == Allow && o.allow && (set != SetResource || o.grant == grantDirect) {
			// The set already allows as strongly as it can; only a deny
			// could still change the outcome.
			continue
		}
		g := e.matchStatement(st)
		if g == grantNone {
			continue
		}
		ref := StatementRef{Set: set, Level: level, Policy: p, Index: int(s)}
		if e.tr != nil {
			e.tr.matched = append(e.tr.matched, ref)
		}
		if st.Effect == Deny {
			if !o.deny {
				o.deny, o.denyRef = true, ref
			}
			if e.tr == nil {
				return
			}
			continue
		}
		if !o.allow || g > o.grant {
			o.allowRef, o.grant = ref, g
		}
		o.allow = true
	}
}

func (e *evaluator) matchStatement(st *Statement) grant {
	matched := false
	for i := range st.actions {
		if st.actions[i].match(e.action) {
			matched = true
			break
		}
	}
	if matched == st.notAction {
		return grantNone
	}
	if st.hasResource {
		matched = false
		for i := range st.resources {
			if st.resources[i].match(&e.res, e.r) {
				matched = true
				break
			}
		}
		if matched == st.notResource {
			return grantNone
		}
	}
	g := st.matchPrincipal(&e.r.Principal, e.hasBoundary)
	if g == grantNone {
		return grantNone
	}
	ok := true
	for i := range st.conditions {
		if !st.conditions[i].eval(e.r, e.tr) {
			ok = false
			if e.tr == nil {
				break
			}
			// Keep going when explaining: the simulator lists every key the
			// statement needs that the request lacks.
		}
	}
	if !ok {
		return grantNone
	}
	return g
}

// evalSet evaluates a list of policies that together form one policy type
// (or one organization level): any allow allows, any deny denies.
func (e *evaluator) evalSet(pols []*Policy, set PolicySet, level int) outcome {
	var o outcome
	for _, p := range pols {
		e.evalPolicy(p, set, level, &o)
		if o.deny && e.tr == nil {
			break
		}
	}
	if e.tr != nil {
		d := ImplicitDeny
		if o.deny {
			d = ExplicitDeny
		} else if o.allow {
			d = Allowed
		}
		e.tr.sets = append(e.tr.sets, SetDecision{Set: set, Level: level, Decision: d})
	}
	return o
}

// evaluate implements the flow of "Policy evaluation logic" and
// "Cross-account policy evaluation logic":
//
//  1. an explicit deny in any applicable policy denies;
//  2. every SCP level of the caller's organization and every RCP level of
//     the resource owner's organization must allow;
//  3. within one account, a resource-based policy that names the caller (its
//     user, session or federated-user ARN, or everyone) allows on its own; one
//     that names the role of the caller's session is still limited by the
//     permissions boundary and session policies; one that names the account
//     needs the identity side to allow;
//  4. otherwise the identity side (identity policies AND boundary AND session
//     policies) must allow, and across accounts the resource-based policy must
//     allow too.
func evaluate(r *Request, in *Input, tr *trace) Result {
	if in == nil {
		in = &Input{}
	}
	var e evaluator
	e.init(r, in, tr)
	res := Result{action: r.Action}
	p := &r.Principal

	var denied bool
	deny := func(o *outcome, set PolicySet) bool {
		if o.deny && !denied {
			denied = true
			res.Decision, res.Cause = ExplicitDeny, set
			res.add(o.denyRef)
		}
		return denied && tr == nil
	}

	// Organization guardrails. SCPs govern principals of member accounts;
	// RCPs govern the resources, whoever calls, except AWS services.
	var allows [maxRefs]StatementRef
	nAllows := 0
	keep := func(ref StatementRef) {
		if nAllows < maxRefs {
			allows[nAllows] = ref
			nAllows++
		}
	}
	orgCause := PolicySet(0)
	if in.SCPs != nil && awsPrincipal(p.Type) {
		for lvl, pols := range in.SCPs {
			o := e.evalSet(pols, SetSCP, lvl)
			if deny(&o, SetSCP) {
				return res
			}
			if !o.allow && orgCause == 0 {
				orgCause = SetSCP
			} else if o.allow {
				keep(o.allowRef)
			}
		}
	}
	if in.RCPs != nil && p.Type != PrincipalService {
		for lvl, pols := range in.RCPs {
			o := e.evalSet(pols, SetRCP, lvl)
			if deny(&o, SetRCP) {
				return res
			}
			if !o.allow && orgCause == 0 {
				orgCause = SetRCP
			} else if o.allow {
				keep(o.allowRef)
			}
		}
	}

	var ro outcome
	if in.Resource != nil {
		ro = e.evalSet([]*Policy{in.Resource}[:1:1], SetResource, 0)
		if deny(&ro, SetResource) {
			return res
		}
	}

	hasIdentity := p.Type == PrincipalUser || p.Type == PrincipalAssumedRole ||
		p.Type == PrincipalFederatedUser || p.Type == PrincipalRole
	var io, bo, so outcome
	if hasIdentity {
		io = e.evalSet(in.Identity, SetIdentity, 0)
		if deny(&io, SetIdentity) {
			return res
		}
		if in.Boundary != nil {
			bo = e.evalSet([]*Policy{in.Boundary}[:1:1], SetBoundary, 0)
			if deny(&bo, SetBoundary) {
				return res
			}
		}
		if len(in.Session) > 0 {
			so = e.evalSet(in.Session, SetSession, 0)
			if deny(&so, SetSession) {
				return res
			}
		}
	}
	// A root session scoped by a task policy (STS AssumeRoot) carries it as
	// its session policy: root's permissions narrowed like any session's.
	rootSession := p.Type == PrincipalRoot && len(in.Session) > 0
	if rootSession {
		so = e.evalSet(in.Session, SetSession, 0)
		if deny(&so, SetSession) {
			return res
		}
	}
	if denied {
		return res
	}
	if orgCause != 0 {
		res.Cause = orgCause
		return res
	}

	boundaryOK := !hasIdentity || in.Boundary == nil || bo.allow
	sessionOK := (!hasIdentity && !rootSession) || len(in.Session) == 0 || so.allow
	identityOK := p.Type == PrincipalRoot || (hasIdentity && io.allow)

	allow := func(refs ...*outcome) Result {
		res.Decision = Allowed
		for i := 0; i < nAllows; i++ {
			res.add(allows[i])
		}
		for _, o := range refs {
			if o.allow {
				res.add(o.allowRef)
			}
		}
		return res
	}
	identityCause := func() PolicySet {
		switch {
		case !identityOK:
			return SetIdentity
		case !boundaryOK:
			return SetBoundary
		case !sessionOK:
			return SetSession
		}
		return 0
	}

	if !awsPrincipal(p.Type) {
		// Anonymous callers, AWS services and identity providers have no
		// identity side: only a resource-based policy can allow them.
		if ro.allow {
			return allow(&ro)
		}
		res.Cause = SetResource
		return res
	}

	needResource := in.RequireResourcePolicy || (in.Resource != nil && in.Resource.kind == KindTrust)
	acct := r.ResourceAccount
	if acct == "" && e.res.n == 6 && r.Resource[:e.res.end[0]] == "arn" {
		acct = r.Resource[e.res.start(4):e.res.end[4]]
	}
	sameAccount := acct == "" || acct == p.Account

	// Within one account a grant naming the caller stands on its own, and
	// one naming the role of the caller's session is limited only by the
	// boundary and session policies.
	if sameAccount && ro.allow {
		switch ro.grant {
		case grantDirect:
			return allow(&ro)
		case grantRole:
			if boundaryOK && sessionOK {
				return allow(&ro, &bo, &so)
			}
			res.Cause = SetSession
			if !boundaryOK {
				res.Cause = SetBoundary
			}
			return res
		}
	}
	if c := identityCause(); c != 0 {
		res.Cause = c
		return res
	}
	if sameAccount && !needResource {
		return allow(&io, &bo, &so, &ro)
	}
	// Across accounts (or for a resource whose policy is mandatory) the
	// resource-based policy must allow too.
	if !ro.allow {
		res.Cause = SetResource
		return res
	}
	return allow(&io, &bo, &so, &ro)
}
