-- Every change to the rows a session's lookup reads (sessions, accounts,
-- organizations), by any process, is announced on the channel
-- varco_changes once its transaction commits (store.ChangesChannel). Each
-- varco process listens and forgets the sessions it keeps in memory, so a
-- revocation, a disabled account or a new role takes effect everywhere
-- (store.DB.ChangeVersion). One notice per statement, no payload: within a
-- transaction PostgreSQL sends identical notices once.
CREATE FUNCTION varco_notify_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('varco_changes', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_changed AFTER UPDATE OR DELETE OR TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION varco_notify_changes();
CREATE TRIGGER accounts_changed AFTER UPDATE OR DELETE OR TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION varco_notify_changes();
CREATE TRIGGER orgs_changed AFTER UPDATE OR DELETE OR TRUNCATE ON orgs
    FOR EACH STATEMENT EXECUTE FUNCTION varco_notify_changes();
