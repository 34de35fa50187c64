package sqlstore

import (
	"context"

	"github.com/mantle-iam/mantle/internal/store"
)

type groups struct{ *Repos }

const groupCols = `g.id, g.account_id, g.name, g.path, g.created_at`

func scanGroup(sc scanner) (*store.Group, error) {
	var g store.Group
	var created string
	if err := sc.Scan(&g.ID, &g.AccountID, &g.Name, &g.Path, &created); err != nil {
		return nil, err
	}
	var err error
	g.CreatedAt, err = decTime(created)
	return &g, err
}

func (r groups) Create(ctx context.Context, g *store.Group) error {
	return r.createCounted(ctx, store.CountGroups, g.AccountID, g.ID, func(q conn) error {
		return exec(ctx, q, "create group "+g.Name,
			`INSERT INTO groups (id, account_id, name, name_lower, path, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			g.ID, g.AccountID, g.Name, lower(g.Name), g.Path, encTime(g.CreatedAt))
	})
}

func (r groups) Get(ctx context.Context, accountID, name string) (*store.Group, error) {
	return get(ctx, r.q, scanGroup, "group "+name,
		`SELECT `+groupCols+` FROM groups g WHERE g.account_id = $1 AND g.name_lower = $2`, accountID, lower(name))
}

func (r groups) GetByID(ctx context.Context, id string) (*store.Group, error) {
	return get(ctx, r.q, scanGroup, "group "+id, `SELECT `+groupCols+` FROM groups g WHERE g.id = $1`, id)
}

func (r groups) Update(ctx context.Context, g *store.Group) error {
	return execOne(ctx, r.q, "update group "+g.ID,
		`UPDATE groups SET name = $1, name_lower = $2, path = $3, created_at = $4 WHERE id = $5`,
		g.Name, lower(g.Name), g.Path, encTime(g.CreatedAt), g.ID)
}

func (r groups) Delete(ctx context.Context, id string) error {
	return r.deleteCounted(ctx, "groups", store.CountGroups, id)
}

func (r groups) List(ctx context.Context, accountID string, opt store.ListOptions) ([]*store.Group, error) {
	prefix := pathPrefix(opt.PathPrefix)
	return list(ctx, r.q, scanGroup, "groups",
		`SELECT `+groupCols+` FROM groups g
		WHERE g.account_id = $1 AND `+pathCond("g.path", 2, prefix)+` AND g.name_lower > $3
		ORDER BY g.name_lower LIMIT $4`,
		accountID, prefix, opt.After, limitArg(opt.Limit))
}

func (r groups) Count(ctx context.Context, accountID string) (int, error) {
	return countOf(ctx, r.q, store.CountGroups, accountID)
}

func (r groups) AddMember(ctx context.Context, groupID, userID string) error {
	// DO NOTHING on the key alone, so a missing user or group still
	// fails its foreign key.
	return exec(ctx, r.q, "add "+userID+" to group "+groupID,
		`INSERT INTO group_members (group_id, user_id, user_name_lower)
		VALUES ($1, $2, coalesce((SELECT name_lower FROM users WHERE id = $2), ''))
		ON CONFLICT (group_id, user_id) DO NOTHING`,
		groupID, userID)
}

func (r groups) RemoveMember(ctx context.Context, groupID, userID string) error {
	return execOne(ctx, r.q, "remove "+userID+" from group "+groupID,
		`DELETE FROM group_members WHERE group_id = $1 AND user_id = $2`, groupID, userID)
}

func (r groups) ListMembers(ctx context.Context, groupID string, opt store.ListOptions) ([]*store.User, error) {
	return list(ctx, r.q, scanUser, "members of group "+groupID,
		`SELECT `+userCols+` FROM group_members m JOIN users u ON u.id = m.user_id
		WHERE m.group_id = $1 AND `+pathCond("u.path", 2, pathPrefix(opt.PathPrefix))+` AND m.user_name_lower > $3
		ORDER BY m.user_name_lower LIMIT $4`,
		groupID, pathPrefix(opt.PathPrefix), opt.After, limitArg(opt.Limit))
}

func (r groups) ListForUser(ctx context.Context, userID string, opt store.ListOptions) ([]*store.Group, error) {
	return list(ctx, r.q, scanGroup, "groups of user "+userID,
		`SELECT `+groupCols+` FROM group_members m JOIN groups g ON g.id = m.group_id
		WHERE m.user_id = $1 AND `+pathCond("g.path", 2, pathPrefix(opt.PathPrefix))+` AND g.name_lower > $3
		ORDER BY g.name_lower LIMIT $4`,
		userID, pathPrefix(opt.PathPrefix), opt.After, limitArg(opt.Limit))
}
