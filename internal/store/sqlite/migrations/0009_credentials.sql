-- Users' other credentials (SSH public keys, signing certificates,
-- service-specific credentials): one shape, told apart by kind.
CREATE TABLE user_credentials (
    kind              TEXT NOT NULL,
    id                TEXT NOT NULL,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    -- '' for the root user (signing certificates only).
    user_id           TEXT NOT NULL,
    body              TEXT NOT NULL,
    fingerprint       TEXT NOT NULL DEFAULT '',
    service_name      TEXT NOT NULL DEFAULT '',
    service_user_name TEXT NOT NULL DEFAULT '',
    secret            BLOB,
    status            TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    expires_at        TEXT,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX user_credentials_user ON user_credentials (account_id, user_id, kind, created_at);

CREATE TABLE server_certificates (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    name_lower  TEXT NOT NULL,
    path        TEXT NOT NULL,
    body        TEXT NOT NULL,
    chain       TEXT NOT NULL DEFAULT '',
    private_key BLOB NOT NULL,
    expiration  TEXT NOT NULL,
    uploaded_at TEXT NOT NULL,
    tags        TEXT NOT NULL DEFAULT '[]'
);
CREATE UNIQUE INDEX server_certificates_name ON server_certificates (account_id, name_lower);

-- Named account settings that are no entity (STS token version, outbound
-- web identity federation).
CREATE TABLE account_settings (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (account_id, name)
) WITHOUT ROWID;
