package authz

import (
	"context"
	"strings"

	"github.com/mantle-iam/mantle/policy"
)

// OrgSource says where an account sits in its organization and which
// organization policies apply to it. internal/orgs implements it.
type OrgSource interface {
	AccountControls(ctx context.Context, accountID string) (*OrgControls, error)
}

// OrgControls is an account's place in its organization as authorization
// needs it.
type OrgControls struct {
	OrganizationID string // "" for a standalone account
	// Path is the value of aws:PrincipalOrgPaths (and aws:ResourceOrgPaths)
	// for the account: "o-…/r-…/ou-…/…/", its parent's path.
	Path string
	// SCPs lists the service control policies attached at each level, from
	// the root through each OU to the account; nil when SCPs do not apply
	// (the type is not enabled, or this is the management account).
	SCPs [][]Doc
	// RCPs likewise for resource control policies.
	RCPs [][]Doc
}

// orgControls is OrgControls compiled, cached per account.
type orgControls struct {
	org   string
	paths []string // one element: the account's path, shared by every request
	scps  [][]*policy.Policy
	rcps  [][]*policy.Policy
}

var noOrg = &orgControls{}

// controls returns the account's compiled organization controls, from the
// cache while nothing has changed anywhere since they were compiled.
func (a *Authorizer) controls(ctx context.Context, account string) (*orgControls, error) {
	if account == "" {
		return noOrg, nil
	}
	return a.orgs.Get(ctx, account, func(ctx context.Context) (*orgControls, error) {
		if a.Orgs == nil {
			org, err := a.Policies.OrganizationID(ctx, account)
			if isNotFound(err) || org == "" {
				return noOrg, nil
			}
			if err != nil {
				return nil, err
			}
			return &orgControls{org: org}, nil
		}
		src, err := a.Orgs.AccountControls(ctx, account)
		if isNotFound(err) {
			return noOrg, nil
		}
		if err != nil {
			return nil, err
		}
		if src.OrganizationID == "" {
			return noOrg, nil
		}
		c := &orgControls{org: src.OrganizationID}
		if src.Path != "" {
			c.paths = []string{src.Path}
		}
		if c.scps, err = a.compileLevels(src.SCPs, policy.KindSCP); err != nil {
			return nil, err
		}
		if c.rcps, err = a.compileLevels(src.RCPs, policy.KindRCP); err != nil {
			return nil, err
		}
		return c, nil
	})
}

// denyAll replaces an organization policy the engine can no longer read: a
// guardrail that cannot be read must not open anything.
const denyAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`

func (a *Authorizer) compileLevels(levels [][]Doc, kind policy.Kind) ([][]*policy.Policy, error) {
	if levels == nil {
		return nil, nil
	}
	out := make([][]*policy.Policy, len(levels))
	for i, docs := range levels {
		out[i] = make([]*policy.Policy, 0, len(docs))
		for _, d := range docs {
			p, err := a.parseCached(d.Document, d.ID, kind)
			if err != nil {
				if kind == policy.KindRCP {
					// An RCP's deny-all needs its Principal.
					p, err = a.parseCached(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`, d.ID, kind)
				} else {
					p, err = a.parseCached(denyAll, d.ID, kind)
				}
				if err != nil {
					return nil, err
				}
			}
			out[i] = append(out[i], p)
		}
	}
	return out, nil
}

// serviceLinked reports whether a role path is a service-linked role's:
// SCPs and RCPs do not restrict them ("SCP effects on permissions").
func serviceLinked(path string) bool { return strings.HasPrefix(path, "/aws-service-role/") }

// rcpService reports whether RCPs govern an action: of what mantle serves,
// only STS is among the services RCPs support ("RCPs: supported AWS
// services" lists sts, not iam or organizations).
func rcpService(action string) bool {
	return len(action) > 4 && strings.EqualFold(action[:4], "sts:")
}

// ServiceControlPolicies returns the SCP levels enforced for an account,
// compiled and cached as for its requests, nil when none apply: the policy
// simulator weighs the same policies as enforcement.
func (a *Authorizer) ServiceControlPolicies(ctx context.Context, account string) ([][]*policy.Policy, error) {
	c, err := a.controls(ctx, account)
	if err != nil {
		return nil, err
	}
	return c.scps, nil
}
