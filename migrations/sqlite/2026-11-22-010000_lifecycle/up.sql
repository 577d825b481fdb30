-- Ticket lifecycle: deadlines as rows, the outbox of fired actions, idempotent filing.

-- Bumped by every write to a ticket: an action decided on a stale read is retried.
ALTER TABLE tickets ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
-- When the ticket was last handed to its lead unit (filing, re-dispatch, redo): limits count
-- from here. Tickets filed before this column existed were dispatched when received.
ALTER TABLE tickets ADD COLUMN dispatched_at BIGINT;
UPDATE tickets SET dispatched_at = received_at;

CREATE TABLE deadlines (
    ticket_id       TEXT NOT NULL REFERENCES tickets (id),
    -- The ticket's, copied so the sweep's due-clock query is one range scan of the
    -- next_sweep_at index, whatever the number of open tickets.
    jurisdiction    TEXT NOT NULL,
    clock           TEXT NOT NULL,               -- sign, first_contact, …, resolve
    unit_id         TEXT NOT NULL,               -- whose clock: the lead, or a co-unit (HH-17)
    due             BIGINT NOT NULL,             -- unix microseconds, snapshotted when decided
    state           TEXT NOT NULL,               -- open | met | missed | warned | cancelled
    provisional     BOOLEAN NOT NULL,
    next_sweep_at   BIGINT,                      -- when the sweeper looks at it next; NULL: never
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, clock, unit_id)
);
CREATE INDEX deadlines_by_next_sweep ON deadlines (next_sweep_at);

CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id       TEXT NOT NULL REFERENCES tickets (id),
    clock           TEXT NOT NULL,
    kind            TEXT NOT NULL,               -- remind | escalate | notify | refer
    to_unit_id      TEXT,
    to_unit_name    TEXT,
    channel         TEXT,                        -- e.g. bulletin, for `notify`
    cite            TEXT NOT NULL,               -- JSON array
    note            TEXT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX notifications_by_ticket ON notifications (ticket_id, clock);

CREATE TABLE idempotency_keys (
    key             TEXT PRIMARY KEY NOT NULL,
    body_hash       TEXT NOT NULL,
    ticket_id       TEXT NOT NULL REFERENCES tickets (id),
    created_at      BIGINT NOT NULL
);
