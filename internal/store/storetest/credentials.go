package storetest

import (
	"testing"

	"github.com/mantle-iam/mantle/internal/store"
)

var credentialTests = []testCase{
	{name: "UserCredential/RoundTrip", run: func(t *testing.T, f *fixture) {
		f.accounts()
		f.user(acct1, "AIDA1", "alice")
		f.user(acct1, "AIDA2", "bob")
		ssh := &store.UserCredential{Kind: store.CredentialSSHKey, ID: "APKA1", AccountID: acct1, UserID: "AIDA1",
			Body: "ssh-rsa AAAA", Fingerprint: "aa:bb", Status: "Active", CreatedAt: at(1)}
		svc := &store.UserCredential{Kind: store.CredentialService, ID: "ACCA1", AccountID: acct1, UserID: "AIDA1",
			ServiceName: "codecommit.amazonaws.com", ServiceUserName: "alice-at-111111111111", Secret: []byte{1, 2, 0},
			Status: "Active", CreatedAt: at(2), ExpiresAt: ptr(at(99))}
		f.must(f.s.UserCredentials().Create(f.ctx, ssh), "create ssh key")
		f.must(f.s.UserCredentials().Create(f.ctx, svc), "create service credential")
		f.wantErr(f.s.UserCredentials().Create(f.ctx, ssh), store.ErrAlreadyExists, "duplicate ID")
		// The same ID under another kind is another credential.
		f.must(f.s.UserCredentials().Create(f.ctx, &store.UserCredential{Kind: store.CredentialSigningCert, ID: "APKA1", AccountID: acct1,
			UserID: "AIDA2", Body: "-----BEGIN CERTIFICATE-----", Status: "Inactive", CreatedAt: at(3)}), "create cert")
		got, err := f.s.UserCredentials().Get(f.ctx, store.CredentialService, "ACCA1")
		f.must(err, "get")
		f.same(svc, got, "service credential")
		list, err := f.s.UserCredentials().ListForUser(f.ctx, store.CredentialSSHKey, acct1, "AIDA1")
		f.must(err, "list")
		f.same([]*store.UserCredential{ssh}, list, "alice's SSH keys")
		svc.Status, svc.Secret, svc.ExpiresAt = "Inactive", []byte{7}, nil
		f.must(f.s.UserCredentials().Update(f.ctx, svc), "update")
		got, err = f.s.UserCredentials().Get(f.ctx, store.CredentialService, "ACCA1")
		f.must(err, "get")
		f.same(svc, got, "updated service credential")
		f.must(f.s.UserCredentials().Delete(f.ctx, store.CredentialSSHKey, "APKA1"), "delete")
		_, err = f.s.UserCredentials().Get(f.ctx, store.CredentialSSHKey, "APKA1")
		f.wantErr(err, store.ErrNotFound, "get deleted")
		f.wantErr(f.s.UserCredentials().Delete(f.ctx, store.CredentialSSHKey, "APKA1"), store.ErrNotFound, "delete twice")
		_, err = f.s.UserCredentials().Get(f.ctx, store.CredentialSigningCert, "APKA1")
		f.must(err, "the other kind's credential stays")
	}},
	{name: "ServerCertificate/RoundTrip", run: func(t *testing.T, f *fixture) {
		f.accounts()
		c := &store.ServerCertificate{AccountID: acct1, ID: "ASCA1", Name: "Web", Path: "/cloudfront/", Body: "body", Chain: "chain",
			PrivateKey: []byte{1, 0, 2}, Expiration: at(100), UploadedAt: at(1), Tags: []store.Tag{{Key: "k", Value: "v"}}}
		f.must(f.s.ServerCertificates().Create(f.ctx, c), "create")
		f.wantErr(f.s.ServerCertificates().Create(f.ctx, &store.ServerCertificate{AccountID: acct1, ID: "ASCA2", Name: "WEB", Path: "/",
			Body: "b", PrivateKey: []byte{1}, Expiration: at(5), UploadedAt: at(2)}), store.ErrAlreadyExists, "same name in another case")
		f.must(f.s.ServerCertificates().Create(f.ctx, &store.ServerCertificate{AccountID: acct2, ID: "ASCA3", Name: "web", Path: "/",
			Body: "b", PrivateKey: []byte{1}, Expiration: at(5), UploadedAt: at(2)}), "same name in another account")
		got, err := f.s.ServerCertificates().Get(f.ctx, acct1, "web")
		f.must(err, "get")
		f.same(c, got, "certificate")
		c.Name, c.Path, c.Tags = "Api", "/", nil
		f.must(f.s.ServerCertificates().Update(f.ctx, c), "rename")
		list, err := f.s.ServerCertificates().List(f.ctx, acct1, store.ListOptions{})
		f.must(err, "list")
		f.same([]string{"Api"}, names(list, func(c *store.ServerCertificate) string { return c.Name }), "after rename")
		list, err = f.s.ServerCertificates().List(f.ctx, acct1, store.ListOptions{PathPrefix: "/cloudfront/"})
		f.must(err, "list by path")
		f.same(0, len(list), "none under the old path")
		f.must(f.s.ServerCertificates().Delete(f.ctx, "ASCA1"), "delete")
		_, err = f.s.ServerCertificates().Get(f.ctx, acct1, "api")
		f.wantErr(err, store.ErrNotFound, "get deleted")
	}},
	{name: "AccountSettings/PutGet", run: func(t *testing.T, f *fixture) {
		f.accounts()
		_, err := f.s.AccountSettings().Get(f.ctx, acct1, "x")
		f.wantErr(err, store.ErrNotFound, "never put")
		f.must(f.s.AccountSettings().Put(f.ctx, acct1, "x", "v1Token"), "put")
		f.must(f.s.AccountSettings().Put(f.ctx, acct1, "x", "v2Token"), "put again")
		v, err := f.s.AccountSettings().Get(f.ctx, acct1, "x")
		f.must(err, "get")
		f.same("v2Token", v, "setting")
		_, err = f.s.AccountSettings().Get(f.ctx, acct2, "x")
		f.wantErr(err, store.ErrNotFound, "another account's")
	}},
}
