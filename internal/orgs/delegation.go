package orgs

import (
	"context"
	"errors"
	"net/http"
	"strings"

	orgsapi "github.com/mantle-iam/mantle/internal/api/organizations"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/policy"
)

// Trusted service access, delegated administrators and the organization's
// resource policy (through which the management account delegates
// Organizations actions to member accounts).

func (s *Service) EnableAWSServiceAccess(ctx context.Context, c *auth.Caller, in *orgsapi.EnableAWSServiceAccessInput) (*orgsapi.EnableAWSServiceAccessOutput, error) {
	o, err := s.managed(ctx, c, "EnableAWSServiceAccess", anyResource)
	if err != nil {
		return nil, err
	}
	err = s.store.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		err := tx.Organizations().PutSetting(ctx, &store.OrgSetting{OrganizationID: o.ID, Kind: store.SettingServiceAccess,
			Name: in.ServicePrincipal, CreatedAt: s.now().UTC()})
		if errors.Is(err, store.ErrAlreadyExists) {
			return nil // enabling twice is not an error
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.EnableAWSServiceAccessOutput{}, nil
}

func (s *Service) DisableAWSServiceAccess(ctx context.Context, c *auth.Caller, in *orgsapi.DisableAWSServiceAccessInput) (*orgsapi.DisableAWSServiceAccessOutput, error) {
	o, err := s.managed(ctx, c, "DisableAWSServiceAccess", anyResource)
	if err != nil {
		return nil, err
	}
	err = s.store.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		err := tx.Organizations().DeleteSetting(ctx, o.ID, store.SettingServiceAccess, in.ServicePrincipal)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.DisableAWSServiceAccessOutput{}, nil
}

func (s *Service) ListAWSServiceAccessForOrganization(ctx context.Context, c *auth.Caller, in *orgsapi.ListAWSServiceAccessForOrganizationInput) (*orgsapi.ListAWSServiceAccessForOrganizationOutput, error) {
	o, err := s.managed(ctx, c, "ListAWSServiceAccessForOrganization", anyResource)
	if err != nil {
		return nil, err
	}
	list, err := s.store.Organizations().ListSettings(ctx, o.ID, store.SettingServiceAccess)
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(list, settingName, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &orgsapi.ListAWSServiceAccessForOrganizationOutput{EnabledServicePrincipals: make([]orgsapi.EnabledServicePrincipal, 0, len(page)), NextToken: next}
	for _, st := range page {
		out.EnabledServicePrincipals = append(out.EnabledServicePrincipals, orgsapi.EnabledServicePrincipal{ServicePrincipal: st.Name, DateEnabled: st.CreatedAt})
	}
	return out, nil
}

func settingName(s *store.OrgSetting) string { return s.Name }

func notRegistered() error {
	return awserr.New("AccountNotRegisteredException", http.StatusBadRequest,
		"The provided account is not a registered delegated administrator for your organization.")
}

func (s *Service) RegisterDelegatedAdministrator(ctx context.Context, c *auth.Caller, in *orgsapi.RegisterDelegatedAdministratorInput) (*orgsapi.RegisterDelegatedAdministratorOutput, error) {
	o, err := s.managed(ctx, c, "RegisterDelegatedAdministrator", func(o *store.Organization) string { return accountARN(o, in.AccountId) })
	if err != nil {
		return nil, err
	}
	err = s.changeTree(ctx, o, func(ctx context.Context, tx store.Repos, t *tree) error {
		a := t.member(in.AccountId)
		if a == nil {
			return accountNotFound()
		}
		if a.ID == o.ManagementAccountID {
			return violation("CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR", "You cannot register the management account of the organization as a delegated administrator for an AWS service integrated with Organizations.")
		}
		if a.Status == "SUSPENDED" {
			return violation("CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR", "You cannot register a suspended account as a delegated administrator.")
		}
		access, err := tx.Organizations().ListSettings(ctx, o.ID, store.SettingServiceAccess)
		if err != nil {
			return err
		}
		enabled := false
		for _, st := range access {
			enabled = enabled || st.Name == in.ServicePrincipal
		}
		if !enabled {
			return violation("SERVICE_ACCESS_NOT_ENABLED", "You attempted to register a delegated administrator for a service that doesn't have trusted access enabled in the organization.")
		}
		err = tx.Organizations().PutSetting(ctx, &store.OrgSetting{OrganizationID: o.ID, Kind: store.SettingDelegatedAdmin,
			Name: in.AccountId + "/" + in.ServicePrincipal, CreatedAt: s.now().UTC()})
		if errors.Is(err, store.ErrAlreadyExists) {
			return awserr.New("AccountAlreadyRegisteredException", http.StatusBadRequest,
				"The provided account is already a delegated administrator for your organization.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.RegisterDelegatedAdministratorOutput{}, nil
}

func (s *Service) DeregisterDelegatedAdministrator(ctx context.Context, c *auth.Caller, in *orgsapi.DeregisterDelegatedAdministratorInput) (*orgsapi.DeregisterDelegatedAdministratorOutput, error) {
	o, err := s.managed(ctx, c, "DeregisterDelegatedAdministrator", func(o *store.Organization) string { return accountARN(o, in.AccountId) })
	if err != nil {
		return nil, err
	}
	err = s.changeTree(ctx, o, func(ctx context.Context, tx store.Repos, t *tree) error {
		if t.member(in.AccountId) == nil {
			return accountNotFound()
		}
		err := tx.Organizations().DeleteSetting(ctx, o.ID, store.SettingDelegatedAdmin, in.AccountId+"/"+in.ServicePrincipal)
		if errors.Is(err, store.ErrNotFound) {
			return notRegistered()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.DeregisterDelegatedAdministratorOutput{}, nil
}

// delegations lists (account, service, since) of an organization.
func (s *Service) delegations(ctx context.Context, o *store.Organization) ([]*store.OrgSetting, error) {
	return s.store.Organizations().ListSettings(ctx, o.ID, store.SettingDelegatedAdmin)
}

func (s *Service) ListDelegatedAdministrators(ctx context.Context, c *auth.Caller, in *orgsapi.ListDelegatedAdministratorsInput) (*orgsapi.ListDelegatedAdministratorsOutput, error) {
	t, err := s.readTree(ctx, c, "ListDelegatedAdministrators", anyResource)
	if err != nil {
		return nil, err
	}
	list, err := s.delegations(ctx, t.org)
	if err != nil {
		return nil, err
	}
	// One entry per account, dated by its first delegation that matches.
	since := map[string]*store.OrgSetting{}
	var ids []string
	for _, d := range list {
		acct, svc, _ := strings.Cut(d.Name, "/")
		if in.ServicePrincipal != "" && svc != in.ServicePrincipal {
			continue
		}
		if prev, ok := since[acct]; !ok || d.CreatedAt.Before(prev.CreatedAt) {
			if !ok {
				ids = append(ids, acct)
			}
			since[acct] = d
		}
	}
	sortStrings(ids)
	page, next, err := pageOf(ids, ident, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &orgsapi.ListDelegatedAdministratorsOutput{DelegatedAdministrators: make([]orgsapi.DelegatedAdministrator, 0, len(page)), NextToken: next}
	for _, id := range page {
		a := t.member(id)
		if a == nil {
			continue
		}
		acc := accountOut(t.org, a)
		out.DelegatedAdministrators = append(out.DelegatedAdministrators, orgsapi.DelegatedAdministrator{
			Id: acc.Id, Arn: acc.Arn, Email: acc.Email, Name: acc.Name, Status: acc.Status, State: acc.State,
			JoinedMethod: acc.JoinedMethod, JoinedTimestamp: acc.JoinedTimestamp, DelegationEnabledDate: since[id].CreatedAt,
		})
	}
	return out, nil
}

func (s *Service) ListDelegatedServicesForAccount(ctx context.Context, c *auth.Caller, in *orgsapi.ListDelegatedServicesForAccountInput) (*orgsapi.ListDelegatedServicesForAccountOutput, error) {
	t, err := s.readTree(ctx, c, "ListDelegatedServicesForAccount", func(o *store.Organization) string { return accountARN(o, in.AccountId) })
	if err != nil {
		return nil, err
	}
	if t.member(in.AccountId) == nil {
		return nil, accountNotFound()
	}
	list, err := s.delegations(ctx, t.org)
	if err != nil {
		return nil, err
	}
	var mine []*store.OrgSetting
	for _, d := range list {
		if strings.HasPrefix(d.Name, in.AccountId+"/") {
			mine = append(mine, d)
		}
	}
	if len(mine) == 0 {
		return nil, notRegistered()
	}
	page, next, err := pageOf(mine, settingName, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &orgsapi.ListDelegatedServicesForAccountOutput{DelegatedServices: make([]orgsapi.DelegatedService, 0, len(page)), NextToken: next}
	for _, d := range page {
		_, svc, _ := strings.Cut(d.Name, "/")
		out.DelegatedServices = append(out.DelegatedServices, orgsapi.DelegatedService{ServicePrincipal: svc, DelegationEnabledDate: d.CreatedAt})
	}
	return out, nil
}

// The organization's resource policy.

func resourcePolicyNotFound() error {
	return awserr.New("ResourcePolicyNotFoundException", http.StatusBadRequest,
		"We can't find a resource policy request with the parameter that you specified.")
}

func resourcePolicyOut(o *store.Organization, st *store.OrgSetting) *orgsapi.ResourcePolicy {
	return &orgsapi.ResourcePolicy{Content: st.Value, ResourcePolicySummary: &orgsapi.ResourcePolicySummary{
		Id: st.Name, Arn: "arn:aws:organizations::" + o.ManagementAccountID + ":resourcepolicy/" + o.ID + "/" + st.Name,
	}}
}

func resourcePolicyOf(ctx context.Context, r store.Repos, o *store.Organization) (*store.OrgSetting, error) {
	list, err := r.Organizations().ListSettings(ctx, o.ID, store.SettingResourcePolicy)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

func (s *Service) PutResourcePolicy(ctx context.Context, c *auth.Caller, in *orgsapi.PutResourcePolicyInput) (*orgsapi.PutResourcePolicyOutput, error) {
	o, err := s.managed(ctx, c, "PutResourcePolicy", anyResource)
	if err != nil {
		return nil, err
	}
	if _, err := policy.Parse(in.Content, policy.KindResource); err != nil {
		return nil, malformedPolicy()
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	var out *orgsapi.ResourcePolicy
	err = s.store.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		st, err := resourcePolicyOf(ctx, tx, o)
		if err != nil {
			return err
		}
		if st != nil {
			st.Value = in.Content
			if err := tx.Organizations().UpdateSetting(ctx, st); err != nil {
				return err
			}
		} else {
			st = &store.OrgSetting{OrganizationID: o.ID, Kind: store.SettingResourcePolicy, Name: "rp-" + randomLower(8),
				Value: in.Content, CreatedAt: s.now().UTC()}
			if err := tx.Organizations().PutSetting(ctx, st); err != nil {
				return err
			}
		}
		if len(in.Tags) > 0 {
			if err := tx.Organizations().PutTags(ctx, o.ID, st.Name, storeTags(in.Tags)); err != nil {
				return err
			}
		}
		out = resourcePolicyOut(o, st)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.PutResourcePolicyOutput{ResourcePolicy: out}, nil
}

func (s *Service) DescribeResourcePolicy(ctx context.Context, c *auth.Caller, in *orgsapi.DescribeResourcePolicyInput) (*orgsapi.DescribeResourcePolicyOutput, error) {
	// Every account of the organization may read it.
	o, err := s.orgFor(ctx, c, "DescribeResourcePolicy", false)
	if err != nil {
		return nil, err
	}
	st, err := resourcePolicyOf(ctx, s.store, o)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, resourcePolicyNotFound()
	}
	return &orgsapi.DescribeResourcePolicyOutput{ResourcePolicy: resourcePolicyOut(o, st)}, nil
}

func (s *Service) DeleteResourcePolicy(ctx context.Context, c *auth.Caller, in *orgsapi.DeleteResourcePolicyInput) (*orgsapi.DeleteResourcePolicyOutput, error) {
	o, err := s.managed(ctx, c, "DeleteResourcePolicy", anyResource)
	if err != nil {
		return nil, err
	}
	err = s.store.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		st, err := resourcePolicyOf(ctx, tx, o)
		if err != nil {
			return err
		}
		if st == nil {
			return resourcePolicyNotFound()
		}
		if err := tx.Organizations().PutTags(ctx, o.ID, st.Name, nil); err != nil {
			return err
		}
		return tx.Organizations().DeleteSetting(ctx, o.ID, st.Kind, st.Name)
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.DeleteResourcePolicyOutput{}, nil
}

// delegable lists the actions the resource policy may open to member
// accounts ("Delegated administrator for AWS Organizations": reads and
// policy management).
func delegable(action string) bool {
	switch action {
	case "CreatePolicy", "UpdatePolicy", "DeletePolicy", "AttachPolicy", "DetachPolicy", "TagResource", "UntagResource":
		return true
	}
	return strings.HasPrefix(action, "Describe") || strings.HasPrefix(action, "List")
}

// delegated reports whether the organization's resource policy lets a
// member account's caller perform action on resource.
func (s *Service) delegated(ctx context.Context, c *auth.Caller, o *store.Organization, action, resource string) (bool, error) {
	if !delegable(action) || s.evaluator == nil {
		return false, nil
	}
	st, err := resourcePolicyOf(ctx, s.store, o)
	if err != nil || st == nil {
		return false, err
	}
	pol, err := policy.Parse(st.Value, policy.KindResource)
	if err != nil {
		return false, nil
	}
	res, err := s.evaluator.Evaluate(ctx, c, "organizations:"+action, resource, pol)
	if err != nil || !res.Allowed() {
		return false, err
	}
	// The resource policy itself must grant: the caller's own policies
	// alone delegate nothing.
	for _, ref := range res.Matched() {
		if ref.Set == policy.SetResource {
			return true, nil
		}
	}
	return false, nil
}
