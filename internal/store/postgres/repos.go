package postgres

import (
	"context"

	"github.com/mantle-iam/mantle/internal/store"
)

// repos implements store.Repos over one querier; the Store's repos and a
// Tx's differ only in q, so every repository has a single code path.
type repos struct {
	q querier
	s *Store
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

// atomic runs a multi-statement write in a transaction: the current one
// inside Tx, a new one outside.
func (r *repos) atomic(ctx context.Context, fn func(q querier) error) error {
	if _, ok := r.q.(*txState); ok {
		return fn(r.q)
	}
	return r.s.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		return fn(tx.(*repos).q)
	})
}

// get runs a single-row query; no row is store.ErrNotFound.
func get[T any](ctx context.Context, q querier, scan func(scanner) (*T, error), what string, query string, args ...any) (*T, error) {
	v, err := scan(q.QueryRow(ctx, query, args...))
	if err != nil {
		q.observe(err)
		return nil, wrap(err, "get %s", what)
	}
	return v, nil
}

func list[T any](ctx context.Context, q querier, scan func(scanner) (*T, error), what string, query string, args ...any) (out []*T, err error) {
	defer func() {
		if err != nil {
			q.observe(err)
			out, err = nil, wrap(err, "list %s", what)
		}
	}()
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// exec runs a write; constraint failures become store errors.
func exec(ctx context.Context, q querier, what string, query string, args ...any) error {
	_, err := q.Exec(ctx, query, args...)
	return wrap(err, "%s", what)
}

// execOne runs an update or delete of one keyed row; no row is
// store.ErrNotFound.
func execOne(ctx context.Context, q querier, what string, query string, args ...any) error {
	tag, err := q.Exec(ctx, query, args...)
	if err != nil {
		return wrap(err, "%s", what)
	}
	if tag.RowsAffected() == 0 {
		return wrap(store.ErrNotFound, "%s", what)
	}
	return nil
}

func count(ctx context.Context, q querier, what string, query string, args ...any) (int, error) {
	var n int
	if err := q.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		q.observe(err)
		return 0, wrap(err, "count %s", what)
	}
	return n, nil
}
