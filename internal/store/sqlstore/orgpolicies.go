package sqlstore

import (
	"context"
	"errors"

	"github.com/mantle-iam/mantle/internal/store"
)

const orgPolicyCols = `id, organization_id, type, name, description, content, created_at`

func scanOrgPolicy(sc scanner) (*store.OrgPolicy, error) {
	var p store.OrgPolicy
	var created string
	if err := sc.Scan(&p.ID, &p.OrganizationID, &p.Type, &p.Name, &p.Description, &p.Content, &created); err != nil {
		return nil, err
	}
	var err error
	p.CreatedAt, err = decTime(created)
	return &p, err
}

func (r organizations) CreatePolicy(ctx context.Context, p *store.OrgPolicy) error {
	return exec(ctx, r.q, "create organization policy "+p.Name,
		`INSERT INTO org_policies (`+orgPolicyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		p.ID, p.OrganizationID, p.Type, p.Name, p.Description, p.Content, encTime(p.CreatedAt))
}

func (r organizations) GetPolicy(ctx context.Context, id string) (*store.OrgPolicy, error) {
	return get(ctx, r.q, scanOrgPolicy, "organization policy "+id, `SELECT `+orgPolicyCols+` FROM org_policies WHERE id = $1`, id)
}

// UpdatePolicy changes what UpdatePolicy may change; the type and the
// organization of a policy are fixed.
func (r organizations) UpdatePolicy(ctx context.Context, p *store.OrgPolicy) error {
	return execOne(ctx, r.q, "update organization policy "+p.ID,
		`UPDATE org_policies SET name = $1, description = $2, content = $3 WHERE id = $4`,
		p.Name, p.Description, p.Content, p.ID)
}

func (r organizations) DeletePolicy(ctx context.Context, id string) error {
	return execOne(ctx, r.q, "delete organization policy "+id, `DELETE FROM org_policies WHERE id = $1`, id)
}

func (r organizations) ListPolicies(ctx context.Context, orgID string) ([]*store.OrgPolicy, error) {
	return list(ctx, r.q, scanOrgPolicy, "policies of "+orgID,
		`SELECT `+orgPolicyCols+` FROM org_policies WHERE organization_id = $1 ORDER BY id`, orgID)
}

func scanOrgAttachment(sc scanner) (*store.PolicyAttachment, error) {
	var a store.PolicyAttachment
	if err := sc.Scan(&a.OrganizationID, &a.PolicyID, &a.TargetID); err != nil {
		return nil, err
	}
	return &a, nil
}

func (r organizations) AttachPolicy(ctx context.Context, a *store.PolicyAttachment) error {
	return exec(ctx, r.q, "attach "+a.PolicyID+" to "+a.TargetID,
		`INSERT INTO org_policy_attachments (organization_id, policy_id, target_id) VALUES ($1, $2, $3)`,
		a.OrganizationID, a.PolicyID, a.TargetID)
}

func (r organizations) DetachPolicy(ctx context.Context, a *store.PolicyAttachment) error {
	return execOne(ctx, r.q, "detach "+a.PolicyID+" from "+a.TargetID,
		`DELETE FROM org_policy_attachments WHERE organization_id = $1 AND policy_id = $2 AND target_id = $3`,
		a.OrganizationID, a.PolicyID, a.TargetID)
}

func (r organizations) ListAttachments(ctx context.Context, orgID string) ([]*store.PolicyAttachment, error) {
	return list(ctx, r.q, scanOrgAttachment, "attachments of "+orgID,
		`SELECT organization_id, policy_id, target_id FROM org_policy_attachments WHERE organization_id = $1
		ORDER BY policy_id, target_id`, orgID)
}

const orgSettingCols = `organization_id, kind, name, value, created_at`

func scanOrgSetting(sc scanner) (*store.OrgSetting, error) {
	var s store.OrgSetting
	var created string
	if err := sc.Scan(&s.OrganizationID, &s.Kind, &s.Name, &s.Value, &created); err != nil {
		return nil, err
	}
	var err error
	s.CreatedAt, err = decTime(created)
	return &s, err
}

func (r organizations) PutSetting(ctx context.Context, s *store.OrgSetting) error {
	return exec(ctx, r.q, "put "+s.Kind+" "+s.Name,
		`INSERT INTO org_settings (`+orgSettingCols+`) VALUES ($1, $2, $3, $4, $5)`,
		s.OrganizationID, s.Kind, s.Name, s.Value, encTime(s.CreatedAt))
}

func (r organizations) UpdateSetting(ctx context.Context, s *store.OrgSetting) error {
	return execOne(ctx, r.q, "update "+s.Kind+" "+s.Name,
		`UPDATE org_settings SET value = $1, created_at = $2 WHERE organization_id = $3 AND kind = $4 AND name = $5`,
		s.Value, encTime(s.CreatedAt), s.OrganizationID, s.Kind, s.Name)
}

func (r organizations) DeleteSetting(ctx context.Context, orgID, kind, name string) error {
	return execOne(ctx, r.q, "delete "+kind+" "+name,
		`DELETE FROM org_settings WHERE organization_id = $1 AND kind = $2 AND name = $3`, orgID, kind, name)
}

func (r organizations) ListSettings(ctx context.Context, orgID, kind string) ([]*store.OrgSetting, error) {
	return list(ctx, r.q, scanOrgSetting, kind+" settings of "+orgID,
		`SELECT `+orgSettingCols+` FROM org_settings WHERE organization_id = $1 AND kind = $2 ORDER BY name`, orgID, kind)
}

func (r organizations) PutTags(ctx context.Context, orgID, resourceID string, tags []store.Tag) error {
	if len(tags) == 0 {
		return exec(ctx, r.q, "untag "+resourceID,
			`DELETE FROM org_tags WHERE organization_id = $1 AND resource_id = $2`, orgID, resourceID)
	}
	enc, err := encJSON(tags)
	if err != nil {
		return err
	}
	return exec(ctx, r.q, "tag "+resourceID,
		`INSERT INTO org_tags (organization_id, resource_id, tags) VALUES ($1, $2, $3)
		ON CONFLICT (organization_id, resource_id) DO UPDATE SET tags = excluded.tags`, orgID, resourceID, enc)
}

func (r organizations) Tags(ctx context.Context, orgID, resourceID string) ([]store.Tag, error) {
	var enc string
	err := r.q.QueryRow(ctx, `SELECT tags FROM org_tags WHERE organization_id = $1 AND resource_id = $2`, orgID, resourceID).Scan(&enc)
	if err = r.q.d.Wrap(err, "tags of %s", resourceID); errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return decTags(enc)
}

const handshakeCols = `id, organization_id, action, target_type, target_value, target_account_id, state, notes, requested_at, expires_at`

func scanHandshake(sc scanner) (*store.Handshake, error) {
	var h store.Handshake
	var requested, expires string
	if err := sc.Scan(&h.ID, &h.OrganizationID, &h.Action, &h.TargetType, &h.TargetValue, &h.TargetAccountID,
		&h.State, &h.Notes, &requested, &expires); err != nil {
		return nil, err
	}
	var err error
	if h.RequestedAt, err = decTime(requested); err != nil {
		return nil, err
	}
	h.ExpiresAt, err = decTime(expires)
	return &h, err
}

// PutHandshake may change only a handshake's state once it exists.
func (r organizations) PutHandshake(ctx context.Context, h *store.Handshake) error {
	return exec(ctx, r.q, "put handshake "+h.ID,
		`INSERT INTO org_handshakes (`+handshakeCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state`,
		h.ID, h.OrganizationID, h.Action, h.TargetType, h.TargetValue, h.TargetAccountID, h.State, h.Notes,
		encTime(h.RequestedAt), encTime(h.ExpiresAt))
}

func (r organizations) GetHandshake(ctx context.Context, id string) (*store.Handshake, error) {
	return get(ctx, r.q, scanHandshake, "handshake "+id, `SELECT `+handshakeCols+` FROM org_handshakes WHERE id = $1`, id)
}

func (r organizations) ListHandshakes(ctx context.Context, orgID, accountID string) ([]*store.Handshake, error) {
	if orgID != "" {
		return list(ctx, r.q, scanHandshake, "handshakes of "+orgID,
			`SELECT `+handshakeCols+` FROM org_handshakes WHERE organization_id = $1 ORDER BY id`, orgID)
	}
	return list(ctx, r.q, scanHandshake, "handshakes for "+accountID,
		`SELECT `+handshakeCols+` FROM org_handshakes WHERE target_account_id = $1 ORDER BY id`, accountID)
}

func (r organizations) SetFeatureSet(ctx context.Context, id, featureSet string) error {
	return execOne(ctx, r.q, "set feature set of "+id, `UPDATE organizations SET feature_set = $1 WHERE id = $2`, featureSet, id)
}
