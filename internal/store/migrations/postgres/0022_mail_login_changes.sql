-- The mail login's view (store.Q.MailLogin) reads, besides accounts and
-- organizations (0021), an account's app passwords, mail protocols,
-- authenticator device and the throttling state of mail logins. Every
-- change to them, by any process, is announced on varco_changes too, so
-- each process forgets the mail logins it keeps in memory (package
-- apppassword): a deleted or rotated app password, 2-step verification
-- turned on or off, a protocol disabled, a failure counted elsewhere take
-- effect everywhere. Inserts count here (a first mail_access row disables
-- a protocol, a new device turns 2-step verification on, a new app
-- password must work at once).
CREATE TRIGGER app_passwords_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON app_passwords
    FOR EACH STATEMENT EXECUTE FUNCTION varco_notify_changes();
CREATE TRIGGER mail_access_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mail_access
    FOR EACH STATEMENT EXECUTE FUNCTION varco_notify_changes();
CREATE TRIGGER push_devices_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON push_devices
    FOR EACH STATEMENT EXECUTE FUNCTION varco_notify_changes();
-- Only mail logins' keys: sign-ins' failures need not empty every cache.
-- One notice per row; within a transaction identical ones are sent once.
CREATE TRIGGER throttle_mail_changed AFTER INSERT OR UPDATE ON throttle
    FOR EACH ROW WHEN (NEW.key LIKE 'mail:%') EXECUTE FUNCTION varco_notify_changes();
CREATE TRIGGER throttle_mail_removed AFTER DELETE ON throttle
    FOR EACH ROW WHEN (OLD.key LIKE 'mail:%') EXECUTE FUNCTION varco_notify_changes();
CREATE TRIGGER throttle_truncated AFTER TRUNCATE ON throttle
    FOR EACH STATEMENT EXECUTE FUNCTION varco_notify_changes();
