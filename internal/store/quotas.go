package store

import "context"

// Counted names a kind of entity whose number per account the store keeps
// as it writes: the repositories' Create and Delete adjust a counter in the
// same transaction, so Count and quota checks never count rows.
type Counted string

const (
	CountUsers            Counted = "users"
	CountGroups           Counted = "groups"
	CountRoles            Counted = "roles"
	CountPolicies         Counted = "policies" // AWS managed ones count in store.AWSAccount
	CountInstanceProfiles Counted = "instance_profiles"
)

// QuotaRef is an account quota as the store enforces it: the kind it
// limits, the name its operator-set value is kept under, and the value
// when none is set.
type QuotaRef struct {
	Name    string
	Kind    Counted
	Default int
}

// Quotas keeps the service quotas every node enforces (operator
// configuration, shared through the store) and admits new entities against
// them.
//
// A per-account counter would be one row every create of that kind writes:
// concurrent creators would queue on it and, under PostgreSQL's
// serializable isolation, fail and retry. So the count is kept in shards
// (the shard of an entity is a hash of its ID), and each shard holds an
// allowance handed out from the quota: a create whose shard still has
// allowance left touches that shard's row only. The sum of the allowances
// never exceeds the quota, so neither does the count. A shard out of
// allowance takes more from what no shard holds (or takes back what other
// shards hold unused), reading every shard of the account: only then is
// the quota itself read.
type Quotas interface {
	// Values returns every quota value an operator set, by name.
	Values(ctx context.Context) (map[string]int, error)
	// Set keeps value for q (every account); a negative value forgets it,
	// so q.Default applies again. Every account's unused allowance of
	// q.Kind is withdrawn, so a lowered quota applies at once.
	Set(ctx context.Context, q QuotaRef, value int) error
	// Reserve reports whether the account may have one more entity of
	// q.Kind, entityID being the new entity's ID: call it in the
	// transaction that creates the entity. When it may not, limit is the
	// quota in force.
	Reserve(ctx context.Context, q QuotaRef, accountID, entityID string) (ok bool, limit int, err error)
}
