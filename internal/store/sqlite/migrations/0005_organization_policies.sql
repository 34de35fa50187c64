-- Organization policies (SCPs, RCPs and the management policy types), where
-- they are attached, the organization's settings and tags, and handshakes.
-- AWS managed policies (p-FullAWSAccess, p-RCPFullAWSAccess) have no row in
-- org_policies: they are the same everywhere, so policy_id of an attachment
-- has no foreign key; the Organizations service checks it.
CREATE TABLE org_policies (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    type            TEXT NOT NULL,
    name            TEXT NOT NULL,
    description     TEXT NOT NULL,
    content         TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX org_policies_name ON org_policies (organization_id, type, name);

CREATE TABLE org_policy_attachments (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    policy_id       TEXT NOT NULL,
    target_id       TEXT NOT NULL,
    PRIMARY KEY (organization_id, policy_id, target_id)
);
CREATE INDEX org_policy_attachments_target ON org_policy_attachments (organization_id, target_id);

-- Named facts about an organization, by kind: enabled policy types, trusted
-- service access, delegated administrators, IAM's organization features and
-- the resource policy (value holds what the kind needs).
CREATE TABLE org_settings (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    value           TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (organization_id, kind, name)
);

-- Tags of roots, OUs, accounts and policies, as a JSON list per resource.
CREATE TABLE org_tags (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    resource_id     TEXT NOT NULL,
    tags            TEXT NOT NULL,
    PRIMARY KEY (organization_id, resource_id)
);

-- Invitations from an organization to an account.
CREATE TABLE org_handshakes (
    id                TEXT PRIMARY KEY,
    organization_id   TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    action            TEXT NOT NULL,
    target_type       TEXT NOT NULL,
    target_value      TEXT NOT NULL,
    target_account_id TEXT NOT NULL,
    state             TEXT NOT NULL,
    notes             TEXT NOT NULL,
    requested_at      TEXT NOT NULL,
    expires_at        TEXT NOT NULL
);
CREATE INDEX org_handshakes_org ON org_handshakes (organization_id, id);
CREATE INDEX org_handshakes_target ON org_handshakes (target_account_id, id);
