CREATE TABLE idempotency_keys_v1 (
    key             TEXT PRIMARY KEY NOT NULL,
    body_hash       TEXT NOT NULL,
    ticket_id       TEXT NOT NULL REFERENCES tickets (id),
    created_at      BIGINT NOT NULL
);
INSERT OR IGNORE INTO idempotency_keys_v1 SELECT key, body_hash, ticket_id, created_at FROM idempotency_keys;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_v1 RENAME TO idempotency_keys;
DROP TABLE ticket_secrets;
ALTER TABLE trail_entries DROP COLUMN format;
CREATE TABLE ledger_v1 (
    seq         BIGINT PRIMARY KEY NOT NULL,
    ticket_id   TEXT NOT NULL UNIQUE,
    first_hash  TEXT NOT NULL,
    at          BIGINT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
INSERT INTO ledger_v1 SELECT seq, subject, trail_hash, at, prev_hash, hash FROM ledger WHERE format = 1;
DROP TABLE ledger;
ALTER TABLE ledger_v1 RENAME TO ledger;
