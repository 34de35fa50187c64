package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "sub", "mantle.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	if err := s.Accounts().Create(ctx, &store.Account{ID: "123456789012", Name: "a", Status: "ACTIVE", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	err = s.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := tx.Users().Create(ctx, &store.User{AccountID: "123456789012", ID: "AIDA1", Name: "Alice", Path: "/", CreatedAt: now}); err != nil {
			return err
		}
		p := &store.ManagedPolicy{AccountID: "aws", ID: "ANPA1", Name: "Admin", Path: "/", DefaultVersionID: "v1", NextVersion: 2, CreatedAt: now, UpdatedAt: now}
		if err := tx.Policies().Create(ctx, p, &store.PolicyVersion{PolicyID: "ANPA1", VersionID: "v1", Document: "{}", CreatedAt: now}); err != nil {
			return err
		}
		return tx.Attachments().Attach(ctx, store.Attachment{PolicyID: "ANPA1", EntityType: store.EntityUser, EntityID: "AIDA1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Users().Get(ctx, "123456789012", "ALICE")
	if err != nil || !u.CreatedAt.Equal(now) {
		t.Fatal(u, err)
	}
	err = s.Users().Create(ctx, &store.User{AccountID: "123456789012", ID: "AIDA2", Name: "alice", Path: "/", CreatedAt: now})
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatal(err)
	}
	if err := s.Users().Delete(ctx, "AIDA1"); !errors.Is(err, store.ErrConflict) {
		t.Fatal(err)
	}
	ps, err := s.Attachments().ListForEntity(ctx, store.EntityUser, "AIDA1")
	if err != nil || len(ps) != 1 {
		t.Fatal(ps, err)
	}
	us, err := s.Users().List(ctx, "123456789012", store.ListOptions{})
	if err != nil || len(us) != 1 {
		t.Fatal(us, err)
	}
	t.Log(err)
}
