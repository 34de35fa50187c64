package iam

import (
	"context"
	"net/url"
	"strings"
	"testing"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/iam/awsmanaged"
	"github.com/mantle-iam/mantle/internal/store"
)

const (
	s3ReadOnly = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
	lambdaExec = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	acct2      = "210987654321"
)

// AWS managed policies are the data's, with AWS's IDs, versions and
// documents, and a second load of the same set writes nothing.
func TestAWSManagedLoaded(t *testing.T) {
	e := newEnv(t)
	gen := e.s.store.Generation()
	if err := e.s.EnsureAWSManagedPolicies(e.ctx); err != nil {
		t.Fatal(err)
	}
	if g := e.s.store.Generation(); g != gen {
		t.Errorf("a second load with the same set changed the store (generation %d → %d)", gen, g)
	}
	ro := must[*iamapi.GetPolicyOutput](t)(e.s.GetPolicy(e.ctx, e.root, &iamapi.GetPolicyInput{PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"})).Policy
	if ro.PolicyId != "ANPAILL3HVNFSB6DCOWYQ" || ro.DefaultVersionId != "v188" || ro.Description == "" || *ro.AttachmentCount != 0 {
		t.Errorf("ReadOnlyAccess %+v", ro)
	}
	v := must[*iamapi.GetPolicyVersionOutput](t)(e.s.GetPolicyVersion(e.ctx, e.root, &iamapi.GetPolicyVersionInput{PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess", VersionId: "v188"})).PolicyVersion
	doc, _ := url.QueryUnescape(v.Document)
	// The full policy, not a cut-down copy: it reads every service.
	if len(doc) < 50000 || !strings.Contains(doc, `"ec2:Describe*"`) || !strings.Contains(doc, `"s3:Get*"`) {
		t.Errorf("ReadOnlyAccess document is %d bytes", len(doc))
	}
	vs := must[*iamapi.ListPolicyVersionsOutput](t)(e.s.ListPolicyVersions(e.ctx, e.root, &iamapi.ListPolicyVersionsInput{PolicyArn: lambdaExec}))
	if len(vs.Versions) != 1 || !*vs.Versions[0].IsDefaultVersion {
		t.Errorf("versions %+v", vs.Versions)
	}
	_, err := e.s.GetPolicy(e.ctx, e.root, &iamapi.GetPolicyInput{PolicyArn: "arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole"})
	wantErr(t, err, "NoSuchEntity", "Policy arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole does not exist or is not attachable.")
}

// AWS counts an AWS managed policy's attachments and boundaries per
// account: each account sees its own, and lists only its own entities.
func TestAWSManagedUsePerAccount(t *testing.T) {
	e := newEnv(t)
	if err := e.s.EnsureAccount(e.ctx, acct2, "two", "two@example.com"); err != nil {
		t.Fatal(err)
	}
	root2 := &auth.Caller{Kind: auth.KindRoot, AccountID: acct2, ARN: rootARN(acct2), ID: acct2}
	for _, c := range []*auth.Caller{e.root, root2} {
		for _, u := range []string{"u1", "u2"} {
			must[*iamapi.CreateUserOutput](t)(e.s.CreateUser(e.ctx, c, &iamapi.CreateUserInput{UserName: u}))
		}
		must[*iamapi.AttachUserPolicyOutput](t)(e.s.AttachUserPolicy(e.ctx, c, &iamapi.AttachUserPolicyInput{UserName: "u1", PolicyArn: s3ReadOnly}))
	}
	must[*iamapi.AttachUserPolicyOutput](t)(e.s.AttachUserPolicy(e.ctx, e.root, &iamapi.AttachUserPolicyInput{UserName: "u2", PolicyArn: s3ReadOnly}))
	// Attaching twice counts once.
	must[*iamapi.AttachUserPolicyOutput](t)(e.s.AttachUserPolicy(e.ctx, e.root, &iamapi.AttachUserPolicyInput{UserName: "u2", PolicyArn: s3ReadOnly}))
	must[*iamapi.PutUserPermissionsBoundaryOutput](t)(e.s.PutUserPermissionsBoundary(e.ctx, root2, &iamapi.PutUserPermissionsBoundaryInput{UserName: "u2", PermissionsBoundary: s3ReadOnly}))

	counts := func(c *auth.Caller) (int, int) {
		p := must[*iamapi.GetPolicyOutput](t)(e.s.GetPolicy(e.ctx, c, &iamapi.GetPolicyInput{PolicyArn: s3ReadOnly})).Policy
		return *p.AttachmentCount, *p.PermissionsBoundaryUsageCount
	}
	if a, b := counts(e.root); a != 2 || b != 0 {
		t.Errorf("account 1: AttachmentCount %d, PermissionsBoundaryUsageCount %d; want 2, 0", a, b)
	}
	if a, b := counts(root2); a != 1 || b != 1 {
		t.Errorf("account 2: AttachmentCount %d, PermissionsBoundaryUsageCount %d; want 1, 1", a, b)
	}
	ents := must[*iamapi.ListEntitiesForPolicyOutput](t)(e.s.ListEntitiesForPolicy(e.ctx, root2, &iamapi.ListEntitiesForPolicyInput{PolicyArn: s3ReadOnly}))
	if len(ents.PolicyUsers) != 2 || ents.PolicyUsers[0].UserName != "u1" || ents.PolicyUsers[1].UserName != "u2" {
		t.Errorf("account 2's entities %+v", ents.PolicyUsers)
	}
	ents = must[*iamapi.ListEntitiesForPolicyOutput](t)(e.s.ListEntitiesForPolicy(e.ctx, root2, &iamapi.ListEntitiesForPolicyInput{PolicyArn: s3ReadOnly, PolicyUsageFilter: "PermissionsPolicy"}))
	if len(ents.PolicyUsers) != 1 || ents.PolicyUsers[0].UserName != "u1" {
		t.Errorf("account 2's attached users %+v", ents.PolicyUsers)
	}

	listed := func(c *auth.Caller, in iamapi.ListPoliciesInput) map[string]int {
		out := must[*iamapi.ListPoliciesOutput](t)(e.s.ListPolicies(e.ctx, c, &in))
		m := map[string]int{}
		for _, p := range out.Policies {
			m[p.PolicyName] = *p.AttachmentCount*10 + *p.PermissionsBoundaryUsageCount
		}
		return m
	}
	if got := listed(e.root, iamapi.ListPoliciesInput{Scope: "AWS", OnlyAttached: ptr(true)}); len(got) != 1 || got["AmazonS3ReadOnlyAccess"] != 20 {
		t.Errorf("account 1 OnlyAttached: %v", got)
	}
	if got := listed(root2, iamapi.ListPoliciesInput{Scope: "AWS", OnlyAttached: ptr(true), PolicyUsageFilter: "PermissionsBoundary"}); len(got) != 1 || got["AmazonS3ReadOnlyAccess"] != 11 {
		t.Errorf("account 2 boundaries: %v", got)
	}
	if got := listed(root2, iamapi.ListPoliciesInput{Scope: "AWS", PathPrefix: "/", MaxItems: ptr(1000)}); len(got) != 1000 || got["AmazonS3ReadOnlyAccess"] != 11 || got["AdministratorAccess"] != 0 {
		t.Errorf("account 2 all: %d policies, AmazonS3ReadOnlyAccess %d", len(got), got["AmazonS3ReadOnlyAccess"])
	}

	// Detaching and clearing the boundary count down, in that account only.
	must[*iamapi.DetachUserPolicyOutput](t)(e.s.DetachUserPolicy(e.ctx, root2, &iamapi.DetachUserPolicyInput{UserName: "u1", PolicyArn: s3ReadOnly}))
	must[*iamapi.DeleteUserPermissionsBoundaryOutput](t)(e.s.DeleteUserPermissionsBoundary(e.ctx, root2, &iamapi.DeleteUserPermissionsBoundaryInput{UserName: "u2"}))
	if a, b := counts(root2); a != 0 || b != 0 {
		t.Errorf("account 2 after detaching: %d, %d", a, b)
	}
	if a, _ := counts(e.root); a != 2 {
		t.Errorf("account 1 after account 2 detached: %d", a)
	}
	if got := listed(root2, iamapi.ListPoliciesInput{Scope: "AWS", OnlyAttached: ptr(true)}); len(got) != 0 {
		t.Errorf("account 2 OnlyAttached after detaching: %v", got)
	}
}

// A data directory of a mantle that shipped ten AWS managed policies under
// IDs of its own, with a cut-down ReadOnlyAccess: loading the full set gives
// the policy AWS's ID and document, and what was attached stays attached.
func TestAWSManagedUpgrade(t *testing.T) {
	e := newEnv(t)
	st := e.s.store
	u := e.user(t, "u")
	// Make the store look as the earlier mantle left it.
	ctx := e.ctx
	err := st.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		cur, err := tx.Policies().Get(ctx, store.AWSAccount, "ReadOnlyAccess")
		if err != nil {
			return err
		}
		if err := tx.Policies().Delete(ctx, cur.ID); err != nil {
			return err
		}
		old := awsmanaged.DerivedID("ReadOnlyAccess")
		p := &store.ManagedPolicy{AccountID: store.AWSAccount, ID: old, Name: "ReadOnlyAccess", Path: "/",
			DefaultVersionID: "v1", NextVersion: 2, AttachmentCount: 1, CreatedAt: cur.CreatedAt, UpdatedAt: cur.CreatedAt}
		if err := tx.Policies().Create(ctx, p, &store.PolicyVersion{PolicyID: old, VersionID: "v1",
			Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`, CreatedAt: cur.CreatedAt}); err != nil {
			return err
		}
		if err := tx.Attachments().Attach(ctx, store.Attachment{PolicyID: old, EntityType: store.EntityUser, EntityID: u.UserId}); err != nil {
			return err
		}
		if err := tx.AWSPolicies().AddUse(ctx, acct, "ReadOnlyAccess", 1, 0); err != nil {
			return err
		}
		return tx.AWSPolicies().SetDigest(ctx, "an earlier set", e.now)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.EnsureAWSManagedPolicies(ctx); err != nil {
		t.Fatal(err)
	}
	p := must[*iamapi.GetPolicyOutput](t)(e.s.GetPolicy(ctx, e.root, &iamapi.GetPolicyInput{PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"})).Policy
	if p.PolicyId != "ANPAILL3HVNFSB6DCOWYQ" || p.DefaultVersionId != "v188" || *p.AttachmentCount != 1 {
		t.Errorf("after the upgrade %+v", p)
	}
	vs := must[*iamapi.ListPolicyVersionsOutput](t)(e.s.ListPolicyVersions(ctx, e.root, &iamapi.ListPolicyVersionsInput{PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}))
	if len(vs.Versions) != 1 || vs.Versions[0].VersionId != "v188" {
		t.Errorf("versions after the upgrade %+v (the cut-down v1 was mantle's, not AWS's)", vs.Versions)
	}
	att := must[*iamapi.ListAttachedUserPoliciesOutput](t)(e.s.ListAttachedUserPolicies(ctx, e.root, &iamapi.ListAttachedUserPoliciesInput{UserName: "u"}))
	if len(att.AttachedPolicies) != 1 || att.AttachedPolicies[0].PolicyArn != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
		t.Errorf("attached after the upgrade %+v", att.AttachedPolicies)
	}
	set, err := e.s.PrincipalPolicies(ctx, acct, store.EntityUser, u.UserId)
	if err != nil || len(set.Identity) != 1 || !strings.Contains(set.Identity[0].Document, "ec2:Describe*") {
		t.Errorf("the user's policies after the upgrade: %v", err)
	}
	if n, err := st.Policies().Count(ctx, store.AWSAccount); err != nil || n != 1569 {
		t.Errorf("%d AWS managed policies (%v), want 1569", n, err)
	}
}
