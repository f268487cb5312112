-- Risk-based step-up (SPEC §5.3–5.9).

-- Per-organization risk thresholds (§5.3 defaults: 180 days, 500 km,
-- 1000 km/h).
ALTER TABLE orgs ADD COLUMN risk_window_days INTEGER NOT NULL DEFAULT 180;
ALTER TABLE orgs ADD COLUMN risk_distance_km INTEGER NOT NULL DEFAULT 500;
ALTER TABLE orgs ADD COLUMN risk_speed_kmh   INTEGER NOT NULL DEFAULT 1000;

-- The places an account signed in from: one row per place (country and
-- rounded coordinates, or the IP network when there is no location), with
-- the last time it was used. Risk reads these few rows, not every login.
CREATE TABLE login_places (
    account_id   BIGINT  NOT NULL REFERENCES accounts(id),
    place_key    TEXT    NOT NULL,
    country      TEXT    NOT NULL DEFAULT '',
    ip           TEXT    NOT NULL DEFAULT '',
    lat          REAL    NOT NULL DEFAULT 0,
    lon          REAL    NOT NULL DEFAULT 0,
    has_coords   BOOLEAN NOT NULL DEFAULT FALSE,
    last_seen_at BIGINT  NOT NULL,
    PRIMARY KEY (account_id, place_key)
);
CREATE INDEX login_places_recent ON login_places(account_id, last_seen_at);

-- A login that needs more than the password. Only the SHA-256 of the flow
-- id (a 256-bit secret held by the client) is stored.
CREATE TABLE login_flows (
    id          INTEGER PRIMARY KEY,
    flow_hash   BLOB    NOT NULL UNIQUE,
    account_id  BIGINT  NOT NULL REFERENCES accounts(id),
    state       TEXT    NOT NULL,
    methods     TEXT    NOT NULL DEFAULT '',
    last_method TEXT    NOT NULL DEFAULT '',
    must_change BOOLEAN NOT NULL DEFAULT FALSE,
    ip          TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT '',
    application TEXT    NOT NULL DEFAULT '',
    location    TEXT    NOT NULL DEFAULT '',
    place_key   TEXT    NOT NULL DEFAULT '',
    country     TEXT    NOT NULL DEFAULT '',
    lat         REAL    NOT NULL DEFAULT 0,
    lon         REAL    NOT NULL DEFAULT 0,
    has_coords  BOOLEAN NOT NULL DEFAULT FALSE,
    risk_rule   TEXT    NOT NULL DEFAULT '',
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);
CREATE INDEX login_flows_expires ON login_flows(expires_at);
CREATE INDEX login_flows_account ON login_flows(account_id);

-- Step-up codes: an HMAC of the code keyed by the flow id, so the table
-- alone does not give the codes away. used_at > 0 once used or voided.
CREATE TABLE step_up_codes (
    id         INTEGER PRIMARY KEY,
    account_id BIGINT  NOT NULL REFERENCES accounts(id),
    flow_id    BIGINT  NOT NULL,
    method     TEXT    NOT NULL,
    code_hash  BLOB    NOT NULL,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX step_up_codes_account ON step_up_codes(account_id, method, id);
CREATE INDEX step_up_codes_expires ON step_up_codes(expires_at);

-- The lockout counters of §5.5–5.6, one row per account, updated under a
-- row lock so parallel attempts are counted one by one.
CREATE TABLE step_up_counters (
    account_id         BIGINT  PRIMARY KEY REFERENCES accounts(id),
    pin_consecutive    INTEGER NOT NULL DEFAULT 0,
    pin_total          INTEGER NOT NULL DEFAULT 0,
    pin_last_failed_at BIGINT  NOT NULL DEFAULT 0,
    otp_total          INTEGER NOT NULL DEFAULT 0,
    locked_reason      TEXT    NOT NULL DEFAULT ''
);
