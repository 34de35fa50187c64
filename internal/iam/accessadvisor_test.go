package iam

import (
	"encoding/json"
	"testing"
	"time"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	"github.com/mantle-iam/mantle/internal/store"
)

// trailEvent stores an event as the audit recorder would, by the user or
// role session ARN who (with the role as session issuer for sessions).
func (e *env) trailEvent(t *testing.T, id, source, name, who, issuer string, at time.Time) {
	t.Helper()
	ui := map[string]any{"arn": who}
	if issuer != "" {
		ui["sessionContext"] = map[string]any{"sessionIssuer": map[string]any{"arn": issuer}}
	}
	rec, _ := json.Marshal(map[string]any{"userIdentity": ui, "eventSource": source, "eventName": name, "awsRegion": "eu-west-1"})
	if err := e.s.store.Events().Append(e.ctx, &store.Event{ID: id, AccountID: acct, Time: at, Name: name, Source: source, Record: rec}); err != nil {
		t.Fatal(err)
	}
}

func TestAccessAdvisor(t *testing.T) {
	e := newEnv(t)
	alice := e.user(t, "alice")
	e.user(t, "bob")
	e.role(t, "deployer")
	must[*iamapi.PutUserPolicyOutput](t)(e.s.PutUserPolicy(e.ctx, e.root, &iamapi.PutUserPolicyInput{UserName: "alice", PolicyName: "read",
		PolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","s3:GetObject"],"Resource":"*"},{"Effect":"Deny","Action":"sts:*","Resource":"*"}]}`}))
	must[*iamapi.PutRolePolicyOutput](t)(e.s.PutRolePolicy(e.ctx, e.root, &iamapi.PutRolePolicyInput{RoleName: "deployer", PolicyName: "sts",
		PolicyDocument: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:*","Resource":"*"}]}`}))
	must[*iamapi.CreateGroupOutput](t)(e.s.CreateGroup(e.ctx, e.root, &iamapi.CreateGroupInput{GroupName: "devs"}))
	for _, u := range []string{"alice", "bob"} {
		must[*iamapi.AddUserToGroupOutput](t)(e.s.AddUserToGroup(e.ctx, e.root, &iamapi.AddUserToGroupInput{GroupName: "devs", UserName: u}))
	}
	must[*iamapi.AttachGroupPolicyOutput](t)(e.s.AttachGroupPolicy(e.ctx, e.root, &iamapi.AttachGroupPolicyInput{GroupName: "devs", PolicyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}))

	aliceARN, roleARN := "arn:aws:iam::"+acct+":user/alice", "arn:aws:iam::"+acct+":role/deployer"
	t1 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	e.trailEvent(t, "e1", "iam.amazonaws.com", "GetUser", aliceARN, "", t1)
	e.trailEvent(t, "e2", "iam.amazonaws.com", "ListUsers", aliceARN, "", t1.Add(time.Hour))
	e.trailEvent(t, "e3", "sts.amazonaws.com", "GetCallerIdentity", "arn:aws:sts::"+acct+":assumed-role/deployer/s", roleARN, t1.Add(2*time.Hour))
	e.trailEvent(t, "e4", "iam.amazonaws.com", "GetUser", "arn:aws:iam::"+acct+":user/bob", "", t1.Add(-time.Hour))

	job := func(arn, granularity string) *iamapi.GetServiceLastAccessedDetailsOutput {
		id := must[*iamapi.GenerateServiceLastAccessedDetailsOutput](t)(e.s.GenerateServiceLastAccessedDetails(e.ctx, e.root,
			&iamapi.GenerateServiceLastAccessedDetailsInput{Arn: arn, Granularity: granularity})).JobId
		return must[*iamapi.GetServiceLastAccessedDetailsOutput](t)(e.s.GetServiceLastAccessedDetails(e.ctx, e.root, &iamapi.GetServiceLastAccessedDetailsInput{JobId: id}))
	}
	// alice: her policy and her group's allow iam and s3 (not sts: Deny is
	// not access).
	out := job(aliceARN, "ACTION_LEVEL")
	if out.JobStatus != "COMPLETED" || out.JobType != "ACTION_LEVEL" || len(out.ServicesLastAccessed) != 2 {
		t.Fatalf("alice %+v", out)
	}
	iam, s3 := out.ServicesLastAccessed[0], out.ServicesLastAccessed[1]
	if iam.ServiceNamespace != "iam" || iam.ServiceName != "AWS Identity and Access Management" || !iam.LastAuthenticated.Equal(t1.Add(time.Hour)) ||
		iam.LastAuthenticatedEntity != aliceARN || iam.LastAuthenticatedRegion != "eu-west-1" || *iam.TotalAuthenticatedEntities != 1 {
		t.Errorf("iam %+v", iam)
	}
	if len(iam.TrackedActionsLastAccessed) != 2 || iam.TrackedActionsLastAccessed[0].ActionName != "GetUser" || !iam.TrackedActionsLastAccessed[0].LastAccessedTime.Equal(t1) {
		t.Errorf("iam actions %+v", iam.TrackedActionsLastAccessed)
	}
	if s3.ServiceNamespace != "s3" || !s3.LastAuthenticated.IsZero() || *s3.TotalAuthenticatedEntities != 0 || s3.TrackedActionsLastAccessed != nil {
		t.Errorf("s3 %+v", s3)
	}
	// A role's sessions are the role's use.
	out = job(roleARN, "")
	if len(out.ServicesLastAccessed) != 1 || out.ServicesLastAccessed[0].ServiceNamespace != "sts" || !out.ServicesLastAccessed[0].LastAuthenticated.Equal(t1.Add(2*time.Hour)) ||
		out.JobType != "SERVICE_LEVEL" || out.ServicesLastAccessed[0].TrackedActionsLastAccessed != nil {
		t.Errorf("role %+v", out)
	}
	// A group counts its members, each listed with their own last use.
	gid := must[*iamapi.GenerateServiceLastAccessedDetailsOutput](t)(e.s.GenerateServiceLastAccessedDetails(e.ctx, e.root,
		&iamapi.GenerateServiceLastAccessedDetailsInput{Arn: "arn:aws:iam::" + acct + ":group/devs"})).JobId
	g := must[*iamapi.GetServiceLastAccessedDetailsOutput](t)(e.s.GetServiceLastAccessedDetails(e.ctx, e.root, &iamapi.GetServiceLastAccessedDetailsInput{JobId: gid}))
	if len(g.ServicesLastAccessed) != 1 || *g.ServicesLastAccessed[0].TotalAuthenticatedEntities != 2 {
		t.Errorf("group %+v", g.ServicesLastAccessed)
	}
	ents := must[*iamapi.GetServiceLastAccessedDetailsWithEntitiesOutput](t)(e.s.GetServiceLastAccessedDetailsWithEntities(e.ctx, e.root,
		&iamapi.GetServiceLastAccessedDetailsWithEntitiesInput{JobId: gid, ServiceNamespace: "iam"}))
	if len(ents.EntityDetailsList) != 2 || ents.EntityDetailsList[0].EntityInfo.Name != "alice" || ents.EntityDetailsList[0].EntityInfo.Id != alice.UserId ||
		!ents.EntityDetailsList[0].LastAuthenticated.Equal(t1.Add(time.Hour)) || !ents.EntityDetailsList[1].LastAuthenticated.Equal(t1.Add(-time.Hour)) {
		t.Errorf("entities %+v", ents.EntityDetailsList)
	}
	// A managed policy's report counts whoever has it.
	p := job("arn:aws:iam::aws:policy/IAMReadOnlyAccess", "")
	if len(p.ServicesLastAccessed) != 1 || *p.ServicesLastAccessed[0].TotalAuthenticatedEntities != 2 {
		t.Errorf("policy %+v", p.ServicesLastAccessed)
	}

	lp := must[*iamapi.ListPoliciesGrantingServiceAccessOutput](t)(e.s.ListPoliciesGrantingServiceAccess(e.ctx, e.root,
		&iamapi.ListPoliciesGrantingServiceAccessInput{Arn: aliceARN, ServiceNamespaces: []string{"iam", "sts"}}))
	if len(lp.PoliciesGrantingServiceAccess) != 2 {
		t.Fatalf("%+v", lp)
	}
	got := lp.PoliciesGrantingServiceAccess[0].Policies
	if len(got) != 2 || got[0] != (iamapi.PolicyGrantingServiceAccess{PolicyName: "read", PolicyType: "INLINE", EntityType: "USER", EntityName: "alice"}) ||
		got[1] != (iamapi.PolicyGrantingServiceAccess{PolicyName: "IAMReadOnlyAccess", PolicyType: "MANAGED", PolicyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}) {
		t.Errorf("iam granted by %+v", got)
	}
	if len(lp.PoliciesGrantingServiceAccess[1].Policies) != 0 {
		t.Errorf("sts granted by %+v", lp.PoliciesGrantingServiceAccess[1].Policies)
	}

	_, err := e.s.GetServiceLastAccessedDetails(e.ctx, e.root, &iamapi.GetServiceLastAccessedDetailsInput{JobId: "00000000-0000-4000-8000-000000000000"})
	wantErr(t, err, "NoSuchEntity", "")
	_, err = e.s.GenerateServiceLastAccessedDetails(e.ctx, e.root, &iamapi.GenerateServiceLastAccessedDetailsInput{Arn: "arn:aws:iam::" + acct + ":user/nobody"})
	wantErr(t, err, "NoSuchEntity", "")
	_, err = e.s.GenerateServiceLastAccessedDetails(e.ctx, e.root, &iamapi.GenerateServiceLastAccessedDetailsInput{Arn: "arn:aws:s3:::bucket"})
	wantErr(t, err, "InvalidInput", "ARN arn:aws:s3:::bucket is not valid.")
}

func TestGrantsService(t *testing.T) {
	for _, tc := range []struct {
		doc, ns string
		want    bool
	}{
		{`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, "sts", true},
		{`{"Statement":[{"Effect":"Allow","Action":"IAM:get*","Resource":"*"}]}`, "iam", true},
		{`{"Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`, "sts", false},
		{`{"Statement":[{"Effect":"Allow","Action":"s*:Get*","Resource":"*"}]}`, "sts", true},
		{`{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, "iam", false},
		{`{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`, "iam", false},
		{`{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`, "sts", true},
		{`{"Statement":[{"Effect":"Allow","NotAction":"iam:CreateUser","Resource":"*"}]}`, "iam", true},
	} {
		if got := grantsService(tc.doc, tc.ns); got != tc.want {
			t.Errorf("%s grants %s: %v, want %v", tc.doc, tc.ns, got, tc.want)
		}
	}
}
