-- The activity history becomes one chain per account (SPEC §3): an event
-- links to its chain's previous event, and each chain has its own head row,
-- so appends for different accounts never wait for each other. Entries are
-- keyed with a secret kept outside the database (key_id names it), and
-- signed checkpoints, written outside the database too and copied into
-- audit_checkpoints, commit to the heads. The events recorded before this
-- migration stay as they were, as the chain "legacy", whose head the first
-- checkpoint anchors.
CREATE TABLE audit_events_new (
    seq         INTEGER PRIMARY KEY,
    chain       TEXT    NOT NULL,
    chain_seq   BIGINT  NOT NULL,
    key_id      TEXT    NOT NULL DEFAULT '',
    time        BIGINT  NOT NULL,
    account_id  BIGINT  NOT NULL DEFAULT 0,
    org_id      BIGINT  NOT NULL DEFAULT 0,
    event       TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    actor_id    BIGINT  NOT NULL DEFAULT 0,
    ip          TEXT    NOT NULL DEFAULT '',
    location    TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT '',
    application TEXT    NOT NULL DEFAULT '',
    outcome     TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT '',
    prev_hash   BLOB    NOT NULL,
    hash        BLOB    NOT NULL
);
INSERT INTO audit_events_new (seq, chain, chain_seq, key_id, time, account_id, org_id, event, actor, actor_id,
    ip, location, user_agent, application, outcome, detail, prev_hash, hash)
SELECT seq, 'legacy', seq, '', time, account_id, org_id, event, actor, actor_id,
    ip, location, user_agent, application, outcome, detail, prev_hash, hash FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE UNIQUE INDEX audit_events_chain ON audit_events(chain, chain_seq);
CREATE INDEX audit_events_account ON audit_events(account_id, seq);
CREATE INDEX audit_events_org ON audit_events(org_id, seq);

-- One row per chain: its last position and link, and the position the
-- newest checkpoint anchored (anchored_seq <> seq: changed since).
CREATE TABLE audit_heads (
    chain        TEXT   PRIMARY KEY,
    seq          BIGINT NOT NULL,
    hash         BLOB   NOT NULL,
    anchored_seq BIGINT NOT NULL DEFAULT 0
);
INSERT INTO audit_heads (chain, seq, hash) SELECT 'legacy', seq, hash FROM audit_head WHERE seq > 0;
DROP TABLE audit_head;
CREATE INDEX audit_heads_unanchored ON audit_heads(chain) WHERE anchored_seq <> seq;

-- Every signed checkpoint, in order; each body names the previous one's
-- digest. The trusted copy is the file written outside the database.
CREATE TABLE audit_checkpoints (
    n         BIGINT PRIMARY KEY,
    time      BIGINT NOT NULL,
    body      BLOB   NOT NULL,
    signature BLOB   NOT NULL
);
