ALTER TABLE tickets DROP COLUMN statutory_limit;
DROP TABLE action_keys;
CREATE TABLE notifications_v1 (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id       TEXT NOT NULL REFERENCES tickets (id),
    clock           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    to_unit_id      TEXT,
    to_unit_name    TEXT,
    channel         TEXT,
    cite            TEXT NOT NULL,
    note            TEXT,
    created_at      BIGINT NOT NULL
);
INSERT INTO notifications_v1 SELECT id, ticket_id, COALESCE(clock, ''), kind, to_unit_id, to_unit_name, channel, cite, note, created_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_v1 RENAME TO notifications;
CREATE INDEX notifications_by_ticket ON notifications (ticket_id, clock);
ALTER TABLE deadlines DROP COLUMN rounds;
ALTER TABLE deadlines DROP COLUMN met_at;
ALTER TABLE deadlines DROP COLUMN cite;
ALTER TABLE deadlines DROP COLUMN met_by;
