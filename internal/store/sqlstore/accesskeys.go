package sqlstore

import (
	"time"

	"context"
	"database/sql"

	"github.com/mantle-iam/mantle/internal/store"
)

type accessKeys struct{ *Repos }

const accessKeyCols = `id, account_id, user_id, secret, status, created_at, last_used_at, last_used_service, last_used_region`

func scanAccessKey(sc scanner) (*store.AccessKey, error) {
	var k store.AccessKey
	var created string
	var lastUsed sql.NullString
	if err := sc.Scan(&k.ID, &k.AccountID, &k.UserID, &k.Secret, &k.Status, &created, &lastUsed, &k.LastUsedService, &k.LastUsedRegion); err != nil {
		return nil, err
	}
	var err error
	if k.CreatedAt, err = decTime(created); err != nil {
		return nil, err
	}
	if k.LastUsedAt, err = decTimePtr(lastUsed); err != nil {
		return nil, err
	}
	return &k, nil
}

func (r accessKeys) Create(ctx context.Context, k *store.AccessKey) error {
	return exec(ctx, r.q, "create access key "+k.ID,
		`INSERT INTO access_keys (`+accessKeyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		k.ID, k.AccountID, k.UserID, blob(k.Secret), k.Status, encTime(k.CreatedAt), encTimePtr(k.LastUsedAt), k.LastUsedService, k.LastUsedRegion)
}

func (r accessKeys) Get(ctx context.Context, id string) (*store.AccessKey, error) {
	return get(ctx, r.q, scanAccessKey, "access key "+id,
		`SELECT `+accessKeyCols+` FROM access_keys WHERE id = $1`, id)
}

func (r accessKeys) ListForUser(ctx context.Context, accountID, userID string) ([]*store.AccessKey, error) {
	return list(ctx, r.q, scanAccessKey, "access keys",
		`SELECT `+accessKeyCols+` FROM access_keys WHERE account_id = $1 AND user_id = $2 ORDER BY created_at, id`,
		accountID, userID)
}

func (r accessKeys) Update(ctx context.Context, k *store.AccessKey) error {
	// The owner is not rewritten: a key never changes hands.
	return execOne(ctx, r.q, "update access key "+k.ID,
		`UPDATE access_keys SET secret = $1, status = $2, created_at = $3, last_used_at = $4, last_used_service = $5, last_used_region = $6
		WHERE id = $7`,
		blob(k.Secret), k.Status, encTime(k.CreatedAt), encTimePtr(k.LastUsedAt), k.LastUsedService, k.LastUsedRegion, k.ID)
}

func (r accessKeys) Delete(ctx context.Context, id string) error {
	return execOne(ctx, r.q, "delete access key "+id, `DELETE FROM access_keys WHERE id = $1`, id)
}

type loginProfiles struct{ *Repos }

func scanLoginProfile(sc scanner) (*store.LoginProfile, error) {
	var p store.LoginProfile
	var created, changed string
	if err := sc.Scan(&p.UserID, &p.PasswordHash, &p.PasswordResetRequired, &created, &changed); err != nil {
		return nil, err
	}
	var err error
	if p.CreatedAt, err = decTime(created); err != nil {
		return nil, err
	}
	if changed != "" {
		p.PasswordChangedAt, err = decTime(changed)
	}
	return &p, err
}

func (r loginProfiles) Create(ctx context.Context, p *store.LoginProfile) error {
	return exec(ctx, r.q, "create login profile "+p.UserID,
		`INSERT INTO login_profiles (user_id, password_hash, password_reset_required, created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5)`,
		p.UserID, p.PasswordHash, p.PasswordResetRequired, encTime(p.CreatedAt), encOptTime(p.PasswordChangedAt))
}

func (r loginProfiles) Get(ctx context.Context, userID string) (*store.LoginProfile, error) {
	return get(ctx, r.q, scanLoginProfile, "login profile "+userID,
		`SELECT user_id, password_hash, password_reset_required, created_at, password_changed_at FROM login_profiles WHERE user_id = $1`, userID)
}

func (r loginProfiles) Update(ctx context.Context, p *store.LoginProfile) error {
	return execOne(ctx, r.q, "update login profile "+p.UserID,
		`UPDATE login_profiles SET password_hash = $1, password_reset_required = $2, created_at = $3, password_changed_at = $4 WHERE user_id = $5`,
		p.PasswordHash, p.PasswordResetRequired, encTime(p.CreatedAt), encOptTime(p.PasswordChangedAt), p.UserID)
}

func (r loginProfiles) Delete(ctx context.Context, userID string) error {
	return execOne(ctx, r.q, "delete login profile "+userID, `DELETE FROM login_profiles WHERE user_id = $1`, userID)
}

// encOptTime is "" for the zero time (a column that predates the value).
func encOptTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return encTime(t)
}
