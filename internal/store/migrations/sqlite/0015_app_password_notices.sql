-- When the lifecycle jobs must next look at an app password for its expiry
-- notices (SPEC §7.3): 0 = at the next run (a new or rotated secret), the
-- largest BIGINT once its expiry has been announced.
ALTER TABLE app_passwords ADD COLUMN next_notice_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX app_passwords_next_notice ON app_passwords(next_notice_at, id);
