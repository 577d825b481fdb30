DROP TABLE idempotency_keys;
DROP TABLE notifications;
DROP TABLE deadlines;
ALTER TABLE tickets DROP COLUMN dispatched_at;
ALTER TABLE tickets DROP COLUMN revision;
