package storetest

import (
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

// orgPolicyTests check organization policies, their attachments, settings,
// tags and handshakes.
var orgPolicyTests = []testCase{
	{name: "OrgPolicy/RoundTrip", run: func(t *testing.T, f *fixture) {
		f.accounts()
		orgs := f.s.Organizations()
		o := &store.Organization{ID: "o-pol12345", ARN: "arn:aws:organizations::" + acct1 + ":organization/o-pol12345",
			ManagementAccountID: acct1, FeatureSet: "ALL", RootID: "r-cd34", CreatedAt: at(1)}
		f.must(orgs.Create(f.ctx, o), "create organization")
		f.must(orgs.SetFeatureSet(f.ctx, o.ID, "CONSOLIDATED_BILLING"), "set feature set")
		got0, err := orgs.Get(f.ctx, o.ID)
		f.must(err, "get organization")
		f.same("CONSOLIDATED_BILLING", got0.FeatureSet, "feature set")
		f.wantErr(orgs.SetFeatureSet(f.ctx, "o-missing00", "ALL"), store.ErrNotFound, "feature set of a missing organization")

		deny := &store.OrgPolicy{ID: "p-bbbbbbbb", OrganizationID: o.ID, Type: "SERVICE_CONTROL_POLICY", Name: "DenyIAM",
			Description: "no IAM", Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`, CreatedAt: at(2)}
		tag := &store.OrgPolicy{ID: "p-aaaaaaaa", OrganizationID: o.ID, Type: "TAG_POLICY", Name: "DenyIAM",
			Content: `{"tags":{}}`, CreatedAt: at(3)}
		f.must(orgs.CreatePolicy(f.ctx, deny), "create SCP")
		f.must(orgs.CreatePolicy(f.ctx, tag), "same name, another type")
		dup := *deny
		dup.ID = "p-cccccccc"
		f.wantErr(orgs.CreatePolicy(f.ctx, &dup), store.ErrAlreadyExists, "same type and name")
		got, err := orgs.GetPolicy(f.ctx, deny.ID)
		f.must(err, "get")
		f.same(deny, got, "policy")
		deny.Name, deny.Description, deny.Content = "DenyIAMWrites", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:Create*","Resource":"*"}]}`
		f.must(orgs.UpdatePolicy(f.ctx, deny), "update")
		all, err := orgs.ListPolicies(f.ctx, o.ID)
		f.must(err, "list")
		f.same([]*store.OrgPolicy{tag, deny}, all, "policies by ID")

		a1 := &store.PolicyAttachment{OrganizationID: o.ID, PolicyID: deny.ID, TargetID: o.RootID}
		a2 := &store.PolicyAttachment{OrganizationID: o.ID, PolicyID: "p-FullAWSAccess", TargetID: acct2}
		f.must(orgs.AttachPolicy(f.ctx, a1), "attach")
		f.must(orgs.AttachPolicy(f.ctx, a2), "attach an AWS managed policy")
		f.wantErr(orgs.AttachPolicy(f.ctx, a1), store.ErrAlreadyExists, "attach twice")
		atts, err := orgs.ListAttachments(f.ctx, o.ID)
		f.must(err, "list attachments")
		f.same([]*store.PolicyAttachment{a2, a1}, atts, "attachments by policy")
		f.must(orgs.DetachPolicy(f.ctx, a2), "detach")
		f.wantErr(orgs.DetachPolicy(f.ctx, a2), store.ErrNotFound, "detach twice")

		st := &store.OrgSetting{OrganizationID: o.ID, Kind: store.SettingPolicyType, Name: "SERVICE_CONTROL_POLICY", CreatedAt: at(4)}
		f.must(orgs.PutSetting(f.ctx, st), "put setting")
		f.wantErr(orgs.PutSetting(f.ctx, st), store.ErrAlreadyExists, "put setting twice")
		st.Value = "x"
		f.must(orgs.UpdateSetting(f.ctx, st), "update setting")
		sts, err := orgs.ListSettings(f.ctx, o.ID, store.SettingPolicyType)
		f.must(err, "list settings")
		f.same([]*store.OrgSetting{st}, sts, "settings")
		f.must(orgs.DeleteSetting(f.ctx, o.ID, st.Kind, st.Name), "delete setting")
		f.wantErr(orgs.DeleteSetting(f.ctx, o.ID, st.Kind, st.Name), store.ErrNotFound, "delete setting twice")

		tags := []store.Tag{{Key: "team", Value: "a"}, {Key: "env", Value: "prod"}}
		f.must(orgs.PutTags(f.ctx, o.ID, deny.ID, tags), "tag")
		got2, err := orgs.Tags(f.ctx, o.ID, deny.ID)
		f.must(err, "tags")
		f.same(tags, got2, "tags keep their order")
		f.must(orgs.PutTags(f.ctx, o.ID, deny.ID, nil), "untag")
		got2, err = orgs.Tags(f.ctx, o.ID, deny.ID)
		f.must(err, "tags")
		f.same([]store.Tag(nil), got2, "no tags")

		h := &store.Handshake{ID: "h-aaaaaaaa", OrganizationID: o.ID, Action: "INVITE", TargetType: "ACCOUNT", TargetValue: acct2,
			TargetAccountID: acct2, State: "OPEN", RequestedAt: at(5), ExpiresAt: at(5).Add(15 * 24 * time.Hour)}
		f.must(orgs.PutHandshake(f.ctx, h), "put handshake")
		h.State = "ACCEPTED"
		f.must(orgs.PutHandshake(f.ctx, h), "accept handshake")
		hs, err := orgs.ListHandshakes(f.ctx, "", acct2)
		f.must(err, "handshakes for the account")
		f.same([]*store.Handshake{h}, hs, "handshakes")
		hs, err = orgs.ListHandshakes(f.ctx, o.ID, "")
		f.must(err, "handshakes of the organization")
		f.same([]*store.Handshake{h}, hs, "handshakes")

		f.must(orgs.DeletePolicy(f.ctx, tag.ID), "delete")
		_, err = orgs.GetPolicy(f.ctx, tag.ID)
		f.wantErr(err, store.ErrNotFound, "get deleted")
		// Everything goes with its organization.
		f.must(orgs.Delete(f.ctx, o.ID), "delete organization")
		_, err = orgs.GetPolicy(f.ctx, deny.ID)
		f.wantErr(err, store.ErrNotFound, "policy of a deleted organization")
		atts, err = orgs.ListAttachments(f.ctx, o.ID)
		f.must(err, "list attachments")
		f.same([]*store.PolicyAttachment(nil), atts, "attachments of a deleted organization")
		_, err = orgs.GetHandshake(f.ctx, h.ID)
		f.wantErr(err, store.ErrNotFound, "handshake of a deleted organization")
	}},
}
