package orgs

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	orgsapi "github.com/mantle-iam/mantle/internal/api/organizations"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// Limits of the Organizations quotas page: five levels of OUs under the
// root, 2,000 OUs per organization.
const (
	maxOUDepth = 5
	maxOUs     = 2000
)

// Errors of the tree operations, worded as the Organizations API reference
// describes each exception.
func parentNotFound() error {
	return awserr.New("ParentNotFoundException", http.StatusBadRequest,
		"We can't find a root or OU with the ParentId that you specified.")
}

func ouNotFound() error {
	return awserr.New("OrganizationalUnitNotFoundException", http.StatusBadRequest,
		"We can't find an OU with the OrganizationalUnitId that you specified.")
}

func duplicateOU() error {
	return awserr.New("DuplicateOrganizationalUnitException", http.StatusBadRequest,
		"An OU with the same name already exists.")
}

func accountNotFound() error {
	return awserr.New("AccountNotFoundException", http.StatusBadRequest,
		"You specified an account that doesn't exist.")
}

func constraint(msg string) error {
	return awserr.New("ConstraintViolationException", http.StatusBadRequest, "%s", msg)
}

// tree is an organization's hierarchy as one transaction read it.
type tree struct {
	org    *store.Organization
	ous    map[string]*store.OrganizationalUnit
	parent map[string]string // member account ID → container; root when absent
	// members are the organization's accounts, ordered by ID.
	members []*store.Account
}

// loadTree reads the tree; accounts closed 90 days before now are gone
// from it.
func loadTree(ctx context.Context, r store.Repos, o *store.Organization, now time.Time) (*tree, error) {
	ous, err := r.Organizations().ListOUs(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	places, err := r.Organizations().ListAccountParents(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	all, err := r.Accounts().List(ctx)
	if err != nil {
		return nil, err
	}
	t := &tree{org: o, ous: make(map[string]*store.OrganizationalUnit, len(ous)), parent: make(map[string]string, len(places))}
	for _, ou := range ous {
		t.ous[ou.ID] = ou
	}
	for _, p := range places {
		t.parent[p.AccountID] = p.ParentID
	}
	closed, err := closedAccounts(ctx, r, o.ID)
	if err != nil {
		return nil, err
	}
	for _, a := range all {
		if at, ok := closed[a.ID]; ok && now.Sub(at) >= closedRetention {
			continue
		}
		if a.OrganizationID == o.ID {
			t.members = append(t.members, a)
		}
	}
	return t, nil
}

// isContainer reports whether id is the root or one of the OUs.
func (t *tree) isContainer(id string) bool {
	return id == t.org.RootID || t.ous[id] != nil
}

func (t *tree) accountParent(id string) string {
	if p, ok := t.parent[id]; ok {
		return p
	}
	return t.org.RootID
}

func (t *tree) member(id string) *store.Account {
	i := sort.Search(len(t.members), func(i int) bool { return t.members[i].ID >= id })
	if i < len(t.members) && t.members[i].ID == id {
		return t.members[i]
	}
	return nil
}

// path lists the containers from the root down to id (an OU or the root).
func (t *tree) path(id string) []string {
	var up []string
	for id != t.org.RootID {
		up = append(up, id)
		ou := t.ous[id]
		if ou == nil || len(up) > maxOUDepth+1 {
			break // a torn tree; the root still heads the path
		}
		id = ou.ParentID
	}
	out := make([]string, 0, len(up)+1)
	out = append(out, t.org.RootID)
	for i := len(up) - 1; i >= 0; i-- {
		out = append(out, up[i])
	}
	return out
}

// childOUs lists the OUs directly under parent, ordered by ID.
func (t *tree) childOUs(parent string) []*store.OrganizationalUnit {
	var out []*store.OrganizationalUnit
	for _, ou := range t.ous {
		if ou.ParentID == parent {
			out = append(out, ou)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// childAccounts lists the member accounts directly under parent, by ID.
func (t *tree) childAccounts(parent string) []*store.Account {
	var out []*store.Account
	for _, a := range t.members {
		if t.accountParent(a.ID) == parent {
			out = append(out, a)
		}
	}
	return out
}

func (t *tree) siblingNamed(parent, name, except string) bool {
	for _, ou := range t.ous {
		if ou.ParentID == parent && ou.Name == name && ou.ID != except {
			return true
		}
	}
	return false
}

func (t *tree) ouOut(ou *store.OrganizationalUnit) orgsapi.OrganizationalUnit {
	return orgsapi.OrganizationalUnit{
		Id: ou.ID, Name: ou.Name, Arn: ouARN(t.org, ou.ID),
		Path: t.org.ID + "/" + strings.Join(t.path(ou.ID), "/") + "/",
	}
}

func ouARN(o *store.Organization, id string) string {
	return "arn:aws:organizations::" + o.ManagementAccountID + ":ou/" + o.ID + "/" + id
}

func rootARN(o *store.Organization) string {
	return "arn:aws:organizations::" + o.ManagementAccountID + ":root/" + o.ID + "/" + o.RootID
}

// containerARN is the ARN IAM policies name a root or an OU by.
func containerARN(o *store.Organization, id string) string {
	if strings.HasPrefix(id, "r-") {
		return rootARN(o)
	}
	return ouARN(o, id)
}

// managed returns the caller's organization once the caller may perform
// action on resource (given the organization) as its management account.
func (s *Service) managed(ctx context.Context, c *auth.Caller, action string, resource func(o *store.Organization) string) (*store.Organization, error) {
	_, o, err := s.callerOrg(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeOn(ctx, c, o, action, resource(o)); err != nil {
		return nil, err
	}
	return o, nil
}

// authorizeOn authorizes an action of the management account on one of
// the organization's resources: the management account's principals by
// their own policies, a member account's only where the organization's
// resource policy delegates the action to it.
func (s *Service) authorizeOn(ctx context.Context, c *auth.Caller, o *store.Organization, action, resource string) error {
	if o.ManagementAccountID == c.AccountID {
		return s.authorize(ctx, c, action, resource)
	}
	ok, err := s.delegated(ctx, c, o, action, resource)
	if err != nil {
		return err
	}
	if !ok {
		return notManagementAccount()
	}
	return nil
}

func anyResource(*store.Organization) string { return "*" }

// readTree reads the caller's organization's tree for a read operation.
func (s *Service) readTree(ctx context.Context, c *auth.Caller, action string, resource func(o *store.Organization) string) (*tree, error) {
	o, err := s.managed(ctx, c, action, resource)
	if err != nil {
		return nil, err
	}
	return loadTree(ctx, s.store, o, s.now())
}

// changeTree runs fn on the tree as read inside a Change, so a tree edit
// reaches every node's caches (SCP sets and org paths depend on it).
func (s *Service) changeTree(ctx context.Context, o *store.Organization, fn func(ctx context.Context, tx store.Repos, t *tree) error) error {
	return s.store.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		t, err := loadTree(ctx, tx, o, s.now())
		if err != nil {
			return err
		}
		return fn(ctx, tx, t)
	})
}

func (s *Service) ListRoots(ctx context.Context, c *auth.Caller, in *orgsapi.ListRootsInput) (*orgsapi.ListRootsOutput, error) {
	p, err := s.readPolicies(ctx, c, "ListRoots", anyResource)
	if err != nil {
		return nil, err
	}
	roots, next, err := pageOf([]orgsapi.Root{p.rootOut()}, func(r orgsapi.Root) string { return r.Id }, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return &orgsapi.ListRootsOutput{Roots: roots, NextToken: next}, nil
}

func (s *Service) CreateOrganizationalUnit(ctx context.Context, c *auth.Caller, in *orgsapi.CreateOrganizationalUnitInput) (*orgsapi.CreateOrganizationalUnitOutput, error) {
	o, err := s.managed(ctx, c, "CreateOrganizationalUnit", func(o *store.Organization) string { return containerARN(o, in.ParentId) })
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	ou := &store.OrganizationalUnit{
		ID:             "ou-" + strings.TrimPrefix(o.RootID, "r-") + "-" + randomLower(8),
		OrganizationID: o.ID, ParentID: in.ParentId, Name: in.Name,
		CreatedAt: s.now().UTC().Truncate(time.Second),
	}
	var out orgsapi.OrganizationalUnit
	err = s.changeTree(ctx, o, func(ctx context.Context, tx store.Repos, t *tree) error {
		if !t.isContainer(in.ParentId) {
			return parentNotFound()
		}
		if len(t.path(in.ParentId)) > maxOUDepth {
			return constraint("You attempted to create an OU tree that is too many levels deep.")
		}
		if len(t.ous) >= maxOUs {
			return constraint("You attempted to exceed the number of OUs that you can have in an organization.")
		}
		if t.siblingNamed(in.ParentId, in.Name, "") {
			return duplicateOU()
		}
		if err := tx.Organizations().CreateOU(ctx, ou); err != nil {
			if errors.Is(err, store.ErrAlreadyExists) {
				return duplicateOU()
			}
			return err
		}
		if err := attachDefaults(ctx, tx, o, ou.ID); err != nil {
			return err
		}
		if err := tx.Organizations().PutTags(ctx, o.ID, ou.ID, storeTags(in.Tags)); err != nil {
			return err
		}
		t.ous[ou.ID] = ou
		out = t.ouOut(ou)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.CreateOrganizationalUnitOutput{OrganizationalUnit: &out}, nil
}

func (s *Service) DescribeOrganizationalUnit(ctx context.Context, c *auth.Caller, in *orgsapi.DescribeOrganizationalUnitInput) (*orgsapi.DescribeOrganizationalUnitOutput, error) {
	t, err := s.readTree(ctx, c, "DescribeOrganizationalUnit", func(o *store.Organization) string { return ouARN(o, in.OrganizationalUnitId) })
	if err != nil {
		return nil, err
	}
	ou := t.ous[in.OrganizationalUnitId]
	if ou == nil {
		return nil, ouNotFound()
	}
	out := t.ouOut(ou)
	return &orgsapi.DescribeOrganizationalUnitOutput{OrganizationalUnit: &out}, nil
}

func (s *Service) UpdateOrganizationalUnit(ctx context.Context, c *auth.Caller, in *orgsapi.UpdateOrganizationalUnitInput) (*orgsapi.UpdateOrganizationalUnitOutput, error) {
	o, err := s.managed(ctx, c, "UpdateOrganizationalUnit", func(o *store.Organization) string { return ouARN(o, in.OrganizationalUnitId) })
	if err != nil {
		return nil, err
	}
	var out orgsapi.OrganizationalUnit
	err = s.changeTree(ctx, o, func(ctx context.Context, tx store.Repos, t *tree) error {
		ou := t.ous[in.OrganizationalUnitId]
		if ou == nil {
			return ouNotFound()
		}
		// Name is optional: without it the OU stays as it is.
		if in.Name != "" && in.Name != ou.Name {
			if t.siblingNamed(ou.ParentID, in.Name, ou.ID) {
				return duplicateOU()
			}
			ou.Name = in.Name
			if err := tx.Organizations().UpdateOU(ctx, ou); err != nil {
				if errors.Is(err, store.ErrAlreadyExists) {
					return duplicateOU()
				}
				return err
			}
		}
		out = t.ouOut(ou)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.UpdateOrganizationalUnitOutput{OrganizationalUnit: &out}, nil
}

func (s *Service) DeleteOrganizationalUnit(ctx context.Context, c *auth.Caller, in *orgsapi.DeleteOrganizationalUnitInput) (*orgsapi.DeleteOrganizationalUnitOutput, error) {
	o, err := s.managed(ctx, c, "DeleteOrganizationalUnit", func(o *store.Organization) string { return ouARN(o, in.OrganizationalUnitId) })
	if err != nil {
		return nil, err
	}
	err = s.changeTree(ctx, o, func(ctx context.Context, tx store.Repos, t *tree) error {
		if t.ous[in.OrganizationalUnitId] == nil {
			return ouNotFound()
		}
		if len(t.childOUs(in.OrganizationalUnitId)) > 0 || len(t.childAccounts(in.OrganizationalUnitId)) > 0 {
			return awserr.New("OrganizationalUnitNotEmptyException", http.StatusBadRequest,
				"The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, and try the operation again.")
		}
		if err := detachAll(ctx, tx, o, in.OrganizationalUnitId); err != nil {
			return err
		}
		return tx.Organizations().DeleteOU(ctx, in.OrganizationalUnitId)
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.DeleteOrganizationalUnitOutput{}, nil
}

func (s *Service) ListOrganizationalUnitsForParent(ctx context.Context, c *auth.Caller, in *orgsapi.ListOrganizationalUnitsForParentInput) (*orgsapi.ListOrganizationalUnitsForParentOutput, error) {
	t, err := s.readTree(ctx, c, "ListOrganizationalUnitsForParent", func(o *store.Organization) string { return containerARN(o, in.ParentId) })
	if err != nil {
		return nil, err
	}
	if !t.isContainer(in.ParentId) {
		return nil, parentNotFound()
	}
	ous, next, err := pageOf(t.childOUs(in.ParentId), ouID, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &orgsapi.ListOrganizationalUnitsForParentOutput{OrganizationalUnits: make([]orgsapi.OrganizationalUnit, 0, len(ous)), NextToken: next}
	for _, ou := range ous {
		out.OrganizationalUnits = append(out.OrganizationalUnits, t.ouOut(ou))
	}
	return out, nil
}

func (s *Service) ListChildren(ctx context.Context, c *auth.Caller, in *orgsapi.ListChildrenInput) (*orgsapi.ListChildrenOutput, error) {
	t, err := s.readTree(ctx, c, "ListChildren", func(o *store.Organization) string { return containerARN(o, in.ParentId) })
	if err != nil {
		return nil, err
	}
	if !t.isContainer(in.ParentId) {
		return nil, parentNotFound()
	}
	var ids []string
	if in.ChildType == "ACCOUNT" {
		for _, a := range t.childAccounts(in.ParentId) {
			ids = append(ids, a.ID)
		}
	} else {
		for _, ou := range t.childOUs(in.ParentId) {
			ids = append(ids, ou.ID)
		}
	}
	ids, next, err := pageOf(ids, ident, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &orgsapi.ListChildrenOutput{Children: make([]orgsapi.Child, 0, len(ids)), NextToken: next}
	for _, id := range ids {
		out.Children = append(out.Children, orgsapi.Child{Id: id, Type: in.ChildType})
	}
	return out, nil
}

func (s *Service) ListParents(ctx context.Context, c *auth.Caller, in *orgsapi.ListParentsInput) (*orgsapi.ListParentsOutput, error) {
	t, err := s.readTree(ctx, c, "ListParents", func(o *store.Organization) string {
		if strings.HasPrefix(in.ChildId, "ou-") {
			return ouARN(o, in.ChildId)
		}
		return accountARN(o, in.ChildId)
	})
	if err != nil {
		return nil, err
	}
	var parent string
	switch {
	case t.ous[in.ChildId] != nil:
		parent = t.ous[in.ChildId].ParentID
	case t.member(in.ChildId) != nil:
		parent = t.accountParent(in.ChildId)
	default:
		return nil, awserr.New("ChildNotFoundException", http.StatusBadRequest,
			"We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.")
	}
	typ := "ORGANIZATIONAL_UNIT"
	if parent == t.org.RootID {
		typ = "ROOT"
	}
	parents, next, err := pageOf([]orgsapi.Parent{{Id: parent, Type: typ}}, func(p orgsapi.Parent) string { return p.Id }, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return &orgsapi.ListParentsOutput{Parents: parents, NextToken: next}, nil
}

func (s *Service) ListAccountsForParent(ctx context.Context, c *auth.Caller, in *orgsapi.ListAccountsForParentInput) (*orgsapi.ListAccountsForParentOutput, error) {
	t, err := s.readTree(ctx, c, "ListAccountsForParent", func(o *store.Organization) string { return containerARN(o, in.ParentId) })
	if err != nil {
		return nil, err
	}
	if !t.isContainer(in.ParentId) {
		return nil, parentNotFound()
	}
	accts, next, err := pageOf(t.childAccounts(in.ParentId), accountID, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &orgsapi.ListAccountsForParentOutput{Accounts: make([]orgsapi.Account, 0, len(accts)), NextToken: next}
	for _, a := range accts {
		out.Accounts = append(out.Accounts, accountOut(t.org, a))
	}
	return out, nil
}

func (s *Service) MoveAccount(ctx context.Context, c *auth.Caller, in *orgsapi.MoveAccountInput) (*orgsapi.MoveAccountOutput, error) {
	o, err := s.managed(ctx, c, "MoveAccount", func(o *store.Organization) string { return accountARN(o, in.AccountId) })
	if err != nil {
		return nil, err
	}
	err = s.changeTree(ctx, o, func(ctx context.Context, tx store.Repos, t *tree) error {
		if t.member(in.AccountId) == nil {
			return accountNotFound()
		}
		if !t.isContainer(in.SourceParentId) {
			return awserr.New("SourceParentNotFoundException", http.StatusBadRequest,
				"We can't find a source root or OU with the ParentId that you specified.")
		}
		if !t.isContainer(in.DestinationParentId) {
			return awserr.New("DestinationParentNotFoundException", http.StatusBadRequest,
				"We can't find the destination container (a root or OU) with the ParentId that you specified.")
		}
		current := t.accountParent(in.AccountId)
		if current == in.DestinationParentId {
			return awserr.New("DuplicateAccountException", http.StatusBadRequest,
				"That account is already present in the specified destination.")
		}
		if current != in.SourceParentId {
			return accountNotFound()
		}
		if in.DestinationParentId == o.RootID {
			return tx.Organizations().DeleteAccountParent(ctx, in.AccountId)
		}
		return tx.Organizations().PutAccountParent(ctx, &store.AccountParent{
			AccountID: in.AccountId, OrganizationID: o.ID, ParentID: in.DestinationParentId,
		})
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.MoveAccountOutput{}, nil
}

// ident is the key of items that are their own key.
func ident(s string) string { return s }

// pageOf returns the page of items (ordered by key, keys unique) a
// NextToken and MaxResults select. The token is the key of the last item
// of the previous page, so a page stays right when items before it come or
// go between calls (keyset, not offset); it is opaque to callers.
func pageOf[T any](items []T, key func(T) string, token string, max *int) ([]T, string, error) {
	start := 0
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(b) < 2 || b[0] != 'k' {
			return nil, "", invalidToken()
		}
		after := string(b[1:])
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > after })
	}
	limit := 20
	if max != nil {
		limit = *max
	}
	end, next := len(items), ""
	if end-start > limit {
		end = start + limit
		next = base64.RawURLEncoding.EncodeToString(append([]byte{'k'}, key(items[end-1])...))
	}
	return items[start:end], next, nil
}

func invalidToken() error {
	return awserr.New("InvalidInputException", http.StatusBadRequest, "You specified an invalid value for nextToken.")
}

func sortStrings(s []string) { sort.Strings(s) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func ouID(ou *store.OrganizationalUnit) string { return ou.ID }

func accountID(a *store.Account) string { return a.ID }

func sortTags(tags []store.Tag) {
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
}
