-- The root user's console password (argon2id); '' when the root user has
-- none (member accounts created by Organizations). The root user signs in
-- with the account's email, ASCII case ignored.
ALTER TABLE accounts ADD COLUMN root_password_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX accounts_root_email ON accounts (lower(email)) WHERE root_password_hash <> '';
