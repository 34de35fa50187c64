package iam

import (
	"context"
	"slices"
	"strconv"
	"strings"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// GetAccountAuthorizationDetails: every user, group, role and managed policy
// of the account with the policies that apply to it, in AWS's shapes.

var entityFilters = []string{"User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"}

// The listing is sections in output order, each read through the store's
// keyset listing (by account and lowercased name). A marker carries
// "<section>:<lowercased name>" of the last item served, so a page reads
// only the rows it returns (plus one) whatever the size of the account, and
// an entity that exists throughout a walk is served exactly once even while
// others come and go.
const (
	secUser = iota
	secGroup
	secRole
	secAWSPolicy
	secLocalPolicy
	secCount
)

var sectionFilter = [secCount]string{"User", "Group", "Role", "AWSManagedPolicy", "LocalManagedPolicy"}

// authItem is one entry of the account's listing; exactly one of the
// pointers is set.
type authItem struct {
	sec  int
	user *store.User
	grp  *store.Group
	role *store.Role
	pol  *store.ManagedPolicy
}

func (it authItem) cursor() string {
	var name string
	switch {
	case it.user != nil:
		name = it.user.Name
	case it.grp != nil:
		name = it.grp.Name
	case it.role != nil:
		name = it.role.Name
	default:
		name = it.pol.Name
	}
	return authCursor(it.sec, name)
}

func authCursor(sec int, name string) string { return strconv.Itoa(sec) + ":" + lower(name) }

// parseAuthCursor splits a decoded marker; anything but one we issued is
// AWS's "Invalid Marker.".
func parseAuthCursor(after string) (sec int, name string, err error) {
	if after == "" {
		return 0, "", nil
	}
	n, name, ok := strings.Cut(after, ":")
	sec, convErr := strconv.Atoi(n)
	if !ok || convErr != nil || sec < 0 || sec >= secCount {
		return 0, "", awserr.ValidationError("Invalid Marker.")
	}
	return sec, name, nil
}

func (s *Service) GetAccountAuthorizationDetails(ctx context.Context, c *auth.Caller, in *iamapi.GetAccountAuthorizationDetailsInput) (*iamapi.GetAccountAuthorizationDetailsOutput, error) {
	if err := s.authorize(ctx, c, "GetAccountAuthorizationDetails", "*"); err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, f := range in.Filter {
		if !slices.Contains(entityFilters, f) {
			return nil, awserr.ValidationError("1 validation error detected: Value '[%s]' at 'filter' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [%s]]",
				strings.Join(in.Filter, ", "), strings.Join(entityFilters, ", "))
		}
		want[f] = true
	}
	if len(want) == 0 {
		for _, f := range entityFilters {
			want[f] = true
		}
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	items, err := s.authPage(ctx, c.AccountID, want, pg)
	if err != nil {
		return nil, err
	}
	page, trunc, marker := cut(pg, items, authItem.cursor)
	out := &iamapi.GetAccountAuthorizationDetailsOutput{UserDetailList: []iamapi.UserDetail{}, GroupDetailList: []iamapi.GroupDetail{},
		RoleDetailList: []iamapi.RoleDetail{}, Policies: []iamapi.ManagedPolicyDetail{}, IsTruncated: ptr(trunc), Marker: marker}
	pd, err := s.loadDetails(ctx, page)
	if err != nil {
		return nil, err
	}
	for _, it := range page {
		switch {
		case it.user != nil:
			out.UserDetailList = append(out.UserDetailList, pd.user(it.user))
		case it.grp != nil:
			out.GroupDetailList = append(out.GroupDetailList, pd.group(it.grp))
		case it.role != nil:
			d, err := pd.role(ctx, s.store, it.role)
			if err != nil {
				return nil, err
			}
			out.RoleDetailList = append(out.RoleDetailList, d)
		default:
			out.Policies = append(out.Policies, pd.policy(it.pol))
		}
	}
	return out, nil
}

// authPage reads what the filter selects from the page's cursor on, at most
// one item beyond the page, section by section.
func (s *Service) authPage(ctx context.Context, acct string, want map[string]bool, pg page) ([]authItem, error) {
	sec, after, err := parseAuthCursor(pg.after)
	if err != nil {
		return nil, err
	}
	var items []authItem
	for ; sec < secCount && len(items) <= pg.max; sec, after = sec+1, "" {
		if !want[sectionFilter[sec]] {
			continue
		}
		opt := store.ListOptions{After: after, Limit: pg.max + 1 - len(items)}
		switch sec {
		case secUser:
			us, err := s.store.Users().List(ctx, acct, opt)
			if err != nil {
				return nil, err
			}
			for _, u := range us {
				items = append(items, authItem{sec: sec, user: u})
			}
		case secGroup:
			gs, err := s.store.Groups().List(ctx, acct, opt)
			if err != nil {
				return nil, err
			}
			for _, g := range gs {
				items = append(items, authItem{sec: sec, grp: g})
			}
		case secRole:
			rs, err := s.store.Roles().List(ctx, acct, opt)
			if err != nil {
				return nil, err
			}
			for _, r := range rs {
				items = append(items, authItem{sec: sec, role: r})
			}
		case secAWSPolicy:
			ps, err := s.usedAWSPolicies(ctx, acct, opt)
			if err != nil {
				return nil, err
			}
			for _, p := range ps {
				items = append(items, authItem{sec: sec, pol: p})
			}
		case secLocalPolicy:
			ps, err := s.store.Policies().List(ctx, acct, opt)
			if err != nil {
				return nil, err
			}
			for _, p := range ps {
				items = append(items, authItem{sec: sec, pol: p})
			}
		}
	}
	return items, nil
}

// usedAWSPolicies lists, in name order from opt.After, the AWS managed
// policies something in the account uses as a permissions policy or a
// permissions boundary (AWS lists only those), with the account's counts:
// one range of the account's rows of use.
func (s *Service) usedAWSPolicies(ctx context.Context, acct string, opt store.ListOptions) ([]*store.ManagedPolicy, error) {
	return s.store.AWSPolicies().ListUsed(ctx, acct, opt)
}

// pageDetails is what a page's entries show besides themselves, read for
// the whole page at once (store.Details): a few queries a page rather than
// a few per entity.
type pageDetails struct {
	inline   map[store.EntityType]map[string][]*store.InlinePolicy
	attached map[store.EntityType]map[string][]*store.ManagedPolicy
	groups   map[string][]*store.Group
	profiles map[string][]*store.InstanceProfile
	versions map[string][]*store.PolicyVersion
}

func (s *Service) loadDetails(ctx context.Context, page []authItem) (*pageDetails, error) {
	ids := map[store.EntityType][]string{}
	var policyIDs []string
	for _, it := range page {
		switch {
		case it.user != nil:
			ids[store.EntityUser] = append(ids[store.EntityUser], it.user.ID)
		case it.grp != nil:
			ids[store.EntityGroup] = append(ids[store.EntityGroup], it.grp.ID)
		case it.role != nil:
			ids[store.EntityRole] = append(ids[store.EntityRole], it.role.ID)
		default:
			policyIDs = append(policyIDs, it.pol.ID)
		}
	}
	d := s.store.Details()
	pd := &pageDetails{inline: map[store.EntityType]map[string][]*store.InlinePolicy{},
		attached: map[store.EntityType]map[string][]*store.ManagedPolicy{}}
	var err error
	for t, ids := range ids {
		if pd.inline[t], err = d.InlinePolicies(ctx, t, ids); err != nil {
			return nil, err
		}
		if pd.attached[t], err = d.Attached(ctx, t, ids); err != nil {
			return nil, err
		}
	}
	if pd.groups, err = d.GroupsOf(ctx, ids[store.EntityUser]); err != nil {
		return nil, err
	}
	if pd.profiles, err = d.InstanceProfilesOf(ctx, ids[store.EntityRole]); err != nil {
		return nil, err
	}
	if pd.versions, err = d.VersionsOf(ctx, policyIDs); err != nil {
		return nil, err
	}
	// An AWS managed policy's row (made when first used) may have no
	// version rows: its document is the shipped one.
	for _, it := range page {
		if it.pol == nil || it.pol.AccountID != store.AWSAccount || len(pd.versions[it.pol.ID]) > 0 {
			continue
		}
		vs, err := policyVersions(ctx, s.store, it.pol)
		if err != nil {
			return nil, err
		}
		if pd.versions == nil {
			pd.versions = map[string][]*store.PolicyVersion{}
		}
		pd.versions[it.pol.ID] = vs
	}
	return pd, nil
}

func (pd *pageDetails) inlineOut(t store.EntityType, id string) []iamapi.PolicyDetail {
	out := []iamapi.PolicyDetail{}
	for _, ip := range pd.inline[t][id] {
		out = append(out, iamapi.PolicyDetail{PolicyName: ip.Name, PolicyDocument: encodeDocument(ip.Document)})
	}
	return out
}

func (pd *pageDetails) attachedOut(t store.EntityType, id string) []iamapi.AttachedPolicy {
	out := []iamapi.AttachedPolicy{}
	for _, mp := range pd.attached[t][id] {
		out = append(out, iamapi.AttachedPolicy{PolicyName: mp.Name, PolicyArn: policyARNOf(mp)})
	}
	return out
}

func (pd *pageDetails) user(u *store.User) iamapi.UserDetail {
	d := iamapi.UserDetail{Path: u.Path, UserName: u.Name, UserId: u.ID, Arn: userARNOf(u), CreateDate: u.CreatedAt,
		GroupList: []string{}, PermissionsBoundary: boundaryOut(u.PermissionsBoundary), Tags: tagsOut(u.Tags),
		UserPolicyList: pd.inlineOut(store.EntityUser, u.ID), AttachedManagedPolicies: pd.attachedOut(store.EntityUser, u.ID)}
	for _, g := range pd.groups[u.ID] {
		d.GroupList = append(d.GroupList, g.Name)
	}
	return d
}

func (pd *pageDetails) group(g *store.Group) iamapi.GroupDetail {
	return iamapi.GroupDetail{Path: g.Path, GroupName: g.Name, GroupId: g.ID, Arn: groupARNOf(g), CreateDate: g.CreatedAt,
		GroupPolicyList: pd.inlineOut(store.EntityGroup, g.ID), AttachedManagedPolicies: pd.attachedOut(store.EntityGroup, g.ID)}
}

func (pd *pageDetails) role(ctx context.Context, r store.Repos, ro *store.Role) (iamapi.RoleDetail, error) {
	o := roleOut(ro, true)
	d := iamapi.RoleDetail{Path: o.Path, RoleName: o.RoleName, RoleId: o.RoleId, Arn: o.Arn, CreateDate: o.CreateDate,
		AssumeRolePolicyDocument: o.AssumeRolePolicyDocument, InstanceProfileList: []iamapi.InstanceProfile{},
		PermissionsBoundary: o.PermissionsBoundary, Tags: o.Tags, RoleLastUsed: o.RoleLastUsed,
		RolePolicyList: pd.inlineOut(store.EntityRole, ro.ID), AttachedManagedPolicies: pd.attachedOut(store.EntityRole, ro.ID)}
	for _, p := range pd.profiles[ro.ID] {
		ip, err := ipOut(ctx, r, p, false)
		if err != nil {
			return d, err
		}
		d.InstanceProfileList = append(d.InstanceProfileList, ip)
	}
	return d, nil
}

func (pd *pageDetails) policy(mp *store.ManagedPolicy) iamapi.ManagedPolicyDetail {
	p := policyOut(mp, false)
	d := iamapi.ManagedPolicyDetail{PolicyName: p.PolicyName, PolicyId: p.PolicyId, Arn: p.Arn, Path: p.Path,
		DefaultVersionId: p.DefaultVersionId, AttachmentCount: p.AttachmentCount, PermissionsBoundaryUsageCount: p.PermissionsBoundaryUsageCount,
		IsAttachable: p.IsAttachable, Description: mp.Description, CreateDate: p.CreateDate, UpdateDate: p.UpdateDate,
		PolicyVersionList: []iamapi.PolicyVersion{}}
	for _, v := range pd.versions[mp.ID] {
		d.PolicyVersionList = append(d.PolicyVersionList, versionOut(mp, v, true))
	}
	return d
}
