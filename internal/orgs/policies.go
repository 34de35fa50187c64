package orgs

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	orgsapi "github.com/mantle-iam/mantle/internal/api/organizations"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/policy"
)

// The authorization policy types; every other type is a management policy
// (tag, backup, AI services opt-out, …), kept and reported but not enforced
// by mantle, which serves none of the services they configure.
const (
	typeSCP = "SERVICE_CONTROL_POLICY"
	typeRCP = "RESOURCE_CONTROL_POLICY"
)

// Quotas of the Organizations quotas page: at most 1,000 policies of a type
// per organization, 5 SCPs (or RCPs) attached to one target, and the
// document size of each type.
const (
	maxPoliciesPerType   = 1000
	maxAttachedPerTarget = 5
)

func maxContent(typ string) int {
	switch typ {
	case typeSCP, typeRCP:
		return policy.MaxOrgPolicySize
	case "AISERVICES_OPT_OUT_POLICY":
		return 2500
	}
	return 10000
}

// awsPolicy is an AWS managed policy: the same in every organization,
// attached by default to every root, OU and account once its type is
// enabled ("FullAWSAccess", "RCPFullAWSAccess").
type awsPolicy struct {
	id, name, typ, description, content string
}

var awsPolicies = []awsPolicy{
	{"p-FullAWSAccess", "FullAWSAccess", typeSCP, "Allows access to every operation",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
	{"p-RCPFullAWSAccess", "RCPFullAWSAccess", typeRCP, "Allows access to every operation",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`},
}

func awsPolicyByID(id string) *awsPolicy {
	for i := range awsPolicies {
		if awsPolicies[i].id == id {
			return &awsPolicies[i]
		}
	}
	return nil
}

// defaultPolicy is the AWS managed policy of a type, "" for types without.
func defaultPolicy(typ string) string {
	for _, p := range awsPolicies {
		if p.typ == typ {
			return p.id
		}
	}
	return ""
}

// policyTypes are the types of the model's PolicyType enum, with the path
// segment of their ARNs.
var policyTypes = map[string]string{
	typeSCP:                            "service_control_policy",
	typeRCP:                            "resource_control_policy",
	"TAG_POLICY":                       "tag_policy",
	"BACKUP_POLICY":                    "backup_policy",
	"AISERVICES_OPT_OUT_POLICY":        "aiservices_opt_out_policy",
	"CHATBOT_POLICY":                   "chatbot_policy",
	"DECLARATIVE_POLICY_EC2":           "declarative_policy_ec2",
	"SECURITYHUB_POLICY":               "securityhub_policy",
	"INSPECTOR_POLICY":                 "inspector_policy",
	"UPGRADE_ROLLOUT_POLICY":           "upgrade_rollout_policy",
	"BEDROCK_POLICY":                   "bedrock_policy",
	"S3_POLICY":                        "s3_policy",
	"NETWORK_SECURITY_DIRECTOR_POLICY": "network_security_director_policy",
}

func policyARN(o *store.Organization, typ, id string) string {
	if awsPolicyByID(id) != nil {
		return "arn:aws:organizations::aws:policy/" + policyTypes[typ] + "/" + id
	}
	return "arn:aws:organizations::" + o.ManagementAccountID + ":policy/" + o.ID + "/" + policyTypes[typ] + "/" + id
}

// Errors of the policy operations, worded as the API reference describes
// each exception.
func policyNotFound() error {
	return awserr.New("PolicyNotFoundException", http.StatusBadRequest,
		"We can't find a policy with the PolicyId that you specified.")
}

func targetNotFound() error {
	return awserr.New("TargetNotFoundException", http.StatusBadRequest,
		"We can't find a root, OU, account, or email address with the TargetId that you specified.")
}

func rootNotFound() error {
	return awserr.New("RootNotFoundException", http.StatusBadRequest,
		"We can't find a root with the RootId that you specified.")
}

func policyTypeNotEnabled() error {
	return awserr.New("PolicyTypeNotEnabledException", http.StatusBadRequest,
		"This operation can be performed only for enabled policy types.")
}

func malformedPolicy() error {
	return awserr.New("MalformedPolicyDocumentException", http.StatusBadRequest,
		"The provided policy document does not meet the requirements of the specified policy type.")
}

// violation is a ConstraintViolationException with its Reason.
func violation(reason, msg string) error {
	e := awserr.New("ConstraintViolationException", http.StatusBadRequest, "%s", msg)
	e.Reason = reason
	return e
}

func awsManagedDenied() error {
	return awserr.New("AccessDeniedException", http.StatusBadRequest,
		"You don't have permissions to access this resource. AWS managed policies cannot be changed.")
}

// validateContent checks a document as Organizations does for its type:
// the size (every character counts), then SCP and RCP grammar with the
// policy engine (no Principal in an SCP, only "*" in an RCP, …), and for
// the management policy types a JSON object.
func validateContent(typ, content string) error {
	if utf8.RuneCountInString(content) > maxContent(typ) {
		// The message AWS answers (org-formation/org-formation-cli#332).
		return violation("POLICY_CONTENT_LIMIT_EXCEEDED", "You have exceeded the maximum policy size.")
	}
	switch typ {
	case typeSCP:
		if _, err := policy.Parse(content, policy.KindSCP); err != nil {
			return malformedPolicy()
		}
	case typeRCP:
		if _, err := policy.Parse(content, policy.KindRCP); err != nil {
			return malformedPolicy()
		}
	default:
		var v map[string]json.RawMessage
		if err := json.Unmarshal([]byte(content), &v); err != nil {
			return malformedPolicy()
		}
	}
	return nil
}

// orgPolicies is an organization's policies, attachments and enabled
// types as one transaction read them, with its tree.
type orgPolicies struct {
	*tree
	own      map[string]*store.OrgPolicy
	attached map[string][]string // target → policy IDs, in ID order
	targets  map[string][]string // policy → target IDs, in ID order
	enabled  map[string]bool
}

func loadPolicies(ctx context.Context, r store.Repos, o *store.Organization, now time.Time) (*orgPolicies, error) {
	t, err := loadTree(ctx, r, o, now)
	if err != nil {
		return nil, err
	}
	own, err := r.Organizations().ListPolicies(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	atts, err := r.Organizations().ListAttachments(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	types, err := r.Organizations().ListSettings(ctx, o.ID, store.SettingPolicyType)
	if err != nil {
		return nil, err
	}
	p := &orgPolicies{tree: t, own: make(map[string]*store.OrgPolicy, len(own)),
		attached: map[string][]string{}, targets: map[string][]string{}, enabled: map[string]bool{}}
	for _, pol := range own {
		p.own[pol.ID] = pol
	}
	for _, a := range atts {
		p.attached[a.TargetID] = insertSorted(p.attached[a.TargetID], a.PolicyID)
		p.targets[a.PolicyID] = append(p.targets[a.PolicyID], a.TargetID)
	}
	for _, s := range types {
		p.enabled[s.Name] = true
	}
	return p, nil
}

func insertSorted(list []string, v string) []string {
	i := 0
	for i < len(list) && list[i] < v {
		i++
	}
	list = append(list, "")
	copy(list[i+1:], list[i:])
	list[i] = v
	return list
}

// typeOf returns a policy's type, "" when the organization has no such
// policy.
func (p *orgPolicies) typeOf(id string) string {
	if a := awsPolicyByID(id); a != nil {
		return a.typ
	}
	if pol := p.own[id]; pol != nil {
		return pol.Type
	}
	return ""
}

func (p *orgPolicies) summary(id string) orgsapi.PolicySummary {
	if a := awsPolicyByID(id); a != nil {
		return orgsapi.PolicySummary{Id: a.id, Arn: policyARN(p.org, a.typ, a.id), Name: a.name,
			Description: a.description, Type: a.typ, AwsManaged: ptr(true)}
	}
	pol := p.own[id]
	return orgsapi.PolicySummary{Id: pol.ID, Arn: policyARN(p.org, pol.Type, pol.ID), Name: pol.Name,
		Description: pol.Description, Type: pol.Type, AwsManaged: ptr(false)}
}

func (p *orgPolicies) policyOut(id string) orgsapi.Policy {
	sum := p.summary(id)
	return orgsapi.Policy{Content: p.content(id), PolicySummary: &sum}
}

// duplicatePolicy words a name clash of the store as Organizations does.
func duplicatePolicy(err error) error {
	if errors.Is(err, store.ErrAlreadyExists) {
		return awserr.New("DuplicatePolicyException", http.StatusBadRequest, "A policy with the same name already exists.")
	}
	return err
}

func (p *orgPolicies) content(id string) string {
	if a := awsPolicyByID(id); a != nil {
		return a.content
	}
	return p.own[id].Content
}

// isTarget reports whether id is the root, an OU or a member account.
func (p *orgPolicies) isTarget(id string) bool {
	return p.isContainer(id) || p.member(id) != nil
}

// attachedOfType lists the policies of one type attached to a target.
func (p *orgPolicies) attachedOfType(target, typ string) []string {
	var out []string
	for _, id := range p.attached[target] {
		if p.typeOf(id) == typ {
			out = append(out, id)
		}
	}
	return out
}

// allTargets lists the root, every OU and every member account.
func (p *orgPolicies) allTargets() []string {
	out := []string{p.org.RootID}
	for id := range p.ous {
		out = append(out, id)
	}
	for _, a := range p.members {
		out = append(out, a.ID)
	}
	return out
}

func (p *orgPolicies) rootOut() orgsapi.Root {
	types := []orgsapi.PolicyTypeSummary{}
	for _, typ := range sortedKeys(p.enabled) {
		types = append(types, orgsapi.PolicyTypeSummary{Type: typ, Status: "ENABLED"})
	}
	return orgsapi.Root{Id: p.org.RootID, Arn: rootARN(p.org), Name: "Root", PolicyTypes: types}
}

func (p *orgPolicies) targetOut(id string) orgsapi.PolicyTargetSummary {
	switch {
	case id == p.org.RootID:
		return orgsapi.PolicyTargetSummary{TargetId: id, Arn: rootARN(p.org), Name: "Root", Type: "ROOT"}
	case p.ous[id] != nil:
		return orgsapi.PolicyTargetSummary{TargetId: id, Arn: ouARN(p.org, id), Name: p.ous[id].Name, Type: "ORGANIZATIONAL_UNIT"}
	}
	name := ""
	if a := p.member(id); a != nil {
		name = a.Name
	}
	return orgsapi.PolicyTargetSummary{TargetId: id, Arn: accountARN(p.org, id), Name: name, Type: "ACCOUNT"}
}

// levels lists an account's levels, root first: the containers on its
// path, then the account itself.
func (p *orgPolicies) levels(account string) []string {
	return append(p.path(p.accountParent(account)), account)
}

func ptr[T any](v T) *T { return &v }

// policyResource is the ARN IAM policies name a policy by, for the
// organizations:*Policy actions.
func policyResource(o *store.Organization, id string) string {
	typ := typeSCP
	if a := awsPolicyByID(id); a != nil {
		typ = a.typ
	}
	return policyARN(o, typ, id)
}

// readPolicies reads the caller's organization's policies for a read
// operation of the management account.
func (s *Service) readPolicies(ctx context.Context, c *auth.Caller, action string, resource func(o *store.Organization) string) (*orgPolicies, error) {
	o, err := s.managed(ctx, c, action, resource)
	if err != nil {
		return nil, err
	}
	return loadPolicies(ctx, s.store, o, s.now())
}

// changePolicies runs fn on the policies as read inside a Change: what
// the authorizer caches per account depends on every one of them.
func (s *Service) changePolicies(ctx context.Context, o *store.Organization, fn func(ctx context.Context, tx store.Repos, p *orgPolicies) error) error {
	return s.store.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		p, err := loadPolicies(ctx, tx, o, s.now())
		if err != nil {
			return err
		}
		return fn(ctx, tx, p)
	})
}

func (s *Service) CreatePolicy(ctx context.Context, c *auth.Caller, in *orgsapi.CreatePolicyInput) (*orgsapi.CreatePolicyOutput, error) {
	o, err := s.managed(ctx, c, "CreatePolicy", anyResource)
	if err != nil {
		return nil, err
	}
	if err := validateContent(in.Type, in.Content); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	pol := &store.OrgPolicy{ID: "p-" + randomLower(8), OrganizationID: o.ID, Type: in.Type, Name: in.Name,
		Description: in.Description, Content: in.Content, CreatedAt: s.now().UTC().Truncate(time.Second)}
	var out orgsapi.Policy
	err = s.changePolicies(ctx, o, func(ctx context.Context, tx store.Repos, p *orgPolicies) error {
		if o.FeatureSet != "ALL" {
			return violation("ORGANIZATION_NOT_IN_ALL_FEATURES_MODE",
				"You attempted to perform an operation that requires the organization to be configured to support all features.")
		}
		n := 0
		for _, q := range p.own {
			if q.Type == in.Type {
				n++
			}
		}
		if n >= maxPoliciesPerType {
			return violation("POLICY_NUMBER_LIMIT_EXCEEDED", "You attempted to exceed the number of policies that you can have in an organization.")
		}
		if err := tx.Organizations().CreatePolicy(ctx, pol); err != nil {
			return duplicatePolicy(err)
		}
		if err := tx.Organizations().PutTags(ctx, o.ID, pol.ID, storeTags(in.Tags)); err != nil {
			return err
		}
		p.own[pol.ID] = pol
		out = p.policyOut(pol.ID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.CreatePolicyOutput{Policy: &out}, nil
}

func (s *Service) DescribePolicy(ctx context.Context, c *auth.Caller, in *orgsapi.DescribePolicyInput) (*orgsapi.DescribePolicyOutput, error) {
	p, err := s.readPolicies(ctx, c, "DescribePolicy", func(o *store.Organization) string { return policyResource(o, in.PolicyId) })
	if err != nil {
		return nil, err
	}
	if p.typeOf(in.PolicyId) == "" {
		return nil, policyNotFound()
	}
	out := p.policyOut(in.PolicyId)
	return &orgsapi.DescribePolicyOutput{Policy: &out}, nil
}

func (s *Service) UpdatePolicy(ctx context.Context, c *auth.Caller, in *orgsapi.UpdatePolicyInput) (*orgsapi.UpdatePolicyOutput, error) {
	o, err := s.managed(ctx, c, "UpdatePolicy", func(o *store.Organization) string { return policyResource(o, in.PolicyId) })
	if err != nil {
		return nil, err
	}
	var out orgsapi.Policy
	err = s.changePolicies(ctx, o, func(ctx context.Context, tx store.Repos, p *orgPolicies) error {
		if awsPolicyByID(in.PolicyId) != nil {
			return awsManagedDenied()
		}
		pol := p.own[in.PolicyId]
		if pol == nil {
			return policyNotFound()
		}
		if in.Sent("Name") {
			pol.Name = in.Name
		}
		if in.Sent("Description") {
			pol.Description = in.Description
		}
		if in.Sent("Content") {
			if err := validateContent(pol.Type, in.Content); err != nil {
				return err
			}
			pol.Content = in.Content
		}
		if err := tx.Organizations().UpdatePolicy(ctx, pol); err != nil {
			return duplicatePolicy(err)
		}
		out = p.policyOut(pol.ID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.UpdatePolicyOutput{Policy: &out}, nil
}

func (s *Service) DeletePolicy(ctx context.Context, c *auth.Caller, in *orgsapi.DeletePolicyInput) (*orgsapi.DeletePolicyOutput, error) {
	o, err := s.managed(ctx, c, "DeletePolicy", func(o *store.Organization) string { return policyResource(o, in.PolicyId) })
	if err != nil {
		return nil, err
	}
	err = s.changePolicies(ctx, o, func(ctx context.Context, tx store.Repos, p *orgPolicies) error {
		if awsPolicyByID(in.PolicyId) != nil {
			return awsManagedDenied()
		}
		if p.own[in.PolicyId] == nil {
			return policyNotFound()
		}
		if len(p.targets[in.PolicyId]) > 0 {
			return awserr.New("PolicyInUseException", http.StatusBadRequest,
				"The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.")
		}
		if err := tx.Organizations().PutTags(ctx, o.ID, in.PolicyId, nil); err != nil {
			return err
		}
		return tx.Organizations().DeletePolicy(ctx, in.PolicyId)
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.DeletePolicyOutput{}, nil
}

// policiesOfType lists the IDs of the AWS managed and own policies of a
// type, in ID order.
func (p *orgPolicies) policiesOfType(typ string) []string {
	var ids []string
	for _, a := range awsPolicies {
		if a.typ == typ {
			ids = append(ids, a.id)
		}
	}
	for id, pol := range p.own {
		if pol.Type == typ {
			ids = append(ids, id)
		}
	}
	sortStrings(ids)
	return ids
}

func (s *Service) ListPolicies(ctx context.Context, c *auth.Caller, in *orgsapi.ListPoliciesInput) (*orgsapi.ListPoliciesOutput, error) {
	p, err := s.readPolicies(ctx, c, "ListPolicies", anyResource)
	if err != nil {
		return nil, err
	}
	return p.summaries(p.policiesOfType(in.Filter), in.NextToken, in.MaxResults)
}

// summaries is the page of policies a token and MaxResults select.
func (p *orgPolicies) summaries(ids []string, token string, max *int) (*orgsapi.ListPoliciesOutput, error) {
	ids, next, err := pageOf(ids, ident, token, max)
	if err != nil {
		return nil, err
	}
	out := &orgsapi.ListPoliciesOutput{Policies: make([]orgsapi.PolicySummary, 0, len(ids)), NextToken: next}
	for _, id := range ids {
		out.Policies = append(out.Policies, p.summary(id))
	}
	return out, nil
}

func (s *Service) ListPoliciesForTarget(ctx context.Context, c *auth.Caller, in *orgsapi.ListPoliciesForTargetInput) (*orgsapi.ListPoliciesForTargetOutput, error) {
	p, err := s.readPolicies(ctx, c, "ListPoliciesForTarget", func(o *store.Organization) string { return targetARN(o, in.TargetId) })
	if err != nil {
		return nil, err
	}
	if !p.isTarget(in.TargetId) {
		return nil, targetNotFound()
	}
	out, err := p.summaries(p.attachedOfType(in.TargetId, in.Filter), in.NextToken, in.MaxResults)
	return (*orgsapi.ListPoliciesForTargetOutput)(out), err
}

func (s *Service) ListTargetsForPolicy(ctx context.Context, c *auth.Caller, in *orgsapi.ListTargetsForPolicyInput) (*orgsapi.ListTargetsForPolicyOutput, error) {
	p, err := s.readPolicies(ctx, c, "ListTargetsForPolicy", func(o *store.Organization) string { return policyResource(o, in.PolicyId) })
	if err != nil {
		return nil, err
	}
	if p.typeOf(in.PolicyId) == "" {
		return nil, policyNotFound()
	}
	ids, next, err := pageOf(p.targets[in.PolicyId], ident, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &orgsapi.ListTargetsForPolicyOutput{Targets: make([]orgsapi.PolicyTargetSummary, 0, len(ids)), NextToken: next}
	for _, id := range ids {
		out.Targets = append(out.Targets, p.targetOut(id))
	}
	return out, nil
}

// targetARN is the ARN IAM policies name a root, OU or account by.
func targetARN(o *store.Organization, id string) string {
	switch {
	case strings.HasPrefix(id, "r-"):
		return rootARN(o)
	case strings.HasPrefix(id, "ou-"):
		return ouARN(o, id)
	}
	return accountARN(o, id)
}

// changeAttachment runs fn, inside a Change, on an attachment of a policy
// of the organization to one of its targets, once the caller may act on
// both; fn gets the policy's type.
func (s *Service) changeAttachment(ctx context.Context, c *auth.Caller, action, policyID, targetID string,
	fn func(ctx context.Context, tx store.Repos, p *orgPolicies, typ string, a *store.PolicyAttachment) error) error {
	o, err := s.managed(ctx, c, action, func(o *store.Organization) string { return policyResource(o, policyID) })
	if err != nil {
		return err
	}
	if err := s.authorizeOn(ctx, c, o, action, targetARN(o, targetID)); err != nil {
		return err
	}
	return s.changePolicies(ctx, o, func(ctx context.Context, tx store.Repos, p *orgPolicies) error {
		typ := p.typeOf(policyID)
		if typ == "" {
			return policyNotFound()
		}
		if !p.isTarget(targetID) {
			return targetNotFound()
		}
		return fn(ctx, tx, p, typ, &store.PolicyAttachment{OrganizationID: o.ID, PolicyID: policyID, TargetID: targetID})
	})
}

func (p *orgPolicies) isAttached(policyID, targetID string) bool {
	for _, id := range p.attached[targetID] {
		if id == policyID {
			return true
		}
	}
	return false
}

func (s *Service) AttachPolicy(ctx context.Context, c *auth.Caller, in *orgsapi.AttachPolicyInput) (*orgsapi.AttachPolicyOutput, error) {
	err := s.changeAttachment(ctx, c, "AttachPolicy", in.PolicyId, in.TargetId, func(ctx context.Context, tx store.Repos, p *orgPolicies, typ string, a *store.PolicyAttachment) error {
		if !p.enabled[typ] {
			return policyTypeNotEnabled()
		}
		if p.isAttached(a.PolicyID, a.TargetID) {
			return awserr.New("DuplicatePolicyAttachmentException", http.StatusBadRequest,
				"The selected policy is already attached to the specified target.")
		}
		if (typ == typeSCP || typ == typeRCP) && len(p.attachedOfType(a.TargetID, typ)) >= maxAttachedPerTarget {
			return violation("MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
				"You attempted to exceed the number of policies of a certain type that can be attached to an entity at one time.")
		}
		return tx.Organizations().AttachPolicy(ctx, a)
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.AttachPolicyOutput{}, nil
}

func (s *Service) DetachPolicy(ctx context.Context, c *auth.Caller, in *orgsapi.DetachPolicyInput) (*orgsapi.DetachPolicyOutput, error) {
	err := s.changeAttachment(ctx, c, "DetachPolicy", in.PolicyId, in.TargetId, func(ctx context.Context, tx store.Repos, p *orgPolicies, typ string, a *store.PolicyAttachment) error {
		if !p.isAttached(a.PolicyID, a.TargetID) {
			return awserr.New("PolicyNotAttachedException", http.StatusBadRequest,
				"The policy isn't attached to the specified target in the specified root.")
		}
		// Every root, OU and account keeps at least one SCP ("you can't
		// detach the last SCP"), and RCPFullAWSAccess cannot be detached.
		if (typ == typeSCP && len(p.attachedOfType(a.TargetID, typ)) == 1) || a.PolicyID == defaultPolicy(typeRCP) {
			return violation("MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
				"You attempted to detach a policy from an entity that would cause the entity to have fewer than the minimum number of policies of a certain type required.")
		}
		return tx.Organizations().DetachPolicy(ctx, a)
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.DetachPolicyOutput{}, nil
}

func (s *Service) EnablePolicyType(ctx context.Context, c *auth.Caller, in *orgsapi.EnablePolicyTypeInput) (*orgsapi.EnablePolicyTypeOutput, error) {
	o, err := s.managed(ctx, c, "EnablePolicyType", func(o *store.Organization) string { return containerARN(o, in.RootId) })
	if err != nil {
		return nil, err
	}
	var out orgsapi.Root
	err = s.changePolicies(ctx, o, func(ctx context.Context, tx store.Repos, p *orgPolicies) error {
		if in.RootId != o.RootID {
			return rootNotFound()
		}
		if o.FeatureSet != "ALL" {
			return violation("ORGANIZATION_NOT_IN_ALL_FEATURES_MODE",
				"You attempted to perform an operation that requires the organization to be configured to support all features.")
		}
		if p.enabled[in.PolicyType] {
			return awserr.New("PolicyTypeAlreadyEnabledException", http.StatusBadRequest, "The specified policy type is already enabled.")
		}
		if err := tx.Organizations().PutSetting(ctx, &store.OrgSetting{OrganizationID: o.ID, Kind: store.SettingPolicyType,
			Name: in.PolicyType, CreatedAt: s.now().UTC()}); err != nil {
			return err
		}
		// The type's AWS managed policy goes on every root, OU and account,
		// so nothing changes until other policies are attached.
		if def := defaultPolicy(in.PolicyType); def != "" {
			for _, target := range p.allTargets() {
				if err := tx.Organizations().AttachPolicy(ctx, &store.PolicyAttachment{OrganizationID: o.ID, PolicyID: def, TargetID: target}); err != nil {
					return err
				}
			}
		}
		p.enabled[in.PolicyType] = true
		out = p.rootOut()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.EnablePolicyTypeOutput{Root: &out}, nil
}

func (s *Service) DisablePolicyType(ctx context.Context, c *auth.Caller, in *orgsapi.DisablePolicyTypeInput) (*orgsapi.DisablePolicyTypeOutput, error) {
	o, err := s.managed(ctx, c, "DisablePolicyType", func(o *store.Organization) string { return containerARN(o, in.RootId) })
	if err != nil {
		return nil, err
	}
	var out orgsapi.Root
	err = s.changePolicies(ctx, o, func(ctx context.Context, tx store.Repos, p *orgPolicies) error {
		if in.RootId != o.RootID {
			return rootNotFound()
		}
		if !p.enabled[in.PolicyType] {
			return policyTypeNotEnabled()
		}
		if err := tx.Organizations().DeleteSetting(ctx, o.ID, store.SettingPolicyType, in.PolicyType); err != nil {
			return err
		}
		// Disabling a type detaches every policy of it.
		for target, ids := range p.attached {
			for _, id := range ids {
				if p.typeOf(id) != in.PolicyType {
					continue
				}
				if err := tx.Organizations().DetachPolicy(ctx, &store.PolicyAttachment{OrganizationID: o.ID, PolicyID: id, TargetID: target}); err != nil {
					return err
				}
			}
		}
		delete(p.enabled, in.PolicyType)
		out = p.rootOut()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.DisablePolicyTypeOutput{Root: &out}, nil
}

// attachDefaults attaches the default policy of every enabled type to a new
// OU or account, as AWS does.
func attachDefaults(ctx context.Context, tx store.Repos, o *store.Organization, target string) error {
	types, err := tx.Organizations().ListSettings(ctx, o.ID, store.SettingPolicyType)
	if err != nil {
		return err
	}
	for _, t := range types {
		if def := defaultPolicy(t.Name); def != "" {
			if err := tx.Organizations().AttachPolicy(ctx, &store.PolicyAttachment{OrganizationID: o.ID, PolicyID: def, TargetID: target}); err != nil {
				return err
			}
		}
	}
	return nil
}

// detachAll removes every attachment and tag of a target that leaves the
// organization (an OU deleted, an account removed).
func detachAll(ctx context.Context, tx store.Repos, o *store.Organization, target string) error {
	atts, err := tx.Organizations().ListAttachments(ctx, o.ID)
	if err != nil {
		return err
	}
	for _, a := range atts {
		if a.TargetID == target {
			if err := tx.Organizations().DetachPolicy(ctx, a); err != nil {
				return err
			}
		}
	}
	return tx.Organizations().PutTags(ctx, o.ID, target, nil)
}
