-- A global hash chain over filings (issue 6: deleting a whole ticket must be detectable).
-- Each entry binds a ticket id to the hash of its trail's first entry and to the entry
-- before it. Deleting a ticket with its trail leaves its ledger entry pointing at nothing;
-- deleting the ledger entry too breaks the chain after it. No foreign key: the ledger must
-- outlive what it vouches for.
CREATE TABLE ledger (
    seq         BIGINT PRIMARY KEY NOT NULL,
    ticket_id   TEXT NOT NULL UNIQUE,
    first_hash  TEXT NOT NULL,
    at          BIGINT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
