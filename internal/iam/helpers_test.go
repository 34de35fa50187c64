package iam

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/secrets"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
)

const acct = "123456789012"

// recorder is an Authorizer that records every call and allows all, or
// denies all when deny is set.
type recorder struct {
	mu    sync.Mutex
	deny  bool
	calls []authCall
}

type authCall struct {
	action, resource string
	keys             []auth.Key
}

func (r *recorder) Authorize(_ context.Context, c *auth.Caller, action, resource string, keys ...auth.Key) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, authCall{action, resource, keys})
	if r.deny {
		return awserr.AccessDenied("User: %s is not authorized to perform: %s on resource: %s", c.ARN, action, resource)
	}
	return nil
}

func (r *recorder) last() authCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[len(r.calls)-1]
}

type env struct {
	s     *Service
	authz *recorder
	now   time.Time
	root  *auth.Caller
	ctx   context.Context
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{authz: &recorder{}}
	e.open(t, e.authz)
	return e
}

// open gives e a Service on a fresh store with authorizer a, and the test
// account with AWS's managed policies.
func (e *env) open(t testing.TB, a auth.Authorizer) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "mantle.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, err := secrets.NewSealer(make([]byte, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	e.now, e.ctx = time.Date(2025, 3, 4, 5, 6, 7, 890, time.UTC), ctx
	e.root = &auth.Caller{Kind: auth.KindRoot, AccountID: acct, ARN: rootARN(acct), ID: acct}
	e.s = New(Config{Store: st, Authorizer: a, Sealer: sealer, Now: func() time.Time { return e.now }})
	if err := e.s.EnsureAccount(ctx, acct, "test", "test@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.EnsureAWSManagedPolicies(ctx); err != nil {
		t.Fatal(err)
	}
}

// wantErr checks err is an *awserr.Error with code and message; an empty
// code wants no error.
func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	ae := awserr.As(err)
	if ae == nil {
		t.Fatalf("want %s: %s, got %v", code, msg, err)
	}
	if ae.Code != code || (msg != "" && ae.Message != msg) {
		t.Fatalf("want %s: %q\n got %s: %q", code, msg, ae.Code, ae.Message)
	}
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func (e *env) user(t *testing.T, name string) *iamapi.User {
	t.Helper()
	out, err := e.s.CreateUser(e.ctx, e.root, &iamapi.CreateUserInput{UserName: name})
	if err != nil {
		t.Fatal(err)
	}
	return out.User
}

const trustDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
const allowS3 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`

func (e *env) role(t *testing.T, name string) *iamapi.Role {
	t.Helper()
	out, err := e.s.CreateRole(e.ctx, e.root, &iamapi.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: trustDoc})
	if err != nil {
		t.Fatal(err)
	}
	return out.Role
}

func (e *env) policy(t *testing.T, name string) *iamapi.Policy {
	t.Helper()
	out, err := e.s.CreatePolicy(e.ctx, e.root, &iamapi.CreatePolicyInput{PolicyName: name, PolicyDocument: allowS3})
	if err != nil {
		t.Fatal(err)
	}
	return out.Policy
}
