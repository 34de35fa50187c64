package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

type awsPolicies struct{ *Repos }

func (r *Repos) AWSPolicies() store.AWSPolicies { return awsPolicies{r} }

func (r awsPolicies) Digest(ctx context.Context) (string, error) {
	// An aggregate always answers one row: no "no rows" error to tell
	// apart from a failure.
	var d string
	err := r.q.QueryRow(ctx, `SELECT coalesce(max(digest), '') FROM aws_policy_catalog`).Scan(&d)
	return d, r.q.d.Wrap(err, "get AWS managed policy digest")
}

func (r awsPolicies) SetDigest(ctx context.Context, digest string, at time.Time) error {
	return exec(ctx, r.q, "set AWS managed policy digest",
		`INSERT INTO aws_policy_catalog (id, digest, loaded_at) VALUES (1, $1, $2)
		ON CONFLICT (id) DO UPDATE SET digest = excluded.digest, loaded_at = excluded.loaded_at`,
		digest, encTime(at))
}

// AddUse upserts the counts, clamped at 0, and drops the row once both are
// 0 so the table holds only what accounts use.
func (r awsPolicies) AddUse(ctx context.Context, accountID, policyName string, attachments, boundaries int) error {
	name := lower(policyName)
	return r.inTx(ctx, func(q conn) error {
		if err := exec(ctx, q, "count use of AWS managed policy "+name+" in "+accountID,
			`INSERT INTO aws_policy_usage (account_id, policy_name_lower, attachment_count, boundary_usage_count)
			VALUES ($1, $2, CASE WHEN $3 > 0 THEN $3 ELSE 0 END, CASE WHEN $4 > 0 THEN $4 ELSE 0 END)
			ON CONFLICT (account_id, policy_name_lower) DO UPDATE SET
				attachment_count = CASE WHEN aws_policy_usage.attachment_count + $3 > 0 THEN aws_policy_usage.attachment_count + $3 ELSE 0 END,
				boundary_usage_count = CASE WHEN aws_policy_usage.boundary_usage_count + $4 > 0 THEN aws_policy_usage.boundary_usage_count + $4 ELSE 0 END`,
			accountID, name, attachments, boundaries); err != nil {
			return err
		}
		return exec(ctx, q, "drop unused AWS managed policy "+name+" in "+accountID,
			`DELETE FROM aws_policy_usage WHERE account_id = $1 AND policy_name_lower = $2
			AND attachment_count = 0 AND boundary_usage_count = 0`, accountID, name)
	})
}

func (r awsPolicies) Use(ctx context.Context, accountID, policyName string) (store.AWSPolicyUse, error) {
	u := store.AWSPolicyUse{AccountID: accountID, PolicyName: lower(policyName)}
	err := r.q.QueryRow(ctx, `SELECT coalesce(max(attachment_count), 0), coalesce(max(boundary_usage_count), 0)
		FROM aws_policy_usage WHERE account_id = $1 AND policy_name_lower = $2`, accountID, u.PolicyName).Scan(&u.Attachments, &u.Boundaries)
	return u, r.q.d.Wrap(err, "get use of AWS managed policy %s in %s", u.PolicyName, accountID)
}

func (r awsPolicies) ListUsed(ctx context.Context, accountID string, opt store.ListOptions) ([]*store.ManagedPolicy, error) {
	return list(ctx, r.q, scanPolicy, "AWS managed policies used in "+accountID,
		`SELECT p.id, p.account_id, p.name, p.path, p.description, p.default_version_id, p.next_version,
			u.attachment_count, u.boundary_usage_count, p.tags, p.created_at, p.updated_at
		FROM aws_policy_usage u JOIN policies p ON p.account_id = 'aws' AND p.name_lower = u.policy_name_lower
		WHERE u.account_id = $1 AND u.policy_name_lower > $2 AND substr(p.path, 1, length(CAST($3 AS TEXT))) = $3
		ORDER BY u.policy_name_lower LIMIT $4`,
		accountID, opt.After, pathPrefix(opt.PathPrefix), limitArg(opt.Limit))
}

type jobs struct{ *Repos }

func (r *Repos) Jobs() store.Jobs { return jobs{r} }

func (r jobs) Put(ctx context.Context, j *store.Job) error {
	return exec(ctx, r.q, "put job "+j.ID,
		`INSERT INTO iam_jobs (account_id, id, kind, status, params, result, created_at, completed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (account_id, id) DO UPDATE SET kind = excluded.kind, status = excluded.status, params = excluded.params,
			result = excluded.result, created_at = excluded.created_at, completed_at = excluded.completed_at`,
		j.AccountID, j.ID, j.Kind, j.Status, j.Params, j.Result, encTime(j.CreatedAt), encTimePtr(j.CompletedAt))
}

func scanJob(sc scanner) (*store.Job, error) {
	var j store.Job
	var created string
	var completed sql.NullString
	if err := sc.Scan(&j.AccountID, &j.ID, &j.Kind, &j.Status, &j.Params, &j.Result, &created, &completed); err != nil {
		return nil, err
	}
	var err error
	if j.CreatedAt, err = decTime(created); err != nil {
		return nil, err
	}
	j.CompletedAt, err = decTimePtr(completed)
	return &j, err
}

func (r jobs) Get(ctx context.Context, accountID, id string) (*store.Job, error) {
	return get(ctx, r.q, scanJob, "job "+id,
		`SELECT account_id, id, kind, status, params, result, created_at, completed_at FROM iam_jobs
		WHERE account_id = $1 AND id = $2`, accountID, id)
}
