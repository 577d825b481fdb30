DROP TABLE policy_versions;
DROP TABLE trail_entries;
DROP TABLE tickets;
