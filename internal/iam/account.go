package iam

import (
	"context"
	"net/http"
	"strings"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/policy"
)

func (s *Service) account(ctx context.Context, r store.Repos, id string) (*store.Account, error) {
	a, err := r.Accounts().Get(ctx, id)
	return a, notFoundAs(err, awserr.NoSuchEntity("The account %s cannot be found.", id))
}

// UpdateAccountPasswordPolicy replaces the whole policy: parameters left out
// take their defaults, as in AWS.
func (s *Service) UpdateAccountPasswordPolicy(ctx context.Context, c *auth.Caller, in *iamapi.UpdateAccountPasswordPolicyInput) (*iamapi.UpdateAccountPasswordPolicyOutput, error) {
	if err := s.authorize(ctx, c, "UpdateAccountPasswordPolicy", "*"); err != nil {
		return nil, err
	}
	pp := &store.PasswordPolicy{MinimumPasswordLength: 6, RequireSymbols: isTrue(in.RequireSymbols), RequireNumbers: isTrue(in.RequireNumbers),
		RequireUppercaseCharacters: isTrue(in.RequireUppercaseCharacters), RequireLowercaseCharacters: isTrue(in.RequireLowercaseCharacters),
		AllowUsersToChangePassword: isTrue(in.AllowUsersToChangePassword)}
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
	return result[iamapi.UpdateAccountPasswordPolicyOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		a, err := s.account(ctx, tx, c.AccountID)
		if err != nil {
			return err
		}
		a.PasswordPolicy = pp
		return tx.Accounts().Update(ctx, a)
	}))
}

func noPasswordPolicy(account string) *awserr.Error {
	return awserr.NoSuchEntity("The Password Policy with domain name %s cannot be found.", account)
}

func (s *Service) GetAccountPasswordPolicy(ctx context.Context, c *auth.Caller, _ *iamapi.GetAccountPasswordPolicyInput) (*iamapi.GetAccountPasswordPolicyOutput, error) {
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
	return &iamapi.GetAccountPasswordPolicyOutput{PasswordPolicy: &iamapi.PasswordPolicy{MinimumPasswordLength: ptr(pp.MinimumPasswordLength),
		RequireSymbols: ptr(pp.RequireSymbols), RequireNumbers: ptr(pp.RequireNumbers), RequireUppercaseCharacters: ptr(pp.RequireUppercaseCharacters),
		RequireLowercaseCharacters: ptr(pp.RequireLowercaseCharacters), AllowUsersToChangePassword: ptr(pp.AllowUsersToChangePassword),
		ExpirePasswords: ptr(pp.MaxPasswordAge > 0), MaxPasswordAge: optInt(pp.MaxPasswordAge), PasswordReusePrevention: optInt(pp.PasswordReusePrevention),
		HardExpiry: optBool(pp.HardExpiry)}}, nil
}

func (s *Service) DeleteAccountPasswordPolicy(ctx context.Context, c *auth.Caller, _ *iamapi.DeleteAccountPasswordPolicyInput) (*iamapi.DeleteAccountPasswordPolicyOutput, error) {
	if err := s.authorize(ctx, c, "DeleteAccountPasswordPolicy", "*"); err != nil {
		return nil, err
	}
	return result[iamapi.DeleteAccountPasswordPolicyOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		a, err := s.account(ctx, tx, c.AccountID)
		if err != nil {
			return err
		}
		if a.PasswordPolicy == nil {
			// DeleteAccountPasswordPolicy words it otherwise than Get
			// (localstack's recorded AWS snapshots,
			// test_iam_account_password_policy.snapshot.json).
			return awserr.NoSuchEntity("The account policy with name PasswordPolicy cannot be found.")
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

// CreateAccountAlias sets the account's one alias, replacing any previous
// one. Aliases are unique across accounts.
func (s *Service) CreateAccountAlias(ctx context.Context, c *auth.Caller, in *iamapi.CreateAccountAliasInput) (*iamapi.CreateAccountAliasOutput, error) {
	if err := s.authorize(ctx, c, "CreateAccountAlias", "*"); err != nil {
		return nil, err
	}
	if strings.Contains(in.AccountAlias, "--") || len(in.AccountAlias) < 3 || len(in.AccountAlias) > 63 {
		return nil, awserr.ValidationError("1 validation error detected: Value '%s' at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", in.AccountAlias)
	}
	return result[iamapi.CreateAccountAliasOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
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

func (s *Service) DeleteAccountAlias(ctx context.Context, c *auth.Caller, in *iamapi.DeleteAccountAliasInput) (*iamapi.DeleteAccountAliasOutput, error) {
	if err := s.authorize(ctx, c, "DeleteAccountAlias", "*"); err != nil {
		return nil, err
	}
	return result[iamapi.DeleteAccountAliasOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
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

func (s *Service) ListAccountAliases(ctx context.Context, c *auth.Caller, in *iamapi.ListAccountAliasesInput) (*iamapi.ListAccountAliasesOutput, error) {
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
	out := &iamapi.ListAccountAliasesOutput{AccountAliases: []string{}}
	if a.Alias != "" {
		out.AccountAliases = append(out.AccountAliases, a.Alias)
	}
	return out, nil
}

// Get returns the value for key and whether it is present.
func (s *Service) GetAccountSummary(ctx context.Context, c *auth.Caller, _ *iamapi.GetAccountSummaryInput) (*iamapi.GetAccountSummaryOutput, error) {
	if err := s.authorize(ctx, c, "GetAccountSummary", "*"); err != nil {
		return nil, err
	}
	r := s.store
	quotas, err := quotaValues(ctx, r)
	if err != nil {
		return nil, err
	}
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
	rootCerts, err := r.UserCredentials().ListForUser(ctx, store.CredentialSigningCert, c.AccountID, "")
	if err != nil {
		return nil, err
	}
	serverCerts, err := r.ServerCertificates().List(ctx, c.AccountID, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	tokenVersion, err := s.globalTokenVersion(ctx, c.AccountID)
	if err != nil {
		return nil, err
	}
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	m := map[string]int{
		"GroupPolicySizeQuota":              policy.MaxInlineGroupPolicySize,
		"InstanceProfilesQuota":             quotas["InstanceProfilesPerAccount"],
		"Policies":                          len(policies),
		"GroupsPerUserQuota":                quotaGroupsPerUser,
		"InstanceProfiles":                  ips,
		"AttachedPoliciesPerUserQuota":      quotaAttachedPolicies,
		"Users":                             users,
		"PoliciesQuota":                     quotas["PoliciesPerAccount"],
		"Providers":                         len(oidc) + len(saml),
		"AccountMFAEnabled":                 rootMFA,
		"AccessKeysPerUserQuota":            quotaAccessKeysPerUser,
		"AssumeRolePolicySizeQuota":         policy.DefaultTrustPolicySize,
		"PolicyVersionsInUseQuota":          10000,
		"GlobalEndpointTokenVersion":        tokenVersion,
		"VersionsPerPolicyQuota":            quotaPolicyVersions,
		"AttachedPoliciesPerGroupQuota":     quotaAttachedPolicies,
		"PolicySizeQuota":                   policy.MaxManagedPolicySize,
		"Groups":                            groups,
		"AccountSigningCertificatesPresent": b2i(len(rootCerts) > 0),
		"AccountPasswordPresent":            0, // mantle's root user has no console password
		"UsersQuota":                        quotas["UsersPerAccount"],
		"ServerCertificatesQuota":           quotaServerCerts,
		"MFADevices":                        len(devs),
		"UserPolicySizeQuota":               policy.MaxInlineUserPolicySize,
		"PolicyVersionsInUse":               inUse,
		"ServerCertificates":                len(serverCerts),
		"Roles":                             roles,
		"RolesQuota":                        quotas["RolesPerAccount"],
		"SigningCertificatesPerUserQuota":   quotaSigningCerts,
		"MFADevicesInUse":                   enabled,
		"RolePolicySizeQuota":               policy.MaxInlineRolePolicySize,
		"AttachedPoliciesPerRoleQuota":      quotaAttachedPolicies,
		"AccountAccessKeysPresent":          b2i(len(rootKeys) > 0),
		"GroupsQuota":                       quotas["GroupsPerAccount"],
	}
	return &iamapi.GetAccountSummaryOutput{SummaryMap: m}, nil
}
