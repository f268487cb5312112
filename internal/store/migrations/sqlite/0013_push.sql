-- Push 2-step verification (SPEC §6).

-- The account's authenticator device: one per account. Device calls carry
-- a token issued at enrollment; only its SHA-256 is stored. Decisions are
-- signed with the device's Ed25519 key.
CREATE TABLE push_devices (
    id          INTEGER PRIMARY KEY,
    account_id  BIGINT  NOT NULL UNIQUE REFERENCES accounts(id),
    public_id   TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    public_key  BLOB   NOT NULL,
    token_hash  BLOB   NOT NULL UNIQUE,
    created_at  BIGINT  NOT NULL
);

-- Ten one-time recovery codes per enrollment; only their SHA-256.
CREATE TABLE push_recovery_codes (
    account_id BIGINT  NOT NULL REFERENCES accounts(id),
    code_hash  BLOB   NOT NULL,
    used_at    BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, code_hash)
);

-- Approval requests. status: pending, approved, denied, reported, expired.
CREATE TABLE push_requests (
    id           INTEGER PRIMARY KEY,
    public_id    TEXT    NOT NULL UNIQUE,
    account_id   BIGINT  NOT NULL REFERENCES accounts(id),
    device_id    BIGINT  NOT NULL,
    purpose      TEXT    NOT NULL,
    flow_id      BIGINT  NOT NULL DEFAULT 0,
    number       TEXT    NOT NULL,
    nonce        BLOB   NOT NULL,
    application  TEXT    NOT NULL DEFAULT '',
    ip           TEXT    NOT NULL DEFAULT '',
    location     TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT '',
    risky        BOOLEAN NOT NULL DEFAULT FALSE,
    context_hash BLOB   NOT NULL,
    status       TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    answered_at  BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX push_requests_account ON push_requests(account_id, created_at);

-- A report mutes push for the account until muted_until (SPEC §6.4).
CREATE TABLE push_mutes (
    account_id  BIGINT PRIMARY KEY REFERENCES accounts(id),
    muted_until BIGINT NOT NULL
);
