package sqlstore

import (
	"context"
	"database/sql"

	"github.com/mantle-iam/mantle/internal/store"
)

type users struct{ *Repos }

const userCols = `u.id, u.account_id, u.name, u.path, u.created_at, u.permissions_boundary, u.tags, u.password_last_used`

func scanUser(sc scanner) (*store.User, error) {
	var u store.User
	var created, tags string
	var lastUsed sql.NullString
	if err := sc.Scan(&u.ID, &u.AccountID, &u.Name, &u.Path, &created, &u.PermissionsBoundary, &tags, &lastUsed); err != nil {
		return nil, err
	}
	var err error
	if u.CreatedAt, err = decTime(created); err != nil {
		return nil, err
	}
	if u.Tags, err = decTags(tags); err != nil {
		return nil, err
	}
	if u.PasswordLastUsed, err = decTimePtr(lastUsed); err != nil {
		return nil, err
	}
	return &u, nil
}

func (r users) Create(ctx context.Context, u *store.User) error {
	tags, err := encJSON(u.Tags)
	if err != nil {
		return err
	}
	return r.createCounted(ctx, store.CountUsers, u.AccountID, u.ID, func(q conn) error {
		return exec(ctx, q, "create user "+u.Name,
			`INSERT INTO users (id, account_id, name, name_lower, path, created_at, permissions_boundary, tags, password_last_used)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			u.ID, u.AccountID, u.Name, lower(u.Name), u.Path, encTime(u.CreatedAt), u.PermissionsBoundary, tags, encTimePtr(u.PasswordLastUsed))
	})
}

func (r users) Get(ctx context.Context, accountID, name string) (*store.User, error) {
	return get(ctx, r.q, scanUser, "user "+name,
		`SELECT `+userCols+` FROM users u WHERE u.account_id = $1 AND u.name_lower = $2`, accountID, lower(name))
}

func (r users) GetByID(ctx context.Context, id string) (*store.User, error) {
	return get(ctx, r.q, scanUser, "user "+id, `SELECT `+userCols+` FROM users u WHERE u.id = $1`, id)
}

func (r users) Update(ctx context.Context, u *store.User) error {
	tags, err := encJSON(u.Tags)
	if err != nil {
		return err
	}
	// account_id is not rewritten: a user never moves between accounts.
	// Memberships keep the name their group lists members by.
	return r.inTx(ctx, func(q conn) error {
		if err := execOne(ctx, q, "update user "+u.ID,
			`UPDATE users SET name = $1, name_lower = $2, path = $3, created_at = $4, permissions_boundary = $5, tags = $6, password_last_used = $7
			WHERE id = $8`,
			u.Name, lower(u.Name), u.Path, encTime(u.CreatedAt), u.PermissionsBoundary, tags, encTimePtr(u.PasswordLastUsed), u.ID); err != nil {
			return err
		}
		return exec(ctx, q, "rename memberships of "+u.ID,
			`UPDATE group_members SET user_name_lower = $1 WHERE user_id = $2 AND user_name_lower <> $1`, lower(u.Name), u.ID)
	})
}

func (r users) Delete(ctx context.Context, id string) error {
	return r.deleteCounted(ctx, "users", store.CountUsers, id)
}

func (r users) List(ctx context.Context, accountID string, opt store.ListOptions) ([]*store.User, error) {
	prefix := pathPrefix(opt.PathPrefix)
	return list(ctx, r.q, scanUser, "users",
		`SELECT `+userCols+` FROM users u
		WHERE u.account_id = $1 AND `+pathCond("u.path", 2, prefix)+` AND u.name_lower > $3
		ORDER BY u.name_lower LIMIT $4`,
		accountID, prefix, opt.After, limitArg(opt.Limit))
}

func (r users) Count(ctx context.Context, accountID string) (int, error) {
	return countOf(ctx, r.q, store.CountUsers, accountID)
}
