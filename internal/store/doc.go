// Package store defines mantle's persistence: plain value structs, one small
// repository interface per entity, three errors, and Tx for writes. It knows
// nothing of HTTP or AWS error codes. Backends live in subpackages
// (store/sqlite, the embedded default); store/storetest is the conformance
// suite every backend runs unchanged.
package store
