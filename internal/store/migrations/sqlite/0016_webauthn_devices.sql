-- The authenticator web app's device key is a WebAuthn credential (SPEC
-- §6.1, §6.7): for a device of kind 'webauthn', public_key holds the
-- credential's COSE key, credential_id its id, sign_count the last
-- signature counter seen and backup_eligible the flag it registered with.
ALTER TABLE push_devices ADD COLUMN credential_id BLOB NOT NULL DEFAULT x'';
ALTER TABLE push_devices ADD COLUMN sign_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE push_devices ADD COLUMN backup_eligible BOOLEAN NOT NULL DEFAULT FALSE;

-- A WebAuthn enrollment between its two steps: the password was right,
-- the registration ceremony is under way. The app holds a token (only its
-- SHA-256 here); each enrollment finishes once, before expires_at.
-- recovery_hash is the hash of the recovery code given to replace a
-- device (empty when none), spent only when the enrollment finishes.
CREATE TABLE webauthn_enrollments (
    id            INTEGER PRIMARY KEY,
    token_hash    BLOB   NOT NULL UNIQUE,
    account_id    BIGINT NOT NULL REFERENCES accounts(id),
    user_handle   BLOB   NOT NULL,
    challenge     BLOB   NOT NULL,
    recovery_hash BLOB   NOT NULL DEFAULT x'',
    expires_at    BIGINT NOT NULL
);
CREATE INDEX webauthn_enrollments_expiry ON webauthn_enrollments(expires_at);
