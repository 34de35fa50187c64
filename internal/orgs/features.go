package orgs

import (
	"context"
	"strings"

	orgsapi "github.com/mantle-iam/mantle/internal/api/organizations"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/store"
)

// CreateGovCloudAccount answers as AWS answers an organization whose
// management account is not enabled for AWS GovCloud (US): mantle has no
// GovCloud partition.
func (s *Service) CreateGovCloudAccount(ctx context.Context, c *auth.Caller, in *orgsapi.CreateGovCloudAccountInput) (*orgsapi.CreateGovCloudAccountOutput, error) {
	if _, err := s.orgFor(ctx, c, "CreateGovCloudAccount", true); err != nil {
		return nil, err
	}
	return nil, violation("MASTER_ACCOUNT_NOT_GOVCLOUD_ENABLED",
		"You attempted to create an account in AWS GovCloud (US), but the management account isn't enabled for AWS GovCloud (US).")
}

// EnableAllFeatures moves a consolidated-billing organization to all
// features. AWS asks every invited member to approve first; mantle's
// members cannot be billed separately, so the organization moves at once
// and the handshake is answered accepted.
func (s *Service) EnableAllFeatures(ctx context.Context, c *auth.Caller, in *orgsapi.EnableAllFeaturesInput) (*orgsapi.EnableAllFeaturesOutput, error) {
	o, err := s.orgFor(ctx, c, "EnableAllFeatures", true)
	if err != nil {
		return nil, err
	}
	if o.FeatureSet == "ALL" {
		return nil, handshakeViolation("ORGANIZATION_ALREADY_HAS_ALL_FEATURES", "The organization already has all features enabled.")
	}
	now := s.now().UTC()
	h := &store.Handshake{ID: "h-" + randomLower(10), OrganizationID: o.ID, Action: "ENABLE_ALL_FEATURES",
		TargetType: "ORGANIZATION", TargetValue: o.ID, TargetAccountID: o.ManagementAccountID, State: "ACCEPTED",
		RequestedAt: now, ExpiresAt: now.Add(handshakeLifetime)}
	var out orgsapi.Handshake
	err = s.store.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		o.FeatureSet = "ALL"
		if err := tx.Organizations().SetFeatureSet(ctx, o.ID, "ALL"); err != nil {
			return err
		}
		if err := tx.Organizations().PutHandshake(ctx, h); err != nil {
			return err
		}
		out, err = s.handshakeOut(ctx, tx, h)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.EnableAllFeaturesOutput{Handshake: &out}, nil
}

// ListAccountsWithInvalidEffectivePolicy lists no account: mantle merges
// only documents validated when stored, so no effective policy is invalid.
func (s *Service) ListAccountsWithInvalidEffectivePolicy(ctx context.Context, c *auth.Caller, in *orgsapi.ListAccountsWithInvalidEffectivePolicyInput) (*orgsapi.ListAccountsWithInvalidEffectivePolicyOutput, error) {
	if _, err := s.managed(ctx, c, "ListAccountsWithInvalidEffectivePolicy", anyResource); err != nil {
		return nil, err
	}
	if _, _, err := pageOf([]string(nil), ident, in.NextToken, in.MaxResults); err != nil {
		return nil, err
	}
	return &orgsapi.ListAccountsWithInvalidEffectivePolicyOutput{Accounts: []orgsapi.Account{}, PolicyType: in.PolicyType}, nil
}

// ListEffectivePolicyValidationErrors lists no error, for the same reason.
func (s *Service) ListEffectivePolicyValidationErrors(ctx context.Context, c *auth.Caller, in *orgsapi.ListEffectivePolicyValidationErrorsInput) (*orgsapi.ListEffectivePolicyValidationErrorsOutput, error) {
	p, err := s.readPolicies(ctx, c, "ListEffectivePolicyValidationErrors", func(o *store.Organization) string { return accountARN(o, in.AccountId) })
	if err != nil {
		return nil, err
	}
	if p.member(in.AccountId) == nil {
		return nil, accountNotFound()
	}
	if _, _, err := pageOf([]string(nil), ident, in.NextToken, in.MaxResults); err != nil {
		return nil, err
	}
	return &orgsapi.ListEffectivePolicyValidationErrorsOutput{
		AccountId: in.AccountId, PolicyType: in.PolicyType, EvaluationTimestamp: s.now().UTC(),
		Path:                            p.org.ID + "/" + strings.Join(p.path(p.accountParent(in.AccountId)), "/") + "/",
		EffectivePolicyValidationErrors: []orgsapi.EffectivePolicyValidationError{},
	}, nil
}
