// Package postgres is mantle's store backend for several nodes: every
// repository of package store over one PostgreSQL database (or one schema of
// it, chosen with search_path), through pgx and its connection pool.
//
// It owns the schema and its migrations (migrations/*.sql, PostgreSQL's own
// dialect, embedded and applied at Open under an advisory lock so nodes
// starting together apply them once), and the translation of PostgreSQL
// errors into the store errors.
//
// Tx runs SERIALIZABLE transactions and reruns fn on serialization failures
// and deadlocks (SQLSTATE 40001, 40P01), so concurrent writers on any node
// never lose an update. Each write inside a transaction runs under a
// savepoint, pipelined with the statement, so a failed statement (a unique
// or foreign-key violation) fails that call only, as the store contract
// promises, instead of aborting the transaction.
//
// Nodes sharing the database learn of each other's IAM writes through
// LISTEN/NOTIFY: AnnounceChange queues a notification that PostgreSQL
// delivers at commit, and Changes reports the notifications of other nodes.
// Lock serializes work (first-start bootstrap) across nodes.
package postgres
