-- The root user's console password (argon2id); '' when the root user has
-- none (member accounts created by Organizations). The root user signs in
-- with the account's email, ASCII case ignored.
ALTER TABLE accounts ADD COLUMN root_password_hash TEXT NOT NULL DEFAULT '';
CREATE INDEX accounts_root_email ON accounts (lower(email)) WHERE root_password_hash <> '';
-- When a console password was last set, for the password policy's
-- MaxPasswordAge; '' for profiles older than this column (their created_at
-- stands in).
ALTER TABLE login_profiles ADD COLUMN password_changed_at TEXT NOT NULL DEFAULT '';
