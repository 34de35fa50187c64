package iam

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/policy"
)

func policyARNOf(p *store.ManagedPolicy) string { return policyARN(p.AccountID, p.Path, p.Name) }

func policyOut(p *store.ManagedPolicy, full bool) iamapi.Policy {
	out := iamapi.Policy{PolicyName: p.Name, PolicyId: p.ID, Arn: policyARNOf(p), Path: p.Path, DefaultVersionId: p.DefaultVersionID,
		AttachmentCount: ptr(p.AttachmentCount), PermissionsBoundaryUsageCount: ptr(p.PermissionsBoundaryUsageCount),
		IsAttachable: ptr(true), CreateDate: p.CreatedAt, UpdateDate: p.UpdatedAt}
	if full {
		out.Description = p.Description
		out.Tags = tagsOut(p.Tags)
	}
	return out
}

func versionOut(p *store.ManagedPolicy, v *store.PolicyVersion, withDoc bool) iamapi.PolicyVersion {
	out := iamapi.PolicyVersion{VersionId: v.VersionID, IsDefaultVersion: ptr(v.VersionID == p.DefaultVersionID), CreateDate: v.CreatedAt}
	if withDoc {
		out.Document = encodeDocument(v.Document)
	}
	return out
}

func noSuchPolicy(arn string) *awserr.Error {
	return awserr.NoSuchEntity("Policy %s does not exist or is not attachable.", arn)
}

func invalidARN(arn string) *awserr.Error {
	return awserr.InvalidInput("ARN %s is not valid.", arn)
}

// policyByARN resolves a managed policy ARN visible to accountID: its own
// policies and AWS managed ones. The path in the ARN must match.
func policyByARN(ctx context.Context, r store.Repos, accountID, arn string) (*store.ManagedPolicy, error) {
	acct, path, name, ok := parsePolicyARN(arn)
	if !ok {
		return nil, invalidARN(arn)
	}
	if acct != accountID && acct != store.AWSAccount {
		return nil, noSuchPolicy(arn)
	}
	p, err := r.Policies().Get(ctx, acct, name)
	if err != nil {
		return nil, notFoundAs(err, noSuchPolicy(arn))
	}
	if p.Path != path || p.Name != name {
		return nil, noSuchPolicy(arn)
	}
	return withUse(ctx, r, accountID, p)
}

// withUse gives an AWS managed policy the account's AttachmentCount and
// PermissionsBoundaryUsageCount: its row is shared by every account, and AWS
// counts each account's use apart.
func withUse(ctx context.Context, r store.Repos, accountID string, p *store.ManagedPolicy) (*store.ManagedPolicy, error) {
	if p.AccountID != store.AWSAccount {
		return p, nil
	}
	u, err := r.AWSPolicies().Use(ctx, accountID, p.Name)
	if err != nil {
		return nil, err
	}
	q := *p
	q.AttachmentCount, q.PermissionsBoundaryUsageCount = u.Attachments, u.Boundaries
	return &q, nil
}

// countUse adds to a managed policy's counts inside the transaction that
// attaches, detaches or sets it as a boundary in accountID: an AWS managed
// policy's in the account's own row of use, a customer managed policy's on
// the policy.
func countUse(ctx context.Context, tx store.Repos, accountID string, p *store.ManagedPolicy, attachments, boundaries int) error {
	if p.AccountID == store.AWSAccount {
		return tx.AWSPolicies().AddUse(ctx, accountID, p.Name, attachments, boundaries)
	}
	p.AttachmentCount = max(0, p.AttachmentCount+attachments)
	p.PermissionsBoundaryUsageCount = max(0, p.PermissionsBoundaryUsageCount+boundaries)
	return tx.Policies().Update(ctx, p)
}

// boundaryPolicy checks that a permissions boundary ARN names a managed
// policy the account can use.
func (s *Service) boundaryPolicy(ctx context.Context, r store.Repos, accountID, arn string) (*store.ManagedPolicy, error) {
	return policyByARN(ctx, r, accountID, arn)
}

// countBoundary moves one PermissionsBoundaryUsageCount from the policy at
// oldARN to the one at newARN, inside the transaction that changes the
// boundary. Either may be "".
func (s *Service) countBoundary(ctx context.Context, tx store.Repos, accountID, oldARN, newARN string) error {
	if oldARN == newARN {
		return nil
	}
	adjust := func(arn string, d int) error {
		if arn == "" {
			return nil
		}
		p, err := policyByARN(ctx, tx, accountID, arn)
		if err != nil {
			if d < 0 && awserr.HasCode(err, "NoSuchEntity") {
				return nil // the policy went away; nothing to count down
			}
			return err
		}
		return countUse(ctx, tx, accountID, p, 0, d)
	}
	if err := adjust(oldARN, -1); err != nil {
		return err
	}
	return adjust(newARN, 1)
}

// policyTarget loads the policy an action is about and authorizes the caller
// against its ARN before revealing whether it exists.
func (s *Service) policyTarget(ctx context.Context, c *auth.Caller, action, arn string, keys ...auth.Key) (*store.ManagedPolicy, error) {
	if _, _, _, ok := parsePolicyARN(arn); !ok {
		return nil, invalidARN(arn)
	}
	p, err := policyByARN(ctx, s.store, c.AccountID, arn)
	if err != nil && !awserr.HasCode(err, "NoSuchEntity") {
		return nil, err
	}
	if err := s.authorize(ctx, c, action, arn, keys...); err != nil {
		return nil, err
	}
	return p, err
}

// updatePolicy authorizes action on the policy, refuses AWS managed ones,
// then applies f to the committed row inside a transaction.
func (s *Service) updatePolicy(ctx context.Context, c *auth.Caller, action, arn string, f func(tx store.Repos, p *store.ManagedPolicy) error, keys ...auth.Key) error {
	p, err := s.policyTarget(ctx, c, action, arn, keys...)
	if err != nil {
		return err
	}
	if err := notAWSManaged(c, action, p); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		p, err := reloadPolicy(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := f(tx, p); err != nil {
			return err
		}
		return tx.Policies().Update(ctx, p)
	})
}

// notAWSManaged refuses writes to AWS managed policies: no principal in an
// account can be granted them, so AWS answers AccessDenied.
func notAWSManaged(c *auth.Caller, action string, p *store.ManagedPolicy) error {
	if p.AccountID != store.AWSAccount {
		return nil
	}
	who := c.ARN
	if who == "" {
		who = rootARN(c.AccountID)
	}
	return awserr.AccessDenied("User: %s is not authorized to perform: iam:%s on resource: policy %s", who, action, policyARNOf(p))
}

// reloadPolicy re-reads a policy by ID inside a transaction.
func reloadPolicy(ctx context.Context, tx store.Repos, p *store.ManagedPolicy) (*store.ManagedPolicy, error) {
	q, err := tx.Policies().GetByID(ctx, p.ID)
	return q, notFoundAs(err, noSuchPolicy(policyARNOf(p)))
}

// checkManagedDocument validates a managed policy document and its size.
func checkManagedDocument(doc string) error {
	if err := checkDocument(doc, policy.UseManaged); err != nil {
		return err
	}
	return policyErr(policy.CheckManagedPolicySize(doc))
}

func (s *Service) CreatePolicy(ctx context.Context, c *auth.Caller, in *iamapi.CreatePolicyInput) (*iamapi.CreatePolicyOutput, error) {
	if err := checkPath(in.Path); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	path := pathOr(in.Path)
	if err := s.authorize(ctx, c, "CreatePolicy", policyARN(c.AccountID, path, in.PolicyName), requestTagKeys(in.Tags)...); err != nil {
		return nil, err
	}
	if err := checkManagedDocument(in.PolicyDocument); err != nil {
		return nil, err
	}
	id, err := s.newID(prefixPolicy)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	p := &store.ManagedPolicy{AccountID: c.AccountID, ID: id, Name: in.PolicyName, Path: path, Description: in.Description,
		DefaultVersionID: "v1", NextVersion: 2, Tags: storeTags(in.Tags), CreatedAt: now, UpdatedAt: now}
	v := &store.PolicyVersion{PolicyID: id, VersionID: "v1", Document: in.PolicyDocument, CreatedAt: now}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if n, err := tx.Policies().Count(ctx, c.AccountID); err != nil {
			return err
		} else if n >= quotaPolicies {
			return awserr.LimitExceeded("Cannot exceed quota for PoliciesPerAccount: %d", quotaPolicies)
		}
		if err := tx.Policies().Create(ctx, p, v); err != nil {
			if isExists(err) {
				return awserr.EntityAlreadyExists("A policy called %s already exists. Duplicate names are not allowed.", in.PolicyName)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// CreatePolicy leaves the description out (GetPolicy has it) and sends
	// Tags only when there are some.
	out := policyOut(p, false)
	out.Tags = tagsOut(p.Tags)
	return &iamapi.CreatePolicyOutput{Policy: ptr(out)}, nil
}

func (s *Service) GetPolicy(ctx context.Context, c *auth.Caller, in *iamapi.GetPolicyInput) (*iamapi.GetPolicyOutput, error) {
	p, err := s.policyTarget(ctx, c, "GetPolicy", in.PolicyArn)
	if err != nil {
		return nil, err
	}
	// GetPolicy sends Tags even when empty (localstack's recorded AWS
	// snapshots, test_iam_policies and test_iam_managed_policies).
	out := policyOut(p, true)
	out.Tags = append([]iamapi.Tag{}, out.Tags...)
	return &iamapi.GetPolicyOutput{Policy: ptr(out)}, nil
}

func (s *Service) DeletePolicy(ctx context.Context, c *auth.Caller, in *iamapi.DeletePolicyInput) (*iamapi.DeletePolicyOutput, error) {
	p, err := s.policyTarget(ctx, c, "DeletePolicy", in.PolicyArn)
	if err != nil {
		return nil, err
	}
	if err := notAWSManaged(c, "DeletePolicy", p); err != nil {
		return nil, err
	}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		p, err := reloadPolicy(ctx, tx, p)
		if err != nil {
			return err
		}
		if p.AttachmentCount > 0 || p.PermissionsBoundaryUsageCount > 0 {
			return awserr.DeleteConflict("Cannot delete a policy attached to entities.")
		}
		if att, err := tx.Attachments().ListForPolicy(ctx, p.ID); err != nil {
			return err
		} else if len(att) > 0 {
			return awserr.DeleteConflict("Cannot delete a policy attached to entities.")
		}
		vs, err := tx.Policies().ListVersions(ctx, p.ID)
		if err != nil {
			return err
		}
		if len(vs) > 1 {
			return awserr.DeleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		return tx.Policies().Delete(ctx, p.ID)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeletePolicyOutput{}, nil
}

// ListPolicies merges AWS managed and local policies in name order when the
// scope is All; the cursor is "scope-rank|lower-name" so AWS policies page
// before local ones. Each segment is read from its cursor on, at most a page
// beyond it; OnlyAttached reads only what the account uses (for AWS managed
// policies, the account's own rows of use, not the whole set).
func (s *Service) ListPolicies(ctx context.Context, c *auth.Caller, in *iamapi.ListPoliciesInput) (*iamapi.ListPoliciesOutput, error) {
	if err := s.authorize(ctx, c, "ListPolicies", listARN(c.AccountID, "policy")); err != nil {
		return nil, err
	}
	p, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	var accounts []string
	switch in.Scope {
	case "", "All":
		accounts = []string{store.AWSAccount, c.AccountID}
	case "AWS":
		accounts = []string{store.AWSAccount}
	case "Local":
		accounts = []string{c.AccountID}
	default:
		return nil, awserr.ValidationError("1 validation error detected: Value '%s' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]", in.Scope)
	}
	onlyAttached := isTrue(in.OnlyAttached)
	keep := func(mp *store.ManagedPolicy) bool {
		if !onlyAttached {
			return true
		}
		switch in.PolicyUsageFilter {
		case "PermissionsPolicy":
			return mp.AttachmentCount > 0
		case "PermissionsBoundary":
			return mp.PermissionsBoundaryUsageCount > 0
		}
		return mp.AttachmentCount > 0 || mp.PermissionsBoundaryUsageCount > 0
	}
	var all []*store.ManagedPolicy
	for _, acct := range accounts {
		prefix := "0|"
		if acct != store.AWSAccount {
			prefix = "1|"
		}
		opt := store.ListOptions{PathPrefix: in.PathPrefix}
		if r, name, ok := strings.Cut(p.after, "|"); ok && r+"|" == prefix {
			opt.After = name
		} else if p.after != "" && p.after > prefix {
			continue // the cursor is past this segment
		}
		if !onlyAttached {
			opt.Limit = p.max + 1 - len(all)
		}
		ps, err := s.segment(ctx, c.AccountID, acct, onlyAttached, opt)
		if err != nil {
			return nil, err
		}
		for _, mp := range ps {
			if keep(mp) {
				all = append(all, mp)
			}
		}
		if len(all) > p.max {
			break
		}
	}
	all, trunc, m := cut(p, all, func(mp *store.ManagedPolicy) string {
		if mp.AccountID == store.AWSAccount {
			return "0|" + lower(mp.Name)
		}
		return "1|" + lower(mp.Name)
	})
	out := &iamapi.ListPoliciesOutput{Policies: []iamapi.Policy{}, IsTruncated: ptr(trunc), Marker: m}
	for _, mp := range all {
		out.Policies = append(out.Policies, policyOut(mp, false))
	}
	return out, nil
}

// segment lists one account's managed policies (acct is AWSAccount for AWS
// managed ones) with the caller's account's counts.
func (s *Service) segment(ctx context.Context, account, acct string, onlyUsed bool, opt store.ListOptions) ([]*store.ManagedPolicy, error) {
	if acct != store.AWSAccount {
		return s.store.Policies().List(ctx, acct, opt)
	}
	if onlyUsed {
		return s.store.AWSPolicies().ListUsed(ctx, account, opt)
	}
	ps, err := s.store.Policies().List(ctx, acct, opt)
	if err != nil || len(ps) == 0 {
		return ps, err
	}
	// The account's counts of the policies of this page: one range of its
	// rows of use.
	used, err := s.store.AWSPolicies().ListUsed(ctx, account, store.ListOptions{PathPrefix: opt.PathPrefix,
		After: opt.After})
	if err != nil {
		return nil, err
	}
	counts := make(map[string]*store.ManagedPolicy, len(used))
	for _, u := range used {
		counts[u.ID] = u
	}
	for i, mp := range ps {
		if u := counts[mp.ID]; u != nil {
			ps[i] = u
		} else {
			q := *mp
			q.AttachmentCount, q.PermissionsBoundaryUsageCount = 0, 0
			ps[i] = &q
		}
	}
	return ps, nil
}

func (s *Service) CreatePolicyVersion(ctx context.Context, c *auth.Caller, in *iamapi.CreatePolicyVersionInput) (*iamapi.CreatePolicyVersionOutput, error) {
	p, err := s.policyTarget(ctx, c, "CreatePolicyVersion", in.PolicyArn)
	if err != nil {
		return nil, err
	}
	if err := notAWSManaged(c, "CreatePolicyVersion", p); err != nil {
		return nil, err
	}
	if err := checkManagedDocument(in.PolicyDocument); err != nil {
		return nil, err
	}
	var out iamapi.PolicyVersion
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		p, err := reloadPolicy(ctx, tx, p)
		if err != nil {
			return err
		}
		vs, err := tx.Policies().ListVersions(ctx, p.ID)
		if err != nil {
			return err
		}
		if len(vs) >= quotaPolicyVersions {
			return awserr.LimitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", quotaPolicyVersions)
		}
		now := s.clock()
		v := &store.PolicyVersion{PolicyID: p.ID, VersionID: "v" + strconv.Itoa(p.NextVersion), Document: in.PolicyDocument, CreatedAt: now}
		if err := tx.Policies().CreateVersion(ctx, v); err != nil {
			return err
		}
		p.NextVersion++
		if isTrue(in.SetAsDefault) {
			p.DefaultVersionID = v.VersionID
		}
		p.UpdatedAt = now
		if err := tx.Policies().Update(ctx, p); err != nil {
			return err
		}
		out = versionOut(p, v, false)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreatePolicyVersionOutput{PolicyVersion: ptr(out)}, nil
}

func noSuchVersion(arn, v string) *awserr.Error {
	return awserr.NoSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, v)
}

func (s *Service) GetPolicyVersion(ctx context.Context, c *auth.Caller, in *iamapi.GetPolicyVersionInput) (*iamapi.GetPolicyVersionOutput, error) {
	p, err := s.policyTarget(ctx, c, "GetPolicyVersion", in.PolicyArn)
	if err != nil {
		return nil, err
	}
	v, err := s.store.Policies().GetVersion(ctx, p.ID, in.VersionId)
	if err != nil {
		return nil, notFoundAs(err, noSuchVersion(in.PolicyArn, in.VersionId))
	}
	return &iamapi.GetPolicyVersionOutput{PolicyVersion: ptr(versionOut(p, v, true))}, nil
}

func (s *Service) ListPolicyVersions(ctx context.Context, c *auth.Caller, in *iamapi.ListPolicyVersionsInput) (*iamapi.ListPolicyVersionsOutput, error) {
	p, err := s.policyTarget(ctx, c, "ListPolicyVersions", in.PolicyArn)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	vs, err := s.store.Policies().ListVersions(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	// Versions list newest first; the cursor is the inverted version number
	// so it grows down the list.
	key := func(v *store.PolicyVersion) string {
		n, _ := strconv.Atoi(strings.TrimPrefix(v.VersionID, "v"))
		return fmt.Sprintf("%010d", 1<<30-n)
	}
	vs, trunc, m, _ := cutSlice(pg, vs, key)
	out := &iamapi.ListPolicyVersionsOutput{Versions: []iamapi.PolicyVersion{}, IsTruncated: ptr(trunc), Marker: m}
	for _, v := range vs {
		out.Versions = append(out.Versions, versionOut(p, v, false))
	}
	return out, nil
}

func (s *Service) DeletePolicyVersion(ctx context.Context, c *auth.Caller, in *iamapi.DeletePolicyVersionInput) (*iamapi.DeletePolicyVersionOutput, error) {
	p, err := s.policyTarget(ctx, c, "DeletePolicyVersion", in.PolicyArn)
	if err != nil {
		return nil, err
	}
	if err := notAWSManaged(c, "DeletePolicyVersion", p); err != nil {
		return nil, err
	}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		p, err := reloadPolicy(ctx, tx, p)
		if err != nil {
			return err
		}
		if _, err := tx.Policies().GetVersion(ctx, p.ID, in.VersionId); err != nil {
			return notFoundAs(err, noSuchVersion(in.PolicyArn, in.VersionId))
		}
		if p.DefaultVersionID == in.VersionId {
			return awserr.DeleteConflict("Cannot delete the default version of a policy.")
		}
		return tx.Policies().DeleteVersion(ctx, p.ID, in.VersionId)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeletePolicyVersionOutput{}, nil
}

func (s *Service) SetDefaultPolicyVersion(ctx context.Context, c *auth.Caller, in *iamapi.SetDefaultPolicyVersionInput) (*iamapi.SetDefaultPolicyVersionOutput, error) {
	return result[iamapi.SetDefaultPolicyVersionOutput](s.updatePolicy(ctx, c, "SetDefaultPolicyVersion", in.PolicyArn, func(tx store.Repos, p *store.ManagedPolicy) error {
		if _, err := tx.Policies().GetVersion(ctx, p.ID, in.VersionId); err != nil {
			return notFoundAs(err, noSuchVersion(in.PolicyArn, in.VersionId))
		}
		p.DefaultVersionID = in.VersionId
		p.UpdatedAt = s.clock()
		return nil
	}))
}

func (s *Service) TagPolicy(ctx context.Context, c *auth.Caller, in *iamapi.TagPolicyInput) (*iamapi.TagPolicyOutput, error) {
	return result[iamapi.TagPolicyOutput](s.policyTags().tag(ctx, c, "TagPolicy", in.PolicyArn, in.Tags))
}

func (s *Service) UntagPolicy(ctx context.Context, c *auth.Caller, in *iamapi.UntagPolicyInput) (*iamapi.UntagPolicyOutput, error) {
	return result[iamapi.UntagPolicyOutput](s.policyTags().untag(ctx, c, "UntagPolicy", in.PolicyArn, in.TagKeys))
}

func (s *Service) ListPolicyTags(ctx context.Context, c *auth.Caller, in *iamapi.ListPolicyTagsInput) (*iamapi.ListPolicyTagsOutput, error) {
	out, err := s.policyTags().list(ctx, c, "ListPolicyTags", in.PolicyArn, in.Marker, in.MaxItems)
	return (*iamapi.ListPolicyTagsOutput)(out), err
}

func lower(s string) string { return strings.ToLower(s) }
