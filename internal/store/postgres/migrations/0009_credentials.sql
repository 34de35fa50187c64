-- Users' other credentials (SSH public keys, signing certificates,
-- service-specific credentials): one shape, told apart by kind.
CREATE TABLE user_credentials (
    kind              text COLLATE "C" NOT NULL,
    id                text COLLATE "C" NOT NULL,
    account_id        text COLLATE "C" NOT NULL REFERENCES accounts (id),
    -- '' for the root user (signing certificates only).
    user_id           text COLLATE "C" NOT NULL,
    body              text NOT NULL,
    fingerprint       text NOT NULL DEFAULT '',
    service_name      text NOT NULL DEFAULT '',
    service_user_name text NOT NULL DEFAULT '',
    secret            bytea,
    status            text NOT NULL,
    created_at        text COLLATE "C" NOT NULL,
    expires_at        text COLLATE "C",
    PRIMARY KEY (kind, id)
);
CREATE INDEX user_credentials_user ON user_credentials (account_id, user_id, kind, created_at, id);

CREATE TABLE server_certificates (
    id          text COLLATE "C" PRIMARY KEY,
    account_id  text COLLATE "C" NOT NULL REFERENCES accounts (id),
    name        text NOT NULL,
    name_lower  text COLLATE "C" NOT NULL,
    path        text COLLATE "C" NOT NULL,
    body        text NOT NULL,
    chain       text NOT NULL DEFAULT '',
    private_key bytea NOT NULL,
    expiration  text COLLATE "C" NOT NULL,
    uploaded_at text COLLATE "C" NOT NULL,
    tags        jsonb NOT NULL DEFAULT '[]'
);
CREATE UNIQUE INDEX server_certificates_name ON server_certificates (account_id, name_lower);

-- Named account settings that are no entity (STS token version, outbound
-- web identity federation).
CREATE TABLE account_settings (
    account_id text COLLATE "C" NOT NULL REFERENCES accounts (id),
    name       text COLLATE "C" NOT NULL,
    value      text NOT NULL,
    PRIMARY KEY (account_id, name)
);
