package storetest

import (
	"testing"

	"github.com/mantle-iam/mantle/internal/store"
)

var instanceProfileTests = []testCase{
	{name: "InstanceProfile/RoundTrip", run: func(t *testing.T, f *fixture) {
		f.accounts()
		f.role(acct1, "AROA1", "web")
		p := &store.InstanceProfile{AccountID: acct1, ID: "AIPA1", Name: "WebServer", Path: "/web/", RoleID: "AROA1",
			Tags: []store.Tag{{Key: "k", Value: "v"}}, CreatedAt: at(1)}
		f.must(f.s.InstanceProfiles().Create(f.ctx, p), "create")
		f.must(f.s.InstanceProfiles().Create(f.ctx, &store.InstanceProfile{AccountID: acct1, ID: "AIPA2", Name: "a-other",
			Path: "/", RoleID: "AROA1", CreatedAt: at(2)}), "create second")
		f.must(f.s.InstanceProfiles().Create(f.ctx, &store.InstanceProfile{AccountID: acct1, ID: "AIPA3", Name: "empty",
			Path: "/", CreatedAt: at(2)}), "create without role")
		got, err := f.s.InstanceProfiles().Get(f.ctx, acct1, "webserver")
		f.must(err, "get")
		f.same(p, got, "instance profile")
		forRole, err := f.s.InstanceProfiles().ListForRole(f.ctx, "AROA1")
		f.must(err, "list for role")
		f.same([]string{"a-other", "WebServer"}, names(forRole, func(p *store.InstanceProfile) string { return p.Name }), "profiles of role")

		p2 := &store.InstanceProfile{AccountID: acct1, ID: "AIPA1", Name: "Web2", Path: "/", CreatedAt: at(3)}
		f.must(f.s.InstanceProfiles().Update(f.ctx, p2), "update (role removed)")
		got, err = f.s.InstanceProfiles().Get(f.ctx, acct1, "web2")
		f.must(err, "get")
		f.same(p2, got, "updated instance profile")
		forRole, err = f.s.InstanceProfiles().ListForRole(f.ctx, "AROA1")
		f.must(err, "list for role")
		f.same([]string{"a-other"}, names(forRole, func(p *store.InstanceProfile) string { return p.Name }), "profiles of role after update")
		f.must(f.s.InstanceProfiles().Delete(f.ctx, "AIPA1"), "delete")
		_, err = f.s.InstanceProfiles().Get(f.ctx, acct1, "web2")
		f.wantErr(err, store.ErrNotFound, "get deleted")
	}},
}

var mfaTests = []testCase{
	{name: "MFADevice/RoundTrip", run: func(t *testing.T, f *fixture) {
		f.accounts()
		f.user(acct1, "AIDA1", "alice")
		serial := "arn:aws:iam::" + acct1 + ":mfa/eng/alice-phone"
		d := &store.MFADevice{AccountID: acct1, SerialNumber: serial, Name: "alice-phone", Path: "/eng/",
			Seed: []byte{9, 8, 7, 0}, Tags: []store.Tag{{Key: "k", Value: "v"}}, CreatedAt: at(1)}
		f.must(f.s.MFADevices().Create(f.ctx, d), "create")
		f.wantErr(f.s.MFADevices().Create(f.ctx, d), store.ErrAlreadyExists, "duplicate serial")
		got, err := f.s.MFADevices().Get(f.ctx, serial)
		f.must(err, "get")
		f.same(d, got, "device")
		// Enabling assigns it to the user.
		d.UserID, d.EnabledAt, d.LastCounter = "AIDA1", ptr(at(2)), 57_000_000
		f.must(f.s.MFADevices().Update(f.ctx, d), "enable")
		got, err = f.s.MFADevices().Get(f.ctx, serial)
		f.must(err, "get")
		f.same(d, got, "enabled device")
		forUser, err := f.s.MFADevices().ListForUser(f.ctx, "AIDA1")
		f.must(err, "list for user")
		f.same([]*store.MFADevice{d}, forUser, "devices of user")
		f.must(f.s.MFADevices().Delete(f.ctx, serial), "delete")
		_, err = f.s.MFADevices().Get(f.ctx, serial)
		f.wantErr(err, store.ErrNotFound, "get deleted")
	}},
	{name: "MFADevice/List", run: func(t *testing.T, f *fixture) {
		f.accounts()
		f.user(acct1, "AIDA1", "alice")
		mk := func(acct, name, path, user string) string {
			s := "arn:aws:iam::" + acct + ":mfa" + path + name
			d := &store.MFADevice{AccountID: acct, SerialNumber: s, Name: name, Path: path, Seed: []byte("s"), UserID: user, CreatedAt: base}
			if user != "" {
				d.EnabledAt = ptr(base)
			}
			f.must(f.s.MFADevices().Create(f.ctx, d), "create %s", s)
			return s
		}
		c := mk(acct1, "c", "/", "")
		a := mk(acct1, "a", "/", "AIDA1")
		b := mk(acct1, "b", "/x/", "")
		root := mk(acct1, "root", "/", acct1) // the root user's device
		mk(acct2, "a", "/", "")
		serials := func(xs []*store.MFADevice) []string {
			return names(xs, func(d *store.MFADevice) string { return d.SerialNumber })
		}
		for _, tc := range []struct {
			opt  store.ListOptions
			want []string
		}{
			{store.ListOptions{}, []string{a, c, root, b}},
			{store.ListOptions{Limit: 2}, []string{a, c}},
			{store.ListOptions{After: c}, []string{root, b}},
			{store.ListOptions{PathPrefix: "/x/"}, []string{b}},
		} {
			got, err := f.s.MFADevices().List(f.ctx, acct1, tc.opt)
			f.must(err, "list")
			f.same(tc.want, serials(got), "devices %+v", tc.opt)
		}
		for _, tc := range []struct {
			user string
			want []string
		}{
			{"AIDA1", []string{a}},
			{acct1, []string{root}},
		} {
			got, err := f.s.MFADevices().ListForUser(f.ctx, tc.user)
			f.must(err, "list for user")
			f.same(tc.want, serials(got), "devices of %s", tc.user)
		}
	}},
}

var providerTests = []testCase{
	{name: "OIDCProvider/RoundTrip", run: func(t *testing.T, f *fixture) {
		f.accounts()
		arn := "arn:aws:iam::" + acct1 + ":oidc-provider/token.example.com/x"
		p := &store.OIDCProvider{AccountID: acct1, ARN: arn, URL: "https://token.example.com/x",
			ClientIDs: []string{"sts.amazonaws.com", "app"}, Thumbprints: []string{"9e99a48a9960b14926bb7f3b02e22da2b0ab7280"},
			Tags: []store.Tag{{Key: "k", Value: "v"}}, CreatedAt: at(1)}
		f.must(f.s.OIDCProviders().Create(f.ctx, p), "create")
		f.wantErr(f.s.OIDCProviders().Create(f.ctx, p), store.ErrAlreadyExists, "duplicate ARN")
		other := &store.OIDCProvider{AccountID: acct1, ARN: "arn:aws:iam::" + acct1 + ":oidc-provider/a.example.com",
			URL: "https://a.example.com", CreatedAt: at(2)}
		f.must(f.s.OIDCProviders().Create(f.ctx, other), "create second")
		got, err := f.s.OIDCProviders().Get(f.ctx, arn)
		f.must(err, "get")
		f.same(p, got, "provider")
		p.ClientIDs, p.Thumbprints, p.Tags = []string{"only"}, nil, nil
		f.must(f.s.OIDCProviders().Update(f.ctx, p), "update")
		got, err = f.s.OIDCProviders().Get(f.ctx, arn)
		f.must(err, "get")
		f.same(p, got, "updated provider")
		list, err := f.s.OIDCProviders().List(f.ctx, acct1)
		f.must(err, "list")
		f.same([]*store.OIDCProvider{other, p}, list, "providers")
		list, err = f.s.OIDCProviders().List(f.ctx, acct2)
		f.must(err, "list other account")
		f.same([]*store.OIDCProvider(nil), list, "other account's providers")
		f.must(f.s.OIDCProviders().Delete(f.ctx, arn), "delete")
		_, err = f.s.OIDCProviders().Get(f.ctx, arn)
		f.wantErr(err, store.ErrNotFound, "get deleted")
	}},
	{name: "SAMLProvider/RoundTrip", run: func(t *testing.T, f *fixture) {
		f.accounts()
		arn := "arn:aws:iam::" + acct1 + ":saml-provider/Okta"
		p := &store.SAMLProvider{AccountID: acct1, ARN: arn, Name: "Okta", Metadata: "<EntityDescriptor/>",
			ValidUntil: at(86400), Tags: []store.Tag{{Key: "k", Value: "v"}}, CreatedAt: at(1)}
		f.must(f.s.SAMLProviders().Create(f.ctx, p), "create")
		f.wantErr(f.s.SAMLProviders().Create(f.ctx, p), store.ErrAlreadyExists, "duplicate ARN")
		got, err := f.s.SAMLProviders().Get(f.ctx, arn)
		f.must(err, "get")
		f.same(p, got, "provider")
		p.Metadata, p.ValidUntil, p.Tags = "<EntityDescriptor v='2'/>", at(172800), nil
		f.must(f.s.SAMLProviders().Update(f.ctx, p), "update")
		got, err = f.s.SAMLProviders().Get(f.ctx, arn)
		f.must(err, "get")
		f.same(p, got, "updated provider")
		list, err := f.s.SAMLProviders().List(f.ctx, acct1)
		f.must(err, "list")
		f.same([]*store.SAMLProvider{p}, list, "providers")
		f.must(f.s.SAMLProviders().Delete(f.ctx, arn), "delete")
		_, err = f.s.SAMLProviders().Get(f.ctx, arn)
		f.wantErr(err, store.ErrNotFound, "get deleted")
	}},
}

var organizationTests = []testCase{
	{name: "Organization/RoundTrip", run: func(t *testing.T, f *fixture) {
		f.accounts()
		o := &store.Organization{ID: "o-abc123", ARN: "arn:aws:organizations::" + acct1 + ":organization/o-abc123",
			ManagementAccountID: acct1, FeatureSet: "ALL", RootID: "r-ab12", CreatedAt: at(1)}
		f.must(f.s.Organizations().Create(f.ctx, o), "create")
		f.wantErr(f.s.Organizations().Create(f.ctx, o), store.ErrAlreadyExists, "create twice")
		got, err := f.s.Organizations().Get(f.ctx, o.ID)
		f.must(err, "get")
		f.same(o, got, "organization")

		// Accounts join by reference.
		a, err := f.s.Accounts().Get(f.ctx, acct2)
		f.must(err, "get account")
		a.OrganizationID, a.JoinedMethod = o.ID, "CREATED"
		f.must(f.s.Accounts().Update(f.ctx, a), "join")
		got2, err := f.s.Accounts().Get(f.ctx, acct2)
		f.must(err, "get account")
		f.same(a, got2, "member account")

		statuses := []*store.CreateAccountStatus{
			{ID: "car-2", OrganizationID: o.ID, AccountName: "two", State: "IN_PROGRESS", RequestedAt: at(5)},
			{ID: "car-1", OrganizationID: o.ID, AccountName: "one", State: "SUCCEEDED", AccountID: acct2,
				RequestedAt: at(2), CompletedAt: ptr(at(3))},
		}
		for _, s := range statuses {
			f.must(f.s.Organizations().PutCreateAccountStatus(f.ctx, s), "put %s", s.ID)
		}
		// Put again replaces.
		statuses[0].State, statuses[0].FailureReason, statuses[0].CompletedAt = "FAILED", "EMAIL_ALREADY_EXISTS", ptr(at(6))
		f.must(f.s.Organizations().PutCreateAccountStatus(f.ctx, statuses[0]), "put again")
		gs, err := f.s.Organizations().GetCreateAccountStatus(f.ctx, "car-2")
		f.must(err, "get status")
		f.same(statuses[0], gs, "status")
		list, err := f.s.Organizations().ListCreateAccountStatus(f.ctx, o.ID)
		f.must(err, "list statuses")
		f.same([]*store.CreateAccountStatus{statuses[1], statuses[0]}, list, "statuses oldest first")

		a.OrganizationID, a.JoinedMethod = "", ""
		f.must(f.s.Accounts().Update(f.ctx, a), "leave")
		f.must(f.s.Organizations().Delete(f.ctx, o.ID), "delete")
		_, err = f.s.Organizations().Get(f.ctx, o.ID)
		f.wantErr(err, store.ErrNotFound, "get deleted")
	}},
}

var signingKeyTests = []testCase{
	{name: "SigningKey/RoundTrip", run: func(t *testing.T, f *fixture) {
		keys := []*store.SigningKey{
			{ID: "k3", Material: []byte{3, 0}, Active: true, CreatedAt: at(3)},
			{ID: "k1", Material: []byte{1}, CreatedAt: at(1)},
			{ID: "k2", Material: []byte{2}, CreatedAt: at(2)},
		}
		for _, k := range keys {
			f.must(f.s.SigningKeys().Create(f.ctx, k), "create %s", k.ID)
		}
		f.wantErr(f.s.SigningKeys().Create(f.ctx, keys[0]), store.ErrAlreadyExists, "duplicate")
		list, err := f.s.SigningKeys().List(f.ctx)
		f.must(err, "list")
		f.same([]*store.SigningKey{keys[1], keys[2], keys[0]}, list, "keys oldest first")
		keys[0].Active, keys[1].Active = false, true
		f.must(f.s.SigningKeys().Update(f.ctx, keys[0]), "update")
		f.must(f.s.SigningKeys().Update(f.ctx, keys[1]), "update")
		f.must(f.s.SigningKeys().Delete(f.ctx, "k2"), "delete")
		list, err = f.s.SigningKeys().List(f.ctx)
		f.must(err, "list")
		f.same([]*store.SigningKey{keys[1], keys[0]}, list, "keys after update and delete")
	}},
}
