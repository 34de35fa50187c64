package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/bulk"
	"github.com/mantle-iam/mantle/internal/store"
)

// BenchPages measures a page of 100 of every paginated repository read at
// two table sizes (1,000 and 100,000 roles and as many users, built by
// internal/bulk), from the start and from the end of the listing: with
// keyset pages on indexes, the four figures of a read are alike (issue 19).
//
//	go test -run '^$' -bench Pages -benchtime 200x ./internal/store/sqlite/
//
// loaded, when set, runs after the data is built (PostgreSQL analyzes the
// tables, as autovacuum does soon after a bulk load).
func BenchPages(b *testing.B, newStore func(b *testing.B) store.Store, loaded func(b *testing.B, s store.Store)) {
	for _, rows := range []int{1000, 100000} {
		s := newStore(b)
		ctx := context.Background()
		if err := s.Accounts().Create(ctx, &store.Account{ID: acct1, Name: "bench", Status: "ACTIVE", CreatedAt: time.Now()}); err != nil {
			b.Fatal(err)
		}
		// bulk attaches this AWS managed policy to the first 100 users.
		if err := s.Policies().Create(ctx, &store.ManagedPolicy{AccountID: store.AWSAccount, ID: "ANPAAWSREADONLY", Name: "ReadOnlyAccess",
			Path: "/", DefaultVersionID: "v1", NextVersion: 2, CreatedAt: time.Now(), UpdatedAt: time.Now()},
			&store.PolicyVersion{PolicyID: "ANPAAWSREADONLY", VersionID: "v1", Document: "{}", CreatedAt: time.Now()}); err != nil {
			b.Fatal(err)
		}
		if _, err := bulk.Load(ctx, s, bulk.Options{AccountID: acct1, Roles: rows, Users: rows, Batch: 5000}); err != nil {
			b.Fatal(err)
		}
		if loaded != nil {
			loaded(b, s)
		}
		policy, err := s.Policies().Get(ctx, acct1, "bulk-policy-000")
		if err != nil {
			b.Fatal(err)
		}
		group, err := s.Groups().Get(ctx, acct1, "bulk-group")
		if err != nil {
			b.Fatal(err)
		}
		attached, err := s.PolicyUsage().Entities(ctx, store.PolicyEntityOptions{AccountID: acct1, PolicyID: policy.ID})
		if err != nil {
			b.Fatal(err)
		}
		roles, err := s.Roles().List(ctx, acct1, store.ListOptions{})
		if err != nil {
			b.Fatal(err)
		}
		const page = 100
		ids := func(rs []*store.Role) []string {
			out := make([]string, len(rs))
			for i, r := range rs {
				out[i] = r.ID
			}
			return out
		}
		positions := []struct {
			name   string
			after  string             // a name, for the listings in name order
			entity store.PolicyEntity // for PolicyUsage.Entities
			roles  []string           // a page of role IDs, for Details
		}{
			{"first", "", store.PolicyEntity{}, ids(roles[:page])},
			{"last", fmt.Sprintf("bulk-role-%06d", rows-page-1), attached[len(attached)-page-1], ids(roles[len(roles)-page:])},
		}
		for _, pos := range positions {
			userAfter := ""
			if pos.after != "" {
				userAfter = fmt.Sprintf("bulk-user-%06d", rows-page-1)
			}
			reads := []struct {
				name string
				read func() (int, error)
			}{
				{"Roles.List", func() (int, error) {
					rs, err := s.Roles().List(ctx, acct1, store.ListOptions{After: pos.after, Limit: page})
					return len(rs), err
				}},
				{"Users.List", func() (int, error) {
					us, err := s.Users().List(ctx, acct1, store.ListOptions{After: userAfter, Limit: page})
					return len(us), err
				}},
				{"Groups.ListMembers", func() (int, error) {
					us, err := s.Groups().ListMembers(ctx, group.ID, store.ListOptions{After: userAfter, Limit: page})
					return len(us), err
				}},
				{"PolicyUsage.Entities", func() (int, error) {
					es, err := s.PolicyUsage().Entities(ctx, store.PolicyEntityOptions{AccountID: acct1, PolicyID: policy.ID, After: pos.entity, Limit: page})
					return len(es), err
				}},
				{"AWSPolicies.ListUsed", func() (int, error) {
					ps, err := s.AWSPolicies().ListUsed(ctx, acct1, store.ListOptions{Limit: page})
					return len(ps), err
				}},
				{"Details.InlinePolicies", func() (int, error) {
					m, err := s.Details().InlinePolicies(ctx, store.EntityRole, pos.roles)
					return len(m), err
				}},
				{"Details.Attached", func() (int, error) {
					m, err := s.Details().Attached(ctx, store.EntityRole, pos.roles)
					return len(m), err
				}},
				{"Roles.Count", func() (int, error) {
					n, err := s.Roles().Count(ctx, acct1)
					return min(n, page), err
				}},
			}
			for _, r := range reads {
				b.Run(fmt.Sprintf("%s/rows=%d/%s", r.name, rows, pos.name), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						n, err := r.read()
						if err != nil {
							b.Fatal(err)
						}
						if n == 0 {
							b.Fatal("empty page")
						}
					}
				})
			}
		}
	}
}
