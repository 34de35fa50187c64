-- AWS managed policies are rows of policies under account_id 'aws', shared
-- by every account; what is per account about them is here.
--
-- aws_policy_catalog records which shipped set of AWS managed policies the
-- rows hold (the digest of mantle's embedded data), so a start compares one
-- value instead of reading every policy.
CREATE TABLE aws_policy_catalog (
    id        integer PRIMARY KEY CHECK (id = 1),
    digest    text NOT NULL,
    loaded_at text NOT NULL
);

-- One account's use of one AWS managed policy: AWS's AttachmentCount and
-- PermissionsBoundaryUsageCount are per account. Keyed by the policy's
-- lower-cased name (unique among AWS managed policies, and the order lists
-- page in), so one account's page of used policies is an index range.
CREATE TABLE aws_policy_usage (
    account_id           text COLLATE "C" NOT NULL REFERENCES accounts (id),
    policy_name_lower    text COLLATE "C" NOT NULL,
    attachment_count     integer NOT NULL DEFAULT 0,
    boundary_usage_count integer NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, policy_name_lower)
);

-- The counts so far were one per policy for all accounts together: count
-- again, per account, from the attachments and boundaries themselves.
INSERT INTO aws_policy_usage (account_id, policy_name_lower, attachment_count, boundary_usage_count)
SELECT account_id, name_lower, sum(a), sum(b) FROM (
    SELECT e.account_id AS account_id, p.name_lower AS name_lower, 1 AS a, 0 AS b
    FROM attachments t
    JOIN policies p ON p.id = t.policy_id AND p.account_id = 'aws'
    JOIN (SELECT 'User' AS typ, id, account_id FROM users
          UNION ALL SELECT 'Group', id, account_id FROM groups
          UNION ALL SELECT 'Role', id, account_id FROM roles) e
      ON e.typ = t.entity_type AND e.id = t.entity_id
    UNION ALL
    SELECT u.account_id, p.name_lower, 0, 1 FROM users u
    JOIN policies p ON p.account_id = 'aws' AND u.permissions_boundary = 'arn:aws:iam::aws:policy' || p.path || p.name
    UNION ALL
    SELECT r.account_id, p.name_lower, 0, 1 FROM roles r
    JOIN policies p ON p.account_id = 'aws' AND r.permissions_boundary = 'arn:aws:iam::aws:policy' || p.path || p.name
) x GROUP BY account_id, name_lower;

UPDATE policies SET attachment_count = 0, boundary_usage_count = 0 WHERE account_id = 'aws';

-- Work IAM does for an account and answers later: service-linked role
-- deletion tasks, the credential report, access advisor jobs. id is the
-- task or job ID the caller holds ('credential-report' for the account's
-- one report); params and result are the kind's own JSON or text.
CREATE TABLE iam_jobs (
    account_id   text COLLATE "C" NOT NULL REFERENCES accounts (id),
    id           text COLLATE "C" NOT NULL,
    kind         text NOT NULL,
    status       text NOT NULL,
    params       text NOT NULL DEFAULT '',
    result       text NOT NULL DEFAULT '',
    created_at   text COLLATE "C" NOT NULL,
    completed_at text COLLATE "C",
    PRIMARY KEY (account_id, id)
);
