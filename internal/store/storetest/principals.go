package storetest

import (
	"time"

	"testing"

	"github.com/mantle-iam/mantle/internal/store"
)

var accountTests = []testCase{
	{name: "Account/RoundTrip", run: func(t *testing.T, f *fixture) {
		a := &store.Account{
			ID: acct1, Name: "prod", Email: "root@example.com", Alias: "prod-alias", CreatedAt: at(1),
			Status: "ACTIVE",
			PasswordPolicy: &store.PasswordPolicy{
				MinimumPasswordLength: 14, RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true,
				RequireLowercaseCharacters: true, AllowUsersToChangePassword: true, MaxPasswordAge: 90,
				PasswordReusePrevention: 5, HardExpiry: true,
			},
			RootPasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$a2V5",
		}
		f.must(f.s.Accounts().Create(f.ctx, a), "create")
		got, err := f.s.Accounts().Get(f.ctx, acct1)
		f.must(err, "get")
		f.same(a, got, "account")

		got, err = f.s.Accounts().GetByAlias(f.ctx, "prod-alias")
		f.must(err, "get by alias")
		f.same(a, got, "account by alias")

		// Every field changes, the password policy goes away.
		b := &store.Account{ID: acct1, Name: "prod2", Email: "r2@example.com", Alias: "other", CreatedAt: at(2),
			Status: "ACTIVE", JoinedMethod: "INVITED"}
		f.must(f.s.Accounts().Update(f.ctx, b), "update")
		got, err = f.s.Accounts().Get(f.ctx, acct1)
		f.must(err, "get after update")
		f.same(b, got, "updated account")
		_, err = f.s.Accounts().GetByAlias(f.ctx, "prod-alias")
		f.wantErr(err, store.ErrNotFound, "old alias")
	}},
	{name: "Account/Alias", run: func(t *testing.T, f *fixture) {
		f.accounts() // neither has an alias: "" is not a duplicate
		a, err := f.s.Accounts().Get(f.ctx, acct1)
		f.must(err, "get")
		a.Alias = "shared"
		f.must(f.s.Accounts().Update(f.ctx, a), "set alias")
		b, err := f.s.Accounts().Get(f.ctx, acct2)
		f.must(err, "get")
		b.Alias = "shared"
		f.wantErr(f.s.Accounts().Update(f.ctx, b), store.ErrAlreadyExists, "alias taken by another account")
		f.wantErr(f.s.Accounts().Create(f.ctx, &store.Account{ID: "333333333333", Alias: "shared", Status: "ACTIVE", CreatedAt: base}),
			store.ErrAlreadyExists, "create with a taken alias")
		_, err = f.s.Accounts().GetByAlias(f.ctx, "")
		f.wantErr(err, store.ErrNotFound, "get by empty alias")
		f.wantErr(f.s.Accounts().Create(f.ctx, &store.Account{ID: acct1, Status: "ACTIVE", CreatedAt: base}),
			store.ErrAlreadyExists, "duplicate account ID")
	}},
	{name: "Account/RootEmail", run: func(t *testing.T, f *fixture) {
		// The root user signs in by email, ASCII case ignored, and only
		// where the account has a root password.
		f.must(f.s.Accounts().Create(f.ctx, &store.Account{ID: acct1, Email: "Root@Example.com", RootPasswordHash: "h1", Status: "ACTIVE", CreatedAt: base}), "create")
		f.must(f.s.Accounts().Create(f.ctx, &store.Account{ID: acct2, Email: "member@example.com", Status: "ACTIVE", CreatedAt: base}), "create member")
		for _, email := range []string{"Root@Example.com", "root@example.com", "ROOT@EXAMPLE.COM"} {
			got, err := f.s.Accounts().GetByRootEmail(f.ctx, email)
			f.must(err, "get by root email %s", email)
			f.same(acct1, got.ID, "account of %s", email)
		}
		for _, email := range []string{"member@example.com", "", "root@example.co", "root@example.com "} {
			_, err := f.s.Accounts().GetByRootEmail(f.ctx, email)
			f.wantErr(err, store.ErrNotFound, "root email %q", email)
		}
	}},
	{name: "Account/ListByID", run: func(t *testing.T, f *fixture) {
		for _, id := range []string{"300000000000", "100000000000", "200000000000"} {
			f.must(f.s.Accounts().Create(f.ctx, &store.Account{ID: id, Status: "ACTIVE", CreatedAt: base}), "create")
		}
		got, err := f.s.Accounts().List(f.ctx)
		f.must(err, "list")
		f.same([]string{"100000000000", "200000000000", "300000000000"},
			names(got, func(a *store.Account) string { return a.ID }), "account IDs")
	}},
}

var userTests = []testCase{
	{name: "User/RoundTrip", run: func(t *testing.T, f *fixture) {
		f.accounts()
		u := &store.User{AccountID: acct1, ID: "AIDA1", Name: "Alice", Path: "/eng/", CreatedAt: at(1),
			PermissionsBoundary: "arn:aws:iam::aws:policy/PowerUserAccess",
			Tags:                []store.Tag{{Key: "team", Value: "core"}, {Key: "Alpha", Value: ""}},
			PasswordLastUsed:    ptr(at(5))}
		f.must(f.s.Users().Create(f.ctx, u), "create")
		for _, get := range []func() (*store.User, error){
			func() (*store.User, error) { return f.s.Users().GetByID(f.ctx, "AIDA1") },
			func() (*store.User, error) { return f.s.Users().Get(f.ctx, acct1, "aLICE") },
		} {
			got, err := get()
			f.must(err, "get")
			f.same(u, got, "user")
		}
		u2 := &store.User{AccountID: acct1, ID: "AIDA1", Name: "Alicia", Path: "/ops/", CreatedAt: at(2),
			Tags: []store.Tag{{Key: "k", Value: "v"}}}
		f.must(f.s.Users().Update(f.ctx, u2), "update")
		got, err := f.s.Users().GetByID(f.ctx, "AIDA1")
		f.must(err, "get")
		f.same(u2, got, "updated user")
		f.must(f.s.Users().Delete(f.ctx, "AIDA1"), "delete")
		_, err = f.s.Users().GetByID(f.ctx, "AIDA1")
		f.wantErr(err, store.ErrNotFound, "get deleted")
		f.wantErr(f.s.Users().Delete(f.ctx, "AIDA1"), store.ErrNotFound, "delete twice")
	}},
}

var accessKeyTests = []testCase{
	{name: "AccessKey/RoundTrip", run: func(t *testing.T, f *fixture) {
		f.accounts()
		f.user(acct1, "AIDA1", "alice")
		k := &store.AccessKey{ID: "AKIA1", AccountID: acct1, UserID: "AIDA1", Secret: []byte{0, 1, 2, 0xff},
			Status: "Active", CreatedAt: at(1), LastUsedAt: ptr(at(9)), LastUsedService: "iam", LastUsedRegion: "eu-west-1"}
		f.must(f.s.AccessKeys().Create(f.ctx, k), "create")
		got, err := f.s.AccessKeys().Get(f.ctx, "AKIA1")
		f.must(err, "get")
		f.same(k, got, "key")
		k.Status, k.LastUsedAt, k.LastUsedService, k.LastUsedRegion = "Inactive", nil, "", ""
		f.must(f.s.AccessKeys().Update(f.ctx, k), "update")
		got, err = f.s.AccessKeys().Get(f.ctx, "AKIA1")
		f.must(err, "get")
		f.same(k, got, "updated key")
		f.must(f.s.AccessKeys().Delete(f.ctx, "AKIA1"), "delete")
		_, err = f.s.AccessKeys().Get(f.ctx, "AKIA1")
		f.wantErr(err, store.ErrNotFound, "get deleted")
	}},
	{name: "AccessKey/ListForUser", run: func(t *testing.T, f *fixture) {
		f.accounts()
		f.user(acct1, "AIDA1", "alice")
		f.user(acct1, "AIDA2", "bob")
		keys := []struct {
			id, acct, user string
			created        int
		}{
			{"AKIAC", acct1, "AIDA1", 3},
			{"AKIAA", acct1, "AIDA1", 1},
			{"AKIAB", acct1, "AIDA1", 2},
			{"AKIAR", acct1, "", 1}, // root's
			{"AKIAS", acct2, "", 2}, // another root
			{"AKIAX", acct1, "AIDA2", 1},
		}
		for _, k := range keys {
			f.must(f.s.AccessKeys().Create(f.ctx, &store.AccessKey{ID: k.id, AccountID: k.acct, UserID: k.user,
				Secret: []byte("s"), Status: "Active", CreatedAt: at(k.created)}), "create %s", k.id)
		}
		cases := []struct {
			acct, user string
			want       []string
		}{
			{acct1, "AIDA1", []string{"AKIAA", "AKIAB", "AKIAC"}},
			{acct1, "AIDA2", []string{"AKIAX"}},
			{acct1, "", []string{"AKIAR"}},
			{acct2, "", []string{"AKIAS"}},
			{acct2, "AIDA1", nil},
		}
		for _, c := range cases {
			got, err := f.s.AccessKeys().ListForUser(f.ctx, c.acct, c.user)
			f.must(err, "list")
			f.same(c.want, names(got, func(k *store.AccessKey) string { return k.ID }), "keys of %s/%q", c.acct, c.user)
		}
		// Key IDs are unique across accounts.
		f.wantErr(f.s.AccessKeys().Create(f.ctx, &store.AccessKey{ID: "AKIAA", AccountID: acct2, Secret: []byte("s"),
			Status: "Active", CreatedAt: base}), store.ErrAlreadyExists, "duplicate key ID")
	}},
}

var loginProfileTests = []testCase{
	{name: "LoginProfile/RoundTrip", run: func(t *testing.T, f *fixture) {
		f.accounts()
		f.user(acct1, "AIDA1", "alice")
		p := &store.LoginProfile{UserID: "AIDA1", PasswordHash: "$argon2id$x", PasswordResetRequired: true, CreatedAt: at(1)}
		f.must(f.s.LoginProfiles().Create(f.ctx, p), "create")
		f.wantErr(f.s.LoginProfiles().Create(f.ctx, p), store.ErrAlreadyExists, "create twice")
		got, err := f.s.LoginProfiles().Get(f.ctx, "AIDA1")
		f.must(err, "get")
		f.same(p, got, "profile")
		p2 := &store.LoginProfile{UserID: "AIDA1", PasswordHash: "$argon2id$y", CreatedAt: at(2), PasswordChangedAt: at(3)}
		f.must(f.s.LoginProfiles().Update(f.ctx, p2), "update")
		got, err = f.s.LoginProfiles().Get(f.ctx, "AIDA1")
		f.must(err, "get")
		f.same(p2, got, "updated profile")
		f.must(f.s.LoginProfiles().Delete(f.ctx, "AIDA1"), "delete")
		_, err = f.s.LoginProfiles().Get(f.ctx, "AIDA1")
		f.wantErr(err, store.ErrNotFound, "get deleted")
	}},
}

var groupTests = []testCase{
	{name: "Group/RoundTrip", run: func(t *testing.T, f *fixture) {
		f.accounts()
		g := &store.Group{AccountID: acct1, ID: "AGPA1", Name: "Admins", Path: "/ops/", CreatedAt: at(1)}
		f.must(f.s.Groups().Create(f.ctx, g), "create")
		got, err := f.s.Groups().GetByID(f.ctx, "AGPA1")
		f.must(err, "get by ID")
		f.same(g, got, "group")
		got, err = f.s.Groups().Get(f.ctx, acct1, "ADMINS")
		f.must(err, "get")
		f.same(g, got, "group")
		g2 := &store.Group{AccountID: acct1, ID: "AGPA1", Name: "Operators", Path: "/", CreatedAt: at(2)}
		f.must(f.s.Groups().Update(f.ctx, g2), "update")
		got, err = f.s.Groups().GetByID(f.ctx, "AGPA1")
		f.must(err, "get")
		f.same(g2, got, "updated group")
		f.must(f.s.Groups().Delete(f.ctx, "AGPA1"), "delete")
		_, err = f.s.Groups().GetByID(f.ctx, "AGPA1")
		f.wantErr(err, store.ErrNotFound, "get deleted")
	}},
	{name: "Group/Membership", run: func(t *testing.T, f *fixture) {
		f.accounts()
		alice, bob, carol := f.user(acct1, "AIDA1", "alice"), f.user(acct1, "AIDA2", "Bob"), f.user(acct1, "AIDA3", "carol")
		carol.Path = "/eng/"
		f.must(f.s.Users().Update(f.ctx, carol), "move carol")
		f.group(acct1, "AGPA1", "zeta")
		f.group(acct1, "AGPA2", "Alpha")
		f.group(acct1, "AGPA3", "empty")
		adds := [][2]string{
			{"AGPA1", alice.ID}, {"AGPA1", carol.ID}, {"AGPA1", bob.ID}, {"AGPA2", alice.ID},
			{"AGPA1", bob.ID}, // twice: idempotent
		}
		for _, a := range adds {
			f.must(f.s.Groups().AddMember(f.ctx, a[0], a[1]), "add %s to %s", a[1], a[0])
		}
		userNames := func(xs []*store.User) []string { return names(xs, func(u *store.User) string { return u.Name }) }
		groupNames := func(xs []*store.Group) []string { return names(xs, func(g *store.Group) string { return g.Name }) }
		members := []struct {
			group string
			opt   store.ListOptions
			want  []string
		}{
			{"AGPA1", store.ListOptions{}, []string{"alice", "Bob", "carol"}},
			{"AGPA1", store.ListOptions{Limit: 2}, []string{"alice", "Bob"}},
			{"AGPA1", store.ListOptions{After: "alice"}, []string{"Bob", "carol"}},
			{"AGPA1", store.ListOptions{PathPrefix: "/eng/"}, []string{"carol"}},
			{"AGPA2", store.ListOptions{}, []string{"alice"}},
			{"AGPA3", store.ListOptions{}, nil},
		}
		for _, c := range members {
			got, err := f.s.Groups().ListMembers(f.ctx, c.group, c.opt)
			f.must(err, "members")
			f.same(c.want, userNames(got), "members of %s %+v", c.group, c.opt)
		}
		forUser := []struct {
			user string
			opt  store.ListOptions
			want []string
		}{
			{alice.ID, store.ListOptions{}, []string{"Alpha", "zeta"}},
			{alice.ID, store.ListOptions{Limit: 1}, []string{"Alpha"}},
			{alice.ID, store.ListOptions{After: "alpha"}, []string{"zeta"}},
			{bob.ID, store.ListOptions{}, []string{"zeta"}},
		}
		for _, c := range forUser {
			got, err := f.s.Groups().ListForUser(f.ctx, c.user, c.opt)
			f.must(err, "groups for user")
			f.same(c.want, groupNames(got), "groups of %s %+v", c.user, c.opt)
		}
		// Membership follows a rename, since it is by ID.
		alice.Name = "Zoe"
		f.must(f.s.Users().Update(f.ctx, alice), "rename alice")
		got, err := f.s.Groups().ListMembers(f.ctx, "AGPA1", store.ListOptions{})
		f.must(err, "members")
		f.same([]string{"Bob", "carol", "Zoe"}, userNames(got), "members after rename")

		f.must(f.s.Groups().RemoveMember(f.ctx, "AGPA1", bob.ID), "remove bob")
		f.wantErr(f.s.Groups().RemoveMember(f.ctx, "AGPA1", bob.ID), store.ErrNotFound, "remove bob twice")
		f.wantErr(f.s.Groups().RemoveMember(f.ctx, "AGPA3", alice.ID), store.ErrNotFound, "remove a non-member")
		gs, err := f.s.Groups().ListForUser(f.ctx, bob.ID, store.ListOptions{})
		f.must(err, "groups for bob")
		f.same([]string(nil), groupNames(gs), "bob's groups after removal")
	}},
}

var roleTests = []testCase{
	{name: "Role/RoundTrip", run: func(t *testing.T, f *fixture) {
		f.accounts()
		r := &store.Role{AccountID: acct1, ID: "AROA1", Name: "Deployer", Path: "/svc/",
			TrustPolicy: `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}]}`,
			Description: "deploys things", MaxSessionDuration: 7200,
			PermissionsBoundary: "arn:aws:iam::111111111111:policy/b", Tags: []store.Tag{{Key: "a", Value: "1"}},
			CreatedAt: at(1), LastUsedAt: ptr(at(7)), LastUsedRegion: "us-east-1"}
		f.must(f.s.Roles().Create(f.ctx, r), "create")
		got, err := f.s.Roles().GetByID(f.ctx, "AROA1")
		f.must(err, "get by ID")
		f.same(r, got, "role")
		got, err = f.s.Roles().Get(f.ctx, acct1, "deployer")
		f.must(err, "get")
		f.same(r, got, "role")
		r2 := &store.Role{AccountID: acct1, ID: "AROA1", Name: "Deployer2", Path: "/", TrustPolicy: "{}",
			MaxSessionDuration: 43200, CreatedAt: at(2)}
		f.must(f.s.Roles().Update(f.ctx, r2), "update")
		got, err = f.s.Roles().GetByID(f.ctx, "AROA1")
		f.must(err, "get")
		f.same(r2, got, "updated role")
		f.must(f.s.Roles().Delete(f.ctx, "AROA1"), "delete")
		_, err = f.s.Roles().Get(f.ctx, acct1, "deployer2")
		f.wantErr(err, store.ErrNotFound, "get deleted")
	}},
	{name: "Role/SetLastUsed", run: func(t *testing.T, f *fixture) {
		f.accounts()
		for _, id := range []string{"AROA1", "AROA2", "AROA3"} {
			f.must(f.s.Roles().Create(f.ctx, &store.Role{AccountID: acct1, ID: id, Name: id, Path: "/", TrustPolicy: "{}",
				MaxSessionDuration: 3600, CreatedAt: at(1)}), "create")
		}
		// A deleted role's ID is skipped, not an error.
		f.must(f.s.Roles().SetLastUsed(f.ctx, at(5), "eu-west-1", []string{"AROA1", "AROA3", "AROAGONE"}), "set last used")
		f.must(f.s.Roles().SetLastUsed(f.ctx, at(6), "us-east-1", nil), "set nothing")
		for id, want := range map[string]*time.Time{"AROA1": ptr(at(5)), "AROA2": nil, "AROA3": ptr(at(5))} {
			got, err := f.s.Roles().GetByID(f.ctx, id)
			f.must(err, "get")
			if (want == nil) != (got.LastUsedAt == nil) || want != nil && (!want.Equal(*got.LastUsedAt) || got.LastUsedRegion != "eu-west-1") {
				t.Errorf("%s last used %v in %q, want %v", id, got.LastUsedAt, got.LastUsedRegion, want)
			}
		}
	}},
}
