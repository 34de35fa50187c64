package policy

import (
	"fmt"
	"unicode"
)

// Size quotas from "IAM and AWS STS quotas" (character counts exclude white
// space) and the STS AssumeRole reference for session policies.
const (
	MaxManagedPolicySize     = 6144  // customer managed policy, PolicySize quota
	MaxInlineUserPolicySize  = 2048  // sum of a user's inline policies
	MaxInlineRolePolicySize  = 10240 // sum of a role's inline policies
	MaxInlineGroupPolicySize = 5120  // sum of a group's inline policies
	DefaultTrustPolicySize   = 2048  // role trust policy, ACLSizePerRole default
	MaxTrustPolicySize       = 4096  // highest ACLSizePerRole quota increase
	MaxSessionPolicySize     = 2048  // plaintext of inline + managed session policies
	MaxOrgPolicySize         = 5120  // SCP and RCP documents; Organizations counts every character
)

// Size is a policy document's length as IAM counts it against quotas:
// characters, not bytes, and white space does not count.
func Size(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// CheckManagedPolicySize rejects a managed policy document (identity policy or
// permissions boundary) over the PolicySize quota.
func CheckManagedPolicySize(doc string) error {
	if Size(doc) > MaxManagedPolicySize {
		return quotaError("PolicySize", MaxManagedPolicySize)
	}
	return nil
}

// CheckTrustPolicySize rejects a role trust policy over quota, the account's
// ACLSizePerRole (DefaultTrustPolicySize unless raised, at most
// MaxTrustPolicySize); quota <= 0 means the default.
func CheckTrustPolicySize(doc string, quota int) error {
	if quota <= 0 {
		quota = DefaultTrustPolicySize
	}
	if Size(doc) > quota {
		return quotaError("ACLSizePerRole", quota)
	}
	return nil
}

// Entity names the owner of inline policies for CheckInlinePolicySize.
type Entity string

// Entities that own inline policies.
const (
	EntityUser  Entity = "user"
	EntityRole  Entity = "role"
	EntityGroup Entity = "group"
)

// CheckInlinePolicySize checks the aggregate size of an entity's inline
// policies: the caller sums Size over every inline policy the entity would
// have (including the one being put) and passes the total.
func CheckInlinePolicySize(e Entity, name string, total int) error {
	limit := MaxInlineUserPolicySize
	switch e {
	case EntityRole:
		limit = MaxInlineRolePolicySize
	case EntityGroup:
		limit = MaxInlineGroupPolicySize
	}
	if total > limit {
		return &Error{Code: CodeLimitExceeded,
			Message: fmt.Sprintf("Maximum policy size of %d bytes exceeded for %s %s", limit, e, name)}
	}
	return nil
}

func quotaError(quota string, limit int) *Error {
	return &Error{Code: CodeLimitExceeded, Message: fmt.Sprintf("Cannot exceed quota for %s: %d", quota, limit)}
}

// PackedPolicySize approximates STS's PackedPolicySize: the percentage of the
// packed session budget used by the session policies plus the session tags
// (keys and values). AWS packs into an undocumented binary form; we charge
// each non-white-space character of the policies and each tag character one
// unit against MaxSessionPolicySize, which agrees with AWS at the plaintext
// limit and errs on the strict side below it.
func PackedPolicySize(sessionPolicies []string, tags []Tag) int {
	units := 0
	for _, d := range sessionPolicies {
		units += Size(d)
	}
	for _, t := range tags {
		units += len(t.Key) + len(t.Value)
	}
	return (units*100 + MaxSessionPolicySize - 1) / MaxSessionPolicySize
}

// CheckPackedPolicySize returns STS's PackedPolicyTooLarge error when the
// packed size exceeds 100%.
func CheckPackedPolicySize(sessionPolicies []string, tags []Tag) error {
	if pct := PackedPolicySize(sessionPolicies, tags); pct > 100 {
		return &Error{Code: CodePackedPolicyTooLarge,
			Message: fmt.Sprintf("Packed policy consumes %d%% of allotted space, please use smaller policy.", pct)}
	}
	return nil
}
