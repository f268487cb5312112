-- The lifecycle jobs find the app passwords whose previous secret's grace
-- after a rotation has ended (prev_valid_until set and past), forget that
-- secret and have the mail servers' auth cache flushed (SPEC §7.4, §7.6).
CREATE INDEX app_passwords_prev_valid_until ON app_passwords(prev_valid_until, id);
