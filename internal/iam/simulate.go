package iam

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/policy"
)

// The IAM policy simulator: SimulateCustomPolicy, SimulatePrincipalPolicy and
// the two GetContextKeysFor… actions. Every scenario (action × resource) is
// run through the policy engine's Explain, and its explanation is shaped as
// AWS's EvaluationResult.

// Policy source types as the simulator labels matched statements. Documents
// passed as strings are "IAM Policy" and "Resource Policy"; a principal's
// own policies carry AWS's PolicySourceType.
const (
	sourceInput    = "IAM Policy"
	sourceResource = "Resource Policy"
	sourceUser     = "user"
	sourceGroup    = "group"
	sourceRole     = "role"
	sourceAWS      = "aws-managed"
	sourceLocal    = "user-managed"
)

const (
	maxPolicyDocument = 131072
)

// simulation is everything a simulation evaluates, resolved and compiled.
type simulation struct {
	identity  []*policy.Policy
	boundary  *policy.Policy
	resource  *policy.Policy
	types     map[*policy.Policy]string // SourcePolicyType of each policy
	principal policy.Principal
	owner     string // account owning resources whose ARN names none
	context   []policy.ContextEntry
	inOrg     bool
	// principalPolicies marks SimulatePrincipalPolicy, which weighs the
	// account's SCPs as enforcement does; scps are they.
	principalPolicies bool
	scps              [][]*policy.Policy
}

// scpSource is what the simulator needs of the authorizer: the SCP levels
// it enforces for an account (internal/authz implements it).
type scpSource interface {
	ServiceControlPolicies(ctx context.Context, account string) ([][]*policy.Policy, error)
}

func (sim *simulation) add(set *[]*policy.Policy, p *policy.Policy, id, typ string) *policy.Policy {
	p = p.WithID(id)
	if sim.types == nil {
		sim.types = map[*policy.Policy]string{}
	}
	sim.types[p] = typ
	if set != nil {
		*set = append(*set, p)
	}
	return p
}

// simParams are the parameters both simulation actions share.
type simParams struct {
	policies, boundaries, actions, resources []string
	resourcePolicy, resourceOwner, callerArn string
	context                                  []iamapi.ContextEntry
	marker                                   string
	maxItems                                 *int
}

// checkItems enforces per-item length limits the wire decoder cannot express
// on lists, with AWS's ValidationError wording.
func checkItems(member string, items []string, min, max int) error {
	var msgs []string
	for i, s := range items {
		n := utf8.RuneCountInString(s)
		at := member + "." + strconv.Itoa(i+1) + ".member"
		if n < min {
			msgs = append(msgs, "Value '"+s+"' at '"+at+"' failed to satisfy constraint: Member must have length greater than or equal to "+strconv.Itoa(min))
		} else if n > max {
			msgs = append(msgs, "Value '"+s+"' at '"+at+"' failed to satisfy constraint: Member must have length less than or equal to "+strconv.Itoa(max))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	prefix := "1 validation error detected: "
	if len(msgs) > 1 {
		prefix = strconv.Itoa(len(msgs)) + " validation errors detected: "
	}
	return awserr.ValidationError("%s", prefix+strings.Join(msgs, "; "))
}

func (p *simParams) validate() error {
	for _, c := range []struct {
		member   string
		items    []string
		min, max int
	}{
		{"policyInputList", p.policies, 1, maxPolicyDocument},
		{"permissionsBoundaryPolicyInputList", p.boundaries, 1, maxPolicyDocument},
		{"actionNames", p.actions, 3, 128},
		{"resourceArns", p.resources, 1, 2048},
	} {
		if err := checkItems(c.member, c.items, c.min, c.max); err != nil {
			return err
		}
	}
	return nil
}

// compileInputs parses the string documents of a simulation into sim.
func (sim *simulation) compileInputs(p *simParams) error {
	for i, doc := range p.policies {
		pol, err := policy.Parse(doc, policy.KindIdentity)
		if err != nil {
			return policyErr(err)
		}
		sim.add(&sim.identity, pol, "PolicyInputList."+strconv.Itoa(i+1), sourceInput)
	}
	// A principal has one permissions boundary; the simulator takes the
	// first document given as that boundary, replacing the entity's own.
	for i, doc := range p.boundaries {
		pol, err := policy.Parse(doc, policy.KindBoundary)
		if err != nil {
			return policyErr(err)
		}
		b := sim.add(nil, pol, "PermissionsBoundaryPolicyInputList."+strconv.Itoa(i+1), sourceInput)
		if i == 0 {
			sim.boundary = b
		}
	}
	if p.resourcePolicy != "" {
		pol, err := policy.Parse(p.resourcePolicy, policy.KindResource)
		if err != nil {
			return policyErr(err)
		}
		sim.resource = sim.add(nil, pol, "ResourcePolicy", sourceResource)
	}
	for _, e := range p.context {
		if e.ContextKeyName == "" {
			continue
		}
		ce := policy.ContextEntry{Key: e.ContextKeyName}
		if strings.HasSuffix(e.ContextKeyType, "List") || len(e.ContextKeyValues) != 1 {
			ce.Values = append([]string{}, e.ContextKeyValues...)
		} else {
			ce.Value = e.ContextKeyValues[0]
		}
		sim.context = append(sim.context, ce)
	}
	return nil
}

// resourceOwnerAccount reads ResourceOwner: an account ID or an account's
// root ARN.
func resourceOwnerAccount(s string) (string, error) {
	if accountIDRe.MatchString(s) {
		return s, nil
	}
	if rootARNRe.MatchString(s) {
		return s[len("arn:aws:iam::") : len("arn:aws:iam::")+12], nil
	}
	return "", awserr.InvalidInput("Invalid ResourceOwner: %s. ResourceOwner must be an account ID or the ARN of an account root.", s)
}

// callerPrincipal builds the simulated caller from CallerArn, which must be
// an IAM user's ARN. A user of this account gets its ID and tags.
func (s *Service) callerPrincipal(ctx context.Context, arn string) (policy.Principal, error) {
	p := policy.DerivePrincipal(arn)
	if p.Type != policy.PrincipalUser || !strings.HasPrefix(arn, "arn:aws:iam::") {
		return p, awserr.InvalidInput("Invalid CallerArn: %s. CallerArn must be the ARN of an IAM user.", arn)
	}
	if u, err := s.store.Users().Get(ctx, p.Account, p.Username); err == nil && userARNOf(u) == arn {
		s.userPrincipal(&p, u)
	} else if err != nil && !isNotFound(err) {
		return p, err
	}
	return p, nil
}

func (s *Service) userPrincipal(p *policy.Principal, u *store.User) {
	*p = policy.DerivePrincipal(userARNOf(u))
	p.UserID = u.ID
	for _, t := range u.Tags {
		p.Tags = append(p.Tags, policy.Tag{Key: t.Key, Value: t.Value})
	}
}

// finish resolves the caller's organization and the resource owner, and
// runs the scenarios.
func (s *Service) runSimulation(ctx context.Context, sim *simulation, p *simParams) (*iamapi.SimulatePolicyOutput, error) {
	pg, err := pageOf(p.marker, p.maxItems)
	if err != nil {
		return nil, err
	}
	sim.owner = sim.principal.Account
	if p.resourceOwner != "" {
		if sim.owner, err = resourceOwnerAccount(p.resourceOwner); err != nil {
			return nil, err
		}
	}
	if a, err := s.store.Accounts().Get(ctx, sim.principal.Account); err == nil {
		sim.inOrg = a.OrganizationID != ""
	} else if !isNotFound(err) {
		return nil, err
	}
	if src, ok := s.authz.(scpSource); ok && sim.inOrg && sim.principalPolicies {
		if sim.scps, err = src.ServiceControlPolicies(ctx, sim.principal.Account); err != nil {
			return nil, err
		}
	}
	resources := p.resources
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	type scenario struct {
		i      int
		action string
		res    string
	}
	var all []scenario
	for _, a := range p.actions {
		for _, r := range resources {
			all = append(all, scenario{len(all), a, r})
		}
	}
	page, trunc, marker, _ := cutSlice(pg, all, func(sc scenario) string { return padIndex(sc.i) })
	out := &iamapi.SimulatePolicyOutput{EvaluationResults: []iamapi.EvaluationResult{}, IsTruncated: ptr(trunc), Marker: marker}
	for _, sc := range page {
		out.EvaluationResults = append(out.EvaluationResults, sim.evaluate(sc.action, sc.res))
	}
	return out, nil
}

// evaluate runs one scenario.
func (sim *simulation) evaluate(action, resource string) iamapi.EvaluationResult {
	req := policy.Request{Principal: sim.principal, Action: action, Resource: resource, Context: sim.context}
	if arnAccountOf(resource) == "" {
		req.ResourceAccount = sim.owner
	}
	in := &policy.Input{Identity: sim.identity, Boundary: sim.boundary, Resource: sim.resource, SCPs: sim.scps}
	x := policy.Explain(&req, in)

	res := iamapi.EvaluationResult{EvalActionName: action, EvalResourceName: resource, EvalDecision: x.Decision.String(),
		MatchedStatements: sim.matched(x), MissingContextValues: nonNil(x.MissingContextValues)}
	if allowed, applied := x.AllowedByBoundary(); applied {
		res.PermissionsBoundaryDecisionDetail = &iamapi.PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: ptr(allowed)}
	}
	if sim.inOrg {
		// Without SCPs (the type not enabled, the management account) the
		// organization allows everything.
		allowed, applied := x.AllowedByOrganizations()
		res.OrganizationsDecisionDetail = &iamapi.OrganizationsDecisionDetail{AllowedByOrganizations: ptr(allowed || !applied)}
	}
	if resource != "*" {
		// Present but empty for same-account simulations, as AWS answers.
		res.EvalDecisionDetails = map[string]string{}
		owner := req.ResourceAccount
		if owner == "" {
			owner = arnAccountOf(resource)
		}
		if owner != sim.principal.Account {
			res.EvalDecisionDetails = sim.details(x)
		}
	}
	if sim.resource != nil && resource != "*" {
		res.ResourceSpecificResults = []iamapi.ResourceSpecificResult{{
			EvalResourceName: resource, EvalResourceDecision: res.EvalDecision,
			MatchedStatements: res.MatchedStatements, MissingContextValues: res.MissingContextValues,
			EvalDecisionDetails: res.EvalDecisionDetails, PermissionsBoundaryDecisionDetail: res.PermissionsBoundaryDecisionDetail,
		}}
		// With resources listed, AWS reports missing context values per
		// resource rather than at the top.
		res.MissingContextValues = []string{}
	}
	return res
}

// matched lists the statements that decided the scenario: every matching
// deny for an explicit deny, every matching allow for an allowed request,
// none for an implicit deny.
func (sim *simulation) matched(x *policy.Explanation) []iamapi.Statement {
	out := []iamapi.Statement{}
	var want policy.Effect
	switch x.Decision {
	case policy.Allowed:
		want = policy.Allow
	case policy.ExplicitDeny:
		want = policy.Deny
	default:
		return out
	}
	for _, ref := range x.Statements {
		st := ref.Statement()
		if st.Effect != want || ref.Set == policy.SetSCP {
			// SCP statements are reported through OrganizationsDecisionDetail.
			continue
		}
		out = append(out, iamapi.Statement{
			SourcePolicyId:   ref.Policy.ID(),
			SourcePolicyType: sim.types[ref.Policy],
			StartPosition:    &iamapi.Position{Line: ptr(st.Start.Line), Column: ptr(st.Start.Column)},
			EndPosition:      &iamapi.Position{Line: ptr(st.End.Line), Column: ptr(st.End.Column)},
		})
	}
	return out
}

// details summarizes a cross-account scenario per policy type: the identity
// side (identity policies within the boundary) and the resource policy.
func (sim *simulation) details(x *policy.Explanation) map[string]string {
	var ident, bound, resource policy.Decision
	hasBound := false
	for _, sd := range x.Sets {
		switch sd.Set {
		case policy.SetIdentity:
			ident = sd.Decision
		case policy.SetBoundary:
			bound, hasBound = sd.Decision, true
		case policy.SetResource:
			resource = sd.Decision
		}
	}
	side := ident
	switch {
	case ident == policy.ExplicitDeny || (hasBound && bound == policy.ExplicitDeny):
		side = policy.ExplicitDeny
	case ident == policy.Allowed && hasBound && bound != policy.Allowed:
		side = policy.ImplicitDeny
	}
	return map[string]string{sourceInput: side.String(), sourceResource: resource.String()}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// arnAccountOf returns the account field of an ARN, "" when it has none.
func arnAccountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

func (s *Service) SimulateCustomPolicy(ctx context.Context, c *auth.Caller, in *iamapi.SimulateCustomPolicyInput) (*iamapi.SimulatePolicyOutput, error) {
	if err := s.authorize(ctx, c, "SimulateCustomPolicy", "*"); err != nil {
		return nil, err
	}
	p := &simParams{policies: in.PolicyInputList, boundaries: in.PermissionsBoundaryPolicyInputList, actions: in.ActionNames,
		resources: in.ResourceArns, resourcePolicy: in.ResourcePolicy, resourceOwner: in.ResourceOwner, callerArn: in.CallerArn,
		context: in.ContextEntries, marker: in.Marker, maxItems: in.MaxItems}
	if err := p.validate(); err != nil {
		return nil, err
	}
	sim := &simulation{}
	if err := sim.compileInputs(p); err != nil {
		return nil, err
	}
	if in.CallerArn != "" {
		pr, err := s.callerPrincipal(ctx, in.CallerArn)
		if err != nil {
			return nil, err
		}
		sim.principal = pr
	} else {
		if sim.resource != nil {
			return nil, errCallerRequired()
		}
		// An anonymous IAM user of the caller's account: policy variables
		// about the user are reported as missing context values.
		sim.principal = policy.Principal{Type: policy.PrincipalUser, Account: c.AccountID}
	}
	return s.runSimulation(ctx, sim, p)
}

func errCallerRequired() error {
	return awserr.InvalidInput("Invalid input: CallerArn must be specified when a resource policy is included in the simulation.")
}

// simSource is the entity SimulatePrincipalPolicy and
// GetContextKeysForPrincipalPolicy read policies from.
type simSource struct {
	kind store.EntityType
	user *store.User
	role *store.Role
	grp  *store.Group
}

// sourceEntity resolves PolicySourceArn to a user, group or role of the
// caller's account, authorizing the caller on the ARN first.
func (s *Service) sourceEntity(ctx context.Context, c *auth.Caller, action, arn string) (*simSource, error) {
	if err := s.authorize(ctx, c, action, arn); err != nil {
		return nil, err
	}
	const pfx = "arn:aws:iam::"
	if !strings.HasPrefix(arn, pfx) {
		return nil, invalidARN(arn)
	}
	acct, res, ok := strings.Cut(arn[len(pfx):], ":")
	typ, rest, ok2 := strings.Cut(res, "/")
	if !ok || !ok2 || !accountIDRe.MatchString(acct) {
		return nil, invalidARN(arn)
	}
	name := rest[strings.LastIndex(rest, "/")+1:]
	if name == "" {
		return nil, invalidARN(arn)
	}
	src := &simSource{}
	var err error
	switch typ {
	case "user":
		src.kind = store.EntityUser
		src.user, err = userKind.at(ctx, s.store, c.AccountID, arn, name)
	case "role":
		src.kind = store.EntityRole
		src.role, err = roleKind.at(ctx, s.store, c.AccountID, arn, name)
	case "group":
		src.kind = store.EntityGroup
		src.grp, err = groupKind.at(ctx, s.store, c.AccountID, arn, name)
	default:
		return nil, invalidARN(arn)
	}
	if err != nil {
		return nil, err
	}
	return src, nil
}

// labelled is one of a source entity's documents with the simulator's
// labels.
type labelled struct {
	id, typ, doc string
}

// sourcePolicies returns the identity policies of the source (for a user,
// its groups' too, through PrincipalPolicies) and its boundary document.
func (s *Service) sourcePolicies(ctx context.Context, acct string, src *simSource) ([]labelled, *labelled, error) {
	var set *PolicySet
	var err error
	ownInline := 0
	ownType := sourceRole
	switch src.kind {
	case store.EntityUser:
		set, err = s.PrincipalPolicies(ctx, acct, store.EntityUser, src.user.ID)
		if err != nil {
			return nil, nil, err
		}
		own, err := s.store.InlinePolicies().List(ctx, store.EntityUser, src.user.ID)
		if err != nil {
			return nil, nil, err
		}
		ownInline, ownType = len(own), sourceUser
	case store.EntityRole:
		set, err = s.PrincipalPolicies(ctx, acct, store.EntityRole, src.role.ID)
		if err != nil {
			return nil, nil, err
		}
		ownInline = len(set.Identity)
	default:
		set = &PolicySet{}
		if err := s.entityPolicies(ctx, set, store.EntityGroup, src.grp.ID); err != nil {
			return nil, nil, err
		}
		ownInline, ownType = len(set.Identity), sourceGroup
	}
	label := func(np NamedPolicy) labelled {
		if np.Kind != "inline" {
			a, _, name, _ := parsePolicyARN(np.Name)
			typ := sourceLocal
			if a == store.AWSAccount {
				typ = sourceAWS
			}
			return labelled{name, typ, np.Document}
		}
		return labelled{np.Name, sourceGroup, np.Document}
	}
	var out []labelled
	inline := 0
	for _, np := range set.Identity {
		l := label(np)
		if np.Kind == "inline" {
			if inline < ownInline {
				l.typ = ownType
			}
			inline++
		}
		out = append(out, l)
	}
	var boundary *labelled
	if set.Boundary != nil {
		b := label(*set.Boundary)
		boundary = &b
	}
	return out, boundary, nil
}

func (s *Service) SimulatePrincipalPolicy(ctx context.Context, c *auth.Caller, in *iamapi.SimulatePrincipalPolicyInput) (*iamapi.SimulatePolicyOutput, error) {
	src, err := s.sourceEntity(ctx, c, "SimulatePrincipalPolicy", in.PolicySourceArn)
	if err != nil {
		return nil, err
	}
	p := &simParams{policies: in.PolicyInputList, boundaries: in.PermissionsBoundaryPolicyInputList, actions: in.ActionNames,
		resources: in.ResourceArns, resourcePolicy: in.ResourcePolicy, resourceOwner: in.ResourceOwner, callerArn: in.CallerArn,
		context: in.ContextEntries, marker: in.Marker, maxItems: in.MaxItems}
	if err := p.validate(); err != nil {
		return nil, err
	}
	docs, boundary, err := s.sourcePolicies(ctx, c.AccountID, src)
	if err != nil {
		return nil, err
	}
	sim := &simulation{}
	for _, d := range docs {
		pol, err := policy.Parse(d.doc, policy.KindIdentity)
		if err != nil {
			return nil, awserr.New("PolicyEvaluation", 500, "Failed to evaluate policy %s: %s", d.id, err)
		}
		sim.add(&sim.identity, pol, d.id, d.typ)
	}
	if boundary != nil {
		pol, err := policy.Parse(boundary.doc, policy.KindBoundary)
		if err != nil {
			return nil, awserr.New("PolicyEvaluation", 500, "Failed to evaluate policy %s: %s", boundary.id, err)
		}
		sim.boundary = sim.add(nil, pol, boundary.id, boundary.typ)
	}
	// Extra documents: PolicyInputList adds identity policies, and a
	// boundary given as input replaces the entity's own.
	if err := sim.compileInputs(p); err != nil {
		return nil, err
	}
	switch {
	case in.CallerArn != "":
		if sim.principal, err = s.callerPrincipal(ctx, in.CallerArn); err != nil {
			return nil, err
		}
	case src.user != nil:
		s.userPrincipal(&sim.principal, src.user)
	case sim.resource != nil:
		return nil, errCallerRequired()
	case src.role != nil:
		sim.principal = policy.DerivePrincipal(roleARNOf(src.role))
		sim.principal.UserID = src.role.ID
		for _, t := range src.role.Tags {
			sim.principal.Tags = append(sim.principal.Tags, policy.Tag{Key: t.Key, Value: t.Value})
		}
	default:
		sim.principal = policy.Principal{Type: policy.PrincipalUser, Account: c.AccountID}
	}
	sim.principalPolicies = true
	return s.runSimulation(ctx, sim, p)
}

func contextKeysOf(docs []string, kind policy.Kind, extra ...*policy.Policy) ([]string, error) {
	pols := append([]*policy.Policy(nil), extra...)
	for _, d := range docs {
		p, err := policy.Parse(d, kind)
		if err != nil {
			return nil, policyErr(err)
		}
		pols = append(pols, p)
	}
	return nonNil(policy.ContextKeys(pols...)), nil
}

func (s *Service) GetContextKeysForCustomPolicy(ctx context.Context, c *auth.Caller, in *iamapi.GetContextKeysForCustomPolicyInput) (*iamapi.GetContextKeysForPolicyOutput, error) {
	if err := s.authorize(ctx, c, "GetContextKeysForCustomPolicy", "*"); err != nil {
		return nil, err
	}
	if err := checkItems("policyInputList", in.PolicyInputList, 1, maxPolicyDocument); err != nil {
		return nil, err
	}
	keys, err := contextKeysOf(in.PolicyInputList, policy.KindIdentity)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetContextKeysForPolicyOutput{ContextKeyNames: keys}, nil
}

// GetContextKeysForPrincipalPolicy lists the keys of the entity's identity
// policies (a user's groups' included) and of the extra documents. The
// permissions boundary is not a permissions policy of the entity and is not
// read.
func (s *Service) GetContextKeysForPrincipalPolicy(ctx context.Context, c *auth.Caller, in *iamapi.GetContextKeysForPrincipalPolicyInput) (*iamapi.GetContextKeysForPolicyOutput, error) {
	src, err := s.sourceEntity(ctx, c, "GetContextKeysForPrincipalPolicy", in.PolicySourceArn)
	if err != nil {
		return nil, err
	}
	if err := checkItems("policyInputList", in.PolicyInputList, 1, maxPolicyDocument); err != nil {
		return nil, err
	}
	docs, _, err := s.sourcePolicies(ctx, c.AccountID, src)
	if err != nil {
		return nil, err
	}
	var own []*policy.Policy
	for _, d := range docs {
		if p, err := policy.Parse(d.doc, policy.KindIdentity); err == nil {
			own = append(own, p)
		}
	}
	keys, err := contextKeysOf(in.PolicyInputList, policy.KindIdentity, own...)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetContextKeysForPolicyOutput{ContextKeyNames: keys}, nil
}
