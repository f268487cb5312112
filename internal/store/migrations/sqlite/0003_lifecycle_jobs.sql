-- Scheduled lifecycle jobs (SPEC §2.3–2.6) find due accounts by range
-- queries on these indexes, so their cost grows with the accounts due.
CREATE INDEX accounts_org_password_changed ON accounts(org_id, status, password_changed_at);
CREATE INDEX accounts_org_last_login ON accounts(org_id, status, last_login_at, created_at);

-- One row per notice sent: the primary key makes each warning go out
-- exactly once per account, kind, cycle and threshold, across restarts and
-- across processes sharing one database.
CREATE TABLE sent_notices (
    account_id BIGINT  NOT NULL,
    kind       TEXT    NOT NULL,
    cycle      BIGINT  NOT NULL,
    threshold  INTEGER NOT NULL,
    sent_at    BIGINT  NOT NULL,
    PRIMARY KEY (account_id, kind, cycle, threshold)
);
