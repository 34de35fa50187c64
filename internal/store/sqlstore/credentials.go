package sqlstore

import (
	"context"
	"database/sql"

	"github.com/mantle-iam/mantle/internal/store"
)

type userCredentials struct{ *Repos }

const userCredCols = `kind, id, account_id, user_id, body, fingerprint, service_name, service_user_name, secret, status, created_at, expires_at`

func scanUserCredential(sc scanner) (*store.UserCredential, error) {
	var c store.UserCredential
	var kind, created string
	var expires sql.NullString
	if err := sc.Scan(&kind, &c.ID, &c.AccountID, &c.UserID, &c.Body, &c.Fingerprint, &c.ServiceName, &c.ServiceUserName,
		&c.Secret, &c.Status, &created, &expires); err != nil {
		return nil, err
	}
	c.Kind = store.CredentialKind(kind)
	var err error
	if c.CreatedAt, err = decTime(created); err != nil {
		return nil, err
	}
	c.ExpiresAt, err = decTimePtr(expires)
	return &c, err
}

func (r userCredentials) Create(ctx context.Context, c *store.UserCredential) error {
	return exec(ctx, r.q, "create "+string(c.Kind)+" "+c.ID,
		`INSERT INTO user_credentials (`+userCredCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		string(c.Kind), c.ID, c.AccountID, c.UserID, c.Body, c.Fingerprint, c.ServiceName, c.ServiceUserName,
		blob(c.Secret), c.Status, encTime(c.CreatedAt), encTimePtr(c.ExpiresAt))
}

func (r userCredentials) Get(ctx context.Context, kind store.CredentialKind, id string) (*store.UserCredential, error) {
	return get(ctx, r.q, scanUserCredential, string(kind)+" "+id,
		`SELECT `+userCredCols+` FROM user_credentials WHERE kind = $1 AND id = $2`, string(kind), id)
}

func (r userCredentials) ListForUser(ctx context.Context, kind store.CredentialKind, accountID, userID string) ([]*store.UserCredential, error) {
	return list(ctx, r.q, scanUserCredential, string(kind)+"s of "+userID,
		`SELECT `+userCredCols+` FROM user_credentials WHERE account_id = $1 AND user_id = $2 AND kind = $3 ORDER BY created_at, id`,
		accountID, userID, string(kind))
}

func (r userCredentials) Update(ctx context.Context, c *store.UserCredential) error {
	return execOne(ctx, r.q, "update "+string(c.Kind)+" "+c.ID,
		`UPDATE user_credentials SET secret = $1, status = $2, expires_at = $3 WHERE kind = $4 AND id = $5`,
		blob(c.Secret), c.Status, encTimePtr(c.ExpiresAt), string(c.Kind), c.ID)
}

func (r userCredentials) Delete(ctx context.Context, kind store.CredentialKind, id string) error {
	return execOne(ctx, r.q, "delete "+string(kind)+" "+id,
		`DELETE FROM user_credentials WHERE kind = $1 AND id = $2`, string(kind), id)
}

type serverCertificates struct{ *Repos }

const serverCertCols = `id, account_id, name, path, body, chain, private_key, expiration, uploaded_at, tags`

func scanServerCert(sc scanner) (*store.ServerCertificate, error) {
	var c store.ServerCertificate
	var exp, up, tags string
	if err := sc.Scan(&c.ID, &c.AccountID, &c.Name, &c.Path, &c.Body, &c.Chain, &c.PrivateKey, &exp, &up, &tags); err != nil {
		return nil, err
	}
	var err error
	if c.Expiration, err = decTime(exp); err != nil {
		return nil, err
	}
	if c.UploadedAt, err = decTime(up); err != nil {
		return nil, err
	}
	c.Tags, err = decTags(tags)
	return &c, err
}

func (r serverCertificates) Create(ctx context.Context, c *store.ServerCertificate) error {
	tags, err := encJSON(c.Tags)
	if err != nil {
		return err
	}
	return exec(ctx, r.q, "create server certificate "+c.Name,
		`INSERT INTO server_certificates (id, account_id, name, name_lower, path, body, chain, private_key, expiration, uploaded_at, tags)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		c.ID, c.AccountID, c.Name, lower(c.Name), c.Path, c.Body, c.Chain, blob(c.PrivateKey), encTime(c.Expiration), encTime(c.UploadedAt), tags)
}

func (r serverCertificates) Get(ctx context.Context, accountID, name string) (*store.ServerCertificate, error) {
	return get(ctx, r.q, scanServerCert, "server certificate "+name,
		`SELECT `+serverCertCols+` FROM server_certificates WHERE account_id = $1 AND name_lower = $2`, accountID, lower(name))
}

func (r serverCertificates) Update(ctx context.Context, c *store.ServerCertificate) error {
	tags, err := encJSON(c.Tags)
	if err != nil {
		return err
	}
	return execOne(ctx, r.q, "update server certificate "+c.ID,
		`UPDATE server_certificates SET name = $1, name_lower = $2, path = $3, tags = $4 WHERE id = $5`,
		c.Name, lower(c.Name), c.Path, tags, c.ID)
}

func (r serverCertificates) Delete(ctx context.Context, id string) error {
	return execOne(ctx, r.q, "delete server certificate "+id, `DELETE FROM server_certificates WHERE id = $1`, id)
}

func (r serverCertificates) List(ctx context.Context, accountID string, opt store.ListOptions) ([]*store.ServerCertificate, error) {
	return list(ctx, r.q, scanServerCert, "server certificates",
		`SELECT `+serverCertCols+` FROM server_certificates
		WHERE account_id = $1 AND substr(path, 1, length(CAST($2 AS TEXT))) = $2 AND name_lower > $3
		ORDER BY name_lower LIMIT $4`,
		accountID, pathPrefix(opt.PathPrefix), opt.After, limitArg(opt.Limit))
}

type accountSettings struct{ *Repos }

func (r accountSettings) Get(ctx context.Context, accountID, name string) (string, error) {
	v, err := get(ctx, r.q, func(sc scanner) (*string, error) {
		var s string
		return &s, sc.Scan(&s)
	}, "setting "+name+" of "+accountID, `SELECT value FROM account_settings WHERE account_id = $1 AND name = $2`, accountID, name)
	if err != nil {
		return "", err
	}
	return *v, nil
}

func (r accountSettings) Put(ctx context.Context, accountID, name, value string) error {
	return exec(ctx, r.q, "put setting "+name+" of "+accountID,
		`INSERT INTO account_settings (account_id, name, value) VALUES ($1, $2, $3)
		ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value`, accountID, name, value)
}
