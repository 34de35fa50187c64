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
