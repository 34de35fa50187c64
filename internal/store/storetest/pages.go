package storetest

import (
	"testing"

	"github.com/mantle-iam/mantle/internal/store"
)

func entityNames(es []store.PolicyEntity) []string {
	var out []string
	for _, e := range es {
		out = append(out, string(e.Type)+":"+e.Name)
	}
	return out
}

var pageTests = []testCase{
	{name: "PolicyUsage/Entities", run: func(t *testing.T, f *fixture) {
		f.accounts()
		p := f.policy(acct1, "ANPA1", "used")
		const arn = "arn:aws:iam::111111111111:policy/used"
		u1, r1, g1 := f.user(acct1, "AIDA1", "u1"), f.role(acct1, "AROA1", "r1"), f.group(acct1, "AGPA1", "g1")
		other := f.user(acct2, "AIDA9", "other")
		eng := &store.User{AccountID: acct1, ID: "AIDA3", Name: "u3", Path: "/eng/", CreatedAt: base, PermissionsBoundary: arn}
		f.must(f.s.Users().Create(f.ctx, eng), "create u3")
		both := &store.Role{AccountID: acct1, ID: "AROA2", Name: "r2", Path: "/", TrustPolicy: "{}", MaxSessionDuration: 3600,
			CreatedAt: base, PermissionsBoundary: arn}
		f.must(f.s.Roles().Create(f.ctx, both), "create r2")
		for _, a := range []store.Attachment{
			{PolicyID: p.ID, EntityType: store.EntityUser, EntityID: u1.ID},
			{PolicyID: p.ID, EntityType: store.EntityRole, EntityID: r1.ID},
			{PolicyID: p.ID, EntityType: store.EntityGroup, EntityID: g1.ID},
			{PolicyID: p.ID, EntityType: store.EntityRole, EntityID: both.ID},
			{PolicyID: p.ID, EntityType: store.EntityUser, EntityID: other.ID},
		} {
			f.must(f.s.Attachments().Attach(f.ctx, a), "attach")
		}
		opt := store.PolicyEntityOptions{AccountID: acct1, PolicyID: p.ID, PolicyARN: arn}
		list := func(o store.PolicyEntityOptions) []store.PolicyEntity {
			es, err := f.s.PolicyUsage().Entities(f.ctx, o)
			f.must(err, "entities")
			return es
		}
		all := list(opt)
		f.same([]string{"Group:g1", "Role:r1", "Role:r2", "User:u1"}, entityNames(all), "attached, in (type, ID) order")
		// A page at a time from each cursor gives the rest.
		for i := range all {
			o := opt
			o.After, o.Limit = all[i], 2
			want := all[i+1:]
			if len(want) > 2 {
				want = want[:2]
			}
			f.same(entityNames(want), entityNames(list(o)), "after %s", all[i].Name)
		}
		o := opt
		o.Type = store.EntityRole
		f.same([]string{"Role:r1", "Role:r2"}, entityNames(list(o)), "roles only")
		o = opt
		o.Boundary = true
		f.same([]string{"Role:r2", "User:u3"}, entityNames(list(o)), "boundaries")
		o.SkipAttached = true
		f.same([]string{"User:u3"}, entityNames(list(o)), "boundaries not attached")
		o.SkipAttached, o.PathPrefix = false, "/eng/"
		f.same([]string{"User:u3"}, entityNames(list(o)), "boundaries under /eng/")
		o.PathPrefix, o.After, o.Limit = "", store.PolicyEntity{Type: store.EntityRole, ID: both.ID}, 1
		f.same([]string{"User:u3"}, entityNames(list(o)), "boundaries after r2")
		o = opt
		o.AccountID = acct2
		f.same([]string{"User:other"}, entityNames(list(o)), "the other account's")
	}},
	{name: "Details/MatchSingleReads", run: func(t *testing.T, f *fixture) {
		f.accounts()
		p1, p2 := f.policy(acct1, "ANPA1", "zeta"), f.policy(acct1, "ANPA2", "Alpha")
		f.must(f.s.Policies().CreateVersion(f.ctx, &store.PolicyVersion{PolicyID: p1.ID, VersionID: "v2", Document: "{}", CreatedAt: at(9)}), "v2")
		u1, u2 := f.user(acct1, "AIDA1", "u1"), f.user(acct1, "AIDA2", "u2")
		r1 := f.role(acct1, "AROA1", "r1")
		g1, g2 := f.group(acct1, "AGPA1", "g-b"), f.group(acct1, "AGPA2", "G-a")
		for _, m := range [][2]string{{g1.ID, u1.ID}, {g2.ID, u1.ID}} {
			f.must(f.s.Groups().AddMember(f.ctx, m[0], m[1]), "member")
		}
		for _, ip := range []*store.InlinePolicy{
			{EntityType: store.EntityUser, EntityID: u1.ID, Name: "b", Document: "{}"},
			{EntityType: store.EntityUser, EntityID: u1.ID, Name: "A", Document: "{}"},
			{EntityType: store.EntityRole, EntityID: r1.ID, Name: "x", Document: "{}"},
		} {
			f.must(f.s.InlinePolicies().Put(f.ctx, ip), "inline")
		}
		for _, a := range []store.Attachment{
			{PolicyID: p1.ID, EntityType: store.EntityUser, EntityID: u1.ID}, {PolicyID: p2.ID, EntityType: store.EntityUser, EntityID: u1.ID},
			{PolicyID: p1.ID, EntityType: store.EntityRole, EntityID: r1.ID},
		} {
			f.must(f.s.Attachments().Attach(f.ctx, a), "attach")
		}
		f.must(f.s.InstanceProfiles().Create(f.ctx, &store.InstanceProfile{AccountID: acct1, ID: "AIPA1", Name: "ip", Path: "/", RoleID: r1.ID, CreatedAt: base}), "profile")
		d := f.s.Details()
		users := []string{u1.ID, u2.ID}
		inline, err := d.InlinePolicies(f.ctx, store.EntityUser, users)
		f.must(err, "inline")
		attached, err := d.Attached(f.ctx, store.EntityUser, users)
		f.must(err, "attached")
		groups, err := d.GroupsOf(f.ctx, users)
		f.must(err, "groups")
		for _, id := range users {
			one, err := f.s.InlinePolicies().List(f.ctx, store.EntityUser, id)
			f.must(err, "inline of %s", id)
			f.same(one, inline[id], "inline policies of %s", id)
			att, err := f.s.Attachments().ListForEntity(f.ctx, store.EntityUser, id)
			f.must(err, "attached to %s", id)
			f.same(att, attached[id], "attached to %s", id)
			gs, err := f.s.Groups().ListForUser(f.ctx, id, store.ListOptions{})
			f.must(err, "groups of %s", id)
			f.same(gs, groups[id], "groups of %s", id)
		}
		ips, err := d.InstanceProfilesOf(f.ctx, []string{r1.ID})
		f.must(err, "profiles")
		one, err := f.s.InstanceProfiles().ListForRole(f.ctx, r1.ID)
		f.must(err, "profiles of r1")
		f.same(one, ips[r1.ID], "profiles of r1")
		vs, err := d.VersionsOf(f.ctx, []string{p1.ID, p2.ID})
		f.must(err, "versions")
		for _, id := range []string{p1.ID, p2.ID} {
			one, err := f.s.Policies().ListVersions(f.ctx, id)
			f.must(err, "versions of %s", id)
			f.same(one, vs[id], "versions of %s", id)
		}
		empty, err := d.GroupsOf(f.ctx, nil)
		if err != nil || len(empty) != 0 {
			t.Errorf("no users: %v %v", empty, err)
		}
	}},
}
