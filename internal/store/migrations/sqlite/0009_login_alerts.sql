-- Login alerts (SPEC §5.10): the devices an account signed in with, and
-- the "this wasn't me" links of the alerts sent (only their SHA-256).
CREATE TABLE login_devices (
    account_id   BIGINT NOT NULL REFERENCES accounts(id),
    device_key   TEXT   NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, device_key)
);

CREATE TABLE login_alerts (
    id         INTEGER PRIMARY KEY,
    account_id BIGINT  NOT NULL REFERENCES accounts(id),
    session_id BIGINT  NOT NULL,
    token_hash BLOB    NOT NULL UNIQUE,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX login_alerts_expires ON login_alerts(expires_at);
