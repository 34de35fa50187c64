package iam

import (
	"context"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

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
	if err := p.modifiable(); err != nil {
		return err
	}
	if err := checkDocument(doc, policy.UseInline); err != nil {
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
	if err := p.modifiable(); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := p.exists(ctx, tx); err != nil {
			return err
		}
		return notFoundAs(tx.InlinePolicies().Delete(ctx, t, p.id, name), noSuchInline(p, name))
	})
}

func (s *Service) listInline(ctx context.Context, c *auth.Caller, t store.EntityType, action, entity, marker string, maxItems *int) (*iamapi.ListUserPoliciesOutput, error) {
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
	// The three List*Policies outputs are one shape; the group and role
	// actions convert this one.
	out := &iamapi.ListUserPoliciesOutput{PolicyNames: []string{}, IsTruncated: ptr(trunc), Marker: m}
	for _, ip := range ips {
		out.PolicyNames = append(out.PolicyNames, ip.Name)
	}
	return out, nil
}

func (s *Service) PutUserPolicy(ctx context.Context, c *auth.Caller, in *iamapi.PutUserPolicyInput) (*iamapi.PutUserPolicyOutput, error) {
	return result[iamapi.PutUserPolicyOutput](s.putInline(ctx, c, store.EntityUser, "PutUserPolicy", in.UserName, in.PolicyName, in.PolicyDocument))
}

func (s *Service) GetUserPolicy(ctx context.Context, c *auth.Caller, in *iamapi.GetUserPolicyInput) (*iamapi.GetUserPolicyOutput, error) {
	p, ip, err := s.getInline(ctx, c, store.EntityUser, "GetUserPolicy", in.UserName, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetUserPolicyOutput{UserName: p.name, PolicyName: ip.Name, PolicyDocument: encodeDocument(ip.Document)}, nil
}

func (s *Service) DeleteUserPolicy(ctx context.Context, c *auth.Caller, in *iamapi.DeleteUserPolicyInput) (*iamapi.DeleteUserPolicyOutput, error) {
	return result[iamapi.DeleteUserPolicyOutput](s.deleteInline(ctx, c, store.EntityUser, "DeleteUserPolicy", in.UserName, in.PolicyName))
}

func (s *Service) ListUserPolicies(ctx context.Context, c *auth.Caller, in *iamapi.ListUserPoliciesInput) (*iamapi.ListUserPoliciesOutput, error) {
	out, err := s.listInline(ctx, c, store.EntityUser, "ListUserPolicies", in.UserName, in.Marker, in.MaxItems)
	return out, err
}

func (s *Service) PutGroupPolicy(ctx context.Context, c *auth.Caller, in *iamapi.PutGroupPolicyInput) (*iamapi.PutGroupPolicyOutput, error) {
	return result[iamapi.PutGroupPolicyOutput](s.putInline(ctx, c, store.EntityGroup, "PutGroupPolicy", in.GroupName, in.PolicyName, in.PolicyDocument))
}

func (s *Service) GetGroupPolicy(ctx context.Context, c *auth.Caller, in *iamapi.GetGroupPolicyInput) (*iamapi.GetGroupPolicyOutput, error) {
	p, ip, err := s.getInline(ctx, c, store.EntityGroup, "GetGroupPolicy", in.GroupName, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetGroupPolicyOutput{GroupName: p.name, PolicyName: ip.Name, PolicyDocument: encodeDocument(ip.Document)}, nil
}

func (s *Service) DeleteGroupPolicy(ctx context.Context, c *auth.Caller, in *iamapi.DeleteGroupPolicyInput) (*iamapi.DeleteGroupPolicyOutput, error) {
	return result[iamapi.DeleteGroupPolicyOutput](s.deleteInline(ctx, c, store.EntityGroup, "DeleteGroupPolicy", in.GroupName, in.PolicyName))
}

func (s *Service) ListGroupPolicies(ctx context.Context, c *auth.Caller, in *iamapi.ListGroupPoliciesInput) (*iamapi.ListGroupPoliciesOutput, error) {
	out, err := s.listInline(ctx, c, store.EntityGroup, "ListGroupPolicies", in.GroupName, in.Marker, in.MaxItems)
	return (*iamapi.ListGroupPoliciesOutput)(out), err
}

func (s *Service) PutRolePolicy(ctx context.Context, c *auth.Caller, in *iamapi.PutRolePolicyInput) (*iamapi.PutRolePolicyOutput, error) {
	return result[iamapi.PutRolePolicyOutput](s.putInline(ctx, c, store.EntityRole, "PutRolePolicy", in.RoleName, in.PolicyName, in.PolicyDocument))
}

func (s *Service) GetRolePolicy(ctx context.Context, c *auth.Caller, in *iamapi.GetRolePolicyInput) (*iamapi.GetRolePolicyOutput, error) {
	p, ip, err := s.getInline(ctx, c, store.EntityRole, "GetRolePolicy", in.RoleName, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetRolePolicyOutput{RoleName: p.name, PolicyName: ip.Name, PolicyDocument: encodeDocument(ip.Document)}, nil
}

func (s *Service) DeleteRolePolicy(ctx context.Context, c *auth.Caller, in *iamapi.DeleteRolePolicyInput) (*iamapi.DeleteRolePolicyOutput, error) {
	return result[iamapi.DeleteRolePolicyOutput](s.deleteInline(ctx, c, store.EntityRole, "DeleteRolePolicy", in.RoleName, in.PolicyName))
}

func (s *Service) ListRolePolicies(ctx context.Context, c *auth.Caller, in *iamapi.ListRolePoliciesInput) (*iamapi.ListRolePoliciesOutput, error) {
	out, err := s.listInline(ctx, c, store.EntityRole, "ListRolePolicies", in.RoleName, in.Marker, in.MaxItems)
	return (*iamapi.ListRolePoliciesOutput)(out), err
}
