package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/mantle-iam/mantle/internal/iam"
	"github.com/mantle-iam/mantle/internal/store"
)

// quotaFlags is serve's --quota: IAM account quotas raised (or lowered) as
// AWS customers do through Service Quotas, kept in the store so every node
// enforces the same values.
type quotaFlags struct {
	given  []string
	values map[string]int // by quota name; -1 restores the default
}

func (q *quotaFlags) register(f *pflag.FlagSet) {
	f.StringArrayVar(&q.given, "quota", nil,
		"set an IAM account quota for every account, e.g. RolesPerAccount=100000 (repeatable; kept in the store; VALUE default restores AWS's)")
}

// check parses every --quota before anything is created.
func (q *quotaFlags) check() error {
	q.values = map[string]int{}
	for _, s := range q.given {
		quota, v, err := iam.ParseQuota(s)
		if err != nil {
			return fmt.Errorf("--quota %w", err)
		}
		q.values[quota.Name] = v
	}
	return nil
}

// apply keeps the values in the store; quotas not given keep what an
// earlier start (of any node) set.
func (q *quotaFlags) apply(ctx context.Context, st store.Store) error {
	if err := iam.SetQuotas(ctx, st, q.values); err != nil {
		return fmt.Errorf("--quota: %w", err)
	}
	return nil
}
