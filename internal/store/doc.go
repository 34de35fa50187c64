// Package store defines mantle's persistence: plain value structs, one small
// repository interface per entity, a few errors, and the write contract
// (change.go): Change stages a write's audit record, announces it to the
// other nodes sharing the store and advances the generation that every
// Cache keys on, in one place; Tx is for bookkeeping writes. It knows
// nothing of HTTP or AWS error codes. Backends live in subpackages
// (store/sqlite, the embedded default, and store/postgres, both over the one
// SQL repository layer store/sqlstore); store/storetest is the conformance
// suite every backend runs unchanged.
package store
