-- Conventions:
--   * Identifiers, names and anything a list orders by are text COLLATE "C":
--     the store contract orders byte-wise (Go's strings.Compare), whatever
--     the database's default collation is.
--   * name_lower is computed in Go (strings.ToLower), not with SQL lower(),
--     whose folding depends on the database's locale; callers page with
--     ListOptions.After computed the same way, so the two must agree.
--   * Times are text in a fixed-width UTC layout (timeLayout in codec.go):
--     timestamptz keeps microseconds, the store contract keeps every
--     nanosecond, and the fixed width makes text order instant order.
--   * Optional references are '' in the Go structs and so in these columns;
--     a STORED generated column that is NULL when the reference is absent
--     carries the foreign key, so no record can point at nothing.
--   * Tags and string lists are jsonb arrays (arrays keep their order).

CREATE TABLE accounts (
    id              text COLLATE "C" PRIMARY KEY,
    name            text NOT NULL,
    email           text NOT NULL,
    alias           text COLLATE "C" NOT NULL DEFAULT '',
    created_at      text COLLATE "C" NOT NULL,
    organization_id text COLLATE "C" NOT NULL DEFAULT '',
    org_ref         text COLLATE "C" GENERATED ALWAYS AS (NULLIF(organization_id, '')) STORED,
    joined_method   text NOT NULL DEFAULT '',
    status          text NOT NULL,
    -- NULL when the account has no password policy.
    password_policy jsonb
);
-- Aliases are unique across accounts, but most accounts have none.
CREATE UNIQUE INDEX accounts_alias ON accounts (alias) WHERE alias <> '';
CREATE INDEX accounts_org ON accounts (org_ref);

CREATE TABLE organizations (
    id                    text COLLATE "C" PRIMARY KEY,
    arn                   text NOT NULL,
    management_account_id text COLLATE "C" NOT NULL REFERENCES accounts (id),
    feature_set           text NOT NULL,
    root_id               text NOT NULL,
    created_at            text COLLATE "C" NOT NULL
);
CREATE INDEX organizations_management ON organizations (management_account_id);
ALTER TABLE accounts ADD FOREIGN KEY (org_ref) REFERENCES organizations (id);

CREATE TABLE create_account_statuses (
    id              text COLLATE "C" PRIMARY KEY,
    -- The statuses have no delete of their own in the store API, so they go
    -- with their organization.
    organization_id text COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_name    text NOT NULL,
    state           text NOT NULL,
    account_id      text NOT NULL DEFAULT '',
    failure_reason  text NOT NULL DEFAULT '',
    requested_at    text COLLATE "C" NOT NULL,
    completed_at    text COLLATE "C"
);
CREATE INDEX create_account_statuses_org ON create_account_statuses (organization_id, requested_at, id);

CREATE TABLE users (
    id                   text COLLATE "C" PRIMARY KEY,
    account_id           text COLLATE "C" NOT NULL REFERENCES accounts (id),
    name                 text NOT NULL,
    name_lower           text COLLATE "C" NOT NULL,
    path                 text COLLATE "C" NOT NULL,
    created_at           text COLLATE "C" NOT NULL,
    permissions_boundary text NOT NULL DEFAULT '',
    tags                 jsonb NOT NULL DEFAULT '[]',
    password_last_used   text COLLATE "C"
);
CREATE UNIQUE INDEX users_name ON users (account_id, name_lower);

CREATE TABLE access_keys (
    id                text COLLATE "C" PRIMARY KEY,
    account_id        text COLLATE "C" NOT NULL REFERENCES accounts (id),
    -- '' for the root user's keys.
    user_id           text COLLATE "C" NOT NULL DEFAULT '',
    user_ref          text COLLATE "C" GENERATED ALWAYS AS (NULLIF(user_id, '')) STORED REFERENCES users (id),
    secret            bytea NOT NULL,
    status            text NOT NULL,
    created_at        text COLLATE "C" NOT NULL,
    last_used_at      text COLLATE "C",
    last_used_service text NOT NULL DEFAULT '',
    last_used_region  text NOT NULL DEFAULT ''
);
CREATE INDEX access_keys_owner ON access_keys (account_id, user_id, created_at, id);
CREATE INDEX access_keys_user_ref ON access_keys (user_ref);

CREATE TABLE login_profiles (
    user_id                 text COLLATE "C" PRIMARY KEY REFERENCES users (id),
    password_hash           text NOT NULL,
    password_reset_required boolean NOT NULL,
    created_at              text COLLATE "C" NOT NULL
);

CREATE TABLE groups (
    id         text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES accounts (id),
    name       text NOT NULL,
    name_lower text COLLATE "C" NOT NULL,
    path       text COLLATE "C" NOT NULL,
    created_at text COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX groups_name ON groups (account_id, name_lower);

CREATE TABLE group_members (
    group_id text COLLATE "C" NOT NULL REFERENCES groups (id),
    user_id  text COLLATE "C" NOT NULL REFERENCES users (id),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id, group_id);

CREATE TABLE roles (
    id                   text COLLATE "C" PRIMARY KEY,
    account_id           text COLLATE "C" NOT NULL REFERENCES accounts (id),
    name                 text NOT NULL,
    name_lower           text COLLATE "C" NOT NULL,
    path                 text COLLATE "C" NOT NULL,
    trust_policy         text NOT NULL,
    description          text NOT NULL DEFAULT '',
    max_session_duration integer NOT NULL,
    permissions_boundary text NOT NULL DEFAULT '',
    tags                 jsonb NOT NULL DEFAULT '[]',
    created_at           text COLLATE "C" NOT NULL,
    last_used_at         text COLLATE "C",
    last_used_region     text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX roles_name ON roles (account_id, name_lower);

CREATE TABLE policies (
    id                   text COLLATE "C" PRIMARY KEY,
    -- 'aws' for AWS managed policies, which belong to no account row.
    account_id           text COLLATE "C" NOT NULL,
    account_ref          text COLLATE "C" GENERATED ALWAYS AS (NULLIF(account_id, 'aws')) STORED
                         REFERENCES accounts (id),
    name                 text NOT NULL,
    name_lower           text COLLATE "C" NOT NULL,
    path                 text COLLATE "C" NOT NULL,
    description          text NOT NULL DEFAULT '',
    default_version_id   text NOT NULL,
    next_version         integer NOT NULL,
    attachment_count     integer NOT NULL DEFAULT 0,
    boundary_usage_count integer NOT NULL DEFAULT 0,
    tags                 jsonb NOT NULL DEFAULT '[]',
    created_at           text COLLATE "C" NOT NULL,
    updated_at           text COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX policies_name ON policies (account_id, name_lower);
CREATE INDEX policies_account_ref ON policies (account_ref);

CREATE TABLE policy_versions (
    policy_id  text COLLATE "C" NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    version_id text COLLATE "C" NOT NULL,
    document   text NOT NULL,
    created_at text COLLATE "C" NOT NULL,
    PRIMARY KEY (policy_id, version_id)
);

-- Attachments and inline policies point at a user, group or role. The
-- entity_type/entity_id pair is what the API speaks; the three generated
-- columns give each kind its own foreign key.
CREATE TABLE attachments (
    entity_type text COLLATE "C" NOT NULL CHECK (entity_type IN ('User', 'Group', 'Role')),
    entity_id   text COLLATE "C" NOT NULL,
    policy_id   text COLLATE "C" NOT NULL REFERENCES policies (id),
    user_ref    text COLLATE "C" GENERATED ALWAYS AS (CASE entity_type WHEN 'User' THEN entity_id END) STORED
                REFERENCES users (id),
    group_ref   text COLLATE "C" GENERATED ALWAYS AS (CASE entity_type WHEN 'Group' THEN entity_id END) STORED
                REFERENCES groups (id),
    role_ref    text COLLATE "C" GENERATED ALWAYS AS (CASE entity_type WHEN 'Role' THEN entity_id END) STORED
                REFERENCES roles (id),
    PRIMARY KEY (entity_type, entity_id, policy_id)
);
CREATE INDEX attachments_policy ON attachments (policy_id);
CREATE INDEX attachments_user_ref ON attachments (user_ref);
CREATE INDEX attachments_group_ref ON attachments (group_ref);
CREATE INDEX attachments_role_ref ON attachments (role_ref);

CREATE TABLE inline_policies (
    entity_type text COLLATE "C" NOT NULL CHECK (entity_type IN ('User', 'Group', 'Role')),
    entity_id   text COLLATE "C" NOT NULL,
    name        text NOT NULL,
    name_lower  text COLLATE "C" NOT NULL,
    document    text NOT NULL,
    user_ref    text COLLATE "C" GENERATED ALWAYS AS (CASE entity_type WHEN 'User' THEN entity_id END) STORED
                REFERENCES users (id),
    group_ref   text COLLATE "C" GENERATED ALWAYS AS (CASE entity_type WHEN 'Group' THEN entity_id END) STORED
                REFERENCES groups (id),
    role_ref    text COLLATE "C" GENERATED ALWAYS AS (CASE entity_type WHEN 'Role' THEN entity_id END) STORED
                REFERENCES roles (id),
    PRIMARY KEY (entity_type, entity_id, name_lower)
);
CREATE INDEX inline_policies_user_ref ON inline_policies (user_ref);
CREATE INDEX inline_policies_group_ref ON inline_policies (group_ref);
CREATE INDEX inline_policies_role_ref ON inline_policies (role_ref);

CREATE TABLE instance_profiles (
    id         text COLLATE "C" PRIMARY KEY,
    account_id text COLLATE "C" NOT NULL REFERENCES accounts (id),
    name       text NOT NULL,
    name_lower text COLLATE "C" NOT NULL,
    path       text COLLATE "C" NOT NULL,
    role_id    text COLLATE "C" NOT NULL DEFAULT '',
    role_ref   text COLLATE "C" GENERATED ALWAYS AS (NULLIF(role_id, '')) STORED REFERENCES roles (id),
    tags       jsonb NOT NULL DEFAULT '[]',
    created_at text COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX instance_profiles_name ON instance_profiles (account_id, name_lower);
CREATE INDEX instance_profiles_role_ref ON instance_profiles (role_ref);

CREATE TABLE mfa_devices (
    serial_number text COLLATE "C" PRIMARY KEY,
    account_id    text COLLATE "C" NOT NULL REFERENCES accounts (id),
    name          text NOT NULL,
    path          text COLLATE "C" NOT NULL,
    seed          bytea NOT NULL,
    -- '' until enabled; the account ID when it is the root user's device,
    -- which has no users row to reference.
    user_id       text COLLATE "C" NOT NULL DEFAULT '',
    user_ref      text COLLATE "C" GENERATED ALWAYS AS (
                      CASE WHEN user_id = '' OR user_id = account_id THEN NULL ELSE user_id END
                  ) STORED REFERENCES users (id),
    enabled_at    text COLLATE "C",
    last_counter  bigint NOT NULL DEFAULT 0,
    tags          jsonb NOT NULL DEFAULT '[]',
    created_at    text COLLATE "C" NOT NULL
);
CREATE INDEX mfa_devices_account ON mfa_devices (account_id, serial_number);
CREATE INDEX mfa_devices_user ON mfa_devices (user_id);
CREATE INDEX mfa_devices_user_ref ON mfa_devices (user_ref);

CREATE TABLE oidc_providers (
    arn         text COLLATE "C" PRIMARY KEY,
    account_id  text COLLATE "C" NOT NULL REFERENCES accounts (id),
    url         text NOT NULL,
    client_ids  jsonb NOT NULL DEFAULT '[]',
    thumbprints jsonb NOT NULL DEFAULT '[]',
    tags        jsonb NOT NULL DEFAULT '[]',
    created_at  text COLLATE "C" NOT NULL
);
CREATE INDEX oidc_providers_account ON oidc_providers (account_id, arn);

CREATE TABLE saml_providers (
    arn         text COLLATE "C" PRIMARY KEY,
    account_id  text COLLATE "C" NOT NULL REFERENCES accounts (id),
    name        text NOT NULL,
    metadata    text NOT NULL,
    valid_until text COLLATE "C" NOT NULL,
    tags        jsonb NOT NULL DEFAULT '[]',
    created_at  text COLLATE "C" NOT NULL
);
CREATE INDEX saml_providers_account ON saml_providers (account_id, arn);

CREATE TABLE signing_keys (
    id         text COLLATE "C" PRIMARY KEY,
    material   bytea NOT NULL,
    active     boolean NOT NULL,
    created_at text COLLATE "C" NOT NULL
);
CREATE INDEX signing_keys_created ON signing_keys (created_at, id);
