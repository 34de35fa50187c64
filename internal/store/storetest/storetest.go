package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

// Capability names a part of the contract a backend may opt out of.
type Capability string

const (
	// ReferentialIntegrity: a record cannot point at something that does
	// not exist, and deleting what others point at fails with
	// store.ErrConflict.
	ReferentialIntegrity Capability = "ReferentialIntegrity"
	// ConcurrentWriters: Tx calls from many goroutines at once all succeed
	// and none loses another's update.
	ConcurrentWriters Capability = "ConcurrentWriters"
)

// OptOut excuses a backend from one capability. Reason is mandatory and is
// printed with the skipped tests, so the gap stays visible.
type OptOut struct {
	Capability Capability
	Reason     string
}

type testCase struct {
	name string
	// needs is the capability the test checks, "" for the core contract.
	needs Capability
	run   func(t *testing.T, f *fixture)
}

// Run runs the whole suite, each test on a fresh store from newStore. The
// backend closes its stores itself (t.Cleanup in newStore).
func Run(t *testing.T, newStore func(t *testing.T) store.Store, optOuts ...OptOut) {
	skip := map[Capability]string{}
	for _, o := range optOuts {
		if o.Reason == "" {
			t.Fatalf("storetest: opting out of %s needs a reason", o.Capability)
		}
		skip[o.Capability] = o.Reason
	}
	var all []testCase
	for _, group := range [][]testCase{
		accountTests, namedTests(), userTests, accessKeyTests, loginProfileTests, groupTests, roleTests,
		policyTests, awsPolicyTests, jobTests, attachmentTests, inlinePolicyTests, instanceProfileTests, mfaTests,
		providerTests, organizationTests, ouTests, orgPolicyTests, signingKeyTests, credentialTests, notFoundTests(), integrityTests(), txTests, changeTests, eventTests, writerEventTests(),
	} {
		all = append(all, group...)
	}
	seen := map[string]bool{}
	for _, tc := range all {
		if seen[tc.name] {
			t.Fatalf("storetest: duplicate test name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			if reason, ok := skip[tc.needs]; ok && tc.needs != "" {
				t.Skipf("backend opts out of %s: %s", tc.needs, reason)
			}
			s := newStore(t)
			tc.run(t, &fixture{t: t, ctx: t.Context(), s: s})
		})
	}
}

// Account IDs the fixtures use; both exist in every fixture that asks for
// accounts.
const (
	acct1 = "111111111111"
	acct2 = "222222222222"
)

// base is deliberately not UTC and has nanoseconds, so a backend that
// drops either fails the round-trip tests.
var base = time.Date(2024, 2, 29, 13, 14, 15, 123456789, time.FixedZone("UTC+1", 3600))

func at(sec int) time.Time { return base.Add(time.Duration(sec) * time.Second) }

func ptr[T any](v T) *T { return &v }

type fixture struct {
	t   *testing.T
	ctx context.Context
	s   store.Store
}

// must fails the test on err.
func (f *fixture) must(err error, what string, args ...any) {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}

// wantErr checks err is target (nil for success).
func (f *fixture) wantErr(err, target error, what string, args ...any) {
	f.t.Helper()
	switch {
	case target == nil && err != nil:
		f.t.Errorf("%s: unexpected error %v", fmt.Sprintf(what, args...), err)
	case target != nil && !errors.Is(err, target):
		f.t.Errorf("%s: got error %v, want %v", fmt.Sprintf(what, args...), err, target)
	}
}

func (f *fixture) same(want, got any, what string, args ...any) {
	f.t.Helper()
	if d := diff(want, got); d != "" {
		f.t.Errorf("%s differs:\n%s", fmt.Sprintf(what, args...), d)
	}
}

// accounts creates acct1 and acct2.
func (f *fixture) accounts() {
	f.t.Helper()
	for i, id := range []string{acct1, acct2} {
		f.must(f.s.Accounts().Create(f.ctx, &store.Account{
			ID: id, Name: "account-" + id, Email: id + "@example.com", CreatedAt: at(i), Status: "ACTIVE",
		}), "create account %s", id)
	}
}

func (f *fixture) user(acct, id, name string) *store.User {
	f.t.Helper()
	u := &store.User{AccountID: acct, ID: id, Name: name, Path: "/", CreatedAt: at(1)}
	f.must(f.s.Users().Create(f.ctx, u), "create user %s", name)
	return u
}

func (f *fixture) group(acct, id, name string) *store.Group {
	f.t.Helper()
	g := &store.Group{AccountID: acct, ID: id, Name: name, Path: "/", CreatedAt: at(2)}
	f.must(f.s.Groups().Create(f.ctx, g), "create group %s", name)
	return g
}

func (f *fixture) role(acct, id, name string) *store.Role {
	f.t.Helper()
	r := &store.Role{AccountID: acct, ID: id, Name: name, Path: "/", TrustPolicy: "{}", MaxSessionDuration: 3600, CreatedAt: at(3)}
	f.must(f.s.Roles().Create(f.ctx, r), "create role %s", name)
	return r
}

func (f *fixture) policy(acct, id, name string) *store.ManagedPolicy {
	f.t.Helper()
	p := &store.ManagedPolicy{AccountID: acct, ID: id, Name: name, Path: "/", DefaultVersionID: "v1", NextVersion: 2,
		CreatedAt: at(4), UpdatedAt: at(4)}
	f.must(f.s.Policies().Create(f.ctx, p, &store.PolicyVersion{PolicyID: id, VersionID: "v1", Document: `{"Version":"2012-10-17"}`, CreatedAt: at(4)}),
		"create policy %s", name)
	return p
}

// tx runs fn in a transaction and fails the test if it does not commit.
func (f *fixture) tx(fn func(tx store.Repos) error) {
	f.t.Helper()
	f.must(f.s.Tx(f.ctx, func(_ context.Context, tx store.Repos) error { return fn(tx) }), "tx")
}
