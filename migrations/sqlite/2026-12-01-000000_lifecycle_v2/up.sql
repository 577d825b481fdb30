-- Lifecycle v2: clocks the policy declares (owner, the actions that meet them, their rules),
-- accountability from any decision, idempotent actions, the time of record.

-- A clock names the actions of its owner that meet it. Clocks of earlier versions were met
-- by the one action the host tied to their name; they keep exactly that.
ALTER TABLE deadlines ADD COLUMN met_by TEXT NOT NULL DEFAULT '[]';    -- JSON array of actions
ALTER TABLE deadlines ADD COLUMN cite TEXT NOT NULL DEFAULT '[]';      -- JSON array of rule ids
ALTER TABLE deadlines ADD COLUMN met_at BIGINT;                        -- time of record it was met
ALTER TABLE deadlines ADD COLUMN rounds BIGINT NOT NULL DEFAULT 0;     -- sweeps that acted on it
UPDATE deadlines SET met_by = CASE clock
    WHEN 'sign' THEN '["sign"]'
    WHEN 'first_contact' THEN '["contact"]'
    WHEN 'intervene' THEN '["intervene"]'
    WHEN 'first_feedback' THEN '["feedback"]'
    WHEN 'plan' THEN '["plan"]'
    WHEN 'reverify' THEN '["reverify"]'
    WHEN 'return_by' THEN '["return"]'
    ELSE '["resolve"]' END;
UPDATE deadlines SET met_at = updated_at WHERE state = 'met';

-- Any decision may fire actions, not only a sweep's: the clock is optional, and each row
-- names the trail entry of the decision that fired it.
CREATE TABLE notifications_v2 (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id       TEXT NOT NULL REFERENCES tickets (id),
    clock           TEXT,                        -- the clock a sweep fired on; NULL otherwise
    clock_unit      TEXT,                        -- whose clock it was (co-units share clock names)
    kind            TEXT NOT NULL,               -- remind | escalate | notify | refer | interview | supervise
    to_unit_id      TEXT,
    to_unit_name    TEXT,
    channel         TEXT,
    cite            TEXT NOT NULL,               -- JSON array
    note            TEXT,
    created_at      BIGINT NOT NULL,
    seq             BIGINT                       -- the deciding trail entry; NULL for rows of earlier versions
);
-- Rows of earlier versions did not say whose clock it was. A reminder went to its owner;
-- for an escalation, a notice or a referral it is the lead's clock of that name if the lead
-- has one, else the (first) unit that owes a clock of that name: policies count what fired
-- on a clock, and an escalation lost here would fire again.
INSERT INTO notifications_v2 (id, ticket_id, clock, clock_unit, kind, to_unit_id, to_unit_name, channel, cite, note, created_at)
    SELECT n.id, n.ticket_id, n.clock,
           CASE WHEN n.kind = 'remind' THEN n.to_unit_id ELSE COALESCE(
               (SELECT d.unit_id FROM deadlines d JOIN tickets t ON t.id = d.ticket_id
                 WHERE d.ticket_id = n.ticket_id AND d.clock = n.clock AND d.unit_id = t.lead_unit_id),
               (SELECT MIN(d.unit_id) FROM deadlines d WHERE d.ticket_id = n.ticket_id AND d.clock = n.clock))
           END,
           n.kind, n.to_unit_id, n.to_unit_name, n.channel, n.cite, n.note, n.created_at
    FROM notifications n;
DROP TABLE notifications;
ALTER TABLE notifications_v2 RENAME TO notifications;
CREATE INDEX notifications_by_ticket ON notifications (ticket_id, clock, clock_unit);

-- A retried action with the same key is recorded once; the answer is the first one's.
CREATE TABLE action_keys (
    ticket_id       TEXT NOT NULL REFERENCES tickets (id),
    key             TEXT NOT NULL,
    body_hash       TEXT NOT NULL,
    seq             BIGINT NOT NULL,             -- the action's event in the trail
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, key)
);

-- The legal limit a filing names (HH-16(4), PY-9(3)), as JSON; NULL when none.
ALTER TABLE tickets ADD COLUMN statutory_limit TEXT;
