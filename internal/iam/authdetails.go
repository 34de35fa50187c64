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
	for _, it := range page {
		switch {
		case it.user != nil:
			d, err := s.userDetail(ctx, it.user)
			if err != nil {
				return nil, err
			}
			out.UserDetailList = append(out.UserDetailList, d)
		case it.grp != nil:
			d, err := s.groupDetail(ctx, it.grp)
			if err != nil {
				return nil, err
			}
			out.GroupDetailList = append(out.GroupDetailList, d)
		case it.role != nil:
			d, err := s.roleDetail(ctx, it.role)
			if err != nil {
				return nil, err
			}
			out.RoleDetailList = append(out.RoleDetailList, d)
		default:
			d, err := s.policyDetail(ctx, it.pol)
			if err != nil {
				return nil, err
			}
			out.Policies = append(out.Policies, d)
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

func (s *Service) inlineDetails(ctx context.Context, t store.EntityType, id string) ([]iamapi.PolicyDetail, error) {
	ips, err := s.store.InlinePolicies().List(ctx, t, id)
	if err != nil {
		return nil, err
	}
	out := []iamapi.PolicyDetail{}
	for _, ip := range ips {
		out = append(out, iamapi.PolicyDetail{PolicyName: ip.Name, PolicyDocument: encodeDocument(ip.Document)})
	}
	return out, nil
}

func (s *Service) attachedOut(ctx context.Context, t store.EntityType, id string) ([]iamapi.AttachedPolicy, error) {
	att, err := s.store.Attachments().ListForEntity(ctx, t, id)
	if err != nil {
		return nil, err
	}
	out := []iamapi.AttachedPolicy{}
	for _, mp := range att {
		out = append(out, iamapi.AttachedPolicy{PolicyName: mp.Name, PolicyArn: policyARNOf(mp)})
	}
	return out, nil
}

func (s *Service) userDetail(ctx context.Context, u *store.User) (iamapi.UserDetail, error) {
	d := iamapi.UserDetail{Path: u.Path, UserName: u.Name, UserId: u.ID, Arn: userARNOf(u), CreateDate: u.CreatedAt,
		GroupList: []string{}, PermissionsBoundary: boundaryOut(u.PermissionsBoundary), Tags: tagsOut(u.Tags)}
	var err error
	if d.UserPolicyList, err = s.inlineDetails(ctx, store.EntityUser, u.ID); err != nil {
		return d, err
	}
	if d.AttachedManagedPolicies, err = s.attachedOut(ctx, store.EntityUser, u.ID); err != nil {
		return d, err
	}
	groups, err := s.store.Groups().ListForUser(ctx, u.ID, store.ListOptions{})
	if err != nil {
		return d, err
	}
	for _, g := range groups {
		d.GroupList = append(d.GroupList, g.Name)
	}
	return d, nil
}

func (s *Service) groupDetail(ctx context.Context, g *store.Group) (iamapi.GroupDetail, error) {
	d := iamapi.GroupDetail{Path: g.Path, GroupName: g.Name, GroupId: g.ID, Arn: groupARNOf(g), CreateDate: g.CreatedAt}
	var err error
	if d.GroupPolicyList, err = s.inlineDetails(ctx, store.EntityGroup, g.ID); err != nil {
		return d, err
	}
	d.AttachedManagedPolicies, err = s.attachedOut(ctx, store.EntityGroup, g.ID)
	return d, err
}

func (s *Service) roleDetail(ctx context.Context, r *store.Role) (iamapi.RoleDetail, error) {
	ro := roleOut(r, true)
	d := iamapi.RoleDetail{Path: ro.Path, RoleName: ro.RoleName, RoleId: ro.RoleId, Arn: ro.Arn, CreateDate: ro.CreateDate,
		AssumeRolePolicyDocument: ro.AssumeRolePolicyDocument, InstanceProfileList: []iamapi.InstanceProfile{},
		PermissionsBoundary: ro.PermissionsBoundary, Tags: ro.Tags, RoleLastUsed: ro.RoleLastUsed}
	var err error
	if d.RolePolicyList, err = s.inlineDetails(ctx, store.EntityRole, r.ID); err != nil {
		return d, err
	}
	if d.AttachedManagedPolicies, err = s.attachedOut(ctx, store.EntityRole, r.ID); err != nil {
		return d, err
	}
	ips, err := s.store.InstanceProfiles().ListForRole(ctx, r.ID)
	if err != nil {
		return d, err
	}
	for _, p := range ips {
		ip, err := ipOut(ctx, s.store, p, false)
		if err != nil {
			return d, err
		}
		d.InstanceProfileList = append(d.InstanceProfileList, ip)
	}
	return d, nil
}

func (s *Service) policyDetail(ctx context.Context, mp *store.ManagedPolicy) (iamapi.ManagedPolicyDetail, error) {
	p := policyOut(mp, false)
	d := iamapi.ManagedPolicyDetail{PolicyName: p.PolicyName, PolicyId: p.PolicyId, Arn: p.Arn, Path: p.Path,
		DefaultVersionId: p.DefaultVersionId, AttachmentCount: p.AttachmentCount, PermissionsBoundaryUsageCount: p.PermissionsBoundaryUsageCount,
		IsAttachable: p.IsAttachable, Description: mp.Description, CreateDate: p.CreateDate, UpdateDate: p.UpdateDate,
		PolicyVersionList: []iamapi.PolicyVersion{}}
	vs, err := s.store.Policies().ListVersions(ctx, mp.ID)
	if err != nil {
		return d, err
	}
	for _, v := range vs {
		d.PolicyVersionList = append(d.PolicyVersionList, versionOut(mp, v, true))
	}
	return d, nil
}
