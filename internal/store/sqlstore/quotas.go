package sqlstore

import (
	"context"
	"errors"
	"hash/fnv"

	"github.com/mantle-iam/mantle/internal/store"
)

// countShards is how many rows an account's count of one kind is spread
// over (store.Quotas explains why). Sixteen concurrent creators on 64
// shards meet on one in about one create of ten; the cost is a 64-row read
// when a shard runs out of allowance and for Count.
const countShards = 64

func shardOf(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % countShards)
}

// adjustCount moves an account's count of kind by delta, in the shard of
// the entity created or deleted. What existed when counting began
// (migration 0011) is in shard -1, so deleting it takes its own shard below
// zero; only the sum means anything.
func adjustCount(ctx context.Context, q conn, kind store.Counted, accountID, id string, delta int) error {
	return exec(ctx, q, "count "+string(kind)+" of "+accountID,
		`INSERT INTO entity_counts (account_id, kind, shard, used, allowance) VALUES ($1, $2, $3, $4, 0)
		ON CONFLICT (account_id, kind, shard) DO UPDATE SET used = entity_counts.used + excluded.used`,
		accountID, string(kind), shardOf(id), delta)
}

// countOf is the account's count of kind: the sum of its shards.
func countOf(ctx context.Context, q conn, kind store.Counted, accountID string) (int, error) {
	return count(ctx, q, string(kind),
		`SELECT coalesce(sum(used), 0) FROM entity_counts WHERE account_id = $1 AND kind = $2`, accountID, string(kind))
}

// accountOf reads the account of the entity a Delete is about to remove,
// whose count it must lower.
func accountOf(ctx context.Context, q conn, table, id string) (string, error) {
	var acct string
	err := q.QueryRow(ctx, `SELECT account_id FROM `+table+` WHERE id = $1`, id).Scan(&acct)
	return acct, q.d.Wrap(err, "delete %s", id)
}

// deleteCounted deletes the row id of table and lowers its account's count
// of kind, in one transaction.
func (r *Repos) deleteCounted(ctx context.Context, table string, kind store.Counted, id string) error {
	return r.inTx(ctx, func(q conn) error {
		acct, err := accountOf(ctx, q, table, id)
		if err != nil {
			return err
		}
		if err := execOne(ctx, q, "delete "+id, `DELETE FROM `+table+` WHERE id = $1`, id); err != nil {
			return err
		}
		return adjustCount(ctx, q, kind, acct, id, -1)
	})
}

// createCounted runs insert and raises the account's count of kind, in one
// transaction.
func (r *Repos) createCounted(ctx context.Context, kind store.Counted, accountID, id string, insert func(q conn) error) error {
	return r.inTx(ctx, func(q conn) error {
		if err := insert(q); err != nil {
			return err
		}
		return adjustCount(ctx, q, kind, accountID, id, 1)
	})
}

type quotas struct{ *Repos }

func (r *Repos) Quotas() store.Quotas { return quotas{r} }

type quotaValue struct {
	name  string
	value int
}

func (r quotas) Values(ctx context.Context) (map[string]int, error) {
	vs, err := list(ctx, r.q, func(sc scanner) (*quotaValue, error) {
		var v quotaValue
		return &v, sc.Scan(&v.name, &v.value)
	}, "quotas", `SELECT name, value FROM quotas ORDER BY name`)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(vs))
	for _, v := range vs {
		out[v.name] = v.value
	}
	return out, nil
}

func (r quotas) Set(ctx context.Context, qr store.QuotaRef, value int) error {
	return r.inTx(ctx, func(q conn) error {
		if value < 0 {
			if err := exec(ctx, q, "forget quota "+qr.Name, `DELETE FROM quotas WHERE name = $1`, qr.Name); err != nil {
				return err
			}
		} else if err := exec(ctx, q, "set quota "+qr.Name,
			`INSERT INTO quotas (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value`,
			qr.Name, value); err != nil {
			return err
		}
		return exec(ctx, q, "withdraw allowances of "+string(qr.Kind),
			`UPDATE entity_counts SET allowance = used WHERE kind = $1 AND allowance > used`, string(qr.Kind))
	})
}

// limitOf is the quota in force: the operator's value, or the default.
func limitOf(ctx context.Context, q conn, qr store.QuotaRef) (int, error) {
	var v int
	err := q.QueryRow(ctx, `SELECT value FROM quotas WHERE name = $1`, qr.Name).Scan(&v)
	if err != nil {
		if errors.Is(q.d.Classify(err), store.ErrNotFound) {
			return qr.Default, nil
		}
		return 0, q.d.Wrap(err, "read quota %s", qr.Name)
	}
	return v, nil
}

type shardRow struct {
	shard, used, allowance int
}

func (r quotas) Reserve(ctx context.Context, qr store.QuotaRef, accountID, entityID string) (ok bool, limit int, err error) {
	kind, s := string(qr.Kind), shardOf(entityID)
	err = r.inTx(ctx, func(q conn) error {
		ok, limit = false, 0
		// The shard's row is probed with an upsert rather than read: in
		// PostgreSQL a serializable read of a small table scans it whole
		// and conflicts with every concurrent writer of it, while the
		// upsert goes through the key's index. It changes nothing, and
		// returns no row when the shard is out of allowance; a row it
		// had to insert (used and allowance 0) says so too.
		var used, allowance int
		err := q.QueryRow(ctx, `INSERT INTO entity_counts (account_id, kind, shard, used, allowance) VALUES ($1, $2, $3, 0, 0)
			ON CONFLICT (account_id, kind, shard) DO UPDATE SET used = entity_counts.used
			WHERE entity_counts.used < entity_counts.allowance
			RETURNING used, allowance`, accountID, kind, s).Scan(&used, &allowance)
		switch {
		case err == nil && used < allowance:
			ok = true
			return nil
		case err != nil && !errors.Is(q.d.Classify(err), store.ErrNotFound):
			return q.d.Wrap(err, "reserve %s", kind)
		}
		// The shard is out of allowance: only now is the quota read, and
		// every shard of the account.
		if limit, err = limitOf(ctx, q, qr); err != nil {
			return err
		}
		rows, err := list(ctx, q, func(sc scanner) (*shardRow, error) {
			var x shardRow
			return &x, sc.Scan(&x.shard, &x.used, &x.allowance)
		}, "shards of "+kind, `SELECT shard, used, allowance FROM entity_counts WHERE account_id = $1 AND kind = $2`, accountID, kind)
		if err != nil {
			return err
		}
		total, others, mine := 0, 0, 0
		othersIfReclaimed := 0
		for _, x := range rows {
			total += x.used
			if x.shard == s {
				mine = x.used
				continue
			}
			others += x.allowance
			othersIfReclaimed += min(x.allowance, x.used)
		}
		if total >= limit {
			return nil
		}
		avail := limit - others - mine
		if avail < 1 {
			// Take back what the other shards hold unused. Afterwards each
			// holds at most its count, so avail >= limit - total >= 1.
			if err := exec(ctx, q, "withdraw allowances of "+kind,
				`UPDATE entity_counts SET allowance = used WHERE account_id = $1 AND kind = $2 AND allowance > used`,
				accountID, kind); err != nil {
				return err
			}
			avail = limit - othersIfReclaimed - mine
		}
		// Hand out a share of what is free, smaller as the quota fills, so
		// the last entities go to whichever shard asks.
		grant := max(1, min((limit-total)/(2*countShards), avail))
		if err := exec(ctx, q, "grant allowance of "+kind,
			`INSERT INTO entity_counts (account_id, kind, shard, used, allowance) VALUES ($1, $2, $3, 0, $4)
			ON CONFLICT (account_id, kind, shard) DO UPDATE SET allowance = entity_counts.used + $4`,
			accountID, kind, s, grant); err != nil {
			return err
		}
		ok = true
		return nil
	})
	return ok, limit, err
}
