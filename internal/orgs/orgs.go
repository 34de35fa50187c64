// Package orgs implements the part of AWS Organizations mantle serves, on the
// JSON 1.1 protocol: an organization, its member accounts, and the role each
// new member account gets so the management account can administer it.
package orgs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"math/big"
	"net/http"
	"time"

	orgsapi "github.com/mantle-iam/mantle/internal/api/organizations"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/policy"
)

// TargetPrefix is the X-Amz-Target prefix of the Organizations API.
const TargetPrefix = "AWSOrganizationsV20161128"

// Provisioner creates a member account with its administration role.
// internal/iam implements it.
type Provisioner interface {
	ProvisionAccount(ctx context.Context, a *store.Account, roleName, managementAccountID string) error
}

type Config struct {
	Store       store.Store
	Authorizer  auth.Authorizer
	Provisioner Provisioner
	Now         func() time.Time
}

// Service implements the Organizations actions. Safe for concurrent use.
type Service struct {
	store     store.Store
	authz     auth.Authorizer
	evaluator evaluator // nil when the Authorizer cannot weigh a resource policy
	prov      Provisioner
	now       func() time.Time
}

// evaluator weighs a resource-based policy with the caller's own
// (internal/authz implements it): the organization's resource policy
// delegates actions to member accounts.
type evaluator interface {
	Evaluate(ctx context.Context, c *auth.Caller, action, resource string, resourcePolicy *policy.Policy, keys ...auth.Key) (policy.Result, error)
}

func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ev, _ := cfg.Authorizer.(evaluator)
	return &Service{store: cfg.Store, authz: cfg.Authorizer, evaluator: ev, prov: cfg.Provisioner, now: cfg.Now}
}

// Errors with the codes and messages of the Organizations API reference.
func notInUse() error {
	return awserr.New("AWSOrganizationsNotInUseException", http.StatusBadRequest, "Your account is not a member of an organization.")
}

func alreadyInOrganization() error {
	return awserr.New("AlreadyInOrganizationException", http.StatusBadRequest, "The AWS account is already a member of an organization.")
}

func notManagementAccount() error {
	return awserr.New("AccessDeniedException", http.StatusBadRequest, "You don't have permissions to access this resource.")
}

func (s *Service) authorize(ctx context.Context, c *auth.Caller, action, resource string) error {
	return s.authz.Authorize(ctx, c, "organizations:"+action, resource)
}

// orgFor authorizes an action on the caller's organization and returns it;
// management restricts the action to the organization's management account
// (or a member account its resource policy delegates the action to).
func (s *Service) orgFor(ctx context.Context, c *auth.Caller, action string, management bool) (*store.Organization, error) {
	if !management {
		if err := s.authorize(ctx, c, action, "*"); err != nil {
			return nil, err
		}
	}
	_, o, err := s.callerOrg(ctx, c)
	if err != nil {
		// Without an organization there is no resource policy to
		// delegate through: the caller's own permission is what AWS
		// checks before saying the account has no organization.
		if management && awserr.HasCode(err, "AWSOrganizationsNotInUseException") {
			if aerr := s.authorize(ctx, c, action, "*"); aerr != nil {
				return nil, aerr
			}
		}
		return nil, err
	}
	if management {
		if err := s.authorizeOn(ctx, c, o, action, "*"); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// callerOrg returns the caller's account and its organization.
func (s *Service) callerOrg(ctx context.Context, c *auth.Caller) (*store.Account, *store.Organization, error) {
	a, err := s.store.Accounts().Get(ctx, c.AccountID)
	if err != nil {
		return nil, nil, err
	}
	if a.OrganizationID == "" {
		return a, nil, notInUse()
	}
	o, err := s.store.Organizations().Get(ctx, a.OrganizationID)
	if err != nil {
		return nil, nil, err
	}
	return a, o, nil
}

func (s *Service) organization(ctx context.Context, o *store.Organization) (*orgsapi.Organization, error) {
	mgmt, err := s.store.Accounts().Get(ctx, o.ManagementAccountID)
	if err != nil {
		return nil, err
	}
	types, err := s.store.Organizations().ListSettings(ctx, o.ID, store.SettingPolicyType)
	if err != nil {
		return nil, err
	}
	// Deprecated in the API reference, but still answered: the types
	// enabled in the root.
	available := make([]orgsapi.PolicyTypeSummary, 0, len(types))
	for _, t := range types {
		available = append(available, orgsapi.PolicyTypeSummary{Type: t.Name, Status: "ENABLED"})
	}
	return &orgsapi.Organization{
		Id:                   o.ID,
		Arn:                  o.ARN,
		FeatureSet:           o.FeatureSet,
		MasterAccountArn:     accountARN(o, mgmt.ID),
		MasterAccountId:      mgmt.ID,
		MasterAccountEmail:   mgmt.Email,
		AvailablePolicyTypes: available,
	}, nil
}

func accountARN(o *store.Organization, id string) string {
	return "arn:aws:organizations::" + o.ManagementAccountID + ":account/" + o.ID + "/" + id
}

func (s *Service) CreateOrganization(ctx context.Context, c *auth.Caller, in *orgsapi.CreateOrganizationInput) (*orgsapi.CreateOrganizationOutput, error) {
	if err := s.authorize(ctx, c, "CreateOrganization", "*"); err != nil {
		return nil, err
	}
	fs := in.FeatureSet
	if fs == "" {
		fs = "ALL"
	}
	id := "o-" + randomLower(10)
	o := &store.Organization{
		ID: id, ARN: "arn:aws:organizations::" + c.AccountID + ":organization/" + id,
		ManagementAccountID: c.AccountID, FeatureSet: fs, RootID: "r-" + randomLower(4),
		CreatedAt: s.now().UTC().Truncate(time.Second),
	}
	// A change: the account's organization is aws:PrincipalOrgID, which
	// authorization caches.
	err := s.store.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		a, err := tx.Accounts().Get(ctx, c.AccountID)
		if err != nil {
			return err
		}
		if a.OrganizationID != "" {
			return alreadyInOrganization()
		}
		if err := tx.Organizations().Create(ctx, o); err != nil {
			return err
		}
		a.OrganizationID, a.JoinedMethod, a.Status = o.ID, "INVITED", "ACTIVE"
		return tx.Accounts().Update(ctx, a)
	})
	if err != nil {
		return nil, err
	}
	out, err := s.organization(ctx, o)
	if err != nil {
		return nil, err
	}
	return &orgsapi.CreateOrganizationOutput{Organization: out}, nil
}

func (s *Service) DescribeOrganization(ctx context.Context, c *auth.Caller, in *orgsapi.DescribeOrganizationInput) (*orgsapi.DescribeOrganizationOutput, error) {
	o, err := s.orgFor(ctx, c, "DescribeOrganization", false)
	if err != nil {
		return nil, err
	}
	out, err := s.organization(ctx, o)
	if err != nil {
		return nil, err
	}
	return &orgsapi.DescribeOrganizationOutput{Organization: out}, nil
}

// CreateAccount creates the member account at once; the request still
// reports through DescribeCreateAccountStatus, as AWS's does, so clients
// that poll work unchanged.
func (s *Service) CreateAccount(ctx context.Context, c *auth.Caller, in *orgsapi.CreateAccountInput) (*orgsapi.CreateAccountOutput, error) {
	o, err := s.orgFor(ctx, c, "CreateAccount", true)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	roleName := in.RoleName
	if roleName == "" {
		roleName = "OrganizationAccountAccessRole"
	}
	now := s.now().UTC().Truncate(time.Second)
	st := &store.CreateAccountStatus{
		ID: "car-" + randomHex(16), OrganizationID: o.ID, AccountName: in.AccountName,
		State: "SUCCEEDED", RequestedAt: now, CompletedAt: &now,
	}
	acct := &store.Account{
		ID: auth.NewAccountID(), Name: in.AccountName, Email: in.Email, CreatedAt: now,
		OrganizationID: o.ID, JoinedMethod: "CREATED", Status: "ACTIVE",
	}
	if err := s.prov.ProvisionAccount(ctx, acct, roleName, o.ManagementAccountID); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			st.State, st.FailureReason = "FAILED", "EMAIL_ALREADY_EXISTS"
		} else {
			return nil, err
		}
	} else {
		st.AccountID = acct.ID
	}
	if err := s.store.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		if st.AccountID != "" {
			// The new account gets the default policy of every enabled type,
			// as AWS attaches FullAWSAccess to it.
			if err := attachDefaults(ctx, tx, o, st.AccountID); err != nil {
				return err
			}
			if err := tx.Organizations().PutTags(ctx, o.ID, st.AccountID, storeTags(in.Tags)); err != nil {
				return err
			}
		}
		return tx.Organizations().PutCreateAccountStatus(ctx, st)
	}); err != nil {
		return nil, err
	}
	return &orgsapi.CreateAccountOutput{CreateAccountStatus: statusOut(st)}, nil
}

func statusOut(st *store.CreateAccountStatus) *orgsapi.CreateAccountStatus {
	out := &orgsapi.CreateAccountStatus{
		Id: st.ID, AccountName: st.AccountName, State: st.State,
		RequestedTimestamp: st.RequestedAt,
		AccountId:          st.AccountID, FailureReason: st.FailureReason,
	}
	if st.CompletedAt != nil {
		out.CompletedTimestamp = *st.CompletedAt
	}
	return out
}

func (s *Service) DescribeCreateAccountStatus(ctx context.Context, c *auth.Caller, in *orgsapi.DescribeCreateAccountStatusInput) (*orgsapi.DescribeCreateAccountStatusOutput, error) {
	o, err := s.orgFor(ctx, c, "DescribeCreateAccountStatus", false)
	if err != nil {
		return nil, err
	}
	st, err := s.store.Organizations().GetCreateAccountStatus(ctx, in.CreateAccountRequestId)
	if errors.Is(err, store.ErrNotFound) || (err == nil && st.OrganizationID != o.ID) {
		return nil, awserr.New("CreateAccountStatusNotFoundException", http.StatusBadRequest,
			"We can't find a create account request with the CreateAccountRequestId that you specified.")
	}
	if err != nil {
		return nil, err
	}
	return &orgsapi.DescribeCreateAccountStatusOutput{CreateAccountStatus: statusOut(st)}, nil
}

func (s *Service) ListAccounts(ctx context.Context, c *auth.Caller, in *orgsapi.ListAccountsInput) (*orgsapi.ListAccountsOutput, error) {
	o, err := s.orgFor(ctx, c, "ListAccounts", true)
	if err != nil {
		return nil, err
	}
	t, err := loadTree(ctx, s.store, o, s.now())
	if err != nil {
		return nil, err
	}
	accts, next, err := pageOf(t.members, accountID, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &orgsapi.ListAccountsOutput{Accounts: make([]orgsapi.Account, 0, len(accts)), NextToken: next}
	for _, a := range accts {
		out.Accounts = append(out.Accounts, accountOut(o, a))
	}
	return out, nil
}

func accountOut(o *store.Organization, a *store.Account) orgsapi.Account {
	joined := a.CreatedAt
	if a.ID == o.ManagementAccountID {
		joined = o.CreatedAt
	}
	return orgsapi.Account{
		Id: a.ID, Arn: accountARN(o, a.ID), Email: a.Email, Name: a.Name,
		Status: a.Status, State: a.Status, JoinedMethod: a.JoinedMethod, JoinedTimestamp: joined,
	}
}

func (s *Service) DescribeAccount(ctx context.Context, c *auth.Caller, in *orgsapi.DescribeAccountInput) (*orgsapi.DescribeAccountOutput, error) {
	_, o, err := s.callerOrg(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "DescribeAccount", accountARN(o, in.AccountId)); err != nil {
		return nil, err
	}
	t, err := loadTree(ctx, s.store, o, s.now())
	if err != nil {
		return nil, err
	}
	a := t.member(in.AccountId)
	if a == nil {
		return nil, accountNotFound()
	}
	out := accountOut(o, a)
	return &orgsapi.DescribeAccountOutput{Account: &out}, nil
}

const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"

func randomLower(n int) string {
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(lowerAlnum))))
		if err != nil {
			panic(err)
		}
		b[i] = lowerAlnum[k.Int64()]
	}
	return string(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
