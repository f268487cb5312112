-- In-app alerts (SPEC §8): one live alert per account and kind, shown in the
-- UI until dismissed; raising it again replaces its text and shows it again.
CREATE TABLE alerts (
    id           INTEGER PRIMARY KEY,
    account_id   BIGINT  NOT NULL REFERENCES accounts(id),
    kind         TEXT    NOT NULL,
    message      TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    dismissed_at BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (account_id, kind)
);
