package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mantle-iam/mantle/internal/store"
)

// namedKind abstracts the entities that have a name unique per account in
// any letter case and are listed with ListOptions, so the naming and paging
// rules are checked once for each of them.
type namedKind struct {
	kind   string
	create func(ctx context.Context, r store.Repos, acct, id, name, path string) error
	// get returns the ID of the entity with that name.
	get    func(ctx context.Context, r store.Repos, acct, name string) (string, error)
	rename func(ctx context.Context, r store.Repos, acct, oldName, newName string) error
	list   func(ctx context.Context, r store.Repos, acct string, opt store.ListOptions) ([]string, error)
	count  func(ctx context.Context, r store.Repos, acct string) (int, error)
}

func names[T any](xs []*T, name func(*T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = name(x)
	}
	return out
}

var namedKinds = []namedKind{
	{
		kind: "User",
		create: func(ctx context.Context, r store.Repos, acct, id, name, path string) error {
			return r.Users().Create(ctx, &store.User{AccountID: acct, ID: id, Name: name, Path: path, CreatedAt: base})
		},
		get: func(ctx context.Context, r store.Repos, acct, name string) (string, error) {
			u, err := r.Users().Get(ctx, acct, name)
			if err != nil {
				return "", err
			}
			return u.ID, nil
		},
		rename: func(ctx context.Context, r store.Repos, acct, oldName, newName string) error {
			u, err := r.Users().Get(ctx, acct, oldName)
			if err != nil {
				return err
			}
			u.Name = newName
			return r.Users().Update(ctx, u)
		},
		list: func(ctx context.Context, r store.Repos, acct string, opt store.ListOptions) ([]string, error) {
			xs, err := r.Users().List(ctx, acct, opt)
			return names(xs, func(x *store.User) string { return x.Name }), err
		},
		count: func(ctx context.Context, r store.Repos, acct string) (int, error) { return r.Users().Count(ctx, acct) },
	},
	{
		kind: "Group",
		create: func(ctx context.Context, r store.Repos, acct, id, name, path string) error {
			return r.Groups().Create(ctx, &store.Group{AccountID: acct, ID: id, Name: name, Path: path, CreatedAt: base})
		},
		get: func(ctx context.Context, r store.Repos, acct, name string) (string, error) {
			g, err := r.Groups().Get(ctx, acct, name)
			if err != nil {
				return "", err
			}
			return g.ID, nil
		},
		rename: func(ctx context.Context, r store.Repos, acct, oldName, newName string) error {
			g, err := r.Groups().Get(ctx, acct, oldName)
			if err != nil {
				return err
			}
			g.Name = newName
			return r.Groups().Update(ctx, g)
		},
		list: func(ctx context.Context, r store.Repos, acct string, opt store.ListOptions) ([]string, error) {
			xs, err := r.Groups().List(ctx, acct, opt)
			return names(xs, func(x *store.Group) string { return x.Name }), err
		},
		count: func(ctx context.Context, r store.Repos, acct string) (int, error) { return r.Groups().Count(ctx, acct) },
	},
	{
		kind: "Role",
		create: func(ctx context.Context, r store.Repos, acct, id, name, path string) error {
			return r.Roles().Create(ctx, &store.Role{AccountID: acct, ID: id, Name: name, Path: path, TrustPolicy: "{}",
				MaxSessionDuration: 3600, CreatedAt: base})
		},
		get: func(ctx context.Context, r store.Repos, acct, name string) (string, error) {
			x, err := r.Roles().Get(ctx, acct, name)
			if err != nil {
				return "", err
			}
			return x.ID, nil
		},
		rename: func(ctx context.Context, r store.Repos, acct, oldName, newName string) error {
			x, err := r.Roles().Get(ctx, acct, oldName)
			if err != nil {
				return err
			}
			x.Name = newName
			return r.Roles().Update(ctx, x)
		},
		list: func(ctx context.Context, r store.Repos, acct string, opt store.ListOptions) ([]string, error) {
			xs, err := r.Roles().List(ctx, acct, opt)
			return names(xs, func(x *store.Role) string { return x.Name }), err
		},
		count: func(ctx context.Context, r store.Repos, acct string) (int, error) { return r.Roles().Count(ctx, acct) },
	},
	{
		kind: "Policy",
		create: func(ctx context.Context, r store.Repos, acct, id, name, path string) error {
			return r.Policies().Create(ctx,
				&store.ManagedPolicy{AccountID: acct, ID: id, Name: name, Path: path, DefaultVersionID: "v1", NextVersion: 2, CreatedAt: base, UpdatedAt: base},
				&store.PolicyVersion{PolicyID: id, VersionID: "v1", Document: "{}", CreatedAt: base})
		},
		get: func(ctx context.Context, r store.Repos, acct, name string) (string, error) {
			x, err := r.Policies().Get(ctx, acct, name)
			if err != nil {
				return "", err
			}
			return x.ID, nil
		},
		rename: func(ctx context.Context, r store.Repos, acct, oldName, newName string) error {
			x, err := r.Policies().Get(ctx, acct, oldName)
			if err != nil {
				return err
			}
			x.Name = newName
			return r.Policies().Update(ctx, x)
		},
		list: func(ctx context.Context, r store.Repos, acct string, opt store.ListOptions) ([]string, error) {
			xs, err := r.Policies().List(ctx, acct, opt)
			return names(xs, func(x *store.ManagedPolicy) string { return x.Name }), err
		},
		count: func(ctx context.Context, r store.Repos, acct string) (int, error) {
			return r.Policies().Count(ctx, acct)
		},
	},
	{
		kind: "InstanceProfile",
		create: func(ctx context.Context, r store.Repos, acct, id, name, path string) error {
			return r.InstanceProfiles().Create(ctx, &store.InstanceProfile{AccountID: acct, ID: id, Name: name, Path: path, CreatedAt: base})
		},
		get: func(ctx context.Context, r store.Repos, acct, name string) (string, error) {
			x, err := r.InstanceProfiles().Get(ctx, acct, name)
			if err != nil {
				return "", err
			}
			return x.ID, nil
		},
		rename: func(ctx context.Context, r store.Repos, acct, oldName, newName string) error {
			x, err := r.InstanceProfiles().Get(ctx, acct, oldName)
			if err != nil {
				return err
			}
			x.Name = newName
			return r.InstanceProfiles().Update(ctx, x)
		},
		list: func(ctx context.Context, r store.Repos, acct string, opt store.ListOptions) ([]string, error) {
			xs, err := r.InstanceProfiles().List(ctx, acct, opt)
			return names(xs, func(x *store.InstanceProfile) string { return x.Name }), err
		},
		count: func(ctx context.Context, r store.Repos, acct string) (int, error) {
			return r.InstanceProfiles().Count(ctx, acct)
		},
	},
}

// pageNames are 25 names in mixed case whose case-insensitive order differs
// from their byte order, with every third under /eng/.
var pageNames = func() []string {
	var out []string
	for i := range 25 {
		n := fmt.Sprintf("name-%02d", i)
		switch i % 3 {
		case 0:
			n = strings.ToUpper(n)
		case 1:
			n = strings.ToUpper(n[:1]) + n[1:]
		}
		out = append(out, n)
	}
	// Insert in an order that is neither sorted nor reversed.
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(a[len(a)-1:]+a, b[len(b)-1:]+b) })
	return out
}()

func pagePath(name string) string {
	var i int
	fmt.Sscanf(name[len(name)-2:], "%d", &i)
	if i%3 == 0 {
		return "/eng/"
	}
	return "/"
}

// sortedNames returns the names that match prefix, in lower-cased order.
func sortedNames(prefix string) []string {
	var out []string
	for _, n := range pageNames {
		if strings.HasPrefix(pagePath(n), prefix) {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out
}

func namedTests() []testCase {
	var tcs []testCase
	for _, k := range namedKinds {
		tcs = append(tcs,
			testCase{name: k.kind + "/UniqueNameAnyCase", run: func(t *testing.T, f *fixture) { testUniqueName(t, f, k) }},
			testCase{name: k.kind + "/Rename", run: func(t *testing.T, f *fixture) { testRename(t, f, k) }},
			testCase{name: k.kind + "/Pagination", run: func(t *testing.T, f *fixture) { testPagination(t, f, k) }},
		)
	}
	return tcs
}

func testUniqueName(t *testing.T, f *fixture, k namedKind) {
	f.accounts()
	f.must(k.create(f.ctx, f.s, acct1, "ID1", "DevOps", "/"), "create")
	cases := []struct {
		acct, id, name string
		want           error
	}{
		{acct1, "ID2", "DevOps", store.ErrAlreadyExists},
		{acct1, "ID3", "devops", store.ErrAlreadyExists},
		{acct1, "ID4", "DEVOPS", store.ErrAlreadyExists},
		{acct1, "ID1", "Other", store.ErrAlreadyExists}, // same ID
		{acct2, "ID5", "devops", nil},                   // other account
		{acct1, "ID6", "DevOps2", nil},
	}
	for _, c := range cases {
		f.wantErr(k.create(f.ctx, f.s, c.acct, c.id, c.name, "/"), c.want, "create %s %s in %s", c.id, c.name, c.acct)
	}
	for _, name := range []string{"DevOps", "devops", "DEVOPS", "dEvOpS"} {
		id, err := k.get(f.ctx, f.s, acct1, name)
		f.must(err, "get %q", name)
		if id != "ID1" {
			t.Errorf("get %q = %s, want ID1", name, id)
		}
	}
	id, err := k.get(f.ctx, f.s, acct2, "devops")
	f.must(err, "get in other account")
	if id != "ID5" {
		t.Errorf("get in other account = %s, want ID5", id)
	}
	_, err = k.get(f.ctx, f.s, acct1, "DevOp")
	f.wantErr(err, store.ErrNotFound, "get a prefix of the name")
	n, err := k.count(f.ctx, f.s, acct1)
	f.must(err, "count")
	if n != 2 {
		t.Errorf("count = %d, want 2", n)
	}
}

func testRename(t *testing.T, f *fixture, k namedKind) {
	f.accounts()
	f.must(k.create(f.ctx, f.s, acct1, "ID1", "alpha", "/"), "create")
	f.must(k.create(f.ctx, f.s, acct1, "ID2", "beta", "/"), "create")
	f.must(k.rename(f.ctx, f.s, acct1, "alpha", "Gamma"), "rename alpha to Gamma")
	_, err := k.get(f.ctx, f.s, acct1, "alpha")
	f.wantErr(err, store.ErrNotFound, "get old name")
	id, err := k.get(f.ctx, f.s, acct1, "GAMMA")
	f.must(err, "get new name")
	if id != "ID1" {
		t.Errorf("renamed entity has ID %s, want ID1", id)
	}
	f.wantErr(k.rename(f.ctx, f.s, acct1, "gamma", "BETA"), store.ErrAlreadyExists, "rename onto another name")
	// Changing only the letter case of its own name is not a clash.
	f.must(k.rename(f.ctx, f.s, acct1, "gamma", "GAMMA"), "rename to other case")
	got, err := k.list(f.ctx, f.s, acct1, store.ListOptions{})
	f.must(err, "list")
	f.same([]string{"beta", "GAMMA"}, got, "names after renames")
	// The freed name can be taken again.
	f.must(k.create(f.ctx, f.s, acct1, "ID3", "Alpha", "/"), "reuse old name")
}

func testPagination(t *testing.T, f *fixture, k namedKind) {
	f.accounts()
	for i, n := range pageNames {
		f.must(k.create(f.ctx, f.s, acct1, fmt.Sprintf("ID%02d", i), n, pagePath(n)), "create %s", n)
	}
	// Noise in another account must never show up.
	f.must(k.create(f.ctx, f.s, acct2, "OTHER", "name-00x", "/eng/"), "create in other account")

	all, eng := sortedNames("/"), sortedNames("/eng/")
	lo := func(s string) string { return strings.ToLower(s) }
	cases := []struct {
		name string
		opt  store.ListOptions
		want []string
	}{
		{"all", store.ListOptions{}, all},
		{"slash prefix", store.ListOptions{PathPrefix: "/"}, all},
		{"path prefix", store.ListOptions{PathPrefix: "/eng/"}, eng},
		{"partial path prefix", store.ListOptions{PathPrefix: "/en"}, eng},
		{"no match", store.ListOptions{PathPrefix: "/nope/"}, nil},
		{"limit", store.ListOptions{Limit: 5}, all[:5]},
		{"after", store.ListOptions{After: lo(all[9])}, all[10:]},
		{"after and limit", store.ListOptions{After: lo(all[9]), Limit: 3}, all[10:13]},
		{"after last", store.ListOptions{After: lo(all[24])}, nil},
		{"after between names", store.ListOptions{After: "name-10a"}, all[11:]},
		{"prefix after limit", store.ListOptions{PathPrefix: "/eng/", After: lo(eng[2]), Limit: 2}, eng[3:5]},
		{"limit larger than all", store.ListOptions{Limit: 100}, all},
	}
	for _, c := range cases {
		got, err := k.list(f.ctx, f.s, acct1, c.opt)
		f.must(err, "list %s", c.name)
		f.same(c.want, got, "list %s", c.name)
	}

	// Walking page by page visits every name once, in order.
	for _, size := range []int{1, 7, 25} {
		var walked []string
		after := ""
		for range 30 {
			page, err := k.list(f.ctx, f.s, acct1, store.ListOptions{After: after, Limit: size})
			f.must(err, "page")
			if len(page) > size {
				t.Fatalf("page of %d has %d entries", size, len(page))
			}
			walked = append(walked, page...)
			if len(page) < size {
				break
			}
			after = lo(page[len(page)-1])
		}
		f.same(all, walked, "walk with pages of %d", size)
	}
	n, err := k.count(f.ctx, f.s, acct1)
	f.must(err, "count")
	if n != 25 {
		t.Errorf("count = %d, want 25", n)
	}
}
