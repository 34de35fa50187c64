package server

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/iam"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
)

// failingStore fails every access key write while fail is set, as a full
// disk or a lost database connection would at the worst moment of a first
// start: after the account is written, before its root key is.
type failingStore struct {
	store.Store
	fail bool
}

type failingRepos struct{ store.Repos }

type failingKeys struct{ store.AccessKeys }

func (failingKeys) Create(context.Context, *store.AccessKey) error { return errors.New("disk full") }

func (r failingRepos) AccessKeys() store.AccessKeys { return failingKeys{r.Repos.AccessKeys()} }

func (s *failingStore) wrap(fn func(context.Context, store.Repos) error) func(context.Context, store.Repos) error {
	return func(ctx context.Context, tx store.Repos) error {
		if s.fail {
			tx = failingRepos{tx}
		}
		return fn(ctx, tx)
	}
}

func (s *failingStore) Tx(ctx context.Context, fn func(context.Context, store.Repos) error) error {
	return s.Store.Tx(ctx, s.wrap(fn))
}

func (s *failingStore) Change(ctx context.Context, fn func(context.Context, store.Repos) error) error {
	return s.Store.Change(ctx, s.wrap(fn))
}

func openStore(t *testing.T, dir string) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "mantle.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

const (
	testKeyID  = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// A first start that fails half-way leaves no account without a root key
// (nor a root-credentials file naming a key that does not exist), and the
// next start completes the bootstrap, with a generated or an imported key.
func TestBootstrapResumesAfterFailure(t *testing.T) {
	for _, imported := range []bool{false, true} {
		t.Run(map[bool]string{false: "generated key", true: "imported key"}[imported], func(t *testing.T) {
			dir := t.TempDir()
			st := &failingStore{Store: openStore(t, dir), fail: true}
			cfg := Config{DataDir: dir, Store: st, AccountID: "123456789012", Endpoint: "http://127.0.0.1:4599"}
			if imported {
				cfg.RootAccessKeyID, cfg.RootSecretAccessKey = testKeyID, testSecret
			}
			if _, err := New(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "disk full") {
				t.Fatalf("first start: %v", err)
			}
			if accts, err := st.Accounts().List(t.Context()); err != nil || len(accts) != 0 {
				t.Fatalf("after a failed first start: accounts %v, %v", accts, err)
			}
			if _, err := os.Stat(filepath.Join(dir, "root-credentials")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("root-credentials left behind: %v", err)
			}

			st.fail = false
			var out bytes.Buffer
			cfg.Out = &out
			s, err := New(t.Context(), cfg)
			if err != nil {
				t.Fatalf("second start: %v", err)
			}
			keys, err := st.AccessKeys().ListForUser(t.Context(), s.AccountID, "")
			if s.AccountID != "123456789012" || err != nil || len(keys) != 1 {
				t.Fatalf("account %s, root keys %v, %v", s.AccountID, keys, err)
			}
			_, secret, _, err := s.IAM.LookupAccessKey(t.Context(), keys[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if imported {
				if keys[0].ID != testKeyID || secret != testSecret || strings.Contains(out.String(), "AWS_") {
					t.Errorf("imported key %s %q; printed %q", keys[0].ID, secret, out.String())
				}
				return
			}
			saved, err := os.ReadFile(filepath.Join(dir, "root-credentials"))
			if err != nil || !strings.Contains(string(saved), "AWS_ACCESS_KEY_ID="+keys[0].ID+"\n") ||
				!strings.Contains(string(saved), "AWS_SECRET_ACCESS_KEY="+secret+"\n") || !strings.Contains(out.String(), "AWS_SECRET_ACCESS_KEY="+secret+"\n") {
				t.Errorf("root-credentials %q (%v) for key %s; printed %q", saved, err, keys[0].ID, out.String())
			}
		})
	}
}

// A store an earlier version left half-bootstrapped (the account created,
// its root key refused) is completed when the root-key variables are set;
// without them, a root key deleted on purpose is not recreated.
func TestBootstrapRepairsAccountWithoutRootKey(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	if err := st.Tx(t.Context(), func(ctx context.Context, tx store.Repos) error {
		return tx.Accounts().Create(ctx, &store.Account{ID: "123456789012", Name: "mantle", Status: "ACTIVE", CreatedAt: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cfg := Config{DataDir: dir, Store: st, Out: &out}
	s, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if keys, _ := st.AccessKeys().ListForUser(t.Context(), s.AccountID, ""); len(keys) != 0 || strings.Contains(out.String(), "AWS_") {
		t.Fatalf("without the variables: keys %v, printed %q", keys, out.String())
	}
	cfg.RootAccessKeyID, cfg.RootSecretAccessKey = testKeyID, testSecret
	if s, err = New(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	keys, err := st.AccessKeys().ListForUser(t.Context(), s.AccountID, "")
	if err != nil || len(keys) != 1 || keys[0].ID != testKeyID {
		t.Fatalf("after repair: %v %v", keys, err)
	}
	// Imported once: a later start with another key changes nothing.
	cfg.RootAccessKeyID = "AKIAOTHERKEY00000001"
	if _, err := New(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	if keys, _ := st.AccessKeys().ListForUser(t.Context(), s.AccountID, ""); len(keys) != 1 || keys[0].ID != testKeyID {
		t.Fatalf("root keys after a start with another key: %v", keys)
	}
}

// The root user's console sign-in: generated on the first start, printed
// once, saved to root-credentials before it commits and only hashed in the
// store; chosen by MANTLE_ROOT_EMAIL/MANTLE_ROOT_PASSWORD; given to an
// account an earlier version created without one; never replaced.
func TestBootstrapRootLogin(t *testing.T) {
	t.Run("generated", func(t *testing.T) {
		dir := t.TempDir()
		st := openStore(t, dir)
		var out bytes.Buffer
		cfg := Config{DataDir: dir, Store: st, AccountID: "123456789012", Endpoint: "http://127.0.0.1:4599", Out: &out}
		s, err := New(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		saved, _ := os.ReadFile(filepath.Join(dir, "root-credentials"))
		m := regexp.MustCompile(`(?m)^export MANTLE_ROOT_EMAIL='([^']+)'\nexport MANTLE_ROOT_PASSWORD='([^']+)'$`).FindSubmatch(saved)
		if m == nil {
			t.Fatalf("root-credentials %q", saved)
		}
		email, pw := string(m[1]), string(m[2])
		if email != "root@123456789012.mantle.invalid" || !strings.Contains(out.String(), "password: "+pw+"\n") ||
			!strings.Contains(out.String(), "http://127.0.0.1:4599/console") {
			t.Fatalf("email %q password %q; printed %q", email, pw, out.String())
		}
		if err := iam.CheckRootLogin(email, pw); err != nil {
			t.Fatalf("generated password breaks AWS's rules: %v", err)
		}
		a, err := s.IAM.ConsoleRoot(t.Context(), strings.ToUpper(email), pw)
		if err != nil || a.ID != "123456789012" || strings.Contains(a.RootPasswordHash, pw) {
			t.Fatalf("sign-in: %v %v", a, err)
		}
		if _, err := s.IAM.ConsoleRoot(t.Context(), email, pw+"x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("wrong password: %v", err)
		}
		// A restart prints nothing and keeps the password, whatever the
		// variables say now.
		out.Reset()
		cfg.RootPassword = "Other-pass-1"
		if _, err := New(t.Context(), cfg); err != nil || out.Len() != 0 {
			t.Fatalf("restart: %v, printed %q", err, out.String())
		}
		if _, err := s.IAM.ConsoleRoot(t.Context(), email, pw); err != nil {
			t.Fatalf("after restart: %v", err)
		}
	})
	t.Run("chosen", func(t *testing.T) {
		dir := t.TempDir()
		var out bytes.Buffer
		cfg := Config{DataDir: dir, Store: openStore(t, dir), RootEmail: "ops@example.com", RootPassword: "Chosen-pass-1", Out: &out}
		s, err := New(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.IAM.ConsoleRoot(t.Context(), "ops@example.com", "Chosen-pass-1"); err != nil {
			t.Fatal(err)
		}
		if saved, _ := os.ReadFile(filepath.Join(dir, "root-credentials")); strings.Contains(string(saved)+out.String(), "Chosen-pass-1") {
			t.Fatalf("a chosen password was written out: %q %q", saved, out.String())
		}
	})
	t.Run("earlier account", func(t *testing.T) {
		dir := t.TempDir()
		st := openStore(t, dir)
		if err := st.Tx(t.Context(), func(ctx context.Context, tx store.Repos) error {
			return tx.Accounts().Create(ctx, &store.Account{ID: "123456789012", Name: "mantle", Email: "old@example.com", Status: "ACTIVE", CreatedAt: time.Now()})
		}); err != nil {
			t.Fatal(err)
		}
		s, err := New(t.Context(), Config{DataDir: dir, Store: st, RootPassword: "Chosen-pass-1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.IAM.ConsoleRoot(t.Context(), "old@example.com", "Chosen-pass-1"); err != nil {
			t.Fatal(err)
		}
	})
	for _, tt := range []struct{ email, pw, want string }{
		{"", "short1A", "8 to 128 characters"},
		{"", "alllowercaseletters", "three of"},
		{"not-an-email", "", "email"},
		{"a@b.c", "a@b.c", "three of"},
	} {
		cfg := Config{DataDir: t.TempDir(), RootEmail: tt.email, RootPassword: tt.pw}
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "MANTLE_ROOT_EMAIL/MANTLE_ROOT_PASSWORD") {
			t.Errorf("Validate(%q, %q) = %v", tt.email, tt.pw, err)
		}
	}
}

// The first account is the one the first start created, whatever the IDs
// of the accounts Organizations' CreateAccount made since.
func TestFirstAccount(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	acct := func(id string, created time.Duration, joined string) *store.Account {
		return &store.Account{ID: id, CreatedAt: t0.Add(created), JoinedMethod: joined}
	}
	tests := []struct {
		name     string
		accounts []*store.Account // ordered by ID, as List returns them
		want     string
	}{
		{"none", nil, ""},
		{"alone", []*store.Account{acct("555555555555", 0, "")}, "555555555555"},
		{"management account of an organization", []*store.Account{acct("555555555555", 0, "INVITED")}, "555555555555"},
		{"members with lower IDs", []*store.Account{acct("111111111111", time.Hour, "CREATED"), acct("222222222222", 0, "CREATED"),
			acct("555555555555", 0, "INVITED")}, "555555555555"},
		{"members created in the same second", []*store.Account{acct("111111111111", 0, "CREATED"), acct("555555555555", 0, "INVITED")}, "555555555555"},
		{"other standalone accounts: the oldest", []*store.Account{acct("111111111111", time.Minute, ""), acct("555555555555", 0, "")}, "555555555555"},
		{"same time: the lowest ID", []*store.Account{acct("111111111111", 0, ""), acct("555555555555", 0, "")}, "111111111111"},
	}
	for _, tt := range tests {
		got := ""
		if a := firstAccount(tt.accounts); a != nil {
			got = a.ID
		}
		if got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
