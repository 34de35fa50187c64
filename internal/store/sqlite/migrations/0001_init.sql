-- Conventions:
--   * Times are TEXT in a fixed-width UTC format (see timeLayout in codec.go)
--     so they sort and compare as strings and round-trip to the nanosecond.
--   * Optional references are stored as '' (as the Go structs carry them) and
--     exposed to the foreign-key machinery through a VIRTUAL generated column
--     that is NULL when the reference is absent. That keeps the Go mapping
--     trivial while still making a dangling reference impossible.
--   * name_lower is computed in Go (strings.ToLower) rather than with SQL
--     lower(), which only folds ASCII; callers page with After computed the
--     same way, so the two must agree.
--   * Rows that are small and looked up by key on hot paths are WITHOUT ROWID
--     so a lookup is one B-tree descent instead of index + table.

CREATE TABLE organizations (
    id                    TEXT PRIMARY KEY,
    arn                   TEXT NOT NULL,
    management_account_id TEXT NOT NULL REFERENCES accounts (id),
    feature_set           TEXT NOT NULL,
    root_id               TEXT NOT NULL,
    created_at            TEXT NOT NULL
);

CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    email           TEXT NOT NULL,
    alias           TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    organization_id TEXT NOT NULL DEFAULT '',
    org_ref         TEXT GENERATED ALWAYS AS (NULLIF(organization_id, '')) VIRTUAL
                    REFERENCES organizations (id),
    joined_method   TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    -- JSON; NULL when the account has no password policy.
    password_policy TEXT
);
-- Aliases are unique across accounts, but most accounts have none.
CREATE UNIQUE INDEX accounts_alias ON accounts (alias) WHERE alias <> '';
CREATE INDEX accounts_org ON accounts (org_ref);
CREATE INDEX organizations_management ON organizations (management_account_id);

CREATE TABLE create_account_statuses (
    id              TEXT PRIMARY KEY,
    -- The statuses have no delete of their own in the store API, so they go
    -- with their organization.
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_name    TEXT NOT NULL,
    state           TEXT NOT NULL,
    account_id      TEXT NOT NULL DEFAULT '',
    failure_reason  TEXT NOT NULL DEFAULT '',
    requested_at    TEXT NOT NULL,
    completed_at    TEXT
);
CREATE INDEX create_account_statuses_org ON create_account_statuses (organization_id, requested_at);

CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    account_id           TEXT NOT NULL REFERENCES accounts (id),
    name                 TEXT NOT NULL,
    name_lower           TEXT NOT NULL,
    path                 TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    permissions_boundary TEXT NOT NULL DEFAULT '',
    tags                 TEXT NOT NULL DEFAULT '[]',
    password_last_used   TEXT
) WITHOUT ROWID;
CREATE UNIQUE INDEX users_name ON users (account_id, name_lower);

CREATE TABLE access_keys (
    id                TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    -- '' for the root user's keys.
    user_id           TEXT NOT NULL DEFAULT '',
    user_ref          TEXT GENERATED ALWAYS AS (NULLIF(user_id, '')) VIRTUAL
                      REFERENCES users (id),
    secret            BLOB NOT NULL,
    status            TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    last_used_at      TEXT,
    last_used_service TEXT NOT NULL DEFAULT '',
    last_used_region  TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX access_keys_owner ON access_keys (account_id, user_id, created_at);
CREATE INDEX access_keys_user_ref ON access_keys (user_ref);

CREATE TABLE login_profiles (
    user_id                 TEXT PRIMARY KEY REFERENCES users (id),
    password_hash           TEXT NOT NULL,
    password_reset_required INTEGER NOT NULL,
    created_at              TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE groups (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    path       TEXT NOT NULL,
    created_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX groups_name ON groups (account_id, name_lower);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups (id),
    user_id  TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members (user_id, group_id);

CREATE TABLE roles (
    id                   TEXT PRIMARY KEY,
    account_id           TEXT NOT NULL REFERENCES accounts (id),
    name                 TEXT NOT NULL,
    name_lower           TEXT NOT NULL,
    path                 TEXT NOT NULL,
    trust_policy         TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    max_session_duration INTEGER NOT NULL,
    permissions_boundary TEXT NOT NULL DEFAULT '',
    tags                 TEXT NOT NULL DEFAULT '[]',
    created_at           TEXT NOT NULL,
    last_used_at         TEXT,
    last_used_region     TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX roles_name ON roles (account_id, name_lower);

CREATE TABLE policies (
    id                   TEXT PRIMARY KEY,
    -- 'aws' for AWS managed policies, which belong to no account row.
    account_id           TEXT NOT NULL,
    account_ref          TEXT GENERATED ALWAYS AS (NULLIF(account_id, 'aws')) VIRTUAL
                         REFERENCES accounts (id),
    name                 TEXT NOT NULL,
    name_lower           TEXT NOT NULL,
    path                 TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    default_version_id   TEXT NOT NULL,
    next_version         INTEGER NOT NULL,
    attachment_count     INTEGER NOT NULL DEFAULT 0,
    boundary_usage_count INTEGER NOT NULL DEFAULT 0,
    tags                 TEXT NOT NULL DEFAULT '[]',
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
CREATE UNIQUE INDEX policies_name ON policies (account_id, name_lower);

CREATE TABLE policy_versions (
    policy_id  TEXT NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    version_id TEXT NOT NULL,
    document   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (policy_id, version_id)
);

-- Attachments and inline policies point at a user, group or role. The
-- entity_type/entity_id pair is what the API speaks; the three generated
-- columns give each kind its own foreign key.
CREATE TABLE attachments (
    entity_type TEXT NOT NULL CHECK (entity_type IN ('User', 'Group', 'Role')),
    entity_id   TEXT NOT NULL,
    policy_id   TEXT NOT NULL REFERENCES policies (id),
    user_ref    TEXT GENERATED ALWAYS AS (CASE entity_type WHEN 'User' THEN entity_id END) VIRTUAL
                REFERENCES users (id),
    group_ref   TEXT GENERATED ALWAYS AS (CASE entity_type WHEN 'Group' THEN entity_id END) VIRTUAL
                REFERENCES groups (id),
    role_ref    TEXT GENERATED ALWAYS AS (CASE entity_type WHEN 'Role' THEN entity_id END) VIRTUAL
                REFERENCES roles (id),
    PRIMARY KEY (entity_type, entity_id, policy_id)
) WITHOUT ROWID;
CREATE INDEX attachments_policy ON attachments (policy_id);
CREATE INDEX attachments_user_ref ON attachments (user_ref);
CREATE INDEX attachments_group_ref ON attachments (group_ref);
CREATE INDEX attachments_role_ref ON attachments (role_ref);

CREATE TABLE inline_policies (
    entity_type TEXT NOT NULL CHECK (entity_type IN ('User', 'Group', 'Role')),
    entity_id   TEXT NOT NULL,
    name        TEXT NOT NULL,
    name_lower  TEXT NOT NULL,
    document    TEXT NOT NULL,
    user_ref    TEXT GENERATED ALWAYS AS (CASE entity_type WHEN 'User' THEN entity_id END) VIRTUAL
                REFERENCES users (id),
    group_ref   TEXT GENERATED ALWAYS AS (CASE entity_type WHEN 'Group' THEN entity_id END) VIRTUAL
                REFERENCES groups (id),
    role_ref    TEXT GENERATED ALWAYS AS (CASE entity_type WHEN 'Role' THEN entity_id END) VIRTUAL
                REFERENCES roles (id),
    PRIMARY KEY (entity_type, entity_id, name_lower)
) WITHOUT ROWID;
CREATE INDEX inline_policies_user_ref ON inline_policies (user_ref);
CREATE INDEX inline_policies_group_ref ON inline_policies (group_ref);
CREATE INDEX inline_policies_role_ref ON inline_policies (role_ref);

CREATE TABLE instance_profiles (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    path       TEXT NOT NULL,
    role_id    TEXT NOT NULL DEFAULT '',
    role_ref   TEXT GENERATED ALWAYS AS (NULLIF(role_id, '')) VIRTUAL REFERENCES roles (id),
    tags       TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX instance_profiles_name ON instance_profiles (account_id, name_lower);
CREATE INDEX instance_profiles_role_ref ON instance_profiles (role_ref);

CREATE TABLE mfa_devices (
    serial_number TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    name          TEXT NOT NULL,
    path          TEXT NOT NULL,
    seed          BLOB NOT NULL,
    -- '' until enabled; the account ID when it is the root user's device,
    -- which has no users row to reference.
    user_id       TEXT NOT NULL DEFAULT '',
    user_ref      TEXT GENERATED ALWAYS AS (
                      CASE WHEN user_id = '' OR user_id = account_id THEN NULL ELSE user_id END
                  ) VIRTUAL REFERENCES users (id),
    enabled_at    TEXT,
    last_counter  INTEGER NOT NULL DEFAULT 0,
    tags          TEXT NOT NULL DEFAULT '[]',
    created_at    TEXT NOT NULL
);
CREATE INDEX mfa_devices_account ON mfa_devices (account_id, serial_number);
CREATE INDEX mfa_devices_user ON mfa_devices (user_id);
CREATE INDEX mfa_devices_user_ref ON mfa_devices (user_ref);

CREATE TABLE oidc_providers (
    arn          TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    url          TEXT NOT NULL,
    client_ids   TEXT NOT NULL DEFAULT '[]',
    thumbprints  TEXT NOT NULL DEFAULT '[]',
    tags         TEXT NOT NULL DEFAULT '[]',
    created_at   TEXT NOT NULL
);
CREATE INDEX oidc_providers_account ON oidc_providers (account_id, arn);

CREATE TABLE saml_providers (
    arn         TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    metadata    TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    tags        TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL
);
CREATE INDEX saml_providers_account ON saml_providers (account_id, arn);

CREATE TABLE signing_keys (
    id         TEXT PRIMARY KEY,
    material   BLOB NOT NULL,
    active     INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX signing_keys_created ON signing_keys (created_at);
