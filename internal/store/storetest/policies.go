package storetest

import (
	"fmt"
	"testing"

	"github.com/mantle-iam/mantle/internal/store"
)

var policyTests = []testCase{
	{name: "Policy/RoundTrip", run: func(t *testing.T, f *fixture) {
		f.accounts()
		p := &store.ManagedPolicy{AccountID: acct1, ID: "ANPA1", Name: "ReadOnly", Path: "/team/", Description: "reads",
			DefaultVersionID: "v1", NextVersion: 2, AttachmentCount: 3, PermissionsBoundaryUsageCount: 4,
			Tags: []store.Tag{{Key: "x", Value: "y"}}, CreatedAt: at(1), UpdatedAt: at(2)}
		v := &store.PolicyVersion{PolicyID: "ANPA1", VersionID: "v1", Document: `{"Version":"2012-10-17","Statement":[]}`, CreatedAt: at(1)}
		f.must(f.s.Policies().Create(f.ctx, p, v), "create")
		got, err := f.s.Policies().GetByID(f.ctx, "ANPA1")
		f.must(err, "get by ID")
		f.same(p, got, "policy")
		got, err = f.s.Policies().Get(f.ctx, acct1, "READONLY")
		f.must(err, "get")
		f.same(p, got, "policy")
		gv, err := f.s.Policies().GetVersion(f.ctx, "ANPA1", "v1")
		f.must(err, "get version")
		f.same(v, gv, "version")

		p2 := &store.ManagedPolicy{AccountID: acct1, ID: "ANPA1", Name: "ReadOnly2", Path: "/", DefaultVersionID: "v3",
			NextVersion: 4, CreatedAt: at(3), UpdatedAt: at(4)}
		f.must(f.s.Policies().Update(f.ctx, p2), "update")
		got, err = f.s.Policies().GetByID(f.ctx, "ANPA1")
		f.must(err, "get")
		f.same(p2, got, "updated policy")
	}},
	{name: "Policy/Versions", run: func(t *testing.T, f *fixture) {
		f.accounts()
		f.policy(acct1, "ANPA1", "p")
		f.policy(acct1, "ANPA2", "q")
		// v2…v11, so "v10" and "v11" would sort before "v2" as text.
		for i := 2; i <= 11; i++ {
			f.must(f.s.Policies().CreateVersion(f.ctx, &store.PolicyVersion{PolicyID: "ANPA1", VersionID: fmt.Sprintf("v%d", i),
				Document: fmt.Sprintf(`{"n":%d}`, i), CreatedAt: at(4 + i)}), "create v%d", i)
		}
		f.wantErr(f.s.Policies().CreateVersion(f.ctx, &store.PolicyVersion{PolicyID: "ANPA1", VersionID: "v3", Document: "{}", CreatedAt: base}),
			store.ErrAlreadyExists, "duplicate version")
		vs, err := f.s.Policies().ListVersions(f.ctx, "ANPA1")
		f.must(err, "list versions")
		var want []string
		for i := 11; i >= 1; i-- {
			want = append(want, fmt.Sprintf("v%d", i))
		}
		f.same(want, names(vs, func(v *store.PolicyVersion) string { return v.VersionID }), "versions newest first")

		f.must(f.s.Policies().DeleteVersion(f.ctx, "ANPA1", "v5"), "delete v5")
		f.wantErr(f.s.Policies().DeleteVersion(f.ctx, "ANPA1", "v5"), store.ErrNotFound, "delete v5 twice")
		_, err = f.s.Policies().GetVersion(f.ctx, "ANPA1", "v5")
		f.wantErr(err, store.ErrNotFound, "get deleted version")

		f.must(f.s.Policies().Delete(f.ctx, "ANPA1"), "delete policy")
		_, err = f.s.Policies().GetByID(f.ctx, "ANPA1")
		f.wantErr(err, store.ErrNotFound, "get deleted policy")
		_, err = f.s.Policies().GetVersion(f.ctx, "ANPA1", "v1")
		f.wantErr(err, store.ErrNotFound, "version of deleted policy")
		vs, err = f.s.Policies().ListVersions(f.ctx, "ANPA1")
		f.must(err, "list versions of deleted policy")
		if len(vs) != 0 {
			t.Errorf("deleted policy still has %d versions", len(vs))
		}
		// The other policy keeps its version.
		_, err = f.s.Policies().GetVersion(f.ctx, "ANPA2", "v1")
		f.must(err, "other policy's version")
		// The freed name can be used again, and its versions start afresh.
		f.policy(acct1, "ANPA3", "P")
	}},
	{name: "Policy/AWSManaged", run: func(t *testing.T, f *fixture) {
		f.accounts()
		// AWS managed policies belong to no account, and share names with
		// customer policies.
		f.policy(store.AWSAccount, "ANPAAWS1", "ReadOnlyAccess")
		f.policy(acct1, "ANPA1", "ReadOnlyAccess")
		f.wantErr(f.s.Policies().Create(f.ctx,
			&store.ManagedPolicy{AccountID: store.AWSAccount, ID: "ANPAAWS2", Name: "readonlyaccess", Path: "/", DefaultVersionID: "v1", NextVersion: 2, CreatedAt: base, UpdatedAt: base},
			&store.PolicyVersion{PolicyID: "ANPAAWS2", VersionID: "v1", Document: "{}", CreatedAt: base}),
			store.ErrAlreadyExists, "duplicate AWS managed name")
		got, err := f.s.Policies().Get(f.ctx, store.AWSAccount, "readonlyaccess")
		f.must(err, "get AWS managed")
		if got.ID != "ANPAAWS1" || got.AccountID != store.AWSAccount {
			t.Errorf("got %s in %s, want ANPAAWS1 in %s", got.ID, got.AccountID, store.AWSAccount)
		}
		n, err := f.s.Policies().Count(f.ctx, store.AWSAccount)
		f.must(err, "count")
		if n != 1 {
			t.Errorf("AWS managed count = %d, want 1", n)
		}
		// A failed Create leaves nothing behind, version included.
		_, err = f.s.Policies().GetVersion(f.ctx, "ANPAAWS2", "v1")
		f.wantErr(err, store.ErrNotFound, "version of a policy that failed to create")
	}},
}

var attachmentTests = []testCase{
	{name: "Attachment/BothDirections", run: func(t *testing.T, f *fixture) {
		f.accounts()
		f.user(acct1, "AIDA1", "alice")
		f.group(acct1, "AGPA1", "admins")
		f.role(acct1, "AROA1", "deployer")
		f.policy(acct1, "ANPAZ", "zz")
		f.policy(acct1, "ANPAA", "Aa")
		f.policy(store.AWSAccount, "ANPAM", "mid")
		atts := []store.Attachment{
			{PolicyID: "ANPAZ", EntityType: store.EntityUser, EntityID: "AIDA1"},
			{PolicyID: "ANPAA", EntityType: store.EntityUser, EntityID: "AIDA1"},
			{PolicyID: "ANPAM", EntityType: store.EntityUser, EntityID: "AIDA1"},
			{PolicyID: "ANPAZ", EntityType: store.EntityGroup, EntityID: "AGPA1"},
			{PolicyID: "ANPAZ", EntityType: store.EntityRole, EntityID: "AROA1"},
			{PolicyID: "ANPAZ", EntityType: store.EntityRole, EntityID: "AROA1"}, // idempotent
		}
		for _, a := range atts {
			f.must(f.s.Attachments().Attach(f.ctx, a), "attach %+v", a)
		}
		policyNames := func(xs []*store.ManagedPolicy) []string {
			return names(xs, func(p *store.ManagedPolicy) string { return p.Name })
		}
		cases := []struct {
			t    store.EntityType
			id   string
			want []string
		}{
			{store.EntityUser, "AIDA1", []string{"Aa", "mid", "zz"}},
			{store.EntityGroup, "AGPA1", []string{"zz"}},
			{store.EntityRole, "AROA1", []string{"zz"}},
			// Entity IDs are only meaningful with their type.
			{store.EntityGroup, "AIDA1", nil},
		}
		for _, c := range cases {
			got, err := f.s.Attachments().ListForEntity(f.ctx, c.t, c.id)
			f.must(err, "list for entity")
			f.same(c.want, policyNames(got), "policies of %s %s", c.t, c.id)
		}
		got, err := f.s.Attachments().ListForEntity(f.ctx, store.EntityUser, "AIDA1")
		f.must(err, "list for entity")
		if len(got) > 0 && got[0].ID != "ANPAA" {
			t.Errorf("attached policy carries ID %s, want ANPAA", got[0].ID)
		}
		byPolicy, err := f.s.Attachments().ListForPolicy(f.ctx, "ANPAZ")
		f.must(err, "list for policy")
		want := map[store.Attachment]bool{atts[0]: true, atts[3]: true, atts[4]: true}
		if len(byPolicy) != len(want) {
			t.Errorf("ListForPolicy = %v, want %d attachments", byPolicy, len(want))
		}
		for _, a := range byPolicy {
			if !want[a] {
				t.Errorf("ListForPolicy has unexpected %+v", a)
			}
		}
		f.must(f.s.Attachments().Detach(f.ctx, atts[0]), "detach")
		f.wantErr(f.s.Attachments().Detach(f.ctx, atts[0]), store.ErrNotFound, "detach twice")
		f.wantErr(f.s.Attachments().Detach(f.ctx, store.Attachment{PolicyID: "ANPAA", EntityType: store.EntityRole, EntityID: "AROA1"}),
			store.ErrNotFound, "detach never attached")
		got, err = f.s.Attachments().ListForEntity(f.ctx, store.EntityUser, "AIDA1")
		f.must(err, "list for entity")
		f.same([]string{"Aa", "mid"}, policyNames(got), "after detach")
	}},
}

var inlinePolicyTests = []testCase{
	{name: "InlinePolicy/PutReplaceList", run: func(t *testing.T, f *fixture) {
		f.accounts()
		f.user(acct1, "AIDA1", "alice")
		f.role(acct1, "AROA1", "deployer")
		f.group(acct1, "AGPA1", "admins")
		puts := []store.InlinePolicy{
			{EntityType: store.EntityUser, EntityID: "AIDA1", Name: "zeta", Document: `{"z":1}`},
			{EntityType: store.EntityUser, EntityID: "AIDA1", Name: "Alpha", Document: `{"a":1}`},
			{EntityType: store.EntityRole, EntityID: "AROA1", Name: "alpha", Document: `{"r":1}`},
			{EntityType: store.EntityGroup, EntityID: "AGPA1", Name: "g", Document: `{"g":1}`},
		}
		for _, p := range puts {
			f.must(f.s.InlinePolicies().Put(f.ctx, &p), "put %s", p.Name)
		}
		got, err := f.s.InlinePolicies().Get(f.ctx, store.EntityUser, "AIDA1", "ALPHA")
		f.must(err, "get any case")
		f.same(&puts[1], got, "inline policy")

		// Put on an existing name, in another case, replaces it.
		repl := store.InlinePolicy{EntityType: store.EntityUser, EntityID: "AIDA1", Name: "ALPHA", Document: `{"a":2}`}
		f.must(f.s.InlinePolicies().Put(f.ctx, &repl), "replace")
		list, err := f.s.InlinePolicies().List(f.ctx, store.EntityUser, "AIDA1")
		f.must(err, "list")
		if len(list) != 2 {
			t.Fatalf("after replace: %d policies, want 2", len(list))
		}
		if list[0].Document != `{"a":2}` || list[1].Name != "zeta" {
			t.Errorf("after replace: %+v %+v", list[0], list[1])
		}
		for _, c := range []struct {
			t    store.EntityType
			id   string
			want []string
		}{
			{store.EntityRole, "AROA1", []string{"alpha"}},
			{store.EntityGroup, "AGPA1", []string{"g"}},
			{store.EntityRole, "AIDA1", nil},
		} {
			got, err := f.s.InlinePolicies().List(f.ctx, c.t, c.id)
			f.must(err, "list")
			f.same(c.want, names(got, func(p *store.InlinePolicy) string { return p.Name }), "inline of %s %s", c.t, c.id)
		}
		f.must(f.s.InlinePolicies().Delete(f.ctx, store.EntityUser, "AIDA1", "Alpha"), "delete")
		f.wantErr(f.s.InlinePolicies().Delete(f.ctx, store.EntityUser, "AIDA1", "alpha"), store.ErrNotFound, "delete twice")
		_, err = f.s.InlinePolicies().Get(f.ctx, store.EntityUser, "AIDA1", "alpha")
		f.wantErr(err, store.ErrNotFound, "get deleted")
		// The role's policy of the same name is untouched.
		_, err = f.s.InlinePolicies().Get(f.ctx, store.EntityRole, "AROA1", "alpha")
		f.must(err, "role's policy")
	}},
}
