package sqlstore

import (
	"context"

	"github.com/mantle-iam/mantle/internal/store"
)

type policies struct{ *Repos }

const policyCols = `p.id, p.account_id, p.name, p.path, p.description, p.default_version_id, p.next_version,
	p.attachment_count, p.boundary_usage_count, p.tags, p.created_at, p.updated_at`

func scanPolicy(sc scanner) (*store.ManagedPolicy, error) {
	var p store.ManagedPolicy
	var tags, created, updated string
	if err := sc.Scan(&p.ID, &p.AccountID, &p.Name, &p.Path, &p.Description, &p.DefaultVersionID, &p.NextVersion,
		&p.AttachmentCount, &p.PermissionsBoundaryUsageCount, &tags, &created, &updated); err != nil {
		return nil, err
	}
	var err error
	if p.Tags, err = decTags(tags); err != nil {
		return nil, err
	}
	if p.CreatedAt, err = decTime(created); err != nil {
		return nil, err
	}
	if p.UpdatedAt, err = decTime(updated); err != nil {
		return nil, err
	}
	return &p, nil
}

func (r policies) Create(ctx context.Context, p *store.ManagedPolicy, v *store.PolicyVersion) error {
	tags, err := encJSON(p.Tags)
	if err != nil {
		return err
	}
	return r.createCounted(ctx, store.CountPolicies, p.AccountID, p.ID, func(q conn) error {
		if err := exec(ctx, q, "create policy "+p.Name,
			`INSERT INTO policies (id, account_id, name, name_lower, path, description, default_version_id, next_version,
				attachment_count, boundary_usage_count, tags, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			p.ID, p.AccountID, p.Name, lower(p.Name), p.Path, p.Description, p.DefaultVersionID, p.NextVersion,
			p.AttachmentCount, p.PermissionsBoundaryUsageCount, tags, encTime(p.CreatedAt), encTime(p.UpdatedAt)); err != nil {
			return err
		}
		if v == nil {
			return nil
		}
		return insertVersion(ctx, q, p.ID, v)
	})
}

func insertVersion(ctx context.Context, q conn, policyID string, v *store.PolicyVersion) error {
	return exec(ctx, q, "create version "+v.VersionID+" of policy "+policyID,
		`INSERT INTO policy_versions (policy_id, version_id, document, created_at) VALUES ($1, $2, $3, $4)`,
		policyID, v.VersionID, v.Document, encTime(v.CreatedAt))
}

func (r policies) Get(ctx context.Context, accountID, name string) (*store.ManagedPolicy, error) {
	return get(ctx, r.q, scanPolicy, "policy "+name,
		`SELECT `+policyCols+` FROM policies p WHERE p.account_id = $1 AND p.name_lower = $2`, accountID, lower(name))
}

func (r policies) GetByID(ctx context.Context, id string) (*store.ManagedPolicy, error) {
	return get(ctx, r.q, scanPolicy, "policy "+id, `SELECT `+policyCols+` FROM policies p WHERE p.id = $1`, id)
}

func (r policies) Update(ctx context.Context, p *store.ManagedPolicy) error {
	tags, err := encJSON(p.Tags)
	if err != nil {
		return err
	}
	return execOne(ctx, r.q, "update policy "+p.ID,
		`UPDATE policies SET name = $1, name_lower = $2, path = $3, description = $4, default_version_id = $5, next_version = $6,
			attachment_count = $7, boundary_usage_count = $8, tags = $9, created_at = $10, updated_at = $11
		WHERE id = $12`,
		p.Name, lower(p.Name), p.Path, p.Description, p.DefaultVersionID, p.NextVersion,
		p.AttachmentCount, p.PermissionsBoundaryUsageCount, tags, encTime(p.CreatedAt), encTime(p.UpdatedAt), p.ID)
}

// Delete relies on ON DELETE CASCADE for the versions.
func (r policies) Delete(ctx context.Context, id string) error {
	return r.deleteCounted(ctx, "policies", store.CountPolicies, id)
}

func (r policies) List(ctx context.Context, accountID string, opt store.ListOptions) ([]*store.ManagedPolicy, error) {
	prefix := pathPrefix(opt.PathPrefix)
	return list(ctx, r.q, scanPolicy, "policies",
		`SELECT `+policyCols+` FROM policies p
		WHERE p.account_id = $1 AND `+pathCond("p.path", 2, prefix)+` AND p.name_lower > $3
		ORDER BY p.name_lower LIMIT $4`,
		accountID, prefix, opt.After, limitArg(opt.Limit))
}

func (r policies) Count(ctx context.Context, accountID string) (int, error) {
	return countOf(ctx, r.q, store.CountPolicies, accountID)
}

func (r policies) CreateVersion(ctx context.Context, v *store.PolicyVersion) error {
	return insertVersion(ctx, r.q, v.PolicyID, v)
}

func scanVersion(sc scanner) (*store.PolicyVersion, error) {
	var v store.PolicyVersion
	var created string
	if err := sc.Scan(&v.PolicyID, &v.VersionID, &v.Document, &created); err != nil {
		return nil, err
	}
	var err error
	v.CreatedAt, err = decTime(created)
	return &v, err
}

func (r policies) GetVersion(ctx context.Context, policyID, versionID string) (*store.PolicyVersion, error) {
	return get(ctx, r.q, scanVersion, "version "+versionID+" of policy "+policyID,
		`SELECT policy_id, version_id, document, created_at FROM policy_versions WHERE policy_id = $1 AND version_id = $2`,
		policyID, versionID)
}

func (r policies) ListVersions(ctx context.Context, policyID string) ([]*store.PolicyVersion, error) {
	// Version numbers break ties between versions created in the same
	// instant, compared as numbers ("v10" after "v9"): the longer ID is the
	// larger number.
	return list(ctx, r.q, scanVersion, "versions of policy "+policyID,
		`SELECT policy_id, version_id, document, created_at FROM policy_versions WHERE policy_id = $1
		ORDER BY created_at DESC, length(version_id) DESC, version_id DESC`, policyID)
}

func (r policies) DeleteVersion(ctx context.Context, policyID, versionID string) error {
	return execOne(ctx, r.q, "delete version "+versionID+" of policy "+policyID,
		`DELETE FROM policy_versions WHERE policy_id = $1 AND version_id = $2`, policyID, versionID)
}

type attachments struct{ *Repos }

func (r attachments) Attach(ctx context.Context, a store.Attachment) error {
	return exec(ctx, r.q, "attach policy "+a.PolicyID+" to "+a.EntityID,
		`INSERT INTO attachments (entity_type, entity_id, policy_id) VALUES ($1, $2, $3)
		ON CONFLICT (entity_type, entity_id, policy_id) DO NOTHING`,
		string(a.EntityType), a.EntityID, a.PolicyID)
}

func (r attachments) Detach(ctx context.Context, a store.Attachment) error {
	return execOne(ctx, r.q, "detach policy "+a.PolicyID+" from "+a.EntityID,
		`DELETE FROM attachments WHERE entity_type = $1 AND entity_id = $2 AND policy_id = $3`,
		string(a.EntityType), a.EntityID, a.PolicyID)
}

func (r attachments) ListForEntity(ctx context.Context, t store.EntityType, entityID string) ([]*store.ManagedPolicy, error) {
	return list(ctx, r.q, scanPolicy, "policies attached to "+entityID,
		`SELECT `+policyCols+` FROM attachments a JOIN policies p ON p.id = a.policy_id
		WHERE a.entity_type = $1 AND a.entity_id = $2
		ORDER BY p.name_lower, p.account_id`,
		string(t), entityID)
}

func scanAttachment(sc scanner) (*store.Attachment, error) {
	var a store.Attachment
	var t string
	if err := sc.Scan(&a.PolicyID, &t, &a.EntityID); err != nil {
		return nil, err
	}
	a.EntityType = store.EntityType(t)
	return &a, nil
}

func (r attachments) ListForPolicy(ctx context.Context, policyID string) ([]store.Attachment, error) {
	ps, err := list(ctx, r.q, scanAttachment, "attachments of policy "+policyID,
		`SELECT policy_id, entity_type, entity_id FROM attachments WHERE policy_id = $1 ORDER BY entity_type, entity_id`,
		policyID)
	if err != nil {
		return nil, err
	}
	out := make([]store.Attachment, len(ps))
	for i, a := range ps {
		out[i] = *a
	}
	return out, nil
}

type inlinePolicies struct{ *Repos }

func scanInline(sc scanner) (*store.InlinePolicy, error) {
	var p store.InlinePolicy
	var t string
	if err := sc.Scan(&t, &p.EntityID, &p.Name, &p.Document); err != nil {
		return nil, err
	}
	p.EntityType = store.EntityType(t)
	return &p, nil
}

func (r inlinePolicies) Put(ctx context.Context, p *store.InlinePolicy) error {
	// Replacing takes the new spelling of the name too, as IAM does.
	return exec(ctx, r.q, "put inline policy "+p.Name+" of "+p.EntityID,
		`INSERT INTO inline_policies (entity_type, entity_id, name, name_lower, document) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (entity_type, entity_id, name_lower) DO UPDATE SET name = excluded.name, document = excluded.document`,
		string(p.EntityType), p.EntityID, p.Name, lower(p.Name), p.Document)
}

func (r inlinePolicies) Get(ctx context.Context, t store.EntityType, entityID, name string) (*store.InlinePolicy, error) {
	return get(ctx, r.q, scanInline, "inline policy "+name+" of "+entityID,
		`SELECT entity_type, entity_id, name, document FROM inline_policies
		WHERE entity_type = $1 AND entity_id = $2 AND name_lower = $3`,
		string(t), entityID, lower(name))
}

func (r inlinePolicies) Delete(ctx context.Context, t store.EntityType, entityID, name string) error {
	return execOne(ctx, r.q, "delete inline policy "+name+" of "+entityID,
		`DELETE FROM inline_policies WHERE entity_type = $1 AND entity_id = $2 AND name_lower = $3`,
		string(t), entityID, lower(name))
}

func (r inlinePolicies) List(ctx context.Context, t store.EntityType, entityID string) ([]*store.InlinePolicy, error) {
	return list(ctx, r.q, scanInline, "inline policies of "+entityID,
		`SELECT entity_type, entity_id, name, document FROM inline_policies
		WHERE entity_type = $1 AND entity_id = $2 ORDER BY name_lower`,
		string(t), entityID)
}
