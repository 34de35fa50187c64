package iam

import (
	"encoding/base32"
	"testing"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	"github.com/mantle-iam/mantle/internal/federation/saml/samltest"
)

// GetMFADevice, ResyncMFADevice and the MFA device tags ("IAM API
// Reference": GetMFADevice, ResyncMFADevice — two consecutive codes;
// TagMFADevice, UntagMFADevice, ListMFADeviceTags).
func TestMFADeviceOps(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice")
	out := must[*iamapi.CreateVirtualMFADeviceOutput](t)(e.s.CreateVirtualMFADevice(e.ctx, e.root, &iamapi.CreateVirtualMFADeviceInput{VirtualMFADeviceName: "phone"}))
	serial := out.VirtualMFADevice.SerialNumber
	seed, err := base32.StdEncoding.DecodeString(string(out.VirtualMFADevice.Base32StringSeed))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.s.GetMFADevice(e.ctx, e.root, &iamapi.GetMFADeviceInput{UserName: "alice", SerialNumber: serial})
	wantErr(t, err, "NoSuchEntity", "MFA Device with serial number "+serial+" does not exist.")

	step := e.now.Unix() / 30
	must[*iamapi.EnableMFADeviceOutput](t)(e.s.EnableMFADevice(e.ctx, e.root, &iamapi.EnableMFADeviceInput{UserName: "alice", SerialNumber: serial,
		AuthenticationCode1: totpCode(seed, step-1), AuthenticationCode2: totpCode(seed, step)}))
	got := must[*iamapi.GetMFADeviceOutput](t)(e.s.GetMFADevice(e.ctx, e.root, &iamapi.GetMFADeviceInput{UserName: "alice", SerialNumber: serial}))
	if got.UserName != "alice" || got.SerialNumber != serial || got.EnableDate.IsZero() || got.Certifications != nil {
		t.Errorf("GetMFADevice %+v", got)
	}

	resync := func(c1, c2 string) error {
		_, err := e.s.ResyncMFADevice(e.ctx, e.root, &iamapi.ResyncMFADeviceInput{UserName: "alice", SerialNumber: serial, AuthenticationCode1: c1, AuthenticationCode2: c2})
		return err
	}
	// The device's clock runs 40 minutes fast.
	drift := step + 80
	tests := []struct {
		name, c1, c2, code string
	}{
		{"reversed", totpCode(seed, drift), totpCode(seed, drift-1), "InvalidAuthenticationCode"},
		{"not consecutive", totpCode(seed, drift-2), totpCode(seed, drift), "InvalidAuthenticationCode"},
		{"drifted pair", totpCode(seed, drift-1), totpCode(seed, drift), ""},
		{"replayed", totpCode(seed, drift-1), totpCode(seed, drift), "InvalidAuthenticationCode"},
		{"beyond the window", totpCode(seed, step+500), totpCode(seed, step+501), "InvalidAuthenticationCode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, resync(tt.c1, tt.c2), tt.code, "")
		})
	}
	// Once resynchronized, codes older than the pair are refused at sign-in.
	if err := e.s.VerifyMFA(e.ctx, "123456789012", serial, mustUserID(t, e, "alice"), totpCode(seed, step)); err == nil {
		t.Error("a code older than the resync pair was accepted")
	}

	must[*iamapi.TagMFADeviceOutput](t)(e.s.TagMFADevice(e.ctx, e.root, &iamapi.TagMFADeviceInput{SerialNumber: serial, Tags: []iamapi.Tag{{Key: "team", Value: "a"}, {Key: "k", Value: "v"}}}))
	must[*iamapi.UntagMFADeviceOutput](t)(e.s.UntagMFADevice(e.ctx, e.root, &iamapi.UntagMFADeviceInput{SerialNumber: serial, TagKeys: []string{"k"}}))
	tags := must[*iamapi.ListMFADeviceTagsOutput](t)(e.s.ListMFADeviceTags(e.ctx, e.root, &iamapi.ListMFADeviceTagsInput{SerialNumber: serial}))
	if len(tags.Tags) != 1 || tags.Tags[0].Key != "team" {
		t.Errorf("tags %+v", tags.Tags)
	}
	_, err = e.s.TagMFADevice(e.ctx, e.root, &iamapi.TagMFADeviceInput{SerialNumber: "arn:aws:iam::123456789012:mfa/none", Tags: []iamapi.Tag{{Key: "a", Value: "b"}}})
	wantErr(t, err, "NoSuchEntity", "MFA Device with serial number arn:aws:iam::123456789012:mfa/none does not exist.")
}

func mustUserID(t *testing.T, e *env, name string) string {
	t.Helper()
	u, err := e.s.store.Users().Get(e.ctx, "123456789012", name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// TagSAMLProvider, UntagSAMLProvider, ListSAMLProviderTags: the tag rules
// every IAM resource shares, on the provider's ARN.
func TestSAMLProviderTags(t *testing.T) {
	e := newEnv(t)
	idp, err := samltest.New("https://idp.example.com")
	if err != nil {
		t.Fatal(err)
	}
	arn := must[*iamapi.CreateSAMLProviderOutput](t)(e.s.CreateSAMLProvider(e.ctx, e.root, &iamapi.CreateSAMLProviderInput{Name: "idp", SAMLMetadataDocument: idp.Metadata()})).SAMLProviderArn
	must[*iamapi.TagSAMLProviderOutput](t)(e.s.TagSAMLProvider(e.ctx, e.root, &iamapi.TagSAMLProviderInput{SAMLProviderArn: arn, Tags: []iamapi.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}}))
	must[*iamapi.UntagSAMLProviderOutput](t)(e.s.UntagSAMLProvider(e.ctx, e.root, &iamapi.UntagSAMLProviderInput{SAMLProviderArn: arn, TagKeys: []string{"a", "zz"}}))
	got := must[*iamapi.ListSAMLProviderTagsOutput](t)(e.s.ListSAMLProviderTags(e.ctx, e.root, &iamapi.ListSAMLProviderTagsInput{SAMLProviderArn: arn}))
	if len(got.Tags) != 1 || got.Tags[0] != (iamapi.Tag{Key: "b", Value: "2"}) {
		t.Errorf("tags %+v", got.Tags)
	}
	g := must[*iamapi.GetSAMLProviderOutput](t)(e.s.GetSAMLProvider(e.ctx, e.root, &iamapi.GetSAMLProviderInput{SAMLProviderArn: arn}))
	if len(g.Tags) != 1 {
		t.Errorf("GetSAMLProvider tags %+v", g.Tags)
	}
	_, err = e.s.ListSAMLProviderTags(e.ctx, e.root, &iamapi.ListSAMLProviderTagsInput{SAMLProviderArn: "arn:aws:iam::123456789012:saml-provider/none"})
	wantErr(t, err, "NoSuchEntity", "SAMLProvider arn:aws:iam::123456789012:saml-provider/none does not exist.")
}

// SetSecurityTokenServicePreferences is reported by GetAccountSummary's
// GlobalEndpointTokenVersion (1 until set, as AWS's default v1Token), with
// the other summary keys the new entities feed.
func TestSTSPreferencesInSummary(t *testing.T) {
	e := newEnv(t)
	sum := func() map[string]int {
		return must[*iamapi.GetAccountSummaryOutput](t)(e.s.GetAccountSummary(e.ctx, e.root, &iamapi.GetAccountSummaryInput{})).SummaryMap
	}
	if m := sum(); m["GlobalEndpointTokenVersion"] != 1 || m["AccountPasswordPresent"] != 0 || m["ServerCertificates"] != 0 {
		t.Errorf("summary %v", m)
	}
	must[*iamapi.SetSecurityTokenServicePreferencesOutput](t)(e.s.SetSecurityTokenServicePreferences(e.ctx, e.root, &iamapi.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: "v2Token"}))
	if m := sum(); m["GlobalEndpointTokenVersion"] != 2 {
		t.Errorf("after v2Token: %v", m["GlobalEndpointTokenVersion"])
	}
	must[*iamapi.SetSecurityTokenServicePreferencesOutput](t)(e.s.SetSecurityTokenServicePreferences(e.ctx, e.root, &iamapi.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: "v1Token"}))
	if m := sum(); m["GlobalEndpointTokenVersion"] != 1 {
		t.Errorf("after v1Token: %v", m["GlobalEndpointTokenVersion"])
	}
}
