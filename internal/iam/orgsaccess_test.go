package iam

import (
	"context"
	"testing"
	"time"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/store"
)

func TestOrganizationsAccessReport(t *testing.T) {
	e := newEnv(t)
	const member = "210987654321"
	org := &store.Organization{ID: "o-abcdefghij", ARN: "arn:aws:organizations::" + acct + ":organization/o-abcdefghij",
		ManagementAccountID: acct, FeatureSet: "ALL", RootID: "r-abcd", CreatedAt: e.now}
	err := e.s.store.Change(e.ctx, func(ctx context.Context, tx store.Repos) error {
		if err := tx.Organizations().Create(ctx, org); err != nil {
			return err
		}
		a, err := tx.Accounts().Get(ctx, acct)
		if err != nil {
			return err
		}
		a.OrganizationID = org.ID
		if err := tx.Accounts().Update(ctx, a); err != nil {
			return err
		}
		if err := tx.Accounts().Create(ctx, &store.Account{ID: member, Name: "m", Email: "m@example.com", OrganizationID: org.ID, Status: "ACTIVE", CreatedAt: e.now}); err != nil {
			return err
		}
		if err := tx.Organizations().CreateOU(ctx, &store.OrganizationalUnit{ID: "ou-abcd-12345678", OrganizationID: org.ID, ParentID: "r-abcd", Name: "dev", CreatedAt: e.now}); err != nil {
			return err
		}
		return tx.Organizations().PutAccountParent(ctx, &store.AccountParent{AccountID: member, OrganizationID: org.ID, ParentID: "ou-abcd-12345678"})
	})
	if err != nil {
		t.Fatal(err)
	}
	t1 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	e.trailEvent(t, "e1", "iam.amazonaws.com", "GetUser", "arn:aws:iam::"+acct+":user/alice", "", t1)
	rec := `{"userIdentity":{"arn":"arn:aws:sts::` + member + `:assumed-role/r/s","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::` + member + `:role/r"}}},"awsRegion":"eu-west-1"}`
	if err := e.s.store.Events().Append(e.ctx, &store.Event{ID: "e2", AccountID: member, Time: t1.Add(time.Hour), Name: "GetCallerIdentity",
		Source: "sts.amazonaws.com", Record: []byte(rec)}); err != nil {
		t.Fatal(err)
	}
	report := func(path, sortKey string) *iamapi.GetOrganizationsAccessReportOutput {
		id := must[*iamapi.GenerateOrganizationsAccessReportOutput](t)(e.s.GenerateOrganizationsAccessReport(e.ctx, e.root,
			&iamapi.GenerateOrganizationsAccessReportInput{EntityPath: path})).JobId
		return must[*iamapi.GetOrganizationsAccessReportOutput](t)(e.s.GetOrganizationsAccessReport(e.ctx, e.root,
			&iamapi.GetOrganizationsAccessReportInput{JobId: id, SortKey: sortKey}))
	}
	out := report("o-abcdefghij/r-abcd", "")
	if *out.NumberOfServicesAccessible != 4 || *out.NumberOfServicesNotAccessed != 2 || len(out.AccessDetails) != 4 {
		t.Fatalf("whole organization %+v", out)
	}
	sts := out.AccessDetails[3]
	if sts.ServiceNamespace != "sts" || sts.EntityPath != "o-abcdefghij/r-abcd/ou-abcd-12345678/"+member || sts.Region != "eu-west-1" ||
		!sts.LastAuthenticatedTime.Equal(t1.Add(time.Hour)) || *sts.TotalAuthenticatedEntities != 1 {
		t.Errorf("sts %+v", sts)
	}
	if iam := out.AccessDetails[1]; iam.ServiceNamespace != "iam" || iam.EntityPath != "o-abcdefghij/r-abcd/"+acct {
		t.Errorf("iam %+v", iam)
	}
	// Under the OU only the member account counts.
	out = report("o-abcdefghij/r-abcd/ou-abcd-12345678", "LAST_AUTHENTICATED_TIME_DESCENDING")
	if *out.NumberOfServicesNotAccessed != 3 || out.AccessDetails[0].ServiceNamespace != "sts" {
		t.Errorf("OU %+v", out.AccessDetails)
	}
	for _, bad := range []string{"o-abcdefghij/r-zzzz", "o-abcdefghij/r-abcd/ou-abcd-99999999", "o-abcdefghij/r-abcd/999999999999", "nonsense"} {
		_, err := e.s.GenerateOrganizationsAccessReport(e.ctx, e.root, &iamapi.GenerateOrganizationsAccessReportInput{EntityPath: bad})
		wantErr(t, err, "InvalidInput", "")
	}
	// Only the management account may ask.
	memberRoot := &auth.Caller{Kind: auth.KindRoot, AccountID: member, ARN: rootARN(member), ID: member}
	_, err = e.s.GenerateOrganizationsAccessReport(e.ctx, memberRoot, &iamapi.GenerateOrganizationsAccessReportInput{EntityPath: "o-abcdefghij/r-abcd"})
	wantErr(t, err, "InvalidInput", "")
}
