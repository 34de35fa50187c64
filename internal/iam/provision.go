package iam

import (
	"context"
	"fmt"

	"github.com/mantle-iam/mantle/internal/store"
)

// adminAccessDocument is what AWS Organizations puts in the role it creates
// in a new member account.
const adminAccessDocument = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// ProvisionAccount creates a member account of an organization together with
// the role its management account administers it through (AWS names it
// OrganizationAccountAccessRole unless CreateAccount says otherwise): a role
// trusting the management account's root, with administrator access as an
// inline policy named AdministratorAccess, as AWS Organizations creates it.
func (s *Service) ProvisionAccount(ctx context.Context, a *store.Account, roleName, managementAccountID string) error {
	roleID, err := s.newID(prefixRole)
	if err != nil {
		return err
	}
	now := s.clock()
	trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, managementAccountID)
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := tx.Accounts().Create(ctx, a); err != nil {
			return err
		}
		r := &store.Role{
			AccountID: a.ID, ID: roleID, Name: roleName, Path: "/",
			TrustPolicy: trust, MaxSessionDuration: 3600, CreatedAt: now,
		}
		if err := tx.Roles().Create(ctx, r); err != nil {
			return err
		}
		return tx.InlinePolicies().Put(ctx, &store.InlinePolicy{
			EntityType: store.EntityRole, EntityID: roleID, Name: "AdministratorAccess", Document: adminAccessDocument,
		})
	})
}

// OrganizationID returns the organization an account belongs to, "" when
// none: the value of aws:PrincipalOrgID.
func (s *Service) OrganizationID(ctx context.Context, accountID string) (string, error) {
	a, err := s.store.Accounts().Get(ctx, accountID)
	if err != nil {
		return "", err
	}
	return a.OrganizationID, nil
}
