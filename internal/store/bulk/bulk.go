// Package bulk creates many users and roles directly through a store, for
// the load tests and benchmarks that need an account at scale (100,000
// roles and users): creating them through the API would take many minutes
// under AWS's default quotas and measure IAM's write path rather than what
// the test is about. Nothing on mantle's serving path uses it.
package bulk

import (
	"context"
	"fmt"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

// perTx bounds one transaction.
const perTx = 2000

// Roles creates roles NAME0 … NAME(n-1) at path "/" in account, each with
// the trust policy trust, and returns their ARNs.
func Roles(ctx context.Context, st store.Store, account, name string, n int, trust string) ([]string, error) {
	arns := make([]string, n)
	now := time.Now().UTC().Truncate(time.Second)
	err := batches(ctx, st, n, func(ctx context.Context, tx store.Repos, i int) error {
		r := &store.Role{AccountID: account, ID: fmt.Sprintf("AROABULK%013d", i), Name: fmt.Sprintf("%s%d", name, i), Path: "/",
			TrustPolicy: trust, MaxSessionDuration: 3600, CreatedAt: now}
		arns[i] = "arn:aws:iam::" + account + ":role/" + r.Name
		return tx.Roles().Create(ctx, r)
	})
	return arns, err
}

// Users creates users NAME0 … NAME(n-1) at path "/" in account.
func Users(ctx context.Context, st store.Store, account, name string, n int) error {
	now := time.Now().UTC().Truncate(time.Second)
	return batches(ctx, st, n, func(ctx context.Context, tx store.Repos, i int) error {
		return tx.Users().Create(ctx, &store.User{AccountID: account, ID: fmt.Sprintf("AIDABULK%013d", i),
			Name: fmt.Sprintf("%s%d", name, i), Path: "/", CreatedAt: now})
	})
}

// batches runs create for 0 … n-1, perTx to a change (a change, so caches
// that remember an entity's absence load again).
func batches(ctx context.Context, st store.Store, n int, create func(context.Context, store.Repos, int) error) error {
	for lo := 0; lo < n; lo += perTx {
		err := st.Change(ctx, func(ctx context.Context, tx store.Repos) error {
			for i := lo; i < min(lo+perTx, n); i++ {
				if err := create(ctx, tx, i); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("bulk: %w", err)
		}
	}
	return nil
}
