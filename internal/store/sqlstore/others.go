package sqlstore

import (
	"context"
	"database/sql"

	"github.com/mantle-iam/mantle/internal/store"
)

type instanceProfiles struct{ *Repos }

const instanceProfileCols = `id, account_id, name, path, role_id, tags, created_at`

func scanInstanceProfile(sc scanner) (*store.InstanceProfile, error) {
	var p store.InstanceProfile
	var tags, created string
	if err := sc.Scan(&p.ID, &p.AccountID, &p.Name, &p.Path, &p.RoleID, &tags, &created); err != nil {
		return nil, err
	}
	var err error
	if p.Tags, err = decTags(tags); err != nil {
		return nil, err
	}
	p.CreatedAt, err = decTime(created)
	return &p, err
}

func (r instanceProfiles) Create(ctx context.Context, p *store.InstanceProfile) error {
	tags, err := encJSON(p.Tags)
	if err != nil {
		return err
	}
	return r.createCounted(ctx, store.CountInstanceProfiles, p.AccountID, p.ID, func(q conn) error {
		return exec(ctx, q, "create instance profile "+p.Name,
			`INSERT INTO instance_profiles (id, account_id, name, name_lower, path, role_id, tags, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			p.ID, p.AccountID, p.Name, lower(p.Name), p.Path, p.RoleID, tags, encTime(p.CreatedAt))
	})
}

func (r instanceProfiles) Get(ctx context.Context, accountID, name string) (*store.InstanceProfile, error) {
	return get(ctx, r.q, scanInstanceProfile, "instance profile "+name,
		`SELECT `+instanceProfileCols+` FROM instance_profiles WHERE account_id = $1 AND name_lower = $2`,
		accountID, lower(name))
}

func (r instanceProfiles) Update(ctx context.Context, p *store.InstanceProfile) error {
	tags, err := encJSON(p.Tags)
	if err != nil {
		return err
	}
	return execOne(ctx, r.q, "update instance profile "+p.ID,
		`UPDATE instance_profiles SET name = $1, name_lower = $2, path = $3, role_id = $4, tags = $5, created_at = $6 WHERE id = $7`,
		p.Name, lower(p.Name), p.Path, p.RoleID, tags, encTime(p.CreatedAt), p.ID)
}

func (r instanceProfiles) Delete(ctx context.Context, id string) error {
	return r.deleteCounted(ctx, "instance_profiles", store.CountInstanceProfiles, id)
}

func (r instanceProfiles) List(ctx context.Context, accountID string, opt store.ListOptions) ([]*store.InstanceProfile, error) {
	return list(ctx, r.q, scanInstanceProfile, "instance profiles",
		`SELECT `+instanceProfileCols+` FROM instance_profiles
		WHERE account_id = $1 AND `+pathCond("path", 2, pathPrefix(opt.PathPrefix))+` AND name_lower > $3
		ORDER BY name_lower LIMIT $4`,
		accountID, pathPrefix(opt.PathPrefix), opt.After, limitArg(opt.Limit))
}

func (r instanceProfiles) ListForRole(ctx context.Context, roleID string) ([]*store.InstanceProfile, error) {
	return list(ctx, r.q, scanInstanceProfile, "instance profiles of role "+roleID,
		`SELECT `+instanceProfileCols+` FROM instance_profiles WHERE role_ref = $1 ORDER BY name_lower`, roleID)
}

func (r instanceProfiles) Count(ctx context.Context, accountID string) (int, error) {
	return countOf(ctx, r.q, store.CountInstanceProfiles, accountID)
}

type mfaDevices struct{ *Repos }

const mfaCols = `serial_number, account_id, name, path, seed, user_id, enabled_at, last_counter, tags, created_at`

func scanMFA(sc scanner) (*store.MFADevice, error) {
	var d store.MFADevice
	var enabled sql.NullString
	var tags, created string
	if err := sc.Scan(&d.SerialNumber, &d.AccountID, &d.Name, &d.Path, &d.Seed, &d.UserID, &enabled, &d.LastCounter, &tags, &created); err != nil {
		return nil, err
	}
	var err error
	if d.EnabledAt, err = decTimePtr(enabled); err != nil {
		return nil, err
	}
	if d.Tags, err = decTags(tags); err != nil {
		return nil, err
	}
	d.CreatedAt, err = decTime(created)
	return &d, err
}

func (r mfaDevices) Create(ctx context.Context, d *store.MFADevice) error {
	tags, err := encJSON(d.Tags)
	if err != nil {
		return err
	}
	return exec(ctx, r.q, "create MFA device "+d.SerialNumber,
		`INSERT INTO mfa_devices (`+mfaCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		d.SerialNumber, d.AccountID, d.Name, d.Path, blob(d.Seed), d.UserID, encTimePtr(d.EnabledAt), d.LastCounter, tags, encTime(d.CreatedAt))
}

func (r mfaDevices) Get(ctx context.Context, serial string) (*store.MFADevice, error) {
	return get(ctx, r.q, scanMFA, "MFA device "+serial,
		`SELECT `+mfaCols+` FROM mfa_devices WHERE serial_number = $1`, serial)
}

func (r mfaDevices) Update(ctx context.Context, d *store.MFADevice) error {
	tags, err := encJSON(d.Tags)
	if err != nil {
		return err
	}
	return execOne(ctx, r.q, "update MFA device "+d.SerialNumber,
		`UPDATE mfa_devices SET name = $1, path = $2, seed = $3, user_id = $4, enabled_at = $5, last_counter = $6, tags = $7, created_at = $8
		WHERE serial_number = $9`,
		d.Name, d.Path, blob(d.Seed), d.UserID, encTimePtr(d.EnabledAt), d.LastCounter, tags, encTime(d.CreatedAt), d.SerialNumber)
}

func (r mfaDevices) Delete(ctx context.Context, serial string) error {
	return execOne(ctx, r.q, "delete MFA device "+serial, `DELETE FROM mfa_devices WHERE serial_number = $1`, serial)
}

func (r mfaDevices) List(ctx context.Context, accountID string, opt store.ListOptions) ([]*store.MFADevice, error) {
	return list(ctx, r.q, scanMFA, "MFA devices",
		`SELECT `+mfaCols+` FROM mfa_devices
		WHERE account_id = $1 AND `+pathCond("path", 2, pathPrefix(opt.PathPrefix))+` AND serial_number > $3
		ORDER BY serial_number LIMIT $4`,
		accountID, pathPrefix(opt.PathPrefix), opt.After, limitArg(opt.Limit))
}

func (r mfaDevices) ListForUser(ctx context.Context, userID string) ([]*store.MFADevice, error) {
	// user_id = '' would list every unassigned device; that is not a user.
	return list(ctx, r.q, scanMFA, "MFA devices of "+userID,
		`SELECT `+mfaCols+` FROM mfa_devices WHERE user_id = $1 AND user_id <> '' ORDER BY serial_number`, userID)
}

type oidcProviders struct{ *Repos }

const oidcCols = `arn, account_id, url, client_ids, thumbprints, tags, created_at`

func scanOIDC(sc scanner) (*store.OIDCProvider, error) {
	var p store.OIDCProvider
	var clients, thumbs, tags, created string
	if err := sc.Scan(&p.ARN, &p.AccountID, &p.URL, &clients, &thumbs, &tags, &created); err != nil {
		return nil, err
	}
	var err error
	if p.ClientIDs, err = decStrings(clients); err != nil {
		return nil, err
	}
	if p.Thumbprints, err = decStrings(thumbs); err != nil {
		return nil, err
	}
	if p.Tags, err = decTags(tags); err != nil {
		return nil, err
	}
	p.CreatedAt, err = decTime(created)
	return &p, err
}

func encOIDC(p *store.OIDCProvider) (clients, thumbs, tags string, err error) {
	if clients, err = encJSON(p.ClientIDs); err != nil {
		return
	}
	if thumbs, err = encJSON(p.Thumbprints); err != nil {
		return
	}
	tags, err = encJSON(p.Tags)
	return
}

func (r oidcProviders) Create(ctx context.Context, p *store.OIDCProvider) error {
	clients, thumbs, tags, err := encOIDC(p)
	if err != nil {
		return err
	}
	return exec(ctx, r.q, "create OIDC provider "+p.ARN,
		`INSERT INTO oidc_providers (`+oidcCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		p.ARN, p.AccountID, p.URL, clients, thumbs, tags, encTime(p.CreatedAt))
}

func (r oidcProviders) Get(ctx context.Context, arn string) (*store.OIDCProvider, error) {
	return get(ctx, r.q, scanOIDC, "OIDC provider "+arn, `SELECT `+oidcCols+` FROM oidc_providers WHERE arn = $1`, arn)
}

func (r oidcProviders) Update(ctx context.Context, p *store.OIDCProvider) error {
	clients, thumbs, tags, err := encOIDC(p)
	if err != nil {
		return err
	}
	return execOne(ctx, r.q, "update OIDC provider "+p.ARN,
		`UPDATE oidc_providers SET url = $1, client_ids = $2, thumbprints = $3, tags = $4, created_at = $5 WHERE arn = $6`,
		p.URL, clients, thumbs, tags, encTime(p.CreatedAt), p.ARN)
}

func (r oidcProviders) Delete(ctx context.Context, arn string) error {
	return execOne(ctx, r.q, "delete OIDC provider "+arn, `DELETE FROM oidc_providers WHERE arn = $1`, arn)
}

func (r oidcProviders) List(ctx context.Context, accountID string) ([]*store.OIDCProvider, error) {
	return list(ctx, r.q, scanOIDC, "OIDC providers",
		`SELECT `+oidcCols+` FROM oidc_providers WHERE account_id = $1 ORDER BY arn`, accountID)
}

type samlProviders struct{ *Repos }

const samlCols = `arn, account_id, name, metadata, valid_until, tags, created_at`

func scanSAML(sc scanner) (*store.SAMLProvider, error) {
	var p store.SAMLProvider
	var valid, tags, created string
	if err := sc.Scan(&p.ARN, &p.AccountID, &p.Name, &p.Metadata, &valid, &tags, &created); err != nil {
		return nil, err
	}
	var err error
	if p.ValidUntil, err = decTime(valid); err != nil {
		return nil, err
	}
	if p.Tags, err = decTags(tags); err != nil {
		return nil, err
	}
	p.CreatedAt, err = decTime(created)
	return &p, err
}

func (r samlProviders) Create(ctx context.Context, p *store.SAMLProvider) error {
	tags, err := encJSON(p.Tags)
	if err != nil {
		return err
	}
	return exec(ctx, r.q, "create SAML provider "+p.ARN,
		`INSERT INTO saml_providers (`+samlCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		p.ARN, p.AccountID, p.Name, p.Metadata, encTime(p.ValidUntil), tags, encTime(p.CreatedAt))
}

func (r samlProviders) Get(ctx context.Context, arn string) (*store.SAMLProvider, error) {
	return get(ctx, r.q, scanSAML, "SAML provider "+arn, `SELECT `+samlCols+` FROM saml_providers WHERE arn = $1`, arn)
}

func (r samlProviders) Update(ctx context.Context, p *store.SAMLProvider) error {
	tags, err := encJSON(p.Tags)
	if err != nil {
		return err
	}
	return execOne(ctx, r.q, "update SAML provider "+p.ARN,
		`UPDATE saml_providers SET name = $1, metadata = $2, valid_until = $3, tags = $4, created_at = $5 WHERE arn = $6`,
		p.Name, p.Metadata, encTime(p.ValidUntil), tags, encTime(p.CreatedAt), p.ARN)
}

func (r samlProviders) Delete(ctx context.Context, arn string) error {
	return execOne(ctx, r.q, "delete SAML provider "+arn, `DELETE FROM saml_providers WHERE arn = $1`, arn)
}

func (r samlProviders) List(ctx context.Context, accountID string) ([]*store.SAMLProvider, error) {
	return list(ctx, r.q, scanSAML, "SAML providers",
		`SELECT `+samlCols+` FROM saml_providers WHERE account_id = $1 ORDER BY arn`, accountID)
}

type organizations struct{ *Repos }

const orgCols = `id, arn, management_account_id, feature_set, root_id, created_at`

func scanOrg(sc scanner) (*store.Organization, error) {
	var o store.Organization
	var created string
	if err := sc.Scan(&o.ID, &o.ARN, &o.ManagementAccountID, &o.FeatureSet, &o.RootID, &created); err != nil {
		return nil, err
	}
	var err error
	o.CreatedAt, err = decTime(created)
	return &o, err
}

func (r organizations) Create(ctx context.Context, o *store.Organization) error {
	return exec(ctx, r.q, "create organization "+o.ID,
		`INSERT INTO organizations (`+orgCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
		o.ID, o.ARN, o.ManagementAccountID, o.FeatureSet, o.RootID, encTime(o.CreatedAt))
}

func (r organizations) Get(ctx context.Context, id string) (*store.Organization, error) {
	return get(ctx, r.q, scanOrg, "organization "+id, `SELECT `+orgCols+` FROM organizations WHERE id = $1`, id)
}

// Delete takes the organization's CreateAccount statuses with it (ON DELETE
// CASCADE): the store API has no other way to remove them. Member accounts
// must have left first.
func (r organizations) Delete(ctx context.Context, id string) error {
	return execOne(ctx, r.q, "delete organization "+id, `DELETE FROM organizations WHERE id = $1`, id)
}

const casCols = `id, organization_id, account_name, state, account_id, failure_reason, requested_at, completed_at`

func scanCAS(sc scanner) (*store.CreateAccountStatus, error) {
	var s store.CreateAccountStatus
	var requested string
	var completed sql.NullString
	if err := sc.Scan(&s.ID, &s.OrganizationID, &s.AccountName, &s.State, &s.AccountID, &s.FailureReason, &requested, &completed); err != nil {
		return nil, err
	}
	var err error
	if s.RequestedAt, err = decTime(requested); err != nil {
		return nil, err
	}
	s.CompletedAt, err = decTimePtr(completed)
	return &s, err
}

func (r organizations) PutCreateAccountStatus(ctx context.Context, s *store.CreateAccountStatus) error {
	// The organization a request belongs to is fixed when it is first put.
	return exec(ctx, r.q, "put create account status "+s.ID,
		`INSERT INTO create_account_statuses (`+casCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (id) DO UPDATE SET account_name = excluded.account_name, state = excluded.state,
			account_id = excluded.account_id, failure_reason = excluded.failure_reason,
			requested_at = excluded.requested_at, completed_at = excluded.completed_at`,
		s.ID, s.OrganizationID, s.AccountName, s.State, s.AccountID, s.FailureReason, encTime(s.RequestedAt), encTimePtr(s.CompletedAt))
}

func (r organizations) GetCreateAccountStatus(ctx context.Context, id string) (*store.CreateAccountStatus, error) {
	return get(ctx, r.q, scanCAS, "create account status "+id,
		`SELECT `+casCols+` FROM create_account_statuses WHERE id = $1`, id)
}

func (r organizations) ListCreateAccountStatus(ctx context.Context, orgID string) ([]*store.CreateAccountStatus, error) {
	return list(ctx, r.q, scanCAS, "create account statuses of "+orgID,
		`SELECT `+casCols+` FROM create_account_statuses WHERE organization_id = $1 ORDER BY requested_at, id`, orgID)
}

type signingKeys struct{ *Repos }

func scanSigningKey(sc scanner) (*store.SigningKey, error) {
	var k store.SigningKey
	var created string
	if err := sc.Scan(&k.ID, &k.Material, &k.Active, &created); err != nil {
		return nil, err
	}
	var err error
	k.CreatedAt, err = decTime(created)
	return &k, err
}

func (r signingKeys) Create(ctx context.Context, k *store.SigningKey) error {
	return exec(ctx, r.q, "create signing key "+k.ID,
		`INSERT INTO signing_keys (id, material, active, created_at) VALUES ($1, $2, $3, $4)`,
		k.ID, blob(k.Material), k.Active, encTime(k.CreatedAt))
}

func (r signingKeys) Update(ctx context.Context, k *store.SigningKey) error {
	return execOne(ctx, r.q, "update signing key "+k.ID,
		`UPDATE signing_keys SET material = $1, active = $2, created_at = $3 WHERE id = $4`,
		blob(k.Material), k.Active, encTime(k.CreatedAt), k.ID)
}

func (r signingKeys) Delete(ctx context.Context, id string) error {
	return execOne(ctx, r.q, "delete signing key "+id, `DELETE FROM signing_keys WHERE id = $1`, id)
}

func (r signingKeys) List(ctx context.Context) ([]*store.SigningKey, error) {
	return list(ctx, r.q, scanSigningKey, "signing keys",
		`SELECT id, material, active, created_at FROM signing_keys ORDER BY created_at, id`)
}

const ouCols = `id, organization_id, parent_id, name, created_at`

func scanOU(sc scanner) (*store.OrganizationalUnit, error) {
	var ou store.OrganizationalUnit
	var created string
	if err := sc.Scan(&ou.ID, &ou.OrganizationID, &ou.ParentID, &ou.Name, &created); err != nil {
		return nil, err
	}
	var err error
	ou.CreatedAt, err = decTime(created)
	return &ou, err
}

func (r organizations) CreateOU(ctx context.Context, ou *store.OrganizationalUnit) error {
	return exec(ctx, r.q, "create OU "+ou.Name,
		`INSERT INTO organizational_units (`+ouCols+`) VALUES ($1, $2, $3, $4, $5)`,
		ou.ID, ou.OrganizationID, ou.ParentID, ou.Name, encTime(ou.CreatedAt))
}

func (r organizations) GetOU(ctx context.Context, id string) (*store.OrganizationalUnit, error) {
	return get(ctx, r.q, scanOU, "OU "+id, `SELECT `+ouCols+` FROM organizational_units WHERE id = $1`, id)
}

func (r organizations) UpdateOU(ctx context.Context, ou *store.OrganizationalUnit) error {
	return execOne(ctx, r.q, "update OU "+ou.ID,
		`UPDATE organizational_units SET name = $1 WHERE id = $2`, ou.Name, ou.ID)
}

func (r organizations) DeleteOU(ctx context.Context, id string) error {
	return execOne(ctx, r.q, "delete OU "+id, `DELETE FROM organizational_units WHERE id = $1`, id)
}

func (r organizations) ListOUs(ctx context.Context, orgID string) ([]*store.OrganizationalUnit, error) {
	return list(ctx, r.q, scanOU, "OUs of "+orgID,
		`SELECT `+ouCols+` FROM organizational_units WHERE organization_id = $1 ORDER BY id`, orgID)
}

func scanAccountParent(sc scanner) (*store.AccountParent, error) {
	var p store.AccountParent
	if err := sc.Scan(&p.AccountID, &p.OrganizationID, &p.ParentID); err != nil {
		return nil, err
	}
	return &p, nil
}

func (r organizations) PutAccountParent(ctx context.Context, p *store.AccountParent) error {
	return exec(ctx, r.q, "place account "+p.AccountID,
		`INSERT INTO account_parents (account_id, organization_id, parent_id) VALUES ($1, $2, $3)
		ON CONFLICT (account_id) DO UPDATE SET organization_id = excluded.organization_id, parent_id = excluded.parent_id`,
		p.AccountID, p.OrganizationID, p.ParentID)
}

func (r organizations) DeleteAccountParent(ctx context.Context, accountID string) error {
	return execOne(ctx, r.q, "unplace account "+accountID, `DELETE FROM account_parents WHERE account_id = $1`, accountID)
}

func (r organizations) ListAccountParents(ctx context.Context, orgID string) ([]*store.AccountParent, error) {
	return list(ctx, r.q, scanAccountParent, "account parents of "+orgID,
		`SELECT account_id, organization_id, parent_id FROM account_parents WHERE organization_id = $1 ORDER BY account_id`, orgID)
}
