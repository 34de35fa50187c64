package storetest

import (
	"context"
	"testing"

	"github.com/mantle-iam/mantle/internal/store"
)

// op is one repository call whose error the table checks.
type op struct {
	name string
	do   func(ctx context.Context, r store.Repos) error
}

// notFoundTests: every get, update and delete of something that does not
// exist fails with store.ErrNotFound.
func notFoundTests() []testCase {
	getErr := func(_ any, err error) error { return err }
	ops := []op{
		{"Accounts.Get", func(ctx context.Context, r store.Repos) error { return getErr(r.Accounts().Get(ctx, "999999999999")) }},
		{"Accounts.GetByAlias", func(ctx context.Context, r store.Repos) error { return getErr(r.Accounts().GetByAlias(ctx, "nope")) }},
		{"Accounts.Update", func(ctx context.Context, r store.Repos) error {
			return r.Accounts().Update(ctx, &store.Account{ID: "999999999999", Status: "ACTIVE", CreatedAt: base})
		}},
		{"Users.Get", func(ctx context.Context, r store.Repos) error { return getErr(r.Users().Get(ctx, acct1, "nobody")) }},
		{"Users.Get other account", func(ctx context.Context, r store.Repos) error { return getErr(r.Users().Get(ctx, acct2, "alice")) }},
		{"Users.GetByID", func(ctx context.Context, r store.Repos) error { return getErr(r.Users().GetByID(ctx, "AIDAX")) }},
		{"Users.Update", func(ctx context.Context, r store.Repos) error {
			return r.Users().Update(ctx, &store.User{AccountID: acct1, ID: "AIDAX", Name: "x", Path: "/", CreatedAt: base})
		}},
		{"Users.Delete", func(ctx context.Context, r store.Repos) error { return r.Users().Delete(ctx, "AIDAX") }},
		{"AccessKeys.Get", func(ctx context.Context, r store.Repos) error { return getErr(r.AccessKeys().Get(ctx, "AKIAX")) }},
		{"AccessKeys.Update", func(ctx context.Context, r store.Repos) error {
			return r.AccessKeys().Update(ctx, &store.AccessKey{ID: "AKIAX", AccountID: acct1, Secret: []byte("s"), Status: "Active", CreatedAt: base})
		}},
		{"AccessKeys.Delete", func(ctx context.Context, r store.Repos) error { return r.AccessKeys().Delete(ctx, "AKIAX") }},
		{"LoginProfiles.Get", func(ctx context.Context, r store.Repos) error { return getErr(r.LoginProfiles().Get(ctx, "AIDA1")) }},
		{"LoginProfiles.Update", func(ctx context.Context, r store.Repos) error {
			return r.LoginProfiles().Update(ctx, &store.LoginProfile{UserID: "AIDA1", PasswordHash: "h", CreatedAt: base})
		}},
		{"LoginProfiles.Delete", func(ctx context.Context, r store.Repos) error { return r.LoginProfiles().Delete(ctx, "AIDA1") }},
		{"Groups.Get", func(ctx context.Context, r store.Repos) error { return getErr(r.Groups().Get(ctx, acct1, "nope")) }},
		{"Groups.GetByID", func(ctx context.Context, r store.Repos) error { return getErr(r.Groups().GetByID(ctx, "AGPAX")) }},
		{"Groups.Update", func(ctx context.Context, r store.Repos) error {
			return r.Groups().Update(ctx, &store.Group{AccountID: acct1, ID: "AGPAX", Name: "x", Path: "/", CreatedAt: base})
		}},
		{"Groups.Delete", func(ctx context.Context, r store.Repos) error { return r.Groups().Delete(ctx, "AGPAX") }},
		{"Groups.RemoveMember", func(ctx context.Context, r store.Repos) error { return r.Groups().RemoveMember(ctx, "AGPAX", "AIDA1") }},
		{"Roles.Get", func(ctx context.Context, r store.Repos) error { return getErr(r.Roles().Get(ctx, acct1, "nope")) }},
		{"Roles.GetByID", func(ctx context.Context, r store.Repos) error { return getErr(r.Roles().GetByID(ctx, "AROAX")) }},
		{"Roles.Update", func(ctx context.Context, r store.Repos) error {
			return r.Roles().Update(ctx, &store.Role{AccountID: acct1, ID: "AROAX", Name: "x", Path: "/", TrustPolicy: "{}", MaxSessionDuration: 3600, CreatedAt: base})
		}},
		{"Roles.Delete", func(ctx context.Context, r store.Repos) error { return r.Roles().Delete(ctx, "AROAX") }},
		{"Policies.Get", func(ctx context.Context, r store.Repos) error { return getErr(r.Policies().Get(ctx, acct1, "nope")) }},
		{"Policies.GetByID", func(ctx context.Context, r store.Repos) error { return getErr(r.Policies().GetByID(ctx, "ANPAX")) }},
		{"Policies.Update", func(ctx context.Context, r store.Repos) error {
			return r.Policies().Update(ctx, &store.ManagedPolicy{AccountID: acct1, ID: "ANPAX", Name: "x", Path: "/", DefaultVersionID: "v1", CreatedAt: base, UpdatedAt: base})
		}},
		{"Policies.Delete", func(ctx context.Context, r store.Repos) error { return r.Policies().Delete(ctx, "ANPAX") }},
		{"Policies.GetVersion", func(ctx context.Context, r store.Repos) error {
			return getErr(r.Policies().GetVersion(ctx, "ANPAX", "v1"))
		}},
		{"Policies.DeleteVersion", func(ctx context.Context, r store.Repos) error { return r.Policies().DeleteVersion(ctx, "ANPAX", "v1") }},
		{"Attachments.Detach", func(ctx context.Context, r store.Repos) error {
			return r.Attachments().Detach(ctx, store.Attachment{PolicyID: "ANPAX", EntityType: store.EntityUser, EntityID: "AIDA1"})
		}},
		{"InlinePolicies.Get", func(ctx context.Context, r store.Repos) error {
			return getErr(r.InlinePolicies().Get(ctx, store.EntityUser, "AIDA1", "nope"))
		}},
		{"InlinePolicies.Delete", func(ctx context.Context, r store.Repos) error {
			return r.InlinePolicies().Delete(ctx, store.EntityUser, "AIDA1", "nope")
		}},
		{"InstanceProfiles.Get", func(ctx context.Context, r store.Repos) error {
			return getErr(r.InstanceProfiles().Get(ctx, acct1, "nope"))
		}},
		{"InstanceProfiles.Update", func(ctx context.Context, r store.Repos) error {
			return r.InstanceProfiles().Update(ctx, &store.InstanceProfile{AccountID: acct1, ID: "AIPAX", Name: "x", Path: "/", CreatedAt: base})
		}},
		{"InstanceProfiles.Delete", func(ctx context.Context, r store.Repos) error { return r.InstanceProfiles().Delete(ctx, "AIPAX") }},
		{"MFADevices.Get", func(ctx context.Context, r store.Repos) error { return getErr(r.MFADevices().Get(ctx, "arn:x")) }},
		{"MFADevices.Update", func(ctx context.Context, r store.Repos) error {
			return r.MFADevices().Update(ctx, &store.MFADevice{AccountID: acct1, SerialNumber: "arn:x", Name: "x", Path: "/", Seed: []byte("s"), CreatedAt: base})
		}},
		{"MFADevices.Delete", func(ctx context.Context, r store.Repos) error { return r.MFADevices().Delete(ctx, "arn:x") }},
		{"OIDCProviders.Get", func(ctx context.Context, r store.Repos) error { return getErr(r.OIDCProviders().Get(ctx, "arn:x")) }},
		{"OIDCProviders.Update", func(ctx context.Context, r store.Repos) error {
			return r.OIDCProviders().Update(ctx, &store.OIDCProvider{AccountID: acct1, ARN: "arn:x", URL: "https://x", CreatedAt: base})
		}},
		{"OIDCProviders.Delete", func(ctx context.Context, r store.Repos) error { return r.OIDCProviders().Delete(ctx, "arn:x") }},
		{"SAMLProviders.Get", func(ctx context.Context, r store.Repos) error { return getErr(r.SAMLProviders().Get(ctx, "arn:x")) }},
		{"SAMLProviders.Update", func(ctx context.Context, r store.Repos) error {
			return r.SAMLProviders().Update(ctx, &store.SAMLProvider{AccountID: acct1, ARN: "arn:x", Name: "x", CreatedAt: base, ValidUntil: base})
		}},
		{"SAMLProviders.Delete", func(ctx context.Context, r store.Repos) error { return r.SAMLProviders().Delete(ctx, "arn:x") }},
		{"Organizations.Get", func(ctx context.Context, r store.Repos) error { return getErr(r.Organizations().Get(ctx, "o-x")) }},
		{"Organizations.Delete", func(ctx context.Context, r store.Repos) error { return r.Organizations().Delete(ctx, "o-x") }},
		{"Organizations.GetCreateAccountStatus", func(ctx context.Context, r store.Repos) error {
			return getErr(r.Organizations().GetCreateAccountStatus(ctx, "car-x"))
		}},
		{"SigningKeys.Update", func(ctx context.Context, r store.Repos) error {
			return r.SigningKeys().Update(ctx, &store.SigningKey{ID: "kx", Material: []byte("m"), CreatedAt: base})
		}},
		{"SigningKeys.Delete", func(ctx context.Context, r store.Repos) error { return r.SigningKeys().Delete(ctx, "kx") }},
	}
	return []testCase{{name: "NotFound", run: func(t *testing.T, f *fixture) {
		f.accounts()
		f.user(acct1, "AIDA1", "alice")
		for _, o := range ops {
			t.Run(o.name, func(t *testing.T) {
				f.wantErr(o.do(f.ctx, f.s), store.ErrNotFound, "%s outside Tx", o.name)
				// The same inside a transaction, which must still commit
				// (the error is the caller's to act on).
				err := f.s.Tx(f.ctx, func(ctx context.Context, tx store.Repos) error {
					f.wantErr(o.do(ctx, tx), store.ErrNotFound, "%s in Tx", o.name)
					return nil
				})
				f.must(err, "tx")
			})
		}
	}}}
}

// integrityTests: references must point at something, and what is
// referenced cannot be deleted (store.ErrConflict) until the IAM layer has
// removed the references.
func integrityTests() []testCase {
	setup := func(f *fixture) {
		f.accounts()
		f.user(acct1, "AIDA1", "alice")
		f.group(acct1, "AGPA1", "admins")
		f.role(acct1, "AROA1", "deployer")
		f.policy(acct1, "ANPA1", "p")
		f.must(f.s.AccessKeys().Create(f.ctx, &store.AccessKey{ID: "AKIA1", AccountID: acct1, UserID: "AIDA1",
			Secret: []byte("s"), Status: "Active", CreatedAt: base}), "key")
		f.must(f.s.Groups().AddMember(f.ctx, "AGPA1", "AIDA1"), "member")
		f.must(f.s.Attachments().Attach(f.ctx, store.Attachment{PolicyID: "ANPA1", EntityType: store.EntityRole, EntityID: "AROA1"}), "attach")
		f.must(f.s.InstanceProfiles().Create(f.ctx, &store.InstanceProfile{AccountID: acct1, ID: "AIPA1", Name: "ip", Path: "/",
			RoleID: "AROA1", CreatedAt: base}), "instance profile")
		f.must(f.s.InlinePolicies().Put(f.ctx, &store.InlinePolicy{EntityType: store.EntityGroup, EntityID: "AGPA1", Name: "i", Document: "{}"}), "inline")
	}
	ops := []op{
		{"user in missing account", func(ctx context.Context, r store.Repos) error {
			return r.Users().Create(ctx, &store.User{AccountID: "999999999999", ID: "AIDA9", Name: "x", Path: "/", CreatedAt: base})
		}},
		{"role in missing account", func(ctx context.Context, r store.Repos) error {
			return r.Roles().Create(ctx, &store.Role{AccountID: "999999999999", ID: "AROA9", Name: "x", Path: "/", TrustPolicy: "{}", MaxSessionDuration: 3600, CreatedAt: base})
		}},
		{"key for missing user", func(ctx context.Context, r store.Repos) error {
			return r.AccessKeys().Create(ctx, &store.AccessKey{ID: "AKIA9", AccountID: acct1, UserID: "AIDA9", Secret: []byte("s"), Status: "Active", CreatedAt: base})
		}},
		{"login profile for missing user", func(ctx context.Context, r store.Repos) error {
			return r.LoginProfiles().Create(ctx, &store.LoginProfile{UserID: "AIDA9", PasswordHash: "h", CreatedAt: base})
		}},
		{"missing user into group", func(ctx context.Context, r store.Repos) error { return r.Groups().AddMember(ctx, "AGPA1", "AIDA9") }},
		{"user into missing group", func(ctx context.Context, r store.Repos) error { return r.Groups().AddMember(ctx, "AGPA9", "AIDA1") }},
		{"attach missing policy", func(ctx context.Context, r store.Repos) error {
			return r.Attachments().Attach(ctx, store.Attachment{PolicyID: "ANPA9", EntityType: store.EntityUser, EntityID: "AIDA1"})
		}},
		{"attach to missing user", func(ctx context.Context, r store.Repos) error {
			return r.Attachments().Attach(ctx, store.Attachment{PolicyID: "ANPA1", EntityType: store.EntityUser, EntityID: "AIDA9"})
		}},
		{"attach to a role ID typed as group", func(ctx context.Context, r store.Repos) error {
			return r.Attachments().Attach(ctx, store.Attachment{PolicyID: "ANPA1", EntityType: store.EntityGroup, EntityID: "AROA1"})
		}},
		{"inline policy of missing role", func(ctx context.Context, r store.Repos) error {
			return r.InlinePolicies().Put(ctx, &store.InlinePolicy{EntityType: store.EntityRole, EntityID: "AROA9", Name: "i", Document: "{}"})
		}},
		{"version of missing policy", func(ctx context.Context, r store.Repos) error {
			return r.Policies().CreateVersion(ctx, &store.PolicyVersion{PolicyID: "ANPA9", VersionID: "v1", Document: "{}", CreatedAt: base})
		}},
		{"instance profile with missing role", func(ctx context.Context, r store.Repos) error {
			return r.InstanceProfiles().Create(ctx, &store.InstanceProfile{AccountID: acct1, ID: "AIPA9", Name: "x", Path: "/", RoleID: "AROA9", CreatedAt: base})
		}},
		{"MFA device of missing user", func(ctx context.Context, r store.Repos) error {
			return r.MFADevices().Create(ctx, &store.MFADevice{AccountID: acct1, SerialNumber: "arn:x", Name: "x", Path: "/", Seed: []byte("s"), UserID: "AIDA9", CreatedAt: base})
		}},
		{"status of missing organization", func(ctx context.Context, r store.Repos) error {
			return r.Organizations().PutCreateAccountStatus(ctx, &store.CreateAccountStatus{ID: "car-1", OrganizationID: "o-x", State: "IN_PROGRESS", RequestedAt: base})
		}},
		{"delete user with key and membership", func(ctx context.Context, r store.Repos) error { return r.Users().Delete(ctx, "AIDA1") }},
		{"delete group with member", func(ctx context.Context, r store.Repos) error { return r.Groups().Delete(ctx, "AGPA1") }},
		{"delete role with attachment and instance profile", func(ctx context.Context, r store.Repos) error { return r.Roles().Delete(ctx, "AROA1") }},
		{"delete attached policy", func(ctx context.Context, r store.Repos) error { return r.Policies().Delete(ctx, "ANPA1") }},
	}
	return []testCase{{name: "ReferentialIntegrity", needs: ReferentialIntegrity, run: func(t *testing.T, f *fixture) {
		setup(f)
		for _, o := range ops {
			t.Run(o.name, func(t *testing.T) {
				f.wantErr(o.do(f.ctx, f.s), store.ErrConflict, "%s", o.name)
			})
		}
		// Once the references are gone, the deletes go through.
		f.must(f.s.Tx(f.ctx, func(ctx context.Context, tx store.Repos) error {
			steps := []error{
				tx.AccessKeys().Delete(ctx, "AKIA1"),
				tx.Groups().RemoveMember(ctx, "AGPA1", "AIDA1"),
				tx.Users().Delete(ctx, "AIDA1"),
				tx.InlinePolicies().Delete(ctx, store.EntityGroup, "AGPA1", "i"),
				tx.Groups().Delete(ctx, "AGPA1"),
				tx.Attachments().Detach(ctx, store.Attachment{PolicyID: "ANPA1", EntityType: store.EntityRole, EntityID: "AROA1"}),
				tx.InstanceProfiles().Delete(ctx, "AIPA1"),
				tx.Roles().Delete(ctx, "AROA1"),
				tx.Policies().Delete(ctx, "ANPA1"),
			}
			for i, err := range steps {
				if err != nil {
					t.Errorf("cleanup step %d: %v", i, err)
				}
			}
			return nil
		}), "cleanup")
	}}}
}
