-- Repeated identical mail login failures are recorded once with how many
-- there were (docs/audit.md, "Mail login failures").

-- How many identical occurrences an event stands for (sealed in its link
-- when more than one).
ALTER TABLE audit_events ADD COLUMN occurrences BIGINT NOT NULL DEFAULT 1;

-- One open minute per identical failure (account or unknown login, client
-- IP, protocol, reason): its first failures were recorded when it opened;
-- repeats counts those after, recorded as one event when the minute
-- closes. Durable, so a crash loses none of them.
CREATE TABLE mail_failure_windows (
    key        TEXT   PRIMARY KEY,
    account_id BIGINT NOT NULL,
    org_id     BIGINT NOT NULL,
    ip         TEXT   NOT NULL,
    protocol   TEXT   NOT NULL,
    detail     TEXT   NOT NULL,
    opened_at  BIGINT NOT NULL,
    last_at    BIGINT NOT NULL,
    repeats    BIGINT NOT NULL,
    opened_by  BIGINT NOT NULL
);
CREATE INDEX mail_failure_windows_opened ON mail_failure_windows(opened_at);
