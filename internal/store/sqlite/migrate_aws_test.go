package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

// Migration 0008 counts each account's use of AWS managed policies from the
// attachments and boundaries a store written before it holds, where the
// counts were one per policy for every account together.
func TestMigrationCountsAWSPolicyUse(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "mantle.db")
	s := open(t, path)
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	const a1, a2 = "111111111111", "222222222222"
	boundary := "arn:aws:iam::aws:policy/ReadOnlyAccess"
	err := s.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		pol := func(id, name string) error {
			return tx.Policies().Create(ctx, &store.ManagedPolicy{AccountID: store.AWSAccount, ID: id, Name: name, Path: "/",
				DefaultVersionID: "v1", NextVersion: 2, AttachmentCount: 3, CreatedAt: at, UpdatedAt: at},
				&store.PolicyVersion{PolicyID: id, VersionID: "v1", Document: "{}", CreatedAt: at})
		}
		attach := func(p string, t store.EntityType, id string) error {
			return tx.Attachments().Attach(ctx, store.Attachment{PolicyID: p, EntityType: t, EntityID: id})
		}
		return errors.Join(
			tx.Accounts().Create(ctx, &store.Account{ID: a1, Status: "ACTIVE", CreatedAt: at}),
			tx.Accounts().Create(ctx, &store.Account{ID: a2, Status: "ACTIVE", CreatedAt: at}),
			pol("ANPAADMIN", "AdministratorAccess"), pol("ANPARO", "ReadOnlyAccess"),
			tx.Users().Create(ctx, &store.User{AccountID: a1, ID: "AIDA1", Name: "u1", Path: "/", CreatedAt: at, PermissionsBoundary: boundary}),
			tx.Groups().Create(ctx, &store.Group{AccountID: a1, ID: "AGPA1", Name: "g1", Path: "/", CreatedAt: at}),
			tx.Roles().Create(ctx, &store.Role{AccountID: a2, ID: "AROA2", Name: "r2", Path: "/", TrustPolicy: "{}", MaxSessionDuration: 3600,
				CreatedAt: at, PermissionsBoundary: boundary}),
			attach("ANPAADMIN", store.EntityUser, "AIDA1"), attach("ANPAADMIN", store.EntityGroup, "AGPA1"),
			attach("ANPAADMIN", store.EntityRole, "AROA2"), attach("ANPARO", store.EntityRole, "AROA2"),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Back to the schema before 0008, with the data it would have held.
	for _, q := range []string{`DROP TABLE aws_policy_catalog`, `DROP TABLE aws_policy_usage`, `DROP TABLE iam_jobs`,
		`DELETE FROM schema_migrations WHERE version = 8`} {
		if _, err := s.write.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	defer s.Close()
	for _, want := range []store.AWSPolicyUse{
		{AccountID: a1, PolicyName: "administratoraccess", Attachments: 2},
		{AccountID: a1, PolicyName: "readonlyaccess", Boundaries: 1},
		{AccountID: a2, PolicyName: "administratoraccess", Attachments: 1},
		{AccountID: a2, PolicyName: "readonlyaccess", Attachments: 1, Boundaries: 1},
	} {
		got, err := s.AWSPolicies().Use(ctx, want.AccountID, want.PolicyName)
		if err != nil || got != want {
			t.Errorf("use %v (%v), want %v", got, err, want)
		}
	}
	p, err := s.Policies().Get(ctx, store.AWSAccount, "AdministratorAccess")
	if err != nil || p.AttachmentCount != 0 {
		t.Errorf("the shared count stays on the row: %+v %v", p, err)
	}
}
