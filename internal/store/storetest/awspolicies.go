package storetest

import (
	"strconv"
	"testing"

	"github.com/mantle-iam/mantle/internal/store"
)

var awsPolicyTests = []testCase{
	{name: "AWSPolicies/Digest", run: func(t *testing.T, f *fixture) {
		d, err := f.s.AWSPolicies().Digest(f.ctx)
		f.must(err, "digest of a new store")
		f.same("", d, "digest of a new store")
		f.must(f.s.AWSPolicies().SetDigest(f.ctx, "one", at(1)), "set")
		f.must(f.s.AWSPolicies().SetDigest(f.ctx, "two", at(2)), "replace")
		d, err = f.s.AWSPolicies().Digest(f.ctx)
		f.must(err, "digest")
		f.same("two", d, "digest")
	}},
	{name: "AWSPolicies/UsePerAccount", run: func(t *testing.T, f *fixture) {
		f.accounts()
		for _, n := range []string{"Zeta", "alpha", "Mid"} {
			f.policy(store.AWSAccount, "ANPA"+n, n)
		}
		use := func(acct, name string) store.AWSPolicyUse {
			u, err := f.s.AWSPolicies().Use(f.ctx, acct, name)
			f.must(err, "use of %s in %s", name, acct)
			return u
		}
		f.same(store.AWSPolicyUse{AccountID: acct1, PolicyName: "zeta"}, use(acct1, "Zeta"), "unused")
		f.tx(func(tx store.Repos) error {
			r := tx.AWSPolicies()
			for _, step := range []struct {
				acct, name string
				a, b       int
			}{
				{acct1, "Zeta", 2, 0}, {acct1, "ZETA", 0, 1}, {acct1, "alpha", 1, 0}, {acct2, "Zeta", 1, 0},
				{acct1, "alpha", -1, 0}, // back to nothing: no longer used
				{acct1, "Mid", 0, -1},   // never below zero
			} {
				if err := r.AddUse(f.ctx, step.acct, step.name, step.a, step.b); err != nil {
					return err
				}
			}
			return nil
		})
		f.same(store.AWSPolicyUse{AccountID: acct1, PolicyName: "zeta", Attachments: 2, Boundaries: 1}, use(acct1, "zeta"), "Zeta in 1")
		f.same(store.AWSPolicyUse{AccountID: acct2, PolicyName: "zeta", Attachments: 1}, use(acct2, "Zeta"), "Zeta in 2")
		f.same(store.AWSPolicyUse{AccountID: acct1, PolicyName: "alpha"}, use(acct1, "alpha"), "alpha in 1")

		f.must(f.s.AWSPolicies().AddUse(f.ctx, acct1, "Mid", 0, 3), "boundary of Mid")
		got, err := f.s.AWSPolicies().ListUsed(f.ctx, acct1, store.ListOptions{})
		f.must(err, "list used")
		f.same([]string{"Mid:0/3", "Zeta:2/1"}, names(got, func(p *store.ManagedPolicy) string {
			return p.Name + ":" + strconv.Itoa(p.AttachmentCount) + "/" + strconv.Itoa(p.PermissionsBoundaryUsageCount)
		}), "used in 1, with its counts")
		got, err = f.s.AWSPolicies().ListUsed(f.ctx, acct1, store.ListOptions{After: "mid", Limit: 1})
		f.must(err, "list used after mid")
		f.same([]string{"Zeta"}, names(got, func(p *store.ManagedPolicy) string { return p.Name }), "page after mid")
		got, err = f.s.AWSPolicies().ListUsed(f.ctx, acct1, store.ListOptions{Limit: 1})
		f.must(err, "first page")
		f.same([]string{"Mid"}, names(got, func(p *store.ManagedPolicy) string { return p.Name }), "first page")
		got, err = f.s.AWSPolicies().ListUsed(f.ctx, acct1, store.ListOptions{PathPrefix: "/other/"})
		f.must(err, "path prefix")
		f.same(0, len(got), "used under /other/")
		got, err = f.s.AWSPolicies().ListUsed(f.ctx, acct2, store.ListOptions{})
		f.must(err, "used in 2")
		f.same([]string{"Zeta:1/0"}, names(got, func(p *store.ManagedPolicy) string {
			return p.Name + ":" + strconv.Itoa(p.AttachmentCount) + "/" + strconv.Itoa(p.PermissionsBoundaryUsageCount)
		}), "used in 2")
	}},
}

var jobTests = []testCase{
	{name: "Jobs/PutGet", run: func(t *testing.T, f *fixture) {
		f.accounts()
		_, err := f.s.Jobs().Get(f.ctx, acct1, "task/x")
		f.wantErr(err, store.ErrNotFound, "get before put")
		j := &store.Job{AccountID: acct1, ID: "task/x", Kind: "k", Status: "IN_PROGRESS", Params: `{"a":1}`, CreatedAt: at(1)}
		f.must(f.s.Jobs().Put(f.ctx, j), "put")
		got, err := f.s.Jobs().Get(f.ctx, acct1, "task/x")
		f.must(err, "get")
		f.same(j, got, "job")
		done := at(2)
		j.Status, j.Result, j.CompletedAt = "SUCCEEDED", "csv,text\n", &done
		f.must(f.s.Jobs().Put(f.ctx, j), "replace")
		got, err = f.s.Jobs().Get(f.ctx, acct1, "task/x")
		f.must(err, "get replaced")
		f.same(j, got, "replaced job")
		// Jobs are per account.
		_, err = f.s.Jobs().Get(f.ctx, acct2, "task/x")
		f.wantErr(err, store.ErrNotFound, "another account's job")
	}},
}
