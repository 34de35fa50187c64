package iam

import (
	"context"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/policy"
)

func noSuchInline(p principal, name string) *awserr.Error {
	return awserr.NoSuchEntity("The %s policy with name %s cannot be found.", p.noun(), name)
}

// putInline validates the document and enforces the per-entity aggregate
// size quota, which counts every inline policy of the entity (the one being
// replaced excluded) without whitespace.
func (s *Service) putInline(ctx context.Context, c *auth.Caller, t store.EntityType, action, entity, name, doc string) error {
	p, err := s.target(ctx, c, t, action, entity)
	if err != nil {
		return err
	}
	if err := validateDocument(doc, policy.KindIdentity); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := p.exists(ctx, tx); err != nil {
			return err
		}
		cur, err := tx.InlinePolicies().List(ctx, t, p.id)
		if err != nil {
			return err
		}
		total := policy.Size(doc)
		for _, ip := range cur {
			if lower(ip.Name) != lower(name) {
				total += policy.Size(ip.Document)
			}
		}
		if err := policy.CheckInlinePolicySize(policy.Entity(p.noun()), p.name, total); err != nil {
			return policyErr(err)
		}
		return tx.InlinePolicies().Put(ctx, &store.InlinePolicy{EntityType: t, EntityID: p.id, Name: name, Document: doc})
	})
}

func (s *Service) getInline(ctx context.Context, c *auth.Caller, t store.EntityType, action, entity, name string) (principal, *store.InlinePolicy, error) {
	p, err := s.target(ctx, c, t, action, entity)
	if err != nil {
		return p, nil, err
	}
	ip, err := s.store.InlinePolicies().Get(ctx, t, p.id, name)
	if err != nil {
		return p, nil, notFoundAs(err, noSuchInline(p, name))
	}
	return p, ip, nil
}

func (s *Service) deleteInline(ctx context.Context, c *auth.Caller, t store.EntityType, action, entity, name string) error {
	p, err := s.target(ctx, c, t, action, entity)
	if err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := p.exists(ctx, tx); err != nil {
			return err
		}
		return notFoundAs(tx.InlinePolicies().Delete(ctx, t, p.id, name), noSuchInline(p, name))
	})
}

// ListPolicyNamesOutput is the result of List{User,Group,Role}Policies.
type ListPolicyNamesOutput struct {
	PolicyNames []string `xml:"PolicyNames>member"`
	IsTruncated bool     `xml:"IsTruncated"`
	Marker      string   `xml:"Marker,omitempty"`
}

func (s *Service) listInline(ctx context.Context, c *auth.Caller, t store.EntityType, action, entity, marker string, maxItems *int) (*ListPolicyNamesOutput, error) {
	p, err := s.target(ctx, c, t, action, entity)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf(marker, maxItems)
	if err != nil {
		return nil, err
	}
	ips, err := s.store.InlinePolicies().List(ctx, t, p.id)
	if err != nil {
		return nil, err
	}
	ips, trunc, m, _ := cutSlice(pg, ips, func(ip *store.InlinePolicy) string { return lower(ip.Name) })
	out := &ListPolicyNamesOutput{PolicyNames: []string{}, IsTruncated: trunc, Marker: m}
	for _, ip := range ips {
		out.PolicyNames = append(out.PolicyNames, ip.Name)
	}
	return out, nil
}

type PutUserPolicyInput struct {
	UserName       string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	PolicyName     string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	PolicyDocument string `aws:"required,min=1,max=131072" pattern:"[\u0009\u000A\u000D\u0020-\u00FF]+"`
}
type PutUserPolicyOutput struct{}

func (s *Service) PutUserPolicy(ctx context.Context, c *auth.Caller, in *PutUserPolicyInput) (*PutUserPolicyOutput, error) {
	return result[PutUserPolicyOutput](s.putInline(ctx, c, store.EntityUser, "PutUserPolicy", in.UserName, in.PolicyName, in.PolicyDocument))
}

type GetUserPolicyInput struct {
	UserName   string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	PolicyName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
}
type GetUserPolicyOutput struct {
	UserName       string `xml:"UserName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func (s *Service) GetUserPolicy(ctx context.Context, c *auth.Caller, in *GetUserPolicyInput) (*GetUserPolicyOutput, error) {
	p, ip, err := s.getInline(ctx, c, store.EntityUser, "GetUserPolicy", in.UserName, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &GetUserPolicyOutput{UserName: p.name, PolicyName: ip.Name, PolicyDocument: encodeDocument(ip.Document)}, nil
}

type DeleteUserPolicyInput struct {
	UserName   string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	PolicyName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
}
type DeleteUserPolicyOutput struct{}

func (s *Service) DeleteUserPolicy(ctx context.Context, c *auth.Caller, in *DeleteUserPolicyInput) (*DeleteUserPolicyOutput, error) {
	return result[DeleteUserPolicyOutput](s.deleteInline(ctx, c, store.EntityUser, "DeleteUserPolicy", in.UserName, in.PolicyName))
}

type ListUserPoliciesInput struct {
	UserName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	Marker   string `aws:"min=1,max=320" pattern:"[\u0020-\u00FF]+"`
	MaxItems *int   `aws:"min=1,max=1000"`
}
type ListUserPoliciesOutput = ListPolicyNamesOutput

func (s *Service) ListUserPolicies(ctx context.Context, c *auth.Caller, in *ListUserPoliciesInput) (*ListUserPoliciesOutput, error) {
	return s.listInline(ctx, c, store.EntityUser, "ListUserPolicies", in.UserName, in.Marker, in.MaxItems)
}

type PutGroupPolicyInput struct {
	GroupName      string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	PolicyName     string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	PolicyDocument string `aws:"required,min=1,max=131072" pattern:"[\u0009\u000A\u000D\u0020-\u00FF]+"`
}
type PutGroupPolicyOutput struct{}

func (s *Service) PutGroupPolicy(ctx context.Context, c *auth.Caller, in *PutGroupPolicyInput) (*PutGroupPolicyOutput, error) {
	return result[PutGroupPolicyOutput](s.putInline(ctx, c, store.EntityGroup, "PutGroupPolicy", in.GroupName, in.PolicyName, in.PolicyDocument))
}

type GetGroupPolicyInput struct {
	GroupName  string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	PolicyName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
}
type GetGroupPolicyOutput struct {
	GroupName      string `xml:"GroupName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func (s *Service) GetGroupPolicy(ctx context.Context, c *auth.Caller, in *GetGroupPolicyInput) (*GetGroupPolicyOutput, error) {
	p, ip, err := s.getInline(ctx, c, store.EntityGroup, "GetGroupPolicy", in.GroupName, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &GetGroupPolicyOutput{GroupName: p.name, PolicyName: ip.Name, PolicyDocument: encodeDocument(ip.Document)}, nil
}

type DeleteGroupPolicyInput struct {
	GroupName  string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	PolicyName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
}
type DeleteGroupPolicyOutput struct{}

func (s *Service) DeleteGroupPolicy(ctx context.Context, c *auth.Caller, in *DeleteGroupPolicyInput) (*DeleteGroupPolicyOutput, error) {
	return result[DeleteGroupPolicyOutput](s.deleteInline(ctx, c, store.EntityGroup, "DeleteGroupPolicy", in.GroupName, in.PolicyName))
}

type ListGroupPoliciesInput struct {
	GroupName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	Marker    string `aws:"min=1,max=320" pattern:"[\u0020-\u00FF]+"`
	MaxItems  *int   `aws:"min=1,max=1000"`
}
type ListGroupPoliciesOutput = ListPolicyNamesOutput

func (s *Service) ListGroupPolicies(ctx context.Context, c *auth.Caller, in *ListGroupPoliciesInput) (*ListGroupPoliciesOutput, error) {
	return s.listInline(ctx, c, store.EntityGroup, "ListGroupPolicies", in.GroupName, in.Marker, in.MaxItems)
}

type PutRolePolicyInput struct {
	RoleName       string `aws:"required,min=1,max=64" pattern:"[\\w+=,.@-]+"`
	PolicyName     string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
	PolicyDocument string `aws:"required,min=1,max=131072" pattern:"[\u0009\u000A\u000D\u0020-\u00FF]+"`
}
type PutRolePolicyOutput struct{}

func (s *Service) PutRolePolicy(ctx context.Context, c *auth.Caller, in *PutRolePolicyInput) (*PutRolePolicyOutput, error) {
	return result[PutRolePolicyOutput](s.putInline(ctx, c, store.EntityRole, "PutRolePolicy", in.RoleName, in.PolicyName, in.PolicyDocument))
}

type GetRolePolicyInput struct {
	RoleName   string `aws:"required,min=1,max=64" pattern:"[\\w+=,.@-]+"`
	PolicyName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
}
type GetRolePolicyOutput struct {
	RoleName       string `xml:"RoleName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func (s *Service) GetRolePolicy(ctx context.Context, c *auth.Caller, in *GetRolePolicyInput) (*GetRolePolicyOutput, error) {
	p, ip, err := s.getInline(ctx, c, store.EntityRole, "GetRolePolicy", in.RoleName, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &GetRolePolicyOutput{RoleName: p.name, PolicyName: ip.Name, PolicyDocument: encodeDocument(ip.Document)}, nil
}

type DeleteRolePolicyInput struct {
	RoleName   string `aws:"required,min=1,max=64" pattern:"[\\w+=,.@-]+"`
	PolicyName string `aws:"required,min=1,max=128" pattern:"[\\w+=,.@-]+"`
}
type DeleteRolePolicyOutput struct{}

func (s *Service) DeleteRolePolicy(ctx context.Context, c *auth.Caller, in *DeleteRolePolicyInput) (*DeleteRolePolicyOutput, error) {
	return result[DeleteRolePolicyOutput](s.deleteInline(ctx, c, store.EntityRole, "DeleteRolePolicy", in.RoleName, in.PolicyName))
}

type ListRolePoliciesInput struct {
	RoleName string `aws:"required,min=1,max=64" pattern:"[\\w+=,.@-]+"`
	Marker   string `aws:"min=1,max=320" pattern:"[\u0020-\u00FF]+"`
	MaxItems *int   `aws:"min=1,max=1000"`
}
type ListRolePoliciesOutput = ListPolicyNamesOutput

func (s *Service) ListRolePolicies(ctx context.Context, c *auth.Caller, in *ListRolePoliciesInput) (*ListRolePoliciesOutput, error) {
	return s.listInline(ctx, c, store.EntityRole, "ListRolePolicies", in.RoleName, in.Marker, in.MaxItems)
}
