-- Password reset links (SPEC §4): only the token's SHA-256 is stored; a
-- link is valid until expires_at, once, and only while it is the newest.
CREATE TABLE password_resets (
    id         INTEGER PRIMARY KEY,
    account_id BIGINT  NOT NULL REFERENCES accounts(id),
    token_hash BLOB    NOT NULL UNIQUE,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX password_resets_account ON password_resets(account_id, used_at);
CREATE INDEX password_resets_expires ON password_resets(expires_at);
