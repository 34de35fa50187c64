package bulk

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/iam"
	"github.com/mantle-iam/mantle/internal/secrets"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
)

// The data set is what the IAM service would have built: counts kept,
// attachments counted on their policies, quotas raised to fit, every
// entity with its inline policy and attachment.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "mantle.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sealer, _ := secrets.NewSealer(make([]byte, secrets.KeySize))
	svc := iam.New(iam.Config{Store: st, Authorizer: allowAll{}, Sealer: sealer})
	const acct = "123456789012"
	if err := svc.EnsureAccount(ctx, acct, "a", "a@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := svc.EnsureAWSManagedPolicies(ctx); err != nil {
		t.Fatal(err)
	}
	stats, err := Load(ctx, st, Options{AccountID: acct, Roles: 1200, Users: 900, Policies: 3, Batch: 250})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Roles != 1200 || stats.Users != 900 || stats.Policies != 3 || stats.Elapsed <= 0 || stats.Elapsed > time.Hour {
		t.Errorf("stats %+v", stats)
	}
	if n, _ := st.Roles().Count(ctx, acct); n != 1200 {
		t.Errorf("%d roles", n)
	}
	if n, _ := st.Users().Count(ctx, acct); n != 900 {
		t.Errorf("%d users", n)
	}
	vs, err := st.Quotas().Values(ctx)
	if err != nil || vs["RolesPerAccount"] != 1200 || vs["UsersPerAccount"] != 0 {
		t.Errorf("quotas %v %v: want RolesPerAccount raised to 1200, UsersPerAccount left at its default", vs, err)
	}
	sum := 0
	for i := range 3 {
		p, err := st.Policies().Get(ctx, acct, "bulk-policy-00"+string(rune('0'+i)))
		if err != nil {
			t.Fatal(err)
		}
		atts, err := st.Attachments().ListForPolicy(ctx, p.ID)
		if err != nil || len(atts) != p.AttachmentCount {
			t.Errorf("%s: %d attachments, counted %d (%v)", p.Name, len(atts), p.AttachmentCount, err)
		}
		sum += p.AttachmentCount
	}
	if sum != 2100 {
		t.Errorf("%d attachments, want 2100", sum)
	}
	u, err := st.Users().Get(ctx, acct, "bulk-user-000899")
	if err != nil {
		t.Fatal(err)
	}
	ips, _ := st.InlinePolicies().List(ctx, store.EntityUser, u.ID)
	att, _ := st.Attachments().ListForEntity(ctx, store.EntityUser, u.ID)
	if len(ips) != 1 || len(att) != 1 {
		t.Errorf("last user: %d inline, %d attached", len(ips), len(att))
	}
	u, _ = st.Users().Get(ctx, acct, "bulk-user-000000")
	if att, _ := st.Attachments().ListForEntity(ctx, store.EntityUser, u.ID); len(att) != 2 {
		t.Errorf("first user: %d attached, want its own and ReadOnlyAccess", len(att))
	}
	g, err := st.Groups().Get(ctx, acct, "bulk-group")
	if err != nil {
		t.Fatal(err)
	}
	if ms, err := st.Groups().ListMembers(ctx, g.ID, store.ListOptions{}); err != nil || len(ms) != 900 {
		t.Errorf("%d members (%v), want every user", len(ms), err)
	}
	// Another run with the same prefix is refused, not half-applied.
	if _, err := Load(ctx, st, Options{AccountID: acct, Roles: 1, Users: 0, Policies: 1}); err == nil {
		t.Error("second run with the same names succeeded")
	}
}
