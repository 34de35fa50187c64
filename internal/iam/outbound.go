package iam

import (
	"context"
	"errors"
	"net/http"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/webtoken"
)

// Outbound web identity federation: the account's principals get JWTs
// from STS GetWebIdentityToken, signed by an issuer mantle serves
// (internal/webtoken).

func featureDisabled() *awserr.Error {
	return awserr.New("FeatureDisabled", http.StatusNotFound, "Outbound web identity federation is disabled for this account.")
}

func (s *Service) EnableOutboundWebIdentityFederation(ctx context.Context, c *auth.Caller, _ *iamapi.EnableOutboundWebIdentityFederationInput) (*iamapi.EnableOutboundWebIdentityFederationOutput, error) {
	if err := s.authorize(ctx, c, "EnableOutboundWebIdentityFederation", "*"); err != nil {
		return nil, err
	}
	if s.issuer == nil {
		return nil, featureDisabled()
	}
	var iss string
	err := s.write(ctx, func(ctx context.Context, tx store.Repos) (err error) {
		iss, err = s.issuer.Enable(ctx, tx, c.AccountID)
		if errors.Is(err, webtoken.ErrEnabled) {
			return awserr.New("FeatureEnabled", http.StatusConflict, "Outbound web identity federation is already enabled for this account.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.EnableOutboundWebIdentityFederationOutput{IssuerIdentifier: iss}, nil
}

func (s *Service) DisableOutboundWebIdentityFederation(ctx context.Context, c *auth.Caller, _ *iamapi.DisableOutboundWebIdentityFederationInput) (*iamapi.DisableOutboundWebIdentityFederationOutput, error) {
	if err := s.authorize(ctx, c, "DisableOutboundWebIdentityFederation", "*"); err != nil {
		return nil, err
	}
	if s.issuer == nil {
		return nil, featureDisabled()
	}
	return result[iamapi.DisableOutboundWebIdentityFederationOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		err := s.issuer.Disable(ctx, tx, c.AccountID)
		if errors.Is(err, webtoken.ErrDisabled) {
			return featureDisabled()
		}
		return err
	}))
}

func (s *Service) GetOutboundWebIdentityFederationInfo(ctx context.Context, c *auth.Caller, _ *iamapi.GetOutboundWebIdentityFederationInfoInput) (*iamapi.GetOutboundWebIdentityFederationInfoOutput, error) {
	if err := s.authorize(ctx, c, "GetOutboundWebIdentityFederationInfo", "*"); err != nil {
		return nil, err
	}
	if s.issuer == nil {
		return nil, featureDisabled()
	}
	iss, on, err := s.issuer.Info(ctx, s.store, c.AccountID)
	if err != nil {
		return nil, err
	}
	if !on {
		return nil, featureDisabled()
	}
	return &iamapi.GetOutboundWebIdentityFederationInfoOutput{IssuerIdentifier: iss, JwtVendingEnabled: ptr(true)}, nil
}
