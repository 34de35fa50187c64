-- Audit events (CloudTrail records). The record is kept whole, byte for
-- byte (bytea, not jsonb, which would rewrite it); the columns beside it are
-- the LookupEvents attributes. No foreign keys to the entities an event
-- names: events outlive them.
CREATE TABLE events (
    id            text COLLATE "C" PRIMARY KEY,
    account_id    text COLLATE "C" NOT NULL,
    event_time    text COLLATE "C" NOT NULL,
    name          text COLLATE "C" NOT NULL,
    source        text COLLATE "C" NOT NULL,
    access_key_id text COLLATE "C" NOT NULL,
    username      text COLLATE "C" NOT NULL,
    read_only     boolean NOT NULL,
    record        bytea NOT NULL
);
-- Every lookup is one account's events newest first; the attributes asked
-- for most have their own index, the rest (source, read-only) filter the
-- time index.
CREATE INDEX events_time ON events (account_id, event_time, id);
CREATE INDEX events_access_key ON events (account_id, access_key_id, event_time);
CREATE INDEX events_name ON events (account_id, name, event_time);
CREATE INDEX events_username ON events (account_id, username, event_time);
-- DeleteBefore prunes across accounts.
CREATE INDEX events_prune ON events (event_time);

CREATE TABLE event_resources (
    event_id   text COLLATE "C" NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    pos        integer NOT NULL, -- the event's order of its resources
    account_id text COLLATE "C" NOT NULL,
    type       text COLLATE "C" NOT NULL,
    name       text COLLATE "C" NOT NULL,
    PRIMARY KEY (event_id, pos)
);
CREATE INDEX event_resources_name ON event_resources (account_id, name);
CREATE INDEX event_resources_type ON event_resources (account_id, type);
