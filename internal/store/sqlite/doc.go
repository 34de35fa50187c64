// Package sqlite is mantle's embedded store backend: every repository of
// package store over a single SQLite database file, through the pure-Go
// modernc.org/sqlite driver (no cgo).
//
// It owns the database file, its schema and migrations (migrations/*.sql,
// embedded and applied at Open), and the translation between SQLite errors
// and the store errors. It knows nothing of IAM semantics beyond the
// constraints the schema enforces: names unique per account in any letter
// case, and foreign keys so no record can point at something that does not
// exist.
//
// SQLite allows one writer at a time. Store therefore keeps two connection
// pools on the same file: a single write connection, which serializes Tx
// (and writes made outside Tx) in-process and begins every transaction with
// BEGIN IMMEDIATE so another process holding the lock makes us wait rather
// than fail half way; and a read-only pool that serves reads outside Tx
// concurrently thanks to WAL. The repositories are store/sqlstore's, shared
// with PostgreSQL, except the audit events, which SQLite stores packed
// (eventpacks.go).
//
// One process serves a database: Open takes an exclusive flock on
// mantle.db.lock beside it (the holder's pid inside) for the store's
// lifetime, and a second Open fails at once naming the directory and that
// pid. Open also makes the directory 0700 and the database files 0600.
package sqlite
