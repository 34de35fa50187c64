package storetest

import (
	"testing"

	"github.com/mantle-iam/mantle/internal/store"
)

// ouTests check the organization tree: OUs and where member accounts are.
var ouTests = []testCase{
	{name: "OU/RoundTrip", run: func(t *testing.T, f *fixture) {
		f.accounts()
		o := &store.Organization{ID: "o-tree123", ARN: "arn:aws:organizations::" + acct1 + ":organization/o-tree123",
			ManagementAccountID: acct1, FeatureSet: "ALL", RootID: "r-ab12", CreatedAt: at(1)}
		f.must(f.s.Organizations().Create(f.ctx, o), "create organization")
		w := &store.OrganizationalUnit{ID: "ou-ab12-bbbbbbbb", OrganizationID: o.ID, ParentID: o.RootID, Name: "Workloads", CreatedAt: at(2)}
		p := &store.OrganizationalUnit{ID: "ou-ab12-aaaaaaaa", OrganizationID: o.ID, ParentID: w.ID, Name: "Prod", CreatedAt: at(3)}
		f.must(f.s.Organizations().CreateOU(f.ctx, w), "create Workloads")
		f.must(f.s.Organizations().CreateOU(f.ctx, p), "create Prod")
		// Sibling names are unique; the same name elsewhere in the tree is not.
		dup := &store.OrganizationalUnit{ID: "ou-ab12-cccccccc", OrganizationID: o.ID, ParentID: o.RootID, Name: "Workloads", CreatedAt: at(4)}
		f.wantErr(f.s.Organizations().CreateOU(f.ctx, dup), store.ErrAlreadyExists, "sibling of the same name")
		dup.ParentID = w.ID
		dup.Name = "Workloads"
		f.must(f.s.Organizations().CreateOU(f.ctx, dup), "same name under another parent")
		f.wantErr(f.s.Organizations().CreateOU(f.ctx, dup), store.ErrAlreadyExists, "same ID twice")

		got, err := f.s.Organizations().GetOU(f.ctx, p.ID)
		f.must(err, "get")
		f.same(p, got, "OU")
		p.Name = "Production"
		f.must(f.s.Organizations().UpdateOU(f.ctx, p), "rename")
		got, err = f.s.Organizations().GetOU(f.ctx, p.ID)
		f.must(err, "get renamed")
		f.same(p, got, "renamed OU")
		list, err := f.s.Organizations().ListOUs(f.ctx, o.ID)
		f.must(err, "list")
		f.same([]*store.OrganizationalUnit{p, w, dup}, list, "OUs by ID")

		f.must(f.s.Organizations().DeleteOU(f.ctx, dup.ID), "delete")
		_, err = f.s.Organizations().GetOU(f.ctx, dup.ID)
		f.wantErr(err, store.ErrNotFound, "get deleted")
		f.wantErr(f.s.Organizations().DeleteOU(f.ctx, dup.ID), store.ErrNotFound, "delete twice")
		f.wantErr(f.s.Organizations().UpdateOU(f.ctx, dup), store.ErrNotFound, "update deleted")

		// Placement: put replaces, delete forgets.
		a := &store.AccountParent{AccountID: acct2, OrganizationID: o.ID, ParentID: p.ID}
		f.must(f.s.Organizations().PutAccountParent(f.ctx, a), "place")
		a.ParentID = w.ID
		f.must(f.s.Organizations().PutAccountParent(f.ctx, a), "move")
		ps, err := f.s.Organizations().ListAccountParents(f.ctx, o.ID)
		f.must(err, "list placements")
		f.same([]*store.AccountParent{a}, ps, "placements")
		f.must(f.s.Organizations().DeleteAccountParent(f.ctx, acct2), "unplace")
		f.wantErr(f.s.Organizations().DeleteAccountParent(f.ctx, acct2), store.ErrNotFound, "unplace twice")
		ps, err = f.s.Organizations().ListAccountParents(f.ctx, o.ID)
		f.must(err, "list placements")
		f.same([]*store.AccountParent(nil), ps, "no placements")

		// The tree goes with its organization.
		f.must(f.s.Organizations().PutAccountParent(f.ctx, a), "place again")
		f.must(f.s.Organizations().Delete(f.ctx, o.ID), "delete organization")
		_, err = f.s.Organizations().GetOU(f.ctx, w.ID)
		f.wantErr(err, store.ErrNotFound, "OU of a deleted organization")
		ps, err = f.s.Organizations().ListAccountParents(f.ctx, o.ID)
		f.must(err, "list placements")
		f.same([]*store.AccountParent(nil), ps, "placements of a deleted organization")
	}},
}
