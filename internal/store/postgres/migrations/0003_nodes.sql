-- The nodes serving from this schema and their leases. A node renews its
-- lease (expires_at, by the database's clock) every second while it can
-- prove it hears every change notice; a writer waits for each node whose
-- lease is live to acknowledge its change (or to record, in applied_before,
-- that it applied everything committed before that instant) or to lose its
-- lease.
CREATE TABLE nodes (
	id             text PRIMARY KEY,
	joined_at      timestamptz NOT NULL,
	expires_at     timestamptz NOT NULL,
	applied_before timestamptz
);
