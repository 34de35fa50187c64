package sqlstore

import (
	"context"
	"fmt"

	"github.com/mantle-iam/mantle/internal/store"
)

type policyUsage struct{ *Repos }

func (r *Repos) PolicyUsage() store.PolicyUsage { return policyUsage{r} }

func scanPolicyEntity(sc scanner) (*store.PolicyEntity, error) {
	var e store.PolicyEntity
	var t string
	if err := sc.Scan(&t, &e.ID, &e.Name, &e.Path); err != nil {
		return nil, err
	}
	e.Type = store.EntityType(t)
	return &e, nil
}

// Attachments are read kind by kind in the order of the (policy_id,
// entity_type, entity_id) index, from the page's cursor on, each joined to
// its entity by primary key (CROSS JOIN: SQLite keeps that order; it is an
// inner join to PostgreSQL). Entities of other accounts (AWS managed
// policies are attached across accounts) are skipped, so a page reads
// them too.
const attachedEntities = `SELECT a.entity_type, a.entity_id, e.name, e.path
	FROM attachments a CROSS JOIN %[1]s e
	WHERE a.policy_id = $1 AND a.entity_type = $2 AND a.entity_id > $3 AND e.id = a.entity_id AND e.account_id = $4
		AND %[2]s
	ORDER BY a.entity_id LIMIT $6`

// Boundaries are read through the (account_id, permissions_boundary, id)
// indexes of users and roles (groups have none), roles first. $5 is the
// policy whose attachments are left out (” for none).
const boundaryEntities = `SELECT '%[1]s', id, name, path FROM %[2]s
	WHERE account_id = $1 AND permissions_boundary = $2 AND id > $3
		AND %[3]s
		AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.entity_type = '%[1]s' AND a.entity_id = %[2]s.id AND a.policy_id = $5)
	ORDER BY id LIMIT $6`

func (r policyUsage) Entities(ctx context.Context, opt store.PolicyEntityOptions) ([]store.PolicyEntity, error) {
	var es []*store.PolicyEntity
	prefix := pathPrefix(opt.PathPrefix)
	kinds := []struct {
		t     store.EntityType
		table string
	}{{store.EntityGroup, "groups"}, {store.EntityRole, "roles"}, {store.EntityUser, "users"}}
	skip := ""
	if opt.SkipAttached {
		skip = opt.PolicyID
	}
	for _, k := range kinds {
		if (opt.Type != "" && opt.Type != k.t) || opt.After.Type > k.t || (opt.Limit > 0 && len(es) >= opt.Limit) ||
			(opt.Boundary && k.t == store.EntityGroup) {
			continue
		}
		after := ""
		if opt.After.Type == k.t {
			after = opt.After.ID
		}
		limit := limitArg(0)
		if opt.Limit > 0 {
			limit = limitArg(opt.Limit - len(es))
		}
		var more []*store.PolicyEntity
		var err error
		if opt.Boundary {
			more, err = list(ctx, r.q, scanPolicyEntity, "entities with boundary "+opt.PolicyARN,
				fmt.Sprintf(boundaryEntities, k.t, k.table, pathCond("path", 4, prefix)),
				opt.AccountID, opt.PolicyARN, after, prefix, skip, limit)
		} else {
			more, err = list(ctx, r.q, scanPolicyEntity, "entities attached to "+opt.PolicyID,
				fmt.Sprintf(attachedEntities, k.table, pathCond("e.path", 5, prefix)),
				opt.PolicyID, string(k.t), after, opt.AccountID, prefix, limit)
		}
		if err != nil {
			return nil, err
		}
		es = append(es, more...)
	}
	out := make([]store.PolicyEntity, len(es))
	for i, e := range es {
		out[i] = *e
	}
	return out, nil
}
