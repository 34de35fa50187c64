package iam

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// Quota is an IAM account quota an operator may raise (or lower), as AWS
// customers do through Service Quotas. Name is the one IAM's LimitExceeded
// message gives ("Cannot exceed quota for RolesPerAccount: 1000"), Title
// and Code Service Quotas' own, Default AWS's default ("IAM and AWS STS
// quotas", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
type Quota struct {
	store.QuotaRef
	Title string
	Code  string
	// Summary is the GetAccountSummary key reporting the value.
	Summary string
}

// Quotas lists the quotas `serve --quota NAME=VALUE` sets.
var Quotas = []Quota{
	{store.QuotaRef{Name: "UsersPerAccount", Kind: store.CountUsers, Default: 5000}, "Users per account", "L-F55AF5E4", "UsersQuota"},
	{store.QuotaRef{Name: "GroupsPerAccount", Kind: store.CountGroups, Default: 300}, "Groups per account", "L-F4A5425F", "GroupsQuota"},
	{store.QuotaRef{Name: "RolesPerAccount", Kind: store.CountRoles, Default: 1000}, "Roles per account", "L-FE177D64", "RolesQuota"},
	{store.QuotaRef{Name: "PoliciesPerAccount", Kind: store.CountPolicies, Default: 1500}, "Customer managed policies per account", "L-0B55BAF2", "PoliciesQuota"},
	{store.QuotaRef{Name: "InstanceProfilesPerAccount", Kind: store.CountInstanceProfiles, Default: 1000}, "Instance profiles per account", "L-6E65F664", "InstanceProfilesQuota"},
}

func quotaOf(kind store.Counted) Quota {
	for _, q := range Quotas {
		if q.Kind == kind {
			return q
		}
	}
	panic("iam: no quota for " + string(kind))
}

// QuotaByName finds a quota by its Name or its Service Quotas code, in any
// case.
func QuotaByName(name string) (Quota, bool) {
	for _, q := range Quotas {
		if strings.EqualFold(name, q.Name) || strings.EqualFold(name, q.Code) {
			return q, true
		}
	}
	return Quota{}, false
}

// ParseQuota reads NAME=VALUE; VALUE "default" restores AWS's default
// (returned as -1).
func ParseQuota(s string) (Quota, int, error) {
	name, val, ok := strings.Cut(s, "=")
	q, known := QuotaByName(strings.TrimSpace(name))
	switch {
	case !ok:
		return q, 0, fmt.Errorf("%q: use NAME=VALUE, e.g. RolesPerAccount=100000", s)
	case !known:
		names := make([]string, len(Quotas))
		for i, q := range Quotas {
			names[i] = q.Name
		}
		return q, 0, fmt.Errorf("%q: unknown quota %q: use one of %s", s, name, strings.Join(names, ", "))
	}
	val = strings.TrimSpace(val)
	if strings.EqualFold(val, "default") {
		return q, -1, nil
	}
	n, err := strconv.Atoi(val)
	if err != nil || n < 0 || n > 1<<31-1 {
		return q, 0, fmt.Errorf("%q: the value of %s must be a whole number from 0 to 2147483647, or default", s, q.Name)
	}
	return q, n, nil
}

// SetQuotas keeps the given values (ParseQuota's) in the store, where every
// node reads them; quotas not given keep what the store has.
func SetQuotas(ctx context.Context, st store.Store, values map[string]int) error {
	if len(values) == 0 {
		return nil
	}
	return st.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		cur, err := tx.Quotas().Values(ctx)
		if err != nil {
			return err
		}
		for name, v := range values {
			q, ok := QuotaByName(name)
			if !ok {
				return fmt.Errorf("iam: unknown quota %q", name)
			}
			if old, set := cur[q.Name]; (set && old == v) || (!set && v < 0) {
				continue
			}
			if err := tx.Quotas().Set(ctx, q.QuotaRef, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// reserve admits one more entity of kind into the account, inside the
// transaction creating it, with IAM's LimitExceeded when the quota is
// reached.
func reserve(ctx context.Context, tx store.Repos, kind store.Counted, accountID, id string) error {
	q := quotaOf(kind)
	ok, limit, err := tx.Quotas().Reserve(ctx, q.QuotaRef, accountID, id)
	if err != nil {
		return err
	}
	if !ok {
		return awserr.LimitExceeded("Cannot exceed quota for %s: %d", q.Name, limit)
	}
	return nil
}

// quotaValues returns every account quota in force, by Name.
func quotaValues(ctx context.Context, r store.Repos) (map[string]int, error) {
	set, err := r.Quotas().Values(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(Quotas))
	for _, q := range Quotas {
		out[q.Name] = q.Default
		if v, ok := set[q.Name]; ok {
			out[q.Name] = v
		}
	}
	return out, nil
}
