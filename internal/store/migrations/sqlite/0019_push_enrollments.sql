-- Replacing the authenticator device with an approval on the old one
-- (SPEC §6.1): the new device's key waits here while the old device is
-- asked (a push request of purpose replace_device whose flow_id is this
-- row's id). The new device polls with a random id; only its SHA-256 is
-- stored. done_at is set when the new device took the old one's place.
CREATE TABLE push_enrollments (
    id          INTEGER PRIMARY KEY,
    id_hash     BLOB    NOT NULL UNIQUE,
    account_id  BIGINT  NOT NULL REFERENCES accounts(id),
    public_key  BLOB    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    done_at     BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX push_enrollments_expiry ON push_enrollments(expires_at);
