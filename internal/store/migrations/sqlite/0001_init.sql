-- Times are Unix microseconds (UTC) in BIGINT columns on both engines, so
-- comparisons and indexes behave the same on SQLite and PostgreSQL.
CREATE TABLE orgs (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    plan       TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);

CREATE TABLE accounts (
    id                     INTEGER PRIMARY KEY,
    org_id                 INTEGER REFERENCES orgs(id),
    email                  TEXT    NOT NULL UNIQUE,
    contact_email          TEXT    NOT NULL DEFAULT '',
    contact_email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    phone                  TEXT    NOT NULL DEFAULT '',
    phone_verified         BOOLEAN NOT NULL DEFAULT FALSE,
    display_name           TEXT    NOT NULL DEFAULT '',
    lang                   TEXT    NOT NULL DEFAULT 'it',
    role                   TEXT    NOT NULL,
    status                 TEXT    NOT NULL,
    password_hash          TEXT    NOT NULL,
    password_changed_at    BIGINT  NOT NULL,
    must_change_password   BOOLEAN NOT NULL DEFAULT FALSE,
    last_login_at          BIGINT  NOT NULL DEFAULT 0,
    created_at             BIGINT  NOT NULL
);
CREATE INDEX accounts_org ON accounts(org_id);

CREATE TABLE password_history (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    hash       TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX password_history_account ON password_history(account_id, id);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id),
    token_hash   BLOB    NOT NULL UNIQUE,
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT '',
    restricted   BOOLEAN NOT NULL DEFAULT FALSE,
    revoked_at   BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX sessions_account ON sessions(account_id);

-- The activity history is a hash chain: audit_head holds the last sequence
-- number and hash; updating it serializes appends on both engines.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL,
    hash BLOB    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, X'');

CREATE TABLE audit_events (
    seq         BIGINT  PRIMARY KEY,
    time        BIGINT  NOT NULL,
    account_id  BIGINT  NOT NULL DEFAULT 0,
    org_id      BIGINT  NOT NULL DEFAULT 0,
    event       TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    actor_id    BIGINT  NOT NULL DEFAULT 0,
    ip          TEXT    NOT NULL DEFAULT '',
    location    TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT '',
    application TEXT    NOT NULL DEFAULT '',
    outcome     TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '',
    prev_hash   BLOB    NOT NULL,
    hash        BLOB    NOT NULL
);
CREATE INDEX audit_events_account ON audit_events(account_id, seq);
CREATE INDEX audit_events_org ON audit_events(org_id, seq);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    event           TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    lang            TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    text_body       TEXT    NOT NULL,
    html_body       TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    lease_until     BIGINT  NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    sent_at         BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

CREATE TABLE dev_messages (
    id         INTEGER PRIMARY KEY,
    event      TEXT    NOT NULL,
    recipient  TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    text_body  TEXT    NOT NULL,
    html_body  TEXT    NOT NULL,
    message_id TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);

CREATE TABLE throttle (
    key           TEXT    PRIMARY KEY,
    failures      INTEGER NOT NULL DEFAULT 0,
    window_start  BIGINT  NOT NULL DEFAULT 0,
    blocked_until BIGINT  NOT NULL DEFAULT 0,
    updated_at    BIGINT  NOT NULL DEFAULT 0
);
