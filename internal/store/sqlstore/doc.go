// Package sqlstore is the one repository layer over SQL that both SQL
// backends use: every repository of package store except Events, written
// once in the SQL that SQLite and PostgreSQL both accept ($N placeholders,
// text timestamps, JSON text lists, portable predicates). A backend brings
// a Querier over its driver and a Dialect that maps its errors onto the
// store errors; it keeps only what is truly its own: opening, transactions
// and retry, migrations, its audit event storage, and (PostgreSQL) the feed
// between nodes.
//
// It also holds what the backends share besides SQL: the column encodings
// of times, lists and tags, and the loading of numbered migration files.
package sqlstore
