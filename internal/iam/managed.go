package iam

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mantle-iam/mantle/internal/iam/awsmanaged"
	"github.com/mantle-iam/mantle/internal/store"
)

// AWS managed policies are served from the shipped set (package
// awsmanaged) and become rows of Policies only once something uses one
// (an attachment, a permissions boundary): the rows carry the foreign keys
// and joins every managed policy has, and a start writes nothing for the
// 1,569 nobody uses (loading them all cost 60 ms of CPU per new data
// directory, seconds under the race detector).

// EnsureAWSManagedPolicies brings the AWS managed policies that have rows to
// the set this build ships. The store records the digest of the set its
// rows follow, so a start that finds it current reads one value and decodes
// nothing; otherwise the rows are updated in one transaction with the
// digest: a policy whose default version changed gets the new version (the
// old one stays listable, as AWS keeps old versions), and a policy mantle
// shipped earlier under an ID of its own takes AWS's ID, its attachments
// following it. Rows of policies no longer shipped stay: something uses them.
func (s *Service) EnsureAWSManagedPolicies(ctx context.Context) error {
	digest := awsmanaged.Digest()
	if have, err := s.store.AWSPolicies().Digest(ctx); err != nil || have == digest {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		rows, err := tx.Policies().List(ctx, store.AWSAccount, store.ListOptions{})
		if err != nil {
			return err
		}
		for _, cur := range rows {
			sp, err := awsmanaged.Lookup(cur.Name)
			if err != nil {
				return err
			}
			if sp == nil {
				continue
			}
			row, v := awsPolicyRow(sp)
			if err := updateAWSPolicy(ctx, tx, cur, row, v); err != nil {
				return err
			}
		}
		return tx.AWSPolicies().SetDigest(ctx, digest, s.clock())
	})
}

// awsPolicy returns the AWS managed policy named: its row once it has one,
// the shipped policy otherwise; store.ErrNotFound when there is neither.
func awsPolicy(ctx context.Context, r store.Repos, name string) (*store.ManagedPolicy, error) {
	p, err := r.Policies().Get(ctx, store.AWSAccount, name)
	if err == nil || !isNotFound(err) {
		return p, err
	}
	sp, lerr := awsmanaged.Lookup(name)
	if lerr != nil || sp == nil {
		return nil, errors.Join(err, lerr)
	}
	row, _ := awsPolicyRow(sp)
	return row, nil
}

// materialize gives an AWS managed policy its row and default version,
// inside the transaction that is about to refer to it.
func materialize(ctx context.Context, tx store.Repos, p *store.ManagedPolicy) error {
	if p.AccountID != store.AWSAccount {
		return nil
	}
	if _, err := tx.Policies().GetByID(ctx, p.ID); !isNotFound(err) {
		return err
	}
	sp, err := awsmanaged.Lookup(p.Name)
	if err != nil || sp == nil || sp.ID != p.ID {
		return errors.Join(fmt.Errorf("iam: AWS managed policy %s is not shipped", p.Name), err)
	}
	row, v := awsPolicyRow(sp)
	if err := tx.Policies().Create(ctx, row, v); err != nil && !isExists(err) {
		return err // a concurrent first use that committed created the same row
	}
	return nil
}

// policyVersion returns a version of a managed policy; an AWS managed
// policy without a row has the shipped default version only.
func policyVersion(ctx context.Context, r store.Repos, p *store.ManagedPolicy, versionID string) (*store.PolicyVersion, error) {
	v, err := r.Policies().GetVersion(ctx, p.ID, versionID)
	if err == nil || !isNotFound(err) || p.AccountID != store.AWSAccount {
		return v, err
	}
	if sp, lerr := awsmanaged.Lookup(p.Name); lerr != nil {
		return nil, lerr
	} else if sp != nil && sp.ID == p.ID && sp.DefaultVersionID == versionID {
		_, v := awsPolicyRow(sp)
		return v, nil
	}
	return nil, err
}

// policyVersions lists a managed policy's versions, newest first.
func policyVersions(ctx context.Context, r store.Repos, p *store.ManagedPolicy) ([]*store.PolicyVersion, error) {
	vs, err := r.Policies().ListVersions(ctx, p.ID)
	if err != nil || len(vs) > 0 || p.AccountID != store.AWSAccount {
		return vs, err
	}
	v, err := policyVersion(ctx, r, p, p.DefaultVersionID)
	if err != nil {
		return nil, ignoreNotFound(err)
	}
	return []*store.PolicyVersion{v}, nil
}

// listAWSPolicies lists the shipped policies in name order as Policies.List
// does (path prefix, after a lower-cased name, a limit).
func listAWSPolicies(opt store.ListOptions) ([]*store.ManagedPolicy, error) {
	ps, err := awsmanaged.All()
	if err != nil {
		return nil, err
	}
	prefix := opt.PathPrefix
	var out []*store.ManagedPolicy
	for i := range ps {
		name := lower(ps[i].Name)
		if name <= opt.After || (prefix != "" && !strings.HasPrefix(ps[i].Path, prefix)) {
			continue
		}
		row, _ := awsPolicyRow(&ps[i])
		out = append(out, row)
	}
	sortBy(out, func(p *store.ManagedPolicy) string { return lower(p.Name) })
	if opt.Limit > 0 && len(out) > opt.Limit {
		out = out[:opt.Limit]
	}
	return out, nil
}

// awsPolicyRow is the row and default version of a shipped policy.
func awsPolicyRow(p *awsmanaged.Policy) (*store.ManagedPolicy, *store.PolicyVersion) {
	row := &store.ManagedPolicy{AccountID: store.AWSAccount, ID: p.ID, Name: p.Name, Path: p.Path,
		Description: awsmanaged.Description(p.Name), DefaultVersionID: p.DefaultVersionID,
		NextVersion: versionNumber(p.DefaultVersionID) + 1, CreatedAt: p.CreateDate, UpdatedAt: p.UpdateDate}
	return row, &store.PolicyVersion{PolicyID: p.ID, VersionID: p.DefaultVersionID, Document: p.Document, CreatedAt: p.UpdateDate}
}

// updateAWSPolicy brings the stored row cur of a shipped policy to row,
// adding its default version v when it is new.
func updateAWSPolicy(ctx context.Context, tx store.Repos, cur, row *store.ManagedPolicy, v *store.PolicyVersion) error {
	switch {
	case cur.ID != row.ID:
		return rekeyAWSPolicy(ctx, tx, cur, row, v)
	case cur.DefaultVersionID == row.DefaultVersionID && cur.Path == row.Path && cur.UpdatedAt.Equal(row.UpdatedAt) &&
		cur.Description == row.Description:
		return nil
	}
	if _, err := tx.Policies().GetVersion(ctx, row.ID, row.DefaultVersionID); isNotFound(err) {
		if err := tx.Policies().CreateVersion(ctx, v); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	row.Tags = cur.Tags
	return tx.Policies().Update(ctx, row)
}

// rekeyAWSPolicy replaces the row of a policy mantle shipped under an ID of
// its own with AWS's: the new row takes the name (the old one is renamed out
// of the way first, names being unique), the attachments move to it, and
// the old row goes with its versions, which were mantle's documents rather
// than AWS's.
func rekeyAWSPolicy(ctx context.Context, tx store.Repos, old, row *store.ManagedPolicy, v *store.PolicyVersion) error {
	old.Name += "#" + old.ID
	if err := tx.Policies().Update(ctx, old); err != nil {
		return err
	}
	if err := tx.Policies().Create(ctx, row, v); err != nil {
		return err
	}
	atts, err := tx.Attachments().ListForPolicy(ctx, old.ID)
	if err != nil {
		return err
	}
	for _, a := range atts {
		if err := tx.Attachments().Detach(ctx, a); err != nil {
			return err
		}
		a.PolicyID = row.ID
		if err := tx.Attachments().Attach(ctx, a); err != nil {
			return err
		}
	}
	return tx.Policies().Delete(ctx, old.ID)
}

// versionNumber is N of a version ID "vN", 0 when it is not one.
func versionNumber(id string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "v"))
	if err != nil || !strings.HasPrefix(id, "v") {
		return 0
	}
	return n
}
