-- Trust (issue 12): every write bound into the ledger, signed; personal data committed
-- through a per-ticket secret instead of hashed in the clear.

-- The ledger now records every write, not only filings: which subject (a ticket, or a
-- stored policy version), the last trail entry it vouches for, and a digest of every row the
-- write left (tickets, deadlines, notifications, keys), so a row edited around the server
-- shows by name. Entries of the first format (filings only) keep their hashes.
CREATE TABLE ledger_v2 (
    seq         BIGINT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,               -- ticket | policy
    subject     TEXT NOT NULL,               -- the ticket id, or policy_id/version
    trail_seq   BIGINT NOT NULL,             -- the subject's last trail entry (0 for a policy)
    trail_hash  TEXT NOT NULL,               -- its hash (for a policy: of its stored sources)
    state       TEXT,                        -- JSON {row: digest} after the write; NULL in format 1
    at          BIGINT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    format      INTEGER NOT NULL,            -- 1: filings only (before this migration); 2
    key_id      TEXT,                        -- the signing key, when the server has one
    signature   TEXT                         -- Ed25519 over the hash, hex
);
INSERT INTO ledger_v2 (seq, kind, subject, trail_seq, trail_hash, state, at, prev_hash, hash, format)
    SELECT seq, 'ticket', ticket_id, 1, first_hash, NULL, at, prev_hash, hash, 1 FROM ledger;
DROP TABLE ledger;
ALTER TABLE ledger_v2 RENAME TO ledger;
CREATE INDEX ledger_by_subject ON ledger (subject, seq);

-- Format 2 entries hash the requester through a commitment keyed by the ticket's secret.
ALTER TABLE trail_entries ADD COLUMN format INTEGER NOT NULL DEFAULT 1;

-- The per-ticket secret personal data is committed with. Never shown; erased with the data.
CREATE TABLE ticket_secrets (
    ticket_id   TEXT PRIMARY KEY NOT NULL REFERENCES tickets (id),
    salt        TEXT,                        -- hex; NULL once the requester is erased
    erased_at   BIGINT
);

-- Idempotency keys belong to the caller who used them (one centre must not learn another's
-- ticket ids by retrying a guessed key).
CREATE TABLE idempotency_keys_v2 (
    scope       TEXT NOT NULL,               -- jurisdiction and token
    key         TEXT NOT NULL,
    body_hash   TEXT NOT NULL,
    ticket_id   TEXT NOT NULL REFERENCES tickets (id),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
INSERT INTO idempotency_keys_v2 (scope, key, body_hash, ticket_id, created_at)
    SELECT '', key, body_hash, ticket_id, created_at FROM idempotency_keys;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_v2 RENAME TO idempotency_keys;
