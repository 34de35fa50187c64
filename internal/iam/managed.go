package iam

import (
	"context"
	"strconv"
	"strings"

	"github.com/mantle-iam/mantle/internal/iam/awsmanaged"
	"github.com/mantle-iam/mantle/internal/store"
)

// EnsureAWSManagedPolicies makes the store hold the AWS managed policies
// this build ships (package awsmanaged). The store records the digest of
// the set it holds, so a start that finds it current reads one value and
// decodes nothing; otherwise the whole set is loaded in one transaction
// with its digest, so a start that fails half-way leaves the old set whole.
//
// Loading adds what is missing and moves a policy whose default version
// changed to the new one, keeping the old version listable (as AWS keeps
// old versions of its policies). A policy mantle shipped earlier under an ID
// of its own takes AWS's ID, its attachments following it. Policies no
// longer shipped stay: something may still use them.
func (s *Service) EnsureAWSManagedPolicies(ctx context.Context) error {
	digest := awsmanaged.Digest()
	if have, err := s.store.AWSPolicies().Digest(ctx); err != nil || have == digest {
		return err
	}
	ps, err := awsmanaged.All()
	if err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		rows, err := tx.Policies().List(ctx, store.AWSAccount, store.ListOptions{})
		if err != nil {
			return err
		}
		have := make(map[string]*store.ManagedPolicy, len(rows))
		for _, r := range rows {
			have[lower(r.Name)] = r
		}
		for i := range ps {
			row, v := awsPolicyRow(&ps[i])
			cur := have[lower(row.Name)]
			if cur == nil {
				err = tx.Policies().Create(ctx, row, v)
			} else {
				err = updateAWSPolicy(ctx, tx, cur, row, v)
			}
			if err != nil {
				return err
			}
		}
		return tx.AWSPolicies().SetDigest(ctx, digest, s.clock())
	})
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
