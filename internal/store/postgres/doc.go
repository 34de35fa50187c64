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
// Nodes sharing the database learn of each other's changes through
// LISTEN/NOTIFY and hold leases in the nodes table (feed.go): Change
// returns once every node with a live lease has applied the change or lost
// its lease, and a node whose own lease lapsed is not Current until it has
// renewed. Lock serializes work (first-start bootstrap) across nodes. The
// repositories themselves are store/sqlstore's, shared with SQLite; this
// package keeps its events, connections, transactions and migrations.
package postgres
