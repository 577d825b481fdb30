-- Portable column types only (DESIGN.md "Storage"): TEXT, BIGINT, INTEGER, BOOLEAN; JSON as
-- TEXT; instants as BIGINT unix microseconds. The PostgreSQL tree mirrors this file.

CREATE TABLE tickets (
    id              TEXT PRIMARY KEY NOT NULL,   -- UUIDv7: sorts by filing time
    jurisdiction    TEXT NOT NULL,
    channel         TEXT NOT NULL,
    category        TEXT NOT NULL,
    topic           TEXT NOT NULL,
    flags           TEXT NOT NULL,               -- JSON array of flag names
    area            TEXT,
    content         TEXT NOT NULL,
    requester_name  TEXT,
    requester_phone TEXT,
    received_at     BIGINT NOT NULL,
    utc_offset      INTEGER NOT NULL,            -- seconds east of UTC, for rendering
    status          TEXT NOT NULL,
    lead_unit_id    TEXT,
    lead_unit_name  TEXT,
    assist_units    TEXT NOT NULL,               -- JSON [{id, name}]
    route_mode      TEXT,
    deadlines       TEXT NOT NULL,               -- JSON {name: RFC 3339}, snapshotted
    resolve_due     BIGINT,                      -- deadlines.resolve, for overdue queries
    provisional     BOOLEAN NOT NULL,
    rejection       TEXT,                        -- JSON {reason, redirect, cite}
    policy_id       TEXT NOT NULL,
    policy_version  TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE INDEX tickets_by_jurisdiction ON tickets (jurisdiction, status, id);
CREATE INDEX tickets_by_lead_unit ON tickets (lead_unit_id, id);
CREATE INDEX tickets_by_resolve_due ON tickets (resolve_due);

CREATE TABLE trail_entries (
    ticket_id       TEXT NOT NULL REFERENCES tickets (id),
    seq             BIGINT NOT NULL,
    at              BIGINT NOT NULL,
    kind            TEXT NOT NULL,               -- event | decision
    actor           TEXT NOT NULL,
    hook            TEXT,
    outcome         TEXT,
    policy_id       TEXT,
    policy_version  TEXT,
    input           TEXT NOT NULL,               -- JSON
    output          TEXT NOT NULL,               -- JSON
    cite            TEXT NOT NULL,               -- JSON array of rule ids
    notes           TEXT NOT NULL,               -- JSON array
    duration_us     BIGINT,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);

CREATE TABLE policy_versions (
    policy_id       TEXT NOT NULL,
    version         TEXT NOT NULL,               -- sha256 of the set's sources
    sources         TEXT NOT NULL,               -- JSON {path: content}
    activated_at    BIGINT NOT NULL,
    PRIMARY KEY (policy_id, version)
);
