package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

// Appended events live in packs (migration 0003): one blob per account per
// Append, and a key row per distinct attribute value in it. Measured on the
// in-process AssumeRole benchmark, a row per event with its indexes and
// resource rows cost the background writer about 15 µs of CPU per event,
// more than the request it records; a pack costs a copy of the record and
// a couple of key rows.

// Append stores evs as one pack per account.
func (r events) Append(ctx context.Context, evs ...*store.Event) error {
	if len(evs) == 0 {
		return nil
	}
	byAccount := map[string][]*store.Event{}
	var accounts []string
	for _, e := range evs {
		if _, ok := byAccount[e.AccountID]; !ok {
			accounts = append(accounts, e.AccountID)
		}
		byAccount[e.AccountID] = append(byAccount[e.AccountID], e)
	}
	return r.atomic(ctx, func(q querier) error {
		for _, acct := range accounts {
			if err := insertPack(ctx, q, acct, byAccount[acct]); err != nil {
				return wrap(err, "append events")
			}
		}
		return nil
	})
}

func insertPack(ctx context.Context, q querier, account string, evs []*store.Event) error {
	minT, maxT := evs[0].Time, evs[0].Time
	for _, e := range evs[1:] {
		if e.Time.Before(minT) {
			minT = e.Time
		}
		if e.Time.After(maxT) {
			maxT = e.Time
		}
	}
	res, err := q.ExecContext(ctx, `INSERT INTO event_packs (account_id, min_time, max_time, n, events) VALUES (?, ?, ?, ?, ?)`,
		account, encTime(minT), encTime(maxT), len(evs), encodePack(evs))
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	return insertPackKeys(ctx, q, account, id, packKeys(evs))
}

type packKey struct{ attr, value string }

// packKeys are the distinct lookup attribute values of evs.
func packKeys(evs []*store.Event) []packKey {
	seen := map[packKey]struct{}{}
	var keys []packKey
	add := func(attr store.EventAttribute, v string) {
		if v == "" {
			return
		}
		k := packKey{string(attr), v}
		if _, ok := seen[k]; !ok {
			seen[k] = struct{}{}
			keys = append(keys, k)
		}
	}
	for _, e := range evs {
		add(store.EventByID, e.ID)
		add(store.EventByAccessKeyID, e.AccessKeyID)
		add(store.EventByName, e.Name)
		add(store.EventBySource, e.Source)
		add(store.EventByUsername, e.Username)
		add(store.EventByReadOnly, readOnlyValue(e.ReadOnly))
		for _, res := range e.Resources {
			add(store.EventByResourceName, res.Name)
			add(store.EventByResourceType, res.Type)
		}
	}
	return keys
}

func readOnlyValue(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// insertPackKeys writes the keys a few hundred rows per statement: one
// statement per key would cost more than the pack.
func insertPackKeys(ctx context.Context, q querier, account string, pack int64, keys []packKey) error {
	const perStatement = 200
	for len(keys) > 0 {
		n := min(len(keys), perStatement)
		var b strings.Builder
		b.WriteString(`INSERT OR IGNORE INTO event_pack_keys (attr, value, account_id, pack_id) VALUES `)
		args := make([]any, 0, 4*n)
		for i, k := range keys[:n] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?, ?, ?, ?)")
			args = append(args, k.attr, k.value, account, pack)
		}
		if _, err := q.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// A pack is its events one after the other, each: ID, time (Unix
// nanoseconds, varint), name, source, access key ID, username, read-only
// (one byte), the resource count and each resource's type and name, and
// the record; strings and the record are uvarint-length-prefixed.
func encodePack(evs []*store.Event) []byte {
	size := 0
	for _, e := range evs {
		size += 64 + len(e.ID) + len(e.Name) + len(e.Source) + len(e.AccessKeyID) + len(e.Username) + len(e.Record)
		for _, r := range e.Resources {
			size += 8 + len(r.Type) + len(r.Name)
		}
	}
	b := make([]byte, 0, size)
	str := func(s string) { b = append(binary.AppendUvarint(b, uint64(len(s))), s...) }
	for _, e := range evs {
		str(e.ID)
		b = binary.AppendVarint(b, e.Time.UnixNano())
		str(e.Name)
		str(e.Source)
		str(e.AccessKeyID)
		str(e.Username)
		if e.ReadOnly {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		b = binary.AppendUvarint(b, uint64(len(e.Resources)))
		for _, r := range e.Resources {
			str(r.Type)
			str(r.Name)
		}
		b = append(binary.AppendUvarint(b, uint64(len(e.Record))), e.Record...)
	}
	return b
}

var errBadPack = errors.New("sqlite: corrupt event pack")

func decodePack(account string, b []byte) ([]*store.Event, error) {
	var evs []*store.Event
	bytesField := func() ([]byte, error) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, errBadPack
		}
		v := b[k : k+int(n)]
		b = b[k+int(n):]
		return v, nil
	}
	str := func(dst *string) error {
		v, err := bytesField()
		*dst = string(v)
		return err
	}
	for len(b) > 0 {
		e := &store.Event{AccountID: account}
		if err := str(&e.ID); err != nil {
			return nil, err
		}
		ns, k := binary.Varint(b)
		if k <= 0 {
			return nil, errBadPack
		}
		b = b[k:]
		e.Time = time.Unix(0, ns).UTC()
		for _, dst := range []*string{&e.Name, &e.Source, &e.AccessKeyID, &e.Username} {
			if err := str(dst); err != nil {
				return nil, err
			}
		}
		if len(b) == 0 {
			return nil, errBadPack
		}
		e.ReadOnly, b = b[0] == 1, b[1:]
		nres, k := binary.Uvarint(b)
		if k <= 0 || nres > uint64(len(b)) {
			return nil, errBadPack
		}
		b = b[k:]
		for range nres {
			var res store.EventResource
			if err := str(&res.Type); err != nil {
				return nil, err
			}
			if err := str(&res.Name); err != nil {
				return nil, err
			}
			e.Resources = append(e.Resources, res)
		}
		rec, err := bytesField()
		if err != nil {
			return nil, err
		}
		e.Record = slices.Clone(rec)
		evs = append(evs, e)
	}
	return evs, nil
}

// matches reports whether e has the attribute value q asks for.
func matches(e *store.Event, q *store.EventQuery) bool {
	switch q.Attribute {
	case "":
		return true
	case store.EventByAccessKeyID:
		return e.AccessKeyID == q.Value
	case store.EventByID:
		return e.ID == q.Value
	case store.EventByName:
		return e.Name == q.Value
	case store.EventBySource:
		return e.Source == q.Value
	case store.EventByUsername:
		return e.Username == q.Value
	case store.EventByReadOnly:
		return e.ReadOnly == (q.Value == "true")
	case store.EventByResourceName:
		return slices.ContainsFunc(e.Resources, func(r store.EventResource) bool { return r.Name == q.Value })
	case store.EventByResourceType:
		return slices.ContainsFunc(e.Resources, func(r store.EventResource) bool { return r.Type == q.Value })
	}
	return false
}

// inWindow reports whether e is within q's time bounds and after its cursor.
func inWindow(e *store.Event, q *store.EventQuery) bool {
	if !q.Start.IsZero() && e.Time.Before(q.Start) || !q.End.IsZero() && e.Time.After(q.End) {
		return false
	}
	return q.After == nil || newerFirst(q.After.Time, q.After.ID, e.Time, e.ID)
}

// newerFirst reports whether (t1, id1) comes before (t2, id2) in lookup
// order: newest first, ties by ID descending.
func newerFirst(t1 time.Time, id1 string, t2 time.Time, id2 string) bool {
	if !t1.Equal(t2) {
		return t1.After(t2)
	}
	return id1 > id2
}

func sortEvents(evs []*store.Event) {
	slices.SortFunc(evs, func(a, b *store.Event) int {
		switch {
		case newerFirst(a.Time, a.ID, b.Time, b.ID):
			return -1
		case newerFirst(b.Time, b.ID, a.Time, a.ID):
			return 1
		}
		return 0
	})
}

// packRef is a candidate pack of a lookup.
type packRef struct {
	id      int64
	maxTime string
}

// lookupPacks adds to found the packed events q selects, reading packs
// newest first and stopping once no further pack can hold an event that
// belongs in the first q.Limit of found.
func (r events) lookupPacks(ctx context.Context, q *store.EventQuery, found []*store.Event) ([]*store.Event, error) {
	start, end := "", "9"
	if !q.Start.IsZero() {
		start = encTime(q.Start)
	}
	if !q.End.IsZero() {
		end = encTime(q.End)
	}
	if q.After != nil {
		end = min(end, encTime(q.After.Time))
	}
	value := q.Value
	if q.Attribute == store.EventByReadOnly {
		value = readOnlyValue(q.Value == "true")
	}
	const chunk = 64
	lastMax, lastID := "9", int64(1<<62)
	for {
		var rows *sql.Rows
		var err error
		if q.Attribute == "" {
			rows, err = r.q.QueryContext(ctx, `SELECT id, max_time FROM event_packs
				WHERE account_id = ? AND max_time >= ? AND min_time <= ?
				AND (max_time < ? OR (max_time = ? AND id < ?))
				ORDER BY max_time DESC, id DESC LIMIT ?`, q.AccountID, start, end, lastMax, lastMax, lastID, chunk)
		} else {
			rows, err = r.q.QueryContext(ctx, `SELECT p.id, p.max_time FROM event_pack_keys k JOIN event_packs p ON p.id = k.pack_id
				WHERE k.attr = ? AND k.value = ? AND k.account_id = ? AND p.max_time >= ? AND p.min_time <= ?
				AND (p.max_time < ? OR (p.max_time = ? AND p.id < ?))
				ORDER BY p.max_time DESC, p.id DESC LIMIT ?`, string(q.Attribute), value, q.AccountID, start, end, lastMax, lastMax, lastID, chunk)
		}
		if err != nil {
			return nil, wrap(err, "lookup event packs")
		}
		var refs []packRef
		for rows.Next() {
			var p packRef
			if err := rows.Scan(&p.id, &p.maxTime); err != nil {
				rows.Close()
				return nil, wrap(err, "lookup event packs")
			}
			refs = append(refs, p)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, wrap(err, "lookup event packs")
		}
		for _, p := range refs {
			if q.Limit > 0 && len(found) >= q.Limit {
				sortEvents(found)
				found = found[:q.Limit]
				if kth := encTime(found[q.Limit-1].Time); kth > p.maxTime {
					return found, nil
				}
			}
			evs, err := r.pack(ctx, q.AccountID, p.id)
			if err != nil {
				return nil, err
			}
			for _, e := range evs {
				if matches(e, q) && inWindow(e, q) {
					found = append(found, e)
				}
			}
		}
		if len(refs) < chunk {
			return found, nil
		}
		lastMax, lastID = refs[len(refs)-1].maxTime, refs[len(refs)-1].id
	}
}

func (r events) pack(ctx context.Context, account string, id int64) ([]*store.Event, error) {
	var blob []byte
	if err := r.q.QueryRowContext(ctx, `SELECT events FROM event_packs WHERE id = ?`, id).Scan(&blob); err != nil {
		return nil, wrap(err, "event pack %d", id)
	}
	evs, err := decodePack(account, blob)
	if err != nil {
		return nil, fmt.Errorf("event pack %d: %w", id, err)
	}
	return evs, nil
}

// getPacked finds an appended event by ID.
func (r events) getPacked(ctx context.Context, id string) (*store.Event, error) {
	rows, err := r.q.QueryContext(ctx, `SELECT p.id, p.account_id FROM event_pack_keys k JOIN event_packs p ON p.id = k.pack_id
		WHERE k.attr = ? AND k.value = ?`, string(store.EventByID), id)
	if err != nil {
		return nil, wrap(err, "event %s", id)
	}
	type ref struct {
		id      int64
		account string
	}
	var refs []ref
	for rows.Next() {
		var p ref
		if err := rows.Scan(&p.id, &p.account); err != nil {
			rows.Close()
			return nil, wrap(err, "event %s", id)
		}
		refs = append(refs, p)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, wrap(err, "event %s", id)
	}
	for _, p := range refs {
		evs, err := r.pack(ctx, p.account, p.id)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if e.ID == id {
				return e, nil
			}
		}
	}
	return nil, fmt.Errorf("event %s: %w", id, store.ErrNotFound)
}

// deletePacksBefore removes the packed events older than t: whole packs,
// and the old part of a pack that straddles t (its stale keys only cost a
// lookup a pack read, and go with the pack).
func (r events) deletePacksBefore(ctx context.Context, t time.Time) (int, error) {
	cut := encTime(t)
	var n int
	err := r.atomic(ctx, func(q querier) error {
		if err := q.QueryRowContext(ctx, `SELECT coalesce(sum(n), 0) FROM event_packs WHERE max_time < ?`, cut).Scan(&n); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM event_pack_keys WHERE pack_id IN (SELECT id FROM event_packs WHERE max_time < ?)`, cut); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM event_packs WHERE max_time < ?`, cut); err != nil {
			return err
		}
		rows, err := q.QueryContext(ctx, `SELECT id, account_id, events FROM event_packs WHERE min_time < ?`, cut)
		if err != nil {
			return err
		}
		type straddler struct {
			id   int64
			had  int
			keep []*store.Event
		}
		var rewrite []straddler
		for rows.Next() {
			var id int64
			var account string
			var blob []byte
			if err := rows.Scan(&id, &account, &blob); err != nil {
				rows.Close()
				return err
			}
			evs, err := decodePack(account, blob)
			if err != nil {
				rows.Close()
				return fmt.Errorf("event pack %d: %w", id, err)
			}
			had := len(evs)
			keep := slices.DeleteFunc(evs, func(e *store.Event) bool { return e.Time.Before(t) })
			rewrite = append(rewrite, straddler{id, had, keep})
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
		for _, s := range rewrite {
			minT := s.keep[0].Time
			for _, e := range s.keep {
				if e.Time.Before(minT) {
					minT = e.Time
				}
			}
			if _, err := q.ExecContext(ctx, `UPDATE event_packs SET min_time = ?, n = ?, events = ? WHERE id = ?`,
				encTime(minT), len(s.keep), encodePack(s.keep), s.id); err != nil {
				return err
			}
			n += s.had - len(s.keep)
		}
		return nil
	})
	return n, wrap(err, "delete event packs")
}
