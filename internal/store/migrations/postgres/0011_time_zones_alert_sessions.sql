-- Times are shown in the account's time zone (SPEC §3): an IANA name per
-- account ('' follows its organization) and per organization (Europe/Rome
-- unless set). A new-sign-in alert (SPEC §8) remembers the session it is
-- about, so "this wasn't me" from the alert can end it.
ALTER TABLE orgs ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/Rome';
ALTER TABLE accounts ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN session_id BIGINT NOT NULL DEFAULT 0;
