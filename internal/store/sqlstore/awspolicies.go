package sqlstore

import (
	"context"
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
