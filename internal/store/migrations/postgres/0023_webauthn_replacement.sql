-- The authenticator web app replaces a device with an approval on the old
-- one too (SPEC §6.1). Its push enrollment holds no key (kind 'webauthn':
-- the credential is registered once the old device approved), and its
-- WebAuthn enrollment names the push enrollment whose approval it needs
-- (0 when none), so that only that approval lets it through.
ALTER TABLE push_enrollments ADD COLUMN kind TEXT NOT NULL DEFAULT 'cli';
ALTER TABLE webauthn_enrollments ADD COLUMN push_enrollment_id BIGINT NOT NULL DEFAULT 0;
