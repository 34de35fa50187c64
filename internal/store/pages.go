package store

import "context"

// PolicyUsage answers, a page at a time, who uses a managed policy (the
// question ListEntitiesForPolicy asks, whose answer grows with the
// account), so each page reads only what it returns.
type PolicyUsage interface {
	// Entities lists the users, groups and roles of opt.AccountID that
	// use a policy, in (type, ID) order after opt.After.
	Entities(ctx context.Context, opt PolicyEntityOptions) ([]PolicyEntity, error)
}

// PolicyEntityOptions selects a page of PolicyUsage.Entities.
type PolicyEntityOptions struct {
	AccountID string
	PolicyID  string
	// Boundary lists the users and roles whose permissions boundary is
	// PolicyARN rather than the entities PolicyID is attached to.
	Boundary  bool
	PolicyARN string
	// SkipAttached leaves out, when listing boundaries, the entities
	// PolicyID is also attached to (listed already).
	SkipAttached bool
	// Type is "" for every kind, or the one kind to list.
	Type       EntityType
	PathPrefix string
	// After is the type and ID of the last entity of the previous page;
	// zero from the start.
	After PolicyEntity
	Limit int
}

// PolicyEntity is a user, group or role using a policy.
type PolicyEntity struct {
	Type EntityType
	ID   string
	Name string
	Path string
}

// Details reads what GetAccountAuthorizationDetails shows of a page of
// entities in one query per kind of detail, rather than a few per entity.
// Each returns the details by entity ID, in the order the single-entity
// reads use (names; versions newest first).
type Details interface {
	InlinePolicies(ctx context.Context, t EntityType, ids []string) (map[string][]*InlinePolicy, error)
	Attached(ctx context.Context, t EntityType, ids []string) (map[string][]*ManagedPolicy, error)
	GroupsOf(ctx context.Context, userIDs []string) (map[string][]*Group, error)
	InstanceProfilesOf(ctx context.Context, roleIDs []string) (map[string][]*InstanceProfile, error)
	VersionsOf(ctx context.Context, policyIDs []string) (map[string][]*PolicyVersion, error)
}
