package sts

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/authz"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
	"github.com/mantle-iam/mantle/internal/sts/authmsg"
	"github.com/mantle-iam/mantle/internal/token"
)

const (
	acct  = "111122223333"
	other = "444455556666"
)

// env is one STS service over a real SQLite store, with an authorizer whose
// policy source reads the store directly (internal/iam's is wired by the
// server) and a clock the test moves.
type env struct {
	t     testing.TB
	ctx   context.Context
	st    *sqlite.Store
	gen   atomic.Uint64
	now   time.Time
	ring  *token.Ring
	az    *authz.Authorizer
	svc   *Service
	mfa   *fakeMFA
	uses  atomic.Int32
	seq   int
	codec *authmsg.Codec
}

func newEnv(t testing.TB) *env {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "mantle.db"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, st: st, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), mfa: &fakeMFA{code: "123456"}}
	for _, id := range []string{acct, other} {
		if err := st.Accounts().Create(ctx, &store.Account{ID: id, Name: id, Status: "ACTIVE", CreatedAt: e.now}); err != nil {
			t.Fatal(err)
		}
	}
	e.ring, err = token.NewRing([]token.Key{token.GenerateKey(1)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	e.az = authz.New(e.clock)
	e.az.Policies = (*storeSource)(e)
	e.codec, err = authmsg.NewCodec([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	e.svc = New(Config{
		Store: st, Authorizer: e.az, Tokens: e.ring, MFA: e.mfa, Generation: (*storeSource)(e),
		RoleUse: (*roleUse)(e), Messages: e.codec, Now: e.clock,
	})
	t.Cleanup(func() {
		e.svc.Wait()
		st.Close()
	})
	return e
}

func (e *env) clock() time.Time { return e.now }

func (e *env) id(prefix string) string {
	e.seq++
	return prefix + strings.Repeat("X", 13) + string(rune('A'+e.seq/26)) + string(rune('A'+e.seq%26))
}

// user creates an IAM user with inline policies and returns its caller.
func (e *env) user(account, name string, policies ...string) *auth.Caller {
	e.t.Helper()
	u := &store.User{AccountID: account, ID: e.id("AIDA"), Name: name, Path: "/", CreatedAt: e.now}
	if err := e.st.Users().Create(e.ctx, u); err != nil {
		e.t.Fatal(err)
	}
	for i, p := range policies {
		e.inline(store.EntityUser, u.ID, "p"+string(rune('0'+i)), p)
	}
	return &auth.Caller{Kind: auth.KindUser, AccountID: account, ARN: "arn:aws:iam::" + account + ":user/" + name,
		UserID: u.ID, ID: u.ID, Name: name, Path: "/", Region: "us-east-1", RequestTime: e.now}
}

func (e *env) root(account string) *auth.Caller {
	return &auth.Caller{Kind: auth.KindRoot, AccountID: account, ARN: "arn:aws:iam::" + account + ":root",
		UserID: account, ID: account, RequestTime: e.now}
}

func (e *env) inline(t store.EntityType, id, name, doc string) {
	e.t.Helper()
	if err := e.st.InlinePolicies().Put(e.ctx, &store.InlinePolicy{EntityType: t, EntityID: id, Name: name, Document: doc}); err != nil {
		e.t.Fatal(err)
	}
	e.gen.Add(1)
}

// role creates a role with a trust policy and inline permission policies and
// returns its ARN.
func (e *env) role(account, name, trust string, maxSession int, policies ...string) *store.Role {
	e.t.Helper()
	r := &store.Role{AccountID: account, ID: e.id("AROA"), Name: name, Path: "/", TrustPolicy: trust,
		MaxSessionDuration: maxSession, CreatedAt: e.now}
	if err := e.st.Roles().Create(e.ctx, r); err != nil {
		e.t.Fatal(err)
	}
	for i, p := range policies {
		e.inline(store.EntityRole, r.ID, "p"+string(rune('0'+i)), p)
	}
	e.gen.Add(1)
	return r
}

func roleARN(r *store.Role) string { return "arn:aws:iam::" + r.AccountID + ":role" + r.Path + r.Name }

// caller opens a session's token as internal/server does and returns the
// caller its requests would have.
func (e *env) caller(cr *stsapi.Credentials) *auth.Caller {
	e.t.Helper()
	cl, err := e.ring.Open(cr.SessionToken)
	if err != nil || cl.AccessKeyID != cr.AccessKeyId {
		e.t.Fatalf("token does not open: %v", err)
	}
	c := &auth.Caller{AccessKeyID: cl.AccessKeyID, Region: "us-east-1", RequestTime: e.now}
	c.SetSession(cl)
	return c
}

func (e *env) assume(c *auth.Caller, in *stsapi.AssumeRoleInput) (*stsapi.AssumeRoleOutput, error) {
	return e.svc.AssumeRole(e.ctx, c, in)
}

func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	ae := awserr.As(err)
	if ae == nil {
		t.Fatalf("want %s %q, got %v", code, msg, err)
	}
	if ae.Code != code || !strings.Contains(ae.Message, msg) {
		t.Fatalf("want %s %q, got %s %q", code, msg, ae.Code, ae.Message)
	}
}

func ptr[T any](v T) *T { return &v }

// storeSource is authz.Source over the store: inline and attached policies
// of the user or role (no groups), its tags, name and path.
type storeSource env

func (s *storeSource) Generation() uint64 { return s.gen.Load() }

func (s *storeSource) OrganizationID(ctx context.Context, accountID string) (string, error) {
	a, err := s.st.Accounts().Get(ctx, accountID)
	if err != nil {
		return "", err
	}
	return a.OrganizationID, nil
}

func (s *storeSource) Principal(ctx context.Context, kind store.EntityType, id string) (*authz.Principal, error) {
	p := &authz.Principal{}
	switch kind {
	case store.EntityUser:
		u, err := s.st.Users().GetByID(ctx, id)
		if err != nil {
			return nil, err
		}
		p.Name, p.Path, p.Tags = u.Name, u.Path, u.Tags
	case store.EntityRole:
		r, err := s.st.Roles().GetByID(ctx, id)
		if err != nil {
			return nil, err
		}
		p.Name, p.Path, p.Tags = r.Name, r.Path, r.Tags
	}
	ips, err := s.st.InlinePolicies().List(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	for _, ip := range ips {
		p.Identity = append(p.Identity, authz.Doc{ID: ip.Name, Document: ip.Document})
	}
	return p, nil
}

func (s *storeSource) ManagedPolicyDocument(ctx context.Context, arn string) (string, error) {
	i := strings.LastIndexByte(arn, '/')
	acctID := strings.Split(arn, ":")[4]
	mp, err := s.st.Policies().Get(ctx, acctID, arn[i+1:])
	if err != nil {
		return "", err
	}
	v, err := s.st.Policies().GetVersion(ctx, mp.ID, mp.DefaultVersionID)
	if err != nil {
		return "", err
	}
	return v.Document, nil
}

type roleUse env

func (r *roleUse) RecordRoleUses(ctx context.Context, uses []RoleUse) error {
	r.uses.Add(int32(len(uses)))
	return nil
}

// fakeMFA accepts one code for any device of the form arn:aws:iam::ACCT:mfa/NAME.
type fakeMFA struct{ code string }

func (f *fakeMFA) VerifyMFA(ctx context.Context, accountID, serial, userID, code string) error {
	if !strings.HasPrefix(serial, "arn:aws:iam::"+accountID+":mfa/") || code != f.code {
		return awserr.AccessDenied("MultiFactorAuthentication failed with invalid MFA one time pass code. ")
	}
	return nil
}

// trustDoc is a trust policy allowing actions for a principal, with an
// optional condition block.
func trustDoc(principal, actions, condition string) string {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":` + actions
	if condition != "" {
		doc += `,"Condition":` + condition
	}
	return doc + `}]}`
}

func allow(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}
