package iam

import (
	"context"
	"slices"
	"strings"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// GetAccountAuthorizationDetails: every user, group, role and managed policy
// of the account with the policies that apply to it, in AWS's shapes.

var entityFilters = []string{"User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"}

// authItem is one entry of the account's listing, in output order: users,
// groups, roles, then managed policies.
type authItem struct {
	i    int
	user *store.User
	grp  *store.Group
	role *store.Role
	pol  *store.ManagedPolicy
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
	items, err := s.authItems(ctx, c.AccountID, want)
	if err != nil {
		return nil, err
	}
	page, trunc, marker, _ := cutSlice(pg, items, func(it authItem) string { return padIndex(it.i) })
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

// authItems lists what the filter selects. AWS managed policies are listed
// only when something in the account uses them, as a permissions policy or
// a permissions boundary.
func (s *Service) authItems(ctx context.Context, acct string, want map[string]bool) ([]authItem, error) {
	var items []authItem
	push := func(it authItem) {
		it.i = len(items)
		items = append(items, it)
	}
	users, err := s.store.Users().List(ctx, acct, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	groups, err := s.store.Groups().List(ctx, acct, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	roles, err := s.store.Roles().List(ctx, acct, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	if want["User"] {
		for _, u := range users {
			push(authItem{user: u})
		}
	}
	if want["Group"] {
		for _, g := range groups {
			push(authItem{grp: g})
		}
	}
	if want["Role"] {
		for _, r := range roles {
			push(authItem{role: r})
		}
	}
	if want["AWSManagedPolicy"] {
		used := map[string]bool{}
		mark := func(t store.EntityType, id, boundary string) error {
			if boundary != "" {
				used[boundary] = true
			}
			att, err := s.store.Attachments().ListForEntity(ctx, t, id)
			if err != nil {
				return err
			}
			for _, mp := range att {
				used[policyARNOf(mp)] = true
			}
			return nil
		}
		for _, u := range users {
			if err := mark(store.EntityUser, u.ID, u.PermissionsBoundary); err != nil {
				return nil, err
			}
		}
		for _, g := range groups {
			if err := mark(store.EntityGroup, g.ID, ""); err != nil {
				return nil, err
			}
		}
		for _, r := range roles {
			if err := mark(store.EntityRole, r.ID, r.PermissionsBoundary); err != nil {
				return nil, err
			}
		}
		aws, err := s.store.Policies().List(ctx, store.AWSAccount, store.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, mp := range aws {
			if used[policyARNOf(mp)] {
				push(authItem{pol: mp})
			}
		}
	}
	if want["LocalManagedPolicy"] {
		local, err := s.store.Policies().List(ctx, acct, store.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, mp := range local {
			push(authItem{pol: mp})
		}
	}
	return items, nil
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
