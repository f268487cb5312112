-- The activity history becomes one chain per account (SPEC §3): an event
-- links to its chain's previous event, and each chain has its own head row,
-- so appends for different accounts never wait for each other. Entries are
-- keyed with a secret kept outside the database (key_id names it), and
-- signed checkpoints, written outside the database too and copied into
-- audit_checkpoints, commit to the heads. The events recorded before this
-- migration stay as they were, as the chain "legacy", whose head the first
-- checkpoint anchors.
ALTER TABLE audit_events ADD COLUMN chain TEXT NOT NULL DEFAULT 'legacy';
ALTER TABLE audit_events ADD COLUMN chain_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_events ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
UPDATE audit_events SET chain_seq = seq;
ALTER TABLE audit_events ALTER COLUMN chain DROP DEFAULT;
ALTER TABLE audit_events ALTER COLUMN chain_seq DROP DEFAULT;
CREATE SEQUENCE audit_events_seq_seq OWNED BY audit_events.seq;
SELECT setval('audit_events_seq_seq', COALESCE((SELECT MAX(seq) FROM audit_events), 0) + 1, false);
ALTER TABLE audit_events ALTER COLUMN seq SET DEFAULT nextval('audit_events_seq_seq');
CREATE UNIQUE INDEX audit_events_chain ON audit_events(chain, chain_seq);

-- One row per chain: its last position and link, and the position the
-- newest checkpoint anchored (anchored_seq <> seq: changed since).
CREATE TABLE audit_heads (
    chain        TEXT   PRIMARY KEY,
    seq          BIGINT NOT NULL,
    hash         BYTEA  NOT NULL,
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
    body      BYTEA  NOT NULL,
    signature BYTEA  NOT NULL
);
