-- Event packs written from now on are format 1 (packformat.go): the events'
-- lookup attributes in one compressed section and their records in
-- compressed chunks, so a lookup decompresses only the records it returns.
-- Format 0 packs (the events one after the other, uncompressed) stay
-- readable. Format 1 packs have no key rows for event IDs that carry their
-- event's time (UUIDv7), found by time instead, nor for the temporary
-- access keys their events name, kept in the pack's Bloom filter.
--
-- The table is rebuilt so the small columns come before the events blob:
-- SQLite reads a column stored after a blob that overflows its page by
-- walking the blob's overflow pages.
CREATE TABLE event_packs_new (
    id         INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL,
    min_time   TEXT NOT NULL,
    max_time   TEXT NOT NULL,
    n          INTEGER NOT NULL, -- events in the pack
    format     INTEGER NOT NULL,
    keyed      INTEGER NOT NULL, -- 0: no key rows yet (a small batch, merged later)
    bloom      BLOB,             -- temporary access key IDs named as resources
    events     BLOB NOT NULL
);
INSERT INTO event_packs_new (id, account_id, min_time, max_time, n, format, keyed, bloom, events)
    SELECT id, account_id, min_time, max_time, n, 0, 1, NULL, events FROM event_packs;
DROP TABLE event_packs;
ALTER TABLE event_packs_new RENAME TO event_packs;
CREATE INDEX event_packs_time ON event_packs (account_id, max_time, id);
-- The packs written without key rows, which lookups read directly until
-- they are merged into keyed packs.
CREATE INDEX event_packs_unkeyed ON event_packs (account_id, id) WHERE keyed = 0;
