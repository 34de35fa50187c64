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
	return p, nil
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
		p.PermissionsBoundaryUsageCount += d
		if p.PermissionsBoundaryUsageCount < 0 {
			p.PermissionsBoundaryUsageCount = 0
		}
		return tx.Policies().Update(ctx, p)
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
	if err := validateDocument(doc, policy.KindIdentity); err != nil {
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
		if err := reserve(ctx, tx, store.CountPolicies, c.AccountID, p.ID); err != nil {
			return err
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
	return &iamapi.CreatePolicyOutput{Policy: ptr(policyOut(p, true))}, nil
}

func (s *Service) GetPolicy(ctx context.Context, c *auth.Caller, in *iamapi.GetPolicyInput) (*iamapi.GetPolicyOutput, error) {
	p, err := s.policyTarget(ctx, c, "GetPolicy", in.PolicyArn)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetPolicyOutput{Policy: ptr(policyOut(p, true))}, nil
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
// before local ones.
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
	// AWS managed policies come first, then the account's, each section in
	// name order through the store's keyset listing; the marker is
	// "<section>|<lower-cased name>" (0 for AWS, 1 for the account).
	rank := func(mp *store.ManagedPolicy) string {
		if mp.AccountID == store.AWSAccount {
			return "0|" + lower(mp.Name)
		}
		return "1|" + lower(mp.Name)
	}
	keep := func(mp *store.ManagedPolicy) bool {
		if !isTrue(in.OnlyAttached) {
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
		if len(all) > p.max {
			break
		}
		sec := "1|"
		if acct == store.AWSAccount {
			sec = "0|"
		}
		after, ok := strings.CutPrefix(p.after, sec)
		switch {
		case p.after != "" && !ok && p.after > sec:
			continue // the marker is past this section
		case !ok:
			after = ""
		}
		sp := page{after: after, max: p.max - len(all)}
		ps, err := fill(sp, func(after string, limit int) ([]*store.ManagedPolicy, error) {
			return s.store.Policies().List(ctx, acct, store.ListOptions{PathPrefix: in.PathPrefix, After: after, Limit: limit})
		}, keep, func(mp *store.ManagedPolicy) string { return lower(mp.Name) })
		if err != nil {
			return nil, err
		}
		all = append(all, ps...)
	}
	all, trunc, m := cut(p, all, rank)
	out := &iamapi.ListPoliciesOutput{Policies: []iamapi.Policy{}, IsTruncated: ptr(trunc), Marker: m}
	for _, mp := range all {
		out.Policies = append(out.Policies, policyOut(mp, false))
	}
	return out, nil
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
