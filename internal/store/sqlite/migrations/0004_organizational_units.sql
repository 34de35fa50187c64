-- The tree of an organization: OUs under its root or under other OUs, and
-- the container each member account is in. A parent is a root (r-…, kept on
-- the organization) or an OU, so parent_id has no foreign key; the
-- Organizations service checks it inside the transaction that writes it.
CREATE TABLE organizational_units (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    parent_id       TEXT NOT NULL,
    name            TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
-- Names are unique among siblings.
CREATE UNIQUE INDEX organizational_units_name ON organizational_units (parent_id, name);
CREATE INDEX organizational_units_org ON organizational_units (organization_id, id);

-- An account without a row here is under its organization's root.
CREATE TABLE account_parents (
    account_id      TEXT PRIMARY KEY REFERENCES accounts (id),
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    parent_id       TEXT NOT NULL
);
CREATE INDEX account_parents_org ON account_parents (organization_id, account_id);
