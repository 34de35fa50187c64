package iam

import (
	"context"
	"fmt"
	"testing"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	"github.com/mantle-iam/mantle/internal/store"
)

// losingStore is a store whose every change loses to concurrent writers
// until the backend gives up (PostgreSQL after its retries: ErrConflict).
type losingStore struct{ store.Store }

func (losingStore) Change(context.Context, func(context.Context, store.Repos) error) error {
	return fmt.Errorf("postgres: transaction lost 40 times to concurrent writers: %w", store.ErrConflict)
}

// The modeled errors AWS gives where mantle used to answer otherwise:
// ConcurrentModification (IAM API Reference, e.g. CreateUser: "multiple
// requests to change this object were submitted simultaneously") instead of
// InternalFailure; PolicyNotAttachable for a service-role policy ("Cannot
// attach a Service Role Policy to a Customer Role.").
func TestModeledErrors(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice")
	must[*iamapi.CreateRoleOutput](t)(e.s.CreateRole(e.ctx, e.root, &iamapi.CreateRoleInput{RoleName: "r", AssumeRolePolicyDocument: trustDoc}))
	// A service-role policy, as the AWS managed set holds them.
	p := &store.ManagedPolicy{AccountID: store.AWSAccount, ID: "ANPATESTSERVICEROLE01", Name: "TestServiceRolePolicy", Path: "/aws-service-role/",
		DefaultVersionID: "v1", NextVersion: 2, CreatedAt: e.now, UpdatedAt: e.now}
	if err := e.s.store.Change(e.ctx, func(ctx context.Context, tx store.Repos) error {
		return tx.Policies().Create(ctx, p, &store.PolicyVersion{PolicyID: p.ID, VersionID: "v1", Document: allowS3, CreatedAt: e.now})
	}); err != nil {
		t.Fatal(err)
	}
	_, err := e.s.AttachRolePolicy(e.ctx, e.root, &iamapi.AttachRolePolicyInput{RoleName: "r", PolicyArn: "arn:aws:iam::aws:policy/aws-service-role/TestServiceRolePolicy"})
	wantErr(t, err, "PolicyNotAttachable", "Cannot attach a Service Role Policy to a Customer Role.")
	_, err = e.s.AttachUserPolicy(e.ctx, e.root, &iamapi.AttachUserPolicyInput{UserName: "alice", PolicyArn: "arn:aws:iam::aws:policy/aws-service-role/TestServiceRolePolicy"})
	wantErr(t, err, "PolicyNotAttachable", "")

	e.s.store = losingStore{e.s.store}
	_, err = e.s.CreateUser(e.ctx, e.root, &iamapi.CreateUserInput{UserName: "bob"})
	wantErr(t, err, "ConcurrentModification", "The request was rejected because multiple requests to change this object were submitted simultaneously. Wait a few minutes and submit your request again.")
}

// Messages and members entity by entity as AWS answers (localstack's
// recorded AWS snapshots: test_iam_oidc, test_iam_mfa,
// test_iam_account_password_policy .snapshot.json).
func TestAWSWordingRecorded(t *testing.T) {
	e := newEnv(t)
	arn := must[*iamapi.CreateOpenIDConnectProviderOutput](t)(e.s.CreateOpenIDConnectProvider(e.ctx, e.root, &iamapi.CreateOpenIDConnectProviderInput{
		Url: "https://oidc.example.com", ThumbprintList: []string{"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}})).OpenIDConnectProviderArn
	got := must[*iamapi.GetOpenIDConnectProviderOutput](t)(e.s.GetOpenIDConnectProvider(e.ctx, e.root, &iamapi.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn}))
	if got.ClientIDList == nil || got.Tags == nil {
		t.Errorf("GetOpenIDConnectProvider leaves out its empty ClientIDList or Tags: %+v", got)
	}
	must[*iamapi.DeleteOpenIDConnectProviderOutput](t)(e.s.DeleteOpenIDConnectProvider(e.ctx, e.root, &iamapi.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn}))
	tests := []struct {
		name      string
		err       error
		code, msg string
	}{
		{"get deleted OIDC provider", second(e.s.GetOpenIDConnectProvider(e.ctx, e.root, &iamapi.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn})),
			"NoSuchEntity", "OpenIDConnect Provider not found for arn " + arn},
		{"delete deleted OIDC provider", second(e.s.DeleteOpenIDConnectProvider(e.ctx, e.root, &iamapi.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn})),
			"NoSuchEntity", "OpenId connect Provider " + arn + " cannot be found."},
		{"delete missing password policy", second(e.s.DeleteAccountPasswordPolicy(e.ctx, e.root, &iamapi.DeleteAccountPasswordPolicyInput{})),
			"NoSuchEntity", "The account policy with name PasswordPolicy cannot be found."},
		{"get missing password policy", second(e.s.GetAccountPasswordPolicy(e.ctx, e.root, &iamapi.GetAccountPasswordPolicyInput{})),
			"NoSuchEntity", "The Password Policy with domain name 123456789012 cannot be found."},
		{"delete missing virtual MFA device", second(e.s.DeleteVirtualMFADevice(e.ctx, e.root, &iamapi.DeleteVirtualMFADeviceInput{SerialNumber: "arn:aws:iam::123456789012:mfa/nonexistent-device"})),
			"NoSuchEntity", "MFA Device with serial number arn:aws:iam::123456789012:mfa/nonexistent-device does not exist."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, tt.err, tt.code, tt.msg) })
	}
}

func second[T any](_ T, err error) error { return err }

// GetHumanReadableSummary of a managed policy says, statement by statement,
// what its default version allows or denies; other entities are
// NOT_SUPPORTED, other languages refused.
func TestHumanReadableSummary(t *testing.T) {
	e := newEnv(t)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}]}`
	arn := must[*iamapi.CreatePolicyOutput](t)(e.s.CreatePolicy(e.ctx, e.root, &iamapi.CreatePolicyInput{PolicyName: "p", PolicyDocument: doc})).Policy.Arn
	got := must[*iamapi.GetHumanReadableSummaryOutput](t)(e.s.GetHumanReadableSummary(e.ctx, e.root, &iamapi.GetHumanReadableSummaryInput{EntityArn: arn}))
	want := "Allows s3:GetObject and s3:PutObject on arn:aws:s3:::b/* when aws:SourceIp IpAddress 10.0.0.0/8.\nDenies every action except iam:* on every resource."
	if got.SummaryState != "AVAILABLE" || got.SummaryContent != want || got.Locale != "en-US" {
		t.Errorf("summary %+v", got)
	}
	other := must[*iamapi.GetHumanReadableSummaryOutput](t)(e.s.GetHumanReadableSummary(e.ctx, e.root, &iamapi.GetHumanReadableSummaryInput{EntityArn: "arn:aws:iam::123456789012:role/r"}))
	if other.SummaryState != "NOT_SUPPORTED" {
		t.Errorf("role summary %+v", other)
	}
	_, err := e.s.GetHumanReadableSummary(e.ctx, e.root, &iamapi.GetHumanReadableSummaryInput{EntityArn: "arn:aws:iam::123456789012:policy/none"})
	wantErr(t, err, "NoSuchEntity", "")
	_, err = e.s.GetHumanReadableSummary(e.ctx, e.root, &iamapi.GetHumanReadableSummaryInput{EntityArn: arn, Locale: "fr-FR"})
	wantErr(t, err, "InvalidInput", "")
}
