-- App passwords for mail clients (SPEC §7).

-- Which mail protocols an account may use; no row = all three enabled.
CREATE TABLE mail_access (
    account_id BIGINT  PRIMARY KEY REFERENCES accounts(id),
    imap       BOOLEAN NOT NULL,
    pop3       BOOLEAN NOT NULL,
    smtp       BOOLEAN NOT NULL
);

-- Whether an account without 2-step verification may give mail clients
-- its account password (SPEC §7.1; allowed by default).
ALTER TABLE orgs ADD COLUMN mail_account_password BOOLEAN NOT NULL DEFAULT TRUE;

-- Up to 10 per account. Only a keyed hash (HMAC-SHA256 under the server
-- key key_id) is stored. A rotation keeps the previous secret until
-- prev_valid_until.
CREATE TABLE app_passwords (
    id                 INTEGER PRIMARY KEY,
    account_id         BIGINT  NOT NULL REFERENCES accounts(id),
    label              TEXT    NOT NULL,
    key_id             TEXT    NOT NULL,
    hash               BLOB   NOT NULL,
    prev_key_id        TEXT    NOT NULL DEFAULT '',
    prev_hash          BLOB,
    prev_valid_until   BIGINT  NOT NULL DEFAULT 0,
    created_at         BIGINT  NOT NULL,
    expires_at         BIGINT  NOT NULL,
    last_used_at       BIGINT  NOT NULL DEFAULT 0,
    last_used_ip       TEXT    NOT NULL DEFAULT '',
    last_used_protocol TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX app_passwords_account ON app_passwords(account_id);

-- When mail_login_succeeded was last recorded per credential (an app
-- password's id, 0 for the account password), IP and protocol: at most
-- once an hour (SPEC §7.6).
CREATE TABLE mail_login_marks (
    account_id  BIGINT NOT NULL REFERENCES accounts(id),
    credential  BIGINT NOT NULL,
    ip          TEXT   NOT NULL,
    protocol    TEXT   NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, credential, ip, protocol)
);
