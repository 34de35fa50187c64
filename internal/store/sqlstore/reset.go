package sqlstore

import (
	"context"
	"fmt"
	"slices"
)

// resetSteps empty the database but for what a first start creates: the
// account keep with its root keys, the AWS managed policies, the token
// keys. Children go before their parents, so no foreign key refuses a step.
var resetSteps = []struct{ table, sql string }{
	{"event_resources", `DELETE FROM event_resources`},
	{"event_pack_keys", `DELETE FROM event_pack_keys`},
	{"event_packs", `DELETE FROM event_packs`},
	{"events", `DELETE FROM events`},
	{"org_policy_attachments", `DELETE FROM org_policy_attachments`},
	{"org_policies", `DELETE FROM org_policies`},
	{"org_settings", `DELETE FROM org_settings`},
	{"org_tags", `DELETE FROM org_tags`},
	{"org_handshakes", `DELETE FROM org_handshakes`},
	{"account_parents", `DELETE FROM account_parents`},
	{"create_account_statuses", `DELETE FROM create_account_statuses`},
	{"organizational_units", `DELETE FROM organizational_units`},
	{"group_members", `DELETE FROM group_members`},
	{"attachments", `DELETE FROM attachments`},
	{"inline_policies", `DELETE FROM inline_policies`},
	{"login_profiles", `DELETE FROM login_profiles`},
	{"mfa_devices", `DELETE FROM mfa_devices`},
	{"instance_profiles", `DELETE FROM instance_profiles`},
	{"access_keys", `DELETE FROM access_keys WHERE NOT (account_id = $1 AND user_id = '')`},
	{"user_credentials", `DELETE FROM user_credentials`},
	{"server_certificates", `DELETE FROM server_certificates`},
	{"account_settings", `DELETE FROM account_settings`},
	{"aws_policy_usage", `DELETE FROM aws_policy_usage`},
	{"iam_jobs", `DELETE FROM iam_jobs`},
	{"users", `DELETE FROM users`},
	{"groups", `DELETE FROM groups`},
	{"roles", `DELETE FROM roles`},
	{"policy_versions", `DELETE FROM policy_versions WHERE policy_id IN (SELECT id FROM policies WHERE account_id <> 'aws')`},
	{"policies", `DELETE FROM policies WHERE account_id <> 'aws'`},
	{"policies", `UPDATE policies SET attachment_count = 0, boundary_usage_count = 0`},
	{"oidc_providers", `DELETE FROM oidc_providers`},
	{"saml_providers", `DELETE FROM saml_providers`},
	{"accounts", `UPDATE accounts SET organization_id = '', joined_method = ''`},
	{"organizations", `DELETE FROM organizations`},
	{"accounts", `DELETE FROM accounts WHERE id <> $1`},
	{"accounts", `UPDATE accounts SET alias = '', password_policy = NULL WHERE id = $1`},
}

// resetKept are the tables a reset leaves alone: the schema's version,
// the token keys (sessions issued before stay verifiable; they name
// nothing that exists any more), the PostgreSQL nodes' leases, the digest
// of the AWS managed policies held (they are kept).
var resetKept = []string{"schema_migrations", "signing_keys", "nodes", "aws_policy_catalog"}

// Reset empties the database back to its first-start state, keeping the
// account keep (its ID, name and root keys). listTables is the dialect's
// query of its catalog for the schema's tables: a table Reset does not
// know of fails it, so a new table cannot survive a reset unnoticed.
func Reset(ctx context.Context, q Querier, d *Dialect, listTables, keep string) error {
	rows, err := q.Query(ctx, listTables)
	if err != nil {
		return d.Wrap(err, "reset: list tables")
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return d.Wrap(err, "reset: list tables")
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d.Wrap(err, "reset: list tables")
	}
	known := slices.Clone(resetKept)
	for _, s := range resetSteps {
		known = append(known, s.table)
	}
	for _, t := range tables {
		if !slices.Contains(known, t) {
			return fmt.Errorf("%s: reset does not know table %s: add it to sqlstore's resetSteps or resetKept", d.Name, t)
		}
	}
	for _, s := range resetSteps {
		if !slices.Contains(tables, s.table) {
			continue // a table only one backend has (SQLite's event packs)
		}
		var args []any
		if slices.Contains([]byte(s.sql), '$') {
			args = []any{keep}
		}
		if _, err := q.Exec(ctx, s.sql, args...); err != nil {
			return d.Wrap(err, "reset %s", s.table)
		}
	}
	return nil
}
