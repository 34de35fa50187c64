package orgs

import (
	"context"
	"strings"

	"github.com/mantle-iam/mantle/internal/authz"
)

// AccountControls tells authorization where an account sits in its
// organization and which SCPs and RCPs apply at each level (root, each OU
// down the path, the account). The management account is beyond both
// ("SCPs don't affect users or roles in the management account"; RCPs
// likewise). A type not enabled applies nothing. authz caches the answer
// per account until the store's generation moves, which every policy,
// attachment and tree change does (they all go through store.Change).
func (s *Service) AccountControls(ctx context.Context, accountID string) (*authz.OrgControls, error) {
	a, err := s.store.Accounts().Get(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if a.OrganizationID == "" {
		return &authz.OrgControls{}, nil
	}
	o, err := s.store.Organizations().Get(ctx, a.OrganizationID)
	if err != nil {
		return nil, err
	}
	p, err := loadPolicies(ctx, s.store, o, s.now())
	if err != nil {
		return nil, err
	}
	parent := p.accountParent(accountID)
	out := &authz.OrgControls{
		OrganizationID: o.ID,
		Path:           o.ID + "/" + strings.Join(p.path(parent), "/") + "/",
	}
	if accountID == o.ManagementAccountID {
		return out, nil
	}
	if a.Status == "SUSPENDED" {
		// A closed account's principals may do nothing, whatever the
		// organization's policies say.
		out.SCPs = [][]authz.Doc{{{ID: "closed-account", Document: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`}}}
		return out, nil
	}
	if p.enabled[typeSCP] {
		out.SCPs = p.levelDocs(accountID, typeSCP)
	}
	if p.enabled[typeRCP] {
		out.RCPs = p.levelDocs(accountID, typeRCP)
	}
	return out, nil
}

// levelDocs lists the policies of a type attached at each of an account's
// levels. A level without any (which Organizations does not allow for an
// enabled type) is an empty list: it allows nothing.
func (p *orgPolicies) levelDocs(account, typ string) [][]authz.Doc {
	levels := p.levels(account)
	out := make([][]authz.Doc, len(levels))
	for i, target := range levels {
		out[i] = []authz.Doc{}
		for _, id := range p.attachedOfType(target, typ) {
			out[i] = append(out[i], authz.Doc{ID: id, Document: p.content(id)})
		}
	}
	return out
}
