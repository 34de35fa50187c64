package authz

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

const acct = "111122223333"

type fakeSource struct {
	principals map[string]*Principal // by ID
	managed    map[string]string     // ARN → document
	org        string
	gen        atomic.Uint64
	reads      atomic.Int64
}

func (f *fakeSource) Principal(_ context.Context, _ store.EntityType, id string) (*Principal, error) {
	f.reads.Add(1)
	p, ok := f.principals[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", store.ErrNotFound, id)
	}
	return p, nil
}

func (f *fakeSource) ManagedPolicyDocument(_ context.Context, arn string) (string, error) {
	d, ok := f.managed[arn]
	if !ok {
		return "", store.ErrNotFound
	}
	return d, nil
}

func (f *fakeSource) Generation() uint64 { return f.gen.Load() }

func (f *fakeSource) OrganizationID(context.Context, string) (string, error) { return f.org, nil }

func allow(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func user(id, name string) *auth.Caller {
	return &auth.Caller{Kind: auth.KindUser, AccountID: acct, ID: id, UserID: id, Name: name, Path: "/",
		ARN: "arn:aws:iam::" + acct + ":user/" + name, RequestTime: time.Now()}
}

// The cases follow "Policy evaluation logic" (identity policies, boundaries,
// session policies) and the STS pages on GetFederationToken sessions.
func TestAuthorize(t *testing.T) {
	src := &fakeSource{
		principals: map[string]*Principal{
			"AIDAALICE": {Name: "alice", Path: "/", Identity: []Doc{{ID: "p", Document: allow("iam:*", "*")}}},
			"AIDABOB": {Name: "bob", Path: "/", Identity: []Doc{{ID: "p", Document: allow("iam:*", "*")}},
				Boundary: &Doc{ID: "b", Document: allow("iam:Get*", "*")}},
			"AROAROLE": {Name: "app", Path: "/svc/", Identity: []Doc{{ID: "p", Document: allow("iam:List*", "*")}}},
		},
		managed: map[string]string{"arn:aws:iam::aws:policy/ListUsersOnly": allow("iam:ListUsers", "*")},
	}
	a := New(nil)
	a.Policies = src
	session := &auth.Caller{Kind: auth.KindAssumedRole, AccountID: acct, ID: "AROAROLE", Name: "app", Path: "/svc/",
		SessionName: "s", UserID: "AROAROLE:s", ARN: "arn:aws:sts::" + acct + ":assumed-role/app/s", Temporary: true, ChainDepth: 1}
	narrowed := *session
	narrowed.SessionPolicyARNs = []string{"arn:aws:iam::aws:policy/ListUsersOnly"}
	fedUser := &auth.Caller{Kind: auth.KindFederatedUser, AccountID: acct, ID: "AIDAALICE", Name: "partner", Temporary: true,
		ARN: "arn:aws:sts::" + acct + ":federated-user/partner", SessionPolicy: allow("iam:GetUser", "*")}
	fedNoPolicy := *fedUser
	fedNoPolicy.SessionPolicy = ""
	fedRoot := &auth.Caller{Kind: auth.KindFederatedUser, AccountID: acct, ID: acct, Name: "broker", Temporary: true,
		ARN: "arn:aws:sts::" + acct + ":federated-user/broker", SessionPolicy: allow("iam:ListRoles", "*")}
	gone := user("AIDAGONE", "gone")

	tests := []struct {
		name     string
		c        *auth.Caller
		action   string
		resource string
		want     string // "" allowed, else a fragment of the AccessDenied message
	}{
		{"root in its account", &auth.Caller{Kind: auth.KindRoot, AccountID: acct, ARN: "arn:aws:iam::" + acct + ":root"}, "iam:DeleteUser", "arn:aws:iam::" + acct + ":user/x", ""},
		{"identity allows", user("AIDAALICE", "alice"), "iam:CreateUser", "arn:aws:iam::" + acct + ":user/x", ""},
		{"no identity policy", user("AIDAALICE", "alice"), "sts:GetFederationToken", "*", "because no identity-based policy allows the sts:GetFederationToken action"},
		{"boundary limits", user("AIDABOB", "bob"), "iam:CreateUser", "arn:aws:iam::" + acct + ":user/x", "because no permissions boundary allows the iam:CreateUser action"},
		{"boundary and identity allow", user("AIDABOB", "bob"), "iam:GetUser", "arn:aws:iam::" + acct + ":user/x", ""},
		{"role session", session, "iam:ListRoles", "*", ""},
		{"role session beyond the role", session, "iam:CreateRole", "*", "assumed-role/app/s is not authorized to perform: iam:CreateRole"},
		{"managed session policy narrows", &narrowed, "iam:ListRoles", "*", "because no session policy allows the iam:ListRoles action"},
		{"managed session policy allows", &narrowed, "iam:ListUsers", "*", ""},
		{"federated: intersection", fedUser, "iam:GetUser", "*", ""},
		{"federated: beyond the session policy", fedUser, "iam:CreateUser", "*", "because no session policy allows"},
		{"federated without a policy has nothing", &fedNoPolicy, "iam:GetUser", "*", "because no session policy allows the iam:GetUser action"},
		{"federated by root", fedRoot, "iam:ListRoles", "*", ""},
		{"federated by root, beyond the policy", fedRoot, "iam:ListUsers", "*", "because no session policy allows"},
		{"deleted user has nothing", gone, "iam:GetUser", "*", "because no identity-based policy allows"},
		// AWS managed policies are every account's, not a foreign account's
		// resources needing a resource-based policy.
		{"AWS managed policy", user("AIDAALICE", "alice"), "iam:GetPolicy", "arn:aws:iam::aws:policy/ReadOnlyAccess", ""},
		{"AWS managed policy beyond the boundary", user("AIDABOB", "bob"), "iam:AttachUserPolicy", "arn:aws:iam::aws:policy/ReadOnlyAccess", "because no permissions boundary allows the iam:AttachUserPolicy action"},
		{"another account's policy", user("AIDAALICE", "alice"), "iam:GetPolicy", "arn:aws:iam::444455556666:policy/p", "because no resource-based policy allows the iam:GetPolicy action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Authorize(context.Background(), tt.c, tt.action, tt.resource)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("denied: %v", err)
				}
				return
			}
			e := awserr.As(err)
			if e == nil || e.Code != "AccessDenied" || !strings.Contains(e.Message, tt.want) {
				t.Fatalf("got %v, want AccessDenied containing %q", err, tt.want)
			}
			if !strings.HasPrefix(e.Message, "User: "+tt.c.ARN+" is not authorized to perform: "+tt.action) {
				t.Fatalf("message %q", e.Message)
			}
		})
	}
}

// A role change applies at once: the compiled policies are reused only
// while the store's generation stands still.
func TestCacheFollowsGeneration(t *testing.T) {
	src := &fakeSource{principals: map[string]*Principal{
		"AIDAALICE": {Name: "alice", Path: "/", Identity: []Doc{{ID: "p", Document: allow("iam:GetUser", "*")}}},
	}}
	a := New(nil)
	a.Policies = src
	c := user("AIDAALICE", "alice")
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := a.Authorize(ctx, c, "iam:GetUser", "*"); err != nil {
			t.Fatal(err)
		}
	}
	if n := src.reads.Load(); n != 1 {
		t.Fatalf("%d reads for 3 requests without a write", n)
	}
	src.principals["AIDAALICE"] = &Principal{Name: "alice", Path: "/"}
	src.gen.Add(1)
	if err := a.Authorize(ctx, c, "iam:GetUser", "*"); err == nil {
		t.Fatal("a removed permission still allowed after the generation moved")
	}
}

func TestRequestContextKeys(t *testing.T) {
	src := &fakeSource{principals: map[string]*Principal{
		"AIDAALICE": {Name: "alice", Path: "/", Tags: []store.Tag{{Key: "team", Value: "red"}},
			Identity: []Doc{{ID: "p", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/${aws:username}",
			"Condition":{"StringEquals":{"aws:PrincipalTag/team":"red","aws:RequestedRegion":"eu-west-1"},"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`}}},
	}}
	a := New(nil)
	a.Policies = src
	c := user("AIDAALICE", "alice")
	c.Region, c.SecureTransport, c.SourceIP = "eu-west-1", true, "10.1.2.3"
	ctx := context.Background()
	if err := a.Authorize(ctx, c, "iam:GetUser", "arn:aws:iam::"+acct+":user/alice"); err != nil {
		t.Fatal(err)
	}
	if err := a.Authorize(ctx, c, "iam:GetUser", "arn:aws:iam::"+acct+":user/bob"); err == nil {
		t.Fatal("${aws:username} matched another user")
	}
	c.SourceIP = "192.0.2.1"
	if err := a.Authorize(ctx, c, "iam:GetUser", "arn:aws:iam::"+acct+":user/alice"); err == nil {
		t.Fatal("aws:SourceIp not applied")
	}
}

// An AWS managed policy is compiled once and shared by every principal that
// has it, across changes of the store; a customer's document is compiled
// per principal, so a change to it is never served from another's copy.
func TestAWSManagedCompiledOnce(t *testing.T) {
	const arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	doc := allow("iam:Get*", "*")
	src := &fakeSource{principals: map[string]*Principal{
		"AIDAA": {Name: "a", Path: "/", Identity: []Doc{{ID: arn, Document: doc}, {ID: "local", Document: doc}}},
		"AIDAB": {Name: "b", Path: "/", Identity: []Doc{{ID: arn, Document: doc}, {ID: "local", Document: doc}}},
	}}
	a := New(nil)
	a.Policies = src
	pa, err := a.principal(t.Context(), store.EntityUser, "AIDAA")
	if err != nil {
		t.Fatal(err)
	}
	src.gen.Add(1)
	pb, err := a.principal(t.Context(), store.EntityUser, "AIDAB")
	if err != nil {
		t.Fatal(err)
	}
	if pa.identity[0] != pb.identity[0] {
		t.Error("the AWS managed policy was compiled twice")
	}
	if pa.identity[1] == pb.identity[1] {
		t.Error("a customer policy was shared between principals")
	}
	if err := a.Authorize(t.Context(), user("AIDAB", "b"), "iam:GetUser", "arn:aws:iam::"+acct+":user/b"); err != nil {
		t.Errorf("the shared policy does not allow: %v", err)
	}
}
