package orgs

import (
	"context"
	"errors"
	"net/http"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// Centralized root access (IAM's organization features): the management
// account, or IAM's delegated administrator, manages member accounts' root
// credentials and opens short root sessions in them (STS AssumeRoot). The
// features are IAM operations; they live here because they are facts of
// the organization. Their errors carry the codes IAM's model gives them.

const (
	iamPrincipal              = "iam.amazonaws.com"
	featureRootCredentials    = "RootCredentialsManagement"
	featureRootSessions       = "RootSessions"
	errNotManagementOrDelegee = "The request was rejected because the account making the request is not the management account or delegated administrator account for centralized root access."
)

func iamErr(code, msg string) error { return awserr.New(code, http.StatusBadRequest, "%s", msg) }

// rootAccessOrg returns the caller's organization once the caller may use
// centralized root access: an organization with all features, IAM's
// trusted access, and the management account (or, unless management is
// required, IAM's delegated administrator).
func (s *Service) rootAccessOrg(ctx context.Context, c *auth.Caller, action string, management bool) (*store.Organization, error) {
	if err := s.authz.Authorize(ctx, c, "iam:"+action, "*"); err != nil {
		return nil, err
	}
	a, err := s.store.Accounts().Get(ctx, c.AccountID)
	if err != nil {
		return nil, err
	}
	if a.OrganizationID == "" {
		return nil, iamErr("OrganizationNotFoundException", "The request was rejected because no organization is associated with your account.")
	}
	o, err := s.store.Organizations().Get(ctx, a.OrganizationID)
	if err != nil {
		return nil, err
	}
	if err := s.mayManageRoot(ctx, o, c.AccountID, management); err != nil {
		return nil, err
	}
	return o, nil
}

func (s *Service) mayManageRoot(ctx context.Context, o *store.Organization, account string, management bool) error {
	if o.FeatureSet != "ALL" {
		return iamErr("OrganizationNotInAllFeaturesModeException", "The request was rejected because your organization does not have All features enabled.")
	}
	access, err := s.store.Organizations().ListSettings(ctx, o.ID, store.SettingServiceAccess)
	if err != nil {
		return err
	}
	enabled := false
	for _, a := range access {
		enabled = enabled || a.Name == iamPrincipal
	}
	if !enabled {
		return iamErr("ServiceAccessNotEnabledException", "The trusted access is not enabled.")
	}
	if account == o.ManagementAccountID {
		return nil
	}
	if management {
		return iamErr("CallerIsNotManagementAccountException", "The request was rejected because the account making the request is not the management account for the organization.")
	}
	admins, err := s.store.Organizations().ListSettings(ctx, o.ID, store.SettingDelegatedAdmin)
	if err != nil {
		return err
	}
	for _, d := range admins {
		if d.Name == account+"/"+iamPrincipal {
			return nil
		}
	}
	return iamErr("AccountNotManagementOrDelegatedAdministratorException", errNotManagementOrDelegee)
}

func (s *Service) features(ctx context.Context, o *store.Organization) ([]string, error) {
	list, err := s.store.Organizations().ListSettings(ctx, o.ID, store.SettingIAMFeature)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, f := range list {
		out = append(out, f.Name)
	}
	return out, nil
}

// setFeature turns a feature on or off (idempotently) and returns the
// features then enabled.
func (s *Service) setFeature(ctx context.Context, c *auth.Caller, action, feature string, on bool) (string, []string, error) {
	o, err := s.rootAccessOrg(ctx, c, action, on)
	if err != nil {
		return "", nil, err
	}
	err = s.store.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		var err error
		if on {
			err = tx.Organizations().PutSetting(ctx, &store.OrgSetting{OrganizationID: o.ID, Kind: store.SettingIAMFeature, Name: feature, CreatedAt: s.now().UTC()})
		} else {
			err = tx.Organizations().DeleteSetting(ctx, o.ID, store.SettingIAMFeature, feature)
		}
		if errors.Is(err, store.ErrAlreadyExists) || errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return "", nil, err
	}
	fs, err := s.features(ctx, o)
	return o.ID, fs, err
}

func (s *Service) EnableOrganizationsRootCredentialsManagement(ctx context.Context, c *auth.Caller, in *iamapi.EnableOrganizationsRootCredentialsManagementInput) (*iamapi.EnableOrganizationsRootCredentialsManagementOutput, error) {
	id, fs, err := s.setFeature(ctx, c, "EnableOrganizationsRootCredentialsManagement", featureRootCredentials, true)
	if err != nil {
		return nil, err
	}
	return &iamapi.EnableOrganizationsRootCredentialsManagementOutput{OrganizationId: id, EnabledFeatures: fs}, nil
}

func (s *Service) DisableOrganizationsRootCredentialsManagement(ctx context.Context, c *auth.Caller, in *iamapi.DisableOrganizationsRootCredentialsManagementInput) (*iamapi.DisableOrganizationsRootCredentialsManagementOutput, error) {
	id, fs, err := s.setFeature(ctx, c, "DisableOrganizationsRootCredentialsManagement", featureRootCredentials, false)
	if err != nil {
		return nil, err
	}
	return &iamapi.DisableOrganizationsRootCredentialsManagementOutput{OrganizationId: id, EnabledFeatures: fs}, nil
}

func (s *Service) EnableOrganizationsRootSessions(ctx context.Context, c *auth.Caller, in *iamapi.EnableOrganizationsRootSessionsInput) (*iamapi.EnableOrganizationsRootSessionsOutput, error) {
	id, fs, err := s.setFeature(ctx, c, "EnableOrganizationsRootSessions", featureRootSessions, true)
	if err != nil {
		return nil, err
	}
	return &iamapi.EnableOrganizationsRootSessionsOutput{OrganizationId: id, EnabledFeatures: fs}, nil
}

func (s *Service) DisableOrganizationsRootSessions(ctx context.Context, c *auth.Caller, in *iamapi.DisableOrganizationsRootSessionsInput) (*iamapi.DisableOrganizationsRootSessionsOutput, error) {
	id, fs, err := s.setFeature(ctx, c, "DisableOrganizationsRootSessions", featureRootSessions, false)
	if err != nil {
		return nil, err
	}
	return &iamapi.DisableOrganizationsRootSessionsOutput{OrganizationId: id, EnabledFeatures: fs}, nil
}

func (s *Service) ListOrganizationsFeatures(ctx context.Context, c *auth.Caller, in *iamapi.ListOrganizationsFeaturesInput) (*iamapi.ListOrganizationsFeaturesOutput, error) {
	o, err := s.rootAccessOrg(ctx, c, "ListOrganizationsFeatures", false)
	if err != nil {
		return nil, err
	}
	fs, err := s.features(ctx, o)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListOrganizationsFeaturesOutput{OrganizationId: o.ID, EnabledFeatures: fs}, nil
}

// RootSessionAllowed tells STS whether callerAccount may open a root
// session in target (AssumeRoot): target is an active member of the
// caller's organization (not its management account), root sessions are
// enabled, and the caller's account is the management account or IAM's
// delegated administrator.
func (s *Service) RootSessionAllowed(ctx context.Context, callerAccount, target string) (bool, error) {
	caller, err := s.store.Accounts().Get(ctx, callerAccount)
	if err != nil {
		return false, err
	}
	t, err := s.store.Accounts().Get(ctx, target)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if t.OrganizationID == "" || t.OrganizationID != caller.OrganizationID || t.Status != "ACTIVE" {
		return false, nil
	}
	o, err := s.store.Organizations().Get(ctx, t.OrganizationID)
	if err != nil {
		return false, err
	}
	if target == o.ManagementAccountID {
		return false, nil
	}
	if err := s.mayManageRoot(ctx, o, callerAccount, false); err != nil {
		if awserr.As(err) != nil {
			return false, nil
		}
		return false, err
	}
	fs, err := s.features(ctx, o)
	if err != nil {
		return false, err
	}
	for _, f := range fs {
		if f == featureRootSessions {
			return true, nil
		}
	}
	return false, nil
}
