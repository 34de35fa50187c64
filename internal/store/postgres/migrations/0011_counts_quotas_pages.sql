-- Service quotas an operator set (serve --quota), shared by every node; a
-- quota without a row has its default.
CREATE TABLE quotas (
    name  text COLLATE "C" PRIMARY KEY,
    value integer NOT NULL
);

-- How many users, groups, roles, managed policies and instance profiles
-- each account (and 'aws', for AWS managed policies) has, kept by the
-- repositories' Create and Delete in the same transaction, so neither Count
-- nor a quota check counts rows. An account's count of a kind is spread
-- over shards (the shard of an entity is a hash of its ID) so concurrent
-- creators rarely write the same row; allowance is the part of the quota a
-- shard may use without reading the others (sqlstore/quotas.go). Shard -1
-- holds what existed before counting began.
CREATE TABLE entity_counts (
    account_id text COLLATE "C" NOT NULL,
    kind       text COLLATE "C" NOT NULL,
    shard      integer NOT NULL,
    used       integer NOT NULL,
    allowance  integer NOT NULL,
    PRIMARY KEY (account_id, kind, shard)
);

INSERT INTO entity_counts (account_id, kind, shard, used, allowance)
    SELECT account_id, 'users', -1, count(*), count(*) FROM users GROUP BY account_id;
INSERT INTO entity_counts (account_id, kind, shard, used, allowance)
    SELECT account_id, 'groups', -1, count(*), count(*) FROM groups GROUP BY account_id;
INSERT INTO entity_counts (account_id, kind, shard, used, allowance)
    SELECT account_id, 'roles', -1, count(*), count(*) FROM roles GROUP BY account_id;
INSERT INTO entity_counts (account_id, kind, shard, used, allowance)
    SELECT account_id, 'policies', -1, count(*), count(*) FROM policies GROUP BY account_id;
INSERT INTO entity_counts (account_id, kind, shard, used, allowance)
    SELECT account_id, 'instance_profiles', -1, count(*), count(*) FROM instance_profiles GROUP BY account_id;

-- Who has a policy as permissions boundary, a page at a time in ID order
-- (ListEntitiesForPolicy, GetAccountAuthorizationDetails).
CREATE INDEX users_boundary ON users (account_id, permissions_boundary, id);
CREATE INDEX roles_boundary ON roles (account_id, permissions_boundary, id);
-- A policy's attachments in (type, ID) order. SQLite's attachments_policy
-- has that order already: its index entries end with the table's key.
CREATE INDEX attachments_policy_entity ON attachments (policy_id, entity_type, entity_id);

-- A group's members a page at a time in name order: the member's
-- lower-cased name is kept with the membership (Users.Update keeps it when
-- the user is renamed).
ALTER TABLE group_members ADD COLUMN user_name_lower text COLLATE "C" NOT NULL DEFAULT '';
UPDATE group_members SET user_name_lower = (SELECT name_lower FROM users WHERE users.id = group_members.user_id);
CREATE INDEX group_members_name ON group_members (group_id, user_name_lower, user_id);
