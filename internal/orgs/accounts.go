package orgs

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	orgsapi "github.com/mantle-iam/mantle/internal/api/organizations"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// closedRetention is how long a closed account stays SUSPENDED in its
// organization before AWS removes it ("Closing a member account": 90 days).
const closedRetention = 90 * 24 * time.Hour

func managementCannotLeave() error {
	return awserr.New("MasterCannotLeaveOrganizationException", http.StatusBadRequest,
		"You can't remove a management account from an organization. If you want the management account to become a member account in another organization, you must first delete the current organization of the management account.")
}

func closedAccounts(ctx context.Context, r store.Repos, orgID string) (map[string]time.Time, error) {
	list, err := r.Organizations().ListSettings(ctx, orgID, store.SettingClosedAccount)
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(list))
	for _, c := range list {
		out[c.Name] = c.CreatedAt
	}
	return out, nil
}

// removeMember takes a member account out of its organization: its place,
// attachments and tags go; it becomes a standalone account (the role its
// management account administered it through stays, as on AWS).
func (s *Service) removeMember(ctx context.Context, o *store.Organization, accountID string) error {
	return s.changePolicies(ctx, o, func(ctx context.Context, tx store.Repos, p *orgPolicies) error {
		a := p.member(accountID)
		if a == nil {
			return accountNotFound()
		}
		if accountID == o.ManagementAccountID {
			return managementCannotLeave()
		}
		admins, err := tx.Organizations().ListSettings(ctx, o.ID, store.SettingDelegatedAdmin)
		if err != nil {
			return err
		}
		for _, d := range admins {
			if strings.HasPrefix(d.Name, accountID+"/") {
				return violation("CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG",
					"You cannot remove a delegated administrator account from the organization. Deregister it as a delegated administrator first.")
			}
		}
		if err := detachAll(ctx, tx, o, accountID); err != nil {
			return err
		}
		if err := tx.Organizations().DeleteAccountParent(ctx, accountID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		a.OrganizationID, a.JoinedMethod = "", ""
		return tx.Accounts().Update(ctx, a)
	})
}

func (s *Service) RemoveAccountFromOrganization(ctx context.Context, c *auth.Caller, in *orgsapi.RemoveAccountFromOrganizationInput) (*orgsapi.RemoveAccountFromOrganizationOutput, error) {
	o, err := s.managed(ctx, c, "RemoveAccountFromOrganization", func(o *store.Organization) string { return accountARN(o, in.AccountId) })
	if err != nil {
		return nil, err
	}
	if err := s.removeMember(ctx, o, in.AccountId); err != nil {
		return nil, err
	}
	return &orgsapi.RemoveAccountFromOrganizationOutput{}, nil
}

func (s *Service) LeaveOrganization(ctx context.Context, c *auth.Caller, in *orgsapi.LeaveOrganizationInput) (*orgsapi.LeaveOrganizationOutput, error) {
	o, err := s.orgFor(ctx, c, "LeaveOrganization", false)
	if err != nil {
		return nil, err
	}
	if o.ManagementAccountID == c.AccountID {
		return nil, managementCannotLeave()
	}
	if err := s.removeMember(ctx, o, c.AccountID); err != nil {
		return nil, err
	}
	return &orgsapi.LeaveOrganizationOutput{}, nil
}

// DeleteOrganization deletes an organization left with its management
// account only.
func (s *Service) DeleteOrganization(ctx context.Context, c *auth.Caller, in *orgsapi.DeleteOrganizationInput) (*orgsapi.DeleteOrganizationOutput, error) {
	o, err := s.orgFor(ctx, c, "DeleteOrganization", true)
	if err != nil {
		return nil, err
	}
	err = s.changePolicies(ctx, o, func(ctx context.Context, tx store.Repos, p *orgPolicies) error {
		for _, a := range p.members {
			if a.ID != o.ManagementAccountID {
				return awserr.New("OrganizationNotEmptyException", http.StatusBadRequest,
					"The organization isn't empty. To delete an organization, you must first remove all accounts except the management account.")
			}
		}
		// Accounts closed long ago are gone from the tree but still name
		// the organization.
		all, err := tx.Accounts().List(ctx)
		if err != nil {
			return err
		}
		for _, a := range all {
			if a.OrganizationID != o.ID {
				continue
			}
			a.OrganizationID, a.JoinedMethod = "", ""
			if err := tx.Accounts().Update(ctx, a); err != nil {
				return err
			}
		}
		return tx.Organizations().Delete(ctx, o.ID)
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.DeleteOrganizationOutput{}, nil
}

// CloseAccount suspends a member account at once; it stays in the
// organization, SUSPENDED, for 90 days and then is gone from it. Nothing
// its principals ask is allowed from the moment it is closed.
func (s *Service) CloseAccount(ctx context.Context, c *auth.Caller, in *orgsapi.CloseAccountInput) (*orgsapi.CloseAccountOutput, error) {
	o, err := s.managed(ctx, c, "CloseAccount", func(o *store.Organization) string { return accountARN(o, in.AccountId) })
	if err != nil {
		return nil, err
	}
	err = s.changePolicies(ctx, o, func(ctx context.Context, tx store.Repos, p *orgPolicies) error {
		a := p.member(in.AccountId)
		if a == nil {
			return accountNotFound()
		}
		if a.ID == o.ManagementAccountID {
			return violation("CANNOT_CLOSE_MANAGEMENT_ACCOUNT", "You attempted to close the management account. Close it by deleting the organization first.")
		}
		if a.Status == "SUSPENDED" {
			return awserr.New("AccountAlreadyClosedException", http.StatusBadRequest, "You attempted to close an account that is already closed.")
		}
		a.Status = "SUSPENDED"
		if err := tx.Accounts().Update(ctx, a); err != nil {
			return err
		}
		return tx.Organizations().PutSetting(ctx, &store.OrgSetting{OrganizationID: o.ID, Kind: store.SettingClosedAccount,
			Name: a.ID, CreatedAt: s.now().UTC()})
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.CloseAccountOutput{}, nil
}

func (s *Service) ListCreateAccountStatus(ctx context.Context, c *auth.Caller, in *orgsapi.ListCreateAccountStatusInput) (*orgsapi.ListCreateAccountStatusOutput, error) {
	o, err := s.orgFor(ctx, c, "ListCreateAccountStatus", true)
	if err != nil {
		return nil, err
	}
	all, err := s.store.Organizations().ListCreateAccountStatus(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	var picked []*store.CreateAccountStatus
	for _, st := range all {
		if len(in.States) == 0 || slices.Contains(in.States, st.State) {
			picked = append(picked, st)
		}
	}
	// Oldest first, keyed by request time then ID (fixed width, so the
	// text order is the time order).
	key := func(st *store.CreateAccountStatus) string {
		return st.RequestedAt.UTC().Format("20060102T150405.000000000") + st.ID
	}
	page, next, err := pageOf(picked, key, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &orgsapi.ListCreateAccountStatusOutput{CreateAccountStatuses: make([]orgsapi.CreateAccountStatus, 0, len(page)), NextToken: next}
	for _, st := range page {
		out.CreateAccountStatuses = append(out.CreateAccountStatuses, *statusOut(st))
	}
	return out, nil
}
