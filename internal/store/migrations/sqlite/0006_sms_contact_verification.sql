-- SMS notifications (SPEC §8): the outbox and the dev mailbox carry the
-- channel of each message; for "sms" the recipient is an E.164 number and
-- text_body the SMS text.
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
ALTER TABLE dev_messages ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';

-- Pending verifications of a new phone number or contact e-mail (SPEC §1):
-- only the code's or token's SHA-256 is stored; only the newest unused row
-- of an account and kind is valid; used_at retires a row (verified,
-- replaced, or voided after too many wrong codes). Rows stay until they
-- expire so they also count the sends against the rate limits.
CREATE TABLE contact_verifications (
    id          INTEGER PRIMARY KEY,
    account_id  BIGINT  NOT NULL REFERENCES accounts(id),
    kind        TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    secret_hash BLOB    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX contact_verifications_account ON contact_verifications(account_id, kind, id);
CREATE INDEX contact_verifications_secret ON contact_verifications(secret_hash);
