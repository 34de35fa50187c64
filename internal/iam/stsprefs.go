package iam

import (
	"context"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/store"
)

// settingTokenVersion is the account setting SetSecurityTokenServicePreferences
// writes: "v1Token" (the default: tokens from the global endpoint valid
// only in regions enabled by default) or "v2Token" (valid in every
// region). mantle's tokens are valid everywhere either way; the setting is
// kept and reported (GetAccountSummary's GlobalEndpointTokenVersion) as AWS
// does.
const settingTokenVersion = "sts.global-endpoint-token-version"

func (s *Service) SetSecurityTokenServicePreferences(ctx context.Context, c *auth.Caller, in *iamapi.SetSecurityTokenServicePreferencesInput) (*iamapi.SetSecurityTokenServicePreferencesOutput, error) {
	if err := s.authorize(ctx, c, "SetSecurityTokenServicePreferences", "*"); err != nil {
		return nil, err
	}
	return result[iamapi.SetSecurityTokenServicePreferencesOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		return tx.AccountSettings().Put(ctx, c.AccountID, settingTokenVersion, in.GlobalEndpointTokenVersion)
	}))
}

// globalTokenVersion is GetAccountSummary's GlobalEndpointTokenVersion: 1
// or 2.
func (s *Service) globalTokenVersion(ctx context.Context, accountID string) (int, error) {
	v, err := s.store.AccountSettings().Get(ctx, accountID, settingTokenVersion)
	switch {
	case isNotFound(err):
		return 1, nil
	case err != nil:
		return 0, err
	case v == "v2Token":
		return 2, nil
	}
	return 1, nil
}
