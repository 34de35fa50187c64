-- Appended audit events (reads, and calls that changed nothing: the bulk of
-- the trail) are stored packed: a batch's events of one account in one
-- blob, and one key row per distinct lookup attribute value of the batch,
-- instead of a row, four index entries and resource rows per event. Lookups
-- read the packs the keys name and filter their events.
CREATE TABLE event_packs (
    id         INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL,
    min_time   TEXT NOT NULL,
    max_time   TEXT NOT NULL,
    n          INTEGER NOT NULL, -- events in the pack
    events     BLOB NOT NULL
);
CREATE INDEX event_packs_time ON event_packs (account_id, max_time, id);

CREATE TABLE event_pack_keys (
    attr       TEXT NOT NULL, -- a LookupEvents attribute key
    value      TEXT NOT NULL,
    account_id TEXT NOT NULL,
    pack_id    INTEGER NOT NULL,
    PRIMARY KEY (attr, value, account_id, pack_id)
) WITHOUT ROWID;
