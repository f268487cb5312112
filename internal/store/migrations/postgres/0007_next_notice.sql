-- The lifecycle jobs (SPEC §2.3–2.6) read only the accounts whose
-- next_notice_at has come: the earliest time a warning, the suspension or
-- an inactivity check can be due. The jobs set it after looking at an
-- account; a password change or a policy change sets it back to 0 ("look
-- now"), as new accounts start. The index serves the due query, in the
-- order the jobs page through it.
ALTER TABLE accounts ADD COLUMN next_notice_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX accounts_notice_due ON accounts(org_id, status, next_notice_at, id);

-- The range scans these served are gone; sign-ins no longer update an
-- index on last_login_at.
DROP INDEX accounts_org_password_changed;
DROP INDEX accounts_org_last_login;
