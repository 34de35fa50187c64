-- Audit events (CloudTrail records). The record is kept whole; the columns
-- beside it are the LookupEvents attributes. No foreign keys to the
-- entities an event names: events outlive them.
CREATE TABLE events (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL,
    event_time    TEXT NOT NULL,
    name          TEXT NOT NULL,
    source        TEXT NOT NULL,
    access_key_id TEXT NOT NULL,
    username      TEXT NOT NULL,
    read_only     INTEGER NOT NULL,
    record        BLOB NOT NULL
);
-- Every lookup is one account's events newest first; the attributes asked
-- for most have their own index, the rest (source, read-only) filter the
-- time index.
CREATE INDEX events_time ON events (account_id, event_time, id);
CREATE INDEX events_access_key ON events (account_id, access_key_id, event_time);
CREATE INDEX events_name ON events (account_id, name, event_time);
CREATE INDEX events_username ON events (account_id, username, event_time);

CREATE TABLE event_resources (
    event_id   TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    pos        INTEGER NOT NULL, -- the event's order of its resources
    account_id TEXT NOT NULL,
    type       TEXT NOT NULL,
    name       TEXT NOT NULL,
    PRIMARY KEY (event_id, pos)
) WITHOUT ROWID;
CREATE INDEX event_resources_name ON event_resources (account_id, name);
CREATE INDEX event_resources_type ON event_resources (account_id, type);
