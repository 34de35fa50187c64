package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mantle-iam/mantle/internal/store"
)

type accounts struct{ *Repos }

const accountCols = `id, name, email, alias, created_at, organization_id, joined_method, status, password_policy, root_password_hash`

func scanAccount(sc scanner) (*store.Account, error) {
	var a store.Account
	var created string
	var pp []byte
	if err := sc.Scan(&a.ID, &a.Name, &a.Email, &a.Alias, &created, &a.OrganizationID, &a.JoinedMethod, &a.Status, &pp, &a.RootPasswordHash); err != nil {
		return nil, err
	}
	var err error
	if a.CreatedAt, err = decTime(created); err != nil {
		return nil, err
	}
	if pp != nil {
		a.PasswordPolicy = new(store.PasswordPolicy)
		if err := json.Unmarshal(pp, a.PasswordPolicy); err != nil {
			return nil, err
		}
	}
	return &a, nil
}

// encPasswordPolicy maps "no policy" to SQL NULL.
func encPasswordPolicy(p *store.PasswordPolicy) (any, error) {
	if p == nil {
		return nil, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func (r accounts) Create(ctx context.Context, a *store.Account) error {
	pp, err := encPasswordPolicy(a.PasswordPolicy)
	if err != nil {
		return fmt.Errorf("store: create account %s: %w", a.ID, err)
	}
	return exec(ctx, r.q, "create account "+a.ID,
		`INSERT INTO accounts (`+accountCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		a.ID, a.Name, a.Email, a.Alias, encTime(a.CreatedAt), a.OrganizationID, a.JoinedMethod, a.Status, pp, a.RootPasswordHash)
}

func (r accounts) Get(ctx context.Context, id string) (*store.Account, error) {
	return get(ctx, r.q, scanAccount, "account "+id,
		`SELECT `+accountCols+` FROM accounts WHERE id = $1`, id)
}

func (r accounts) GetByAlias(ctx context.Context, alias string) (*store.Account, error) {
	// alias <> '' lets the partial unique index serve the lookup and keeps
	// "" from matching every account without one.
	return get(ctx, r.q, scanAccount, "account alias "+alias,
		`SELECT `+accountCols+` FROM accounts WHERE alias = $1 AND alias <> ''`, alias)
}

func (r accounts) GetByRootEmail(ctx context.Context, email string) (*store.Account, error) {
	// The predicate matches the partial expression index accounts_root_email.
	return get(ctx, r.q, scanAccount, "account of root email "+email,
		`SELECT `+accountCols+` FROM accounts WHERE lower(email) = lower($1) AND root_password_hash <> '' ORDER BY id LIMIT 1`, email)
}

func (r accounts) Update(ctx context.Context, a *store.Account) error {
	pp, err := encPasswordPolicy(a.PasswordPolicy)
	if err != nil {
		return fmt.Errorf("store: update account %s: %w", a.ID, err)
	}
	return execOne(ctx, r.q, "update account "+a.ID,
		`UPDATE accounts SET name = $1, email = $2, alias = $3, created_at = $4, organization_id = $5,
			joined_method = $6, status = $7, password_policy = $8, root_password_hash = $9
		WHERE id = $10`,
		a.Name, a.Email, a.Alias, encTime(a.CreatedAt), a.OrganizationID, a.JoinedMethod, a.Status, pp, a.RootPasswordHash, a.ID)
}

func (r accounts) List(ctx context.Context) ([]*store.Account, error) {
	return list(ctx, r.q, scanAccount, "accounts", `SELECT `+accountCols+` FROM accounts ORDER BY id`)
}
