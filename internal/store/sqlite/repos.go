package sqlite

import (
	"context"

	"github.com/mantle-iam/mantle/internal/store"
)

// repos implements store.Repos over one querier; the Store's repos and a
// Tx's differ only in q (and in how atomic gets a transaction), so every
// repository has a single code path.
type repos struct {
	q querier
	// atomic runs fn in a transaction: the current one inside Tx, a new
	// one outside. Multi-statement writes go through it.
	atomic func(ctx context.Context, fn func(q querier) error) error
}

func (r *repos) Accounts() store.Accounts                 { return accounts{r} }
func (r *repos) Users() store.Users                       { return users{r} }
func (r *repos) AccessKeys() store.AccessKeys             { return accessKeys{r} }
func (r *repos) LoginProfiles() store.LoginProfiles       { return loginProfiles{r} }
func (r *repos) Groups() store.Groups                     { return groups{r} }
func (r *repos) Roles() store.Roles                       { return roles{r} }
func (r *repos) Policies() store.Policies                 { return policies{r} }
func (r *repos) Attachments() store.Attachments           { return attachments{r} }
func (r *repos) InlinePolicies() store.InlinePolicies     { return inlinePolicies{r} }
func (r *repos) InstanceProfiles() store.InstanceProfiles { return instanceProfiles{r} }
func (r *repos) MFADevices() store.MFADevices             { return mfaDevices{r} }
func (r *repos) OIDCProviders() store.OIDCProviders       { return oidcProviders{r} }
func (r *repos) SAMLProviders() store.SAMLProviders       { return samlProviders{r} }
func (r *repos) Organizations() store.Organizations       { return organizations{r} }
func (r *repos) SigningKeys() store.SigningKeys           { return signingKeys{r} }
func (r *repos) Events() store.Events                     { return events{r} }

// get runs a single-row query; no row is store.ErrNotFound.
func get[T any](ctx context.Context, q querier, scan func(scanner) (*T, error), what string, query string, args ...any) (*T, error) {
	v, err := scan(q.QueryRowContext(ctx, query, args...))
	if err != nil {
		return nil, wrap(err, "get %s", what)
	}
	return v, nil
}

func list[T any](ctx context.Context, q querier, scan func(scanner) (*T, error), what string, query string, args ...any) ([]*T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrap(err, "list %s", what)
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, wrap(err, "list %s", what)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "list %s", what)
	}
	return out, nil
}

// exec runs a write; constraint failures become store errors.
func exec(ctx context.Context, q querier, what string, query string, args ...any) error {
	_, err := q.ExecContext(ctx, query, args...)
	return wrap(err, "%s", what)
}

// execOne runs an update or delete of one keyed row; no row is
// store.ErrNotFound.
func execOne(ctx context.Context, q querier, what string, query string, args ...any) error {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return wrap(err, "%s", what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(err, "%s", what)
	}
	if n == 0 {
		return wrap(store.ErrNotFound, "%s", what)
	}
	return nil
}

func count(ctx context.Context, q querier, what string, query string, args ...any) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, wrap(err, "count %s", what)
	}
	return n, nil
}

// pathPrefix normalizes ListOptions.PathPrefix: "/" matches every path, so
// it is treated as no filter.
func pathPrefix(p string) string {
	if p == "/" {
		return ""
	}
	return p
}
