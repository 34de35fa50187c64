package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/mantle-iam/mantle/internal/store"
)

// stager stages an event, as internal/audit's request entry does.
type stager struct {
	ev    *store.Event
	fail  error
	calls int
}

func (s *stager) Stage(ctx context.Context, tx store.Repos) error {
	s.calls++
	if s.fail != nil {
		return s.fail
	}
	return tx.Events().Put(ctx, s.ev)
}

// The change contract (store/change.go), as one node sees it; the
// cross-node half is the backends' own tests (PostgreSQL's feed).
var changeTests = []testCase{
	{name: "Change/CommitsStagesAndAdvances", run: func(t *testing.T, f *fixture) {
		f.accounts()
		if err := f.s.Current(); err != nil {
			t.Fatalf("fresh store not current: %v", err)
		}
		st := &stager{ev: event("e1", acct1, 1, "CreateUser", "", "", false)}
		g := f.s.Generation()
		f.must(f.s.Change(store.WithStager(f.ctx, st), func(ctx context.Context, tx store.Repos) error {
			return tx.Users().Create(ctx, &store.User{AccountID: acct1, ID: "AIDA1", Name: "alice", Path: "/", CreatedAt: base})
		}), "change")
		if f.s.Generation() == g {
			t.Error("a committed Change left the generation alone")
		}
		_, err := f.s.Users().GetByID(f.ctx, "AIDA1")
		f.must(err, "the change's write")
		_, err = f.s.Events().Get(f.ctx, "e1")
		f.must(err, "the staged event")
		// Without a Stager in ctx, Change stages nothing and still advances.
		g = f.s.Generation()
		f.must(f.s.Change(f.ctx, func(context.Context, store.Repos) error { return nil }), "change without stager")
		if f.s.Generation() == g {
			t.Error("Change without a stager left the generation alone")
		}
	}},
	{name: "Change/RollbackStagesNothing", run: func(t *testing.T, f *fixture) {
		f.accounts()
		for _, c := range []struct {
			name          string
			fnErr, stgErr error
		}{{"fn fails", errBoom, nil}, {"staging fails", nil, errBoom}} {
			st := &stager{ev: event("e1", acct1, 1, "CreateUser", "", "", false), fail: c.stgErr}
			g := f.s.Generation()
			err := f.s.Change(store.WithStager(f.ctx, st), func(ctx context.Context, tx store.Repos) error {
				if err := tx.Users().Create(ctx, &store.User{AccountID: acct1, ID: "AIDA1", Name: "alice", Path: "/", CreatedAt: base}); err != nil {
					return err
				}
				return c.fnErr
			})
			if !errors.Is(err, errBoom) {
				t.Errorf("%s: Change returned %v", c.name, err)
			}
			if f.s.Generation() != g {
				t.Errorf("%s: a rolled back Change moved the generation", c.name)
			}
			_, err = f.s.Users().GetByID(f.ctx, "AIDA1")
			f.wantErr(err, store.ErrNotFound, "%s: the write", c.name)
			_, err = f.s.Events().Get(f.ctx, "e1")
			f.wantErr(err, store.ErrNotFound, "%s: the event", c.name)
			if c.fnErr != nil && st.calls != 0 {
				t.Errorf("%s: staged after fn failed", c.name)
			}
		}
	}},
	{name: "Change/TxIsBookkeeping", run: func(t *testing.T, f *fixture) {
		f.accounts()
		st := &stager{ev: event("e1", acct1, 1, "CreateUser", "", "", false)}
		g := f.s.Generation()
		f.must(f.s.Tx(store.WithStager(f.ctx, st), func(ctx context.Context, tx store.Repos) error {
			return tx.Users().Create(ctx, &store.User{AccountID: acct1, ID: "AIDA1", Name: "alice", Path: "/", CreatedAt: base})
		}), "tx")
		if f.s.Generation() != g {
			t.Error("Tx moved the generation")
		}
		if st.calls != 0 {
			t.Error("Tx staged")
		}
	}},
	{name: "Change/CacheFollowsGeneration", run: func(t *testing.T, f *fixture) {
		f.accounts()
		u := f.user(acct1, "AIDA1", "alice")
		c := store.NewCache[string, string](f.s, 10)
		loads := 0
		name := func(ctx context.Context) (string, error) {
			loads++
			u, err := f.s.Users().GetByID(ctx, "AIDA1")
			if err != nil {
				return "", err
			}
			return u.Name, nil
		}
		for range 3 {
			got, err := c.Get(f.ctx, "AIDA1", name)
			f.must(err, "get")
			if got != "alice" || loads != 1 {
				t.Fatalf("got %q after %d loads", got, loads)
			}
		}
		u.Name = "bob"
		f.must(f.s.Change(f.ctx, func(ctx context.Context, tx store.Repos) error { return tx.Users().Update(ctx, u) }), "rename")
		got, err := c.Get(f.ctx, "AIDA1", name)
		f.must(err, "get")
		if got != "bob" {
			t.Errorf("after the change the cache gives %q", got)
		}
	}},
	{name: "Change/Lock", run: func(t *testing.T, f *fixture) {
		ran := false
		f.must(f.s.Lock(f.ctx, "test", func(ctx context.Context) error {
			ran = true
			// The store stays usable under its lock.
			return f.s.Change(ctx, func(context.Context, store.Repos) error { return nil })
		}), "lock")
		if !ran {
			t.Error("Lock did not run fn")
		}
		if err := f.s.Lock(f.ctx, "test", func(context.Context) error { return errBoom }); !errors.Is(err, errBoom) {
			t.Errorf("Lock returned %v, want fn's error", err)
		}
	}},
}
