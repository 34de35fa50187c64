package iam

import (
	"context"
	"net/http"
	"strings"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/policy"
)

// PasswordPolicy is AWS's PasswordPolicy shape.
type PasswordPolicy struct {
	MinimumPasswordLength      int  `xml:"MinimumPasswordLength"`
	RequireSymbols             bool `xml:"RequireSymbols"`
	RequireNumbers             bool `xml:"RequireNumbers"`
	RequireUppercaseCharacters bool `xml:"RequireUppercaseCharacters"`
	RequireLowercaseCharacters bool `xml:"RequireLowercaseCharacters"`
	AllowUsersToChangePassword bool `xml:"AllowUsersToChangePassword"`
	ExpirePasswords            bool `xml:"ExpirePasswords"`
	MaxPasswordAge             int  `xml:"MaxPasswordAge,omitempty"`
	PasswordReusePrevention    int  `xml:"PasswordReusePrevention,omitempty"`
	HardExpiry                 bool `xml:"HardExpiry,omitempty"`
}

func (s *Service) account(ctx context.Context, r store.Repos, id string) (*store.Account, error) {
	a, err := r.Accounts().Get(ctx, id)
	return a, notFoundAs(err, awserr.NoSuchEntity("The account %s cannot be found.", id))
}

type UpdateAccountPasswordPolicyInput struct {
	MinimumPasswordLength      *int `aws:"min=6,max=128"`
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	AllowUsersToChangePassword bool
	MaxPasswordAge             *int `aws:"min=1,max=1095"`
	PasswordReusePrevention    *int `aws:"min=1,max=24"`
	HardExpiry                 *bool
}

type UpdateAccountPasswordPolicyOutput struct{}

// UpdateAccountPasswordPolicy replaces the whole policy: parameters left out
// take their defaults, as in AWS.
func (s *Service) UpdateAccountPasswordPolicy(ctx context.Context, c *auth.Caller, in *UpdateAccountPasswordPolicyInput) (*UpdateAccountPasswordPolicyOutput, error) {
	if err := s.authorize(ctx, c, "UpdateAccountPasswordPolicy", "*"); err != nil {
		return nil, err
	}
	pp := &store.PasswordPolicy{MinimumPasswordLength: 6, RequireSymbols: in.RequireSymbols, RequireNumbers: in.RequireNumbers,
		RequireUppercaseCharacters: in.RequireUppercaseCharacters, RequireLowercaseCharacters: in.RequireLowercaseCharacters,
		AllowUsersToChangePassword: in.AllowUsersToChangePassword}
	if in.MinimumPasswordLength != nil {
		if *in.MinimumPasswordLength < 6 || *in.MinimumPasswordLength > 128 {
			return nil, awserr.ValidationError("1 validation error detected: Value '%d' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value between 6 and 128", *in.MinimumPasswordLength)
		}
		pp.MinimumPasswordLength = *in.MinimumPasswordLength
	}
	if in.MaxPasswordAge != nil {
		pp.MaxPasswordAge = *in.MaxPasswordAge
	}
	if in.PasswordReusePrevention != nil {
		pp.PasswordReusePrevention = *in.PasswordReusePrevention
	}
	if in.HardExpiry != nil {
		pp.HardExpiry = *in.HardExpiry
	}
	return result[UpdateAccountPasswordPolicyOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		a, err := s.account(ctx, tx, c.AccountID)
		if err != nil {
			return err
		}
		a.PasswordPolicy = pp
		return tx.Accounts().Update(ctx, a)
	}))
}

type GetAccountPasswordPolicyInput struct{}

type GetAccountPasswordPolicyOutput struct {
	PasswordPolicy PasswordPolicy `xml:"PasswordPolicy"`
}

func noPasswordPolicy(account string) *awserr.Error {
	return awserr.NoSuchEntity("The Password Policy with domain name %s cannot be found.", account)
}

func (s *Service) GetAccountPasswordPolicy(ctx context.Context, c *auth.Caller, _ *GetAccountPasswordPolicyInput) (*GetAccountPasswordPolicyOutput, error) {
	if err := s.authorize(ctx, c, "GetAccountPasswordPolicy", "*"); err != nil {
		return nil, err
	}
	a, err := s.account(ctx, s.store, c.AccountID)
	if err != nil {
		return nil, err
	}
	pp := a.PasswordPolicy
	if pp == nil {
		return nil, noPasswordPolicy(c.AccountID)
	}
	return &GetAccountPasswordPolicyOutput{PasswordPolicy: PasswordPolicy{MinimumPasswordLength: pp.MinimumPasswordLength,
		RequireSymbols: pp.RequireSymbols, RequireNumbers: pp.RequireNumbers, RequireUppercaseCharacters: pp.RequireUppercaseCharacters,
		RequireLowercaseCharacters: pp.RequireLowercaseCharacters, AllowUsersToChangePassword: pp.AllowUsersToChangePassword,
		ExpirePasswords: pp.MaxPasswordAge > 0, MaxPasswordAge: pp.MaxPasswordAge, PasswordReusePrevention: pp.PasswordReusePrevention,
		HardExpiry: pp.HardExpiry}}, nil
}

type DeleteAccountPasswordPolicyInput struct{}
type DeleteAccountPasswordPolicyOutput struct{}

func (s *Service) DeleteAccountPasswordPolicy(ctx context.Context, c *auth.Caller, _ *DeleteAccountPasswordPolicyInput) (*DeleteAccountPasswordPolicyOutput, error) {
	if err := s.authorize(ctx, c, "DeleteAccountPasswordPolicy", "*"); err != nil {
		return nil, err
	}
	return result[DeleteAccountPasswordPolicyOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		a, err := s.account(ctx, tx, c.AccountID)
		if err != nil {
			return err
		}
		if a.PasswordPolicy == nil {
			return noPasswordPolicy(c.AccountID)
		}
		a.PasswordPolicy = nil
		return tx.Accounts().Update(ctx, a)
	}))
}

// passwordSymbols are the non-alphanumeric characters AWS's password policy
// counts as symbols.
const passwordSymbols = "!@#$%^&*()_+-=[]{}|'"

func passwordViolation() *awserr.Error {
	return awserr.New("PasswordPolicyViolation", http.StatusBadRequest, "Password does not conform to the account password policy.")
}

// checkPassword enforces the account's password policy, or AWS's default
// policy when there is none: at least 8 characters with three of the four
// character classes, and not the account's name or email.
func checkPassword(a *store.Account, pw string) error {
	var upper, lower, digit, symbol bool
	for _, r := range pw {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case strings.ContainsRune(passwordSymbols, r):
			symbol = true
		}
	}
	n := len([]rune(pw))
	pp := a.PasswordPolicy
	if pp == nil {
		classes := 0
		for _, b := range []bool{upper, lower, digit, symbol} {
			if b {
				classes++
			}
		}
		if n < 8 || classes < 3 || strings.EqualFold(pw, a.Name) || strings.EqualFold(pw, a.Email) {
			return passwordViolation()
		}
		return nil
	}
	if n < pp.MinimumPasswordLength || (pp.RequireUppercaseCharacters && !upper) || (pp.RequireLowercaseCharacters && !lower) ||
		(pp.RequireNumbers && !digit) || (pp.RequireSymbols && !symbol) {
		return passwordViolation()
	}
	return nil
}

type CreateAccountAliasInput struct {
	AccountAlias string `aws:"required,min=3,max=63" pattern:"[a-z0-9]([a-z0-9]|-)*[a-z0-9]"`
}

type CreateAccountAliasOutput struct{}

// CreateAccountAlias sets the account's one alias, replacing any previous
// one. Aliases are unique across accounts.
func (s *Service) CreateAccountAlias(ctx context.Context, c *auth.Caller, in *CreateAccountAliasInput) (*CreateAccountAliasOutput, error) {
	if err := s.authorize(ctx, c, "CreateAccountAlias", "*"); err != nil {
		return nil, err
	}
	if strings.Contains(in.AccountAlias, "--") || len(in.AccountAlias) < 3 || len(in.AccountAlias) > 63 {
		return nil, awserr.ValidationError("1 validation error detected: Value '%s' at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", in.AccountAlias)
	}
	return result[CreateAccountAliasOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if other, err := tx.Accounts().GetByAlias(ctx, in.AccountAlias); err == nil {
			if other.ID == c.AccountID {
				return nil
			}
			return awserr.EntityAlreadyExists("The account alias %s already exists.", in.AccountAlias)
		} else if !isNotFound(err) {
			return err
		}
		a, err := s.account(ctx, tx, c.AccountID)
		if err != nil {
			return err
		}
		a.Alias = in.AccountAlias
		if err := tx.Accounts().Update(ctx, a); err != nil {
			if isExists(err) {
				return awserr.EntityAlreadyExists("The account alias %s already exists.", in.AccountAlias)
			}
			return err
		}
		return nil
	}))
}

type DeleteAccountAliasInput struct {
	AccountAlias string `aws:"required,min=3,max=63" pattern:"[a-z0-9]([a-z0-9]|-)*[a-z0-9]"`
}

type DeleteAccountAliasOutput struct{}

func (s *Service) DeleteAccountAlias(ctx context.Context, c *auth.Caller, in *DeleteAccountAliasInput) (*DeleteAccountAliasOutput, error) {
	if err := s.authorize(ctx, c, "DeleteAccountAlias", "*"); err != nil {
		return nil, err
	}
	return result[DeleteAccountAliasOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		a, err := s.account(ctx, tx, c.AccountID)
		if err != nil {
			return err
		}
		if a.Alias != in.AccountAlias {
			return awserr.NoSuchEntity("The account alias %s cannot be found.", in.AccountAlias)
		}
		a.Alias = ""
		return tx.Accounts().Update(ctx, a)
	}))
}

type ListAccountAliasesInput struct {
	Marker   string `aws:"min=1,max=320" pattern:"[\u0020-\u00FF]+"`
	MaxItems *int   `aws:"min=1,max=1000"`
}

type ListAccountAliasesOutput struct {
	AccountAliases []string `xml:"AccountAliases>member"`
	IsTruncated    bool     `xml:"IsTruncated"`
	Marker         string   `xml:"Marker,omitempty"`
}

func (s *Service) ListAccountAliases(ctx context.Context, c *auth.Caller, in *ListAccountAliasesInput) (*ListAccountAliasesOutput, error) {
	if err := s.authorize(ctx, c, "ListAccountAliases", "*"); err != nil {
		return nil, err
	}
	if _, err := pageOf(in.Marker, in.MaxItems); err != nil {
		return nil, err
	}
	a, err := s.account(ctx, s.store, c.AccountID)
	if err != nil {
		return nil, err
	}
	out := &ListAccountAliasesOutput{AccountAliases: []string{}}
	if a.Alias != "" {
		out.AccountAliases = append(out.AccountAliases, a.Alias)
	}
	return out, nil
}

// SummaryMap marshals as AWS's <SummaryMap><entry><key/><value/></entry>…
// in a fixed key order.
type SummaryMap []SummaryEntry

type SummaryEntry struct {
	Key   string `xml:"key"`
	Value int    `xml:"value"`
}

// Get returns the value for key and whether it is present.
func (m SummaryMap) Get(key string) (int, bool) {
	for _, e := range m {
		if e.Key == key {
			return e.Value, true
		}
	}
	return 0, false
}

type GetAccountSummaryInput struct{}

type GetAccountSummaryOutput struct {
	SummaryMap SummaryMap `xml:"SummaryMap>entry"`
}

func (s *Service) GetAccountSummary(ctx context.Context, c *auth.Caller, _ *GetAccountSummaryInput) (*GetAccountSummaryOutput, error) {
	if err := s.authorize(ctx, c, "GetAccountSummary", "*"); err != nil {
		return nil, err
	}
	r := s.store
	users, err := r.Users().Count(ctx, c.AccountID)
	if err != nil {
		return nil, err
	}
	groups, err := r.Groups().Count(ctx, c.AccountID)
	if err != nil {
		return nil, err
	}
	roles, err := r.Roles().Count(ctx, c.AccountID)
	if err != nil {
		return nil, err
	}
	policies, err := r.Policies().List(ctx, c.AccountID, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	inUse := 0
	for _, p := range policies {
		if p.AttachmentCount > 0 || p.PermissionsBoundaryUsageCount > 0 {
			inUse++
		}
	}
	ips, err := r.InstanceProfiles().Count(ctx, c.AccountID)
	if err != nil {
		return nil, err
	}
	devs, err := r.MFADevices().List(ctx, c.AccountID, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	enabled, rootMFA := 0, 0
	for _, d := range devs {
		if d.UserID != "" {
			enabled++
		}
		if d.UserID == c.AccountID {
			rootMFA = 1
		}
	}
	rootKeys, err := r.AccessKeys().ListForUser(ctx, c.AccountID, "")
	if err != nil {
		return nil, err
	}
	oidc, err := r.OIDCProviders().List(ctx, c.AccountID)
	if err != nil {
		return nil, err
	}
	saml, err := r.SAMLProviders().List(ctx, c.AccountID)
	if err != nil {
		return nil, err
	}
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	m := SummaryMap{
		{"GroupPolicySizeQuota", policy.MaxInlineGroupPolicySize},
		{"InstanceProfilesQuota", quotaInstanceProfiles},
		{"Policies", len(policies)},
		{"GroupsPerUserQuota", quotaGroupsPerUser},
		{"InstanceProfiles", ips},
		{"AttachedPoliciesPerUserQuota", quotaAttachedPolicies},
		{"Users", users},
		{"PoliciesQuota", quotaPolicies},
		{"Providers", len(oidc) + len(saml)},
		{"AccountMFAEnabled", rootMFA},
		{"AccessKeysPerUserQuota", quotaAccessKeysPerUser},
		{"AssumeRolePolicySizeQuota", policy.DefaultTrustPolicySize},
		{"PolicyVersionsInUseQuota", 10000},
		{"GlobalEndpointTokenVersion", 1},
		{"VersionsPerPolicyQuota", quotaPolicyVersions},
		{"AttachedPoliciesPerGroupQuota", quotaAttachedPolicies},
		{"PolicySizeQuota", policy.MaxManagedPolicySize},
		{"Groups", groups},
		{"AccountSigningCertificatesPresent", 0},
		{"UsersQuota", quotaUsers},
		{"ServerCertificatesQuota", 20},
		{"MFADevices", len(devs)},
		{"UserPolicySizeQuota", policy.MaxInlineUserPolicySize},
		{"PolicyVersionsInUse", inUse},
		{"ServerCertificates", 0},
		{"Roles", roles},
		{"RolesQuota", quotaRoles},
		{"SigningCertificatesPerUserQuota", 2},
		{"MFADevicesInUse", enabled},
		{"RolePolicySizeQuota", policy.MaxInlineRolePolicySize},
		{"AttachedPoliciesPerRoleQuota", quotaAttachedPolicies},
		{"AccountAccessKeysPresent", b2i(len(rootKeys) > 0)},
		{"GroupsQuota", quotaGroups},
	}
	return &GetAccountSummaryOutput{SummaryMap: m}, nil
}
