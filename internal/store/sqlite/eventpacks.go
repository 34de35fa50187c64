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
// a couple of key rows. Since migration 0010 packs are compressed and leave
// out the key rows of values unique to an event (packformat.go).

// Append stores evs as one pack per account. A pack of fewer than
// compactAt events is written without key rows: its commit then writes
// the pack and two index pages, where the key rows of a handful of events
// (access key, user, name, resources…) dirty a page each, and the WAL
// writes every dirty page at every commit. The store merges such packs
// (compact) into keyed ones of up to mergeMax events, which also
// compress better.
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
			evs := byAccount[acct]
			if err := insertPack(ctx, q, acct, evs, len(evs) >= compactAt); err != nil {
				return wrap(err, "append events")
			}
		}
		return nil
	})
}

// packSpread bounds the time between a pack's oldest and newest events,
// so the packs that may hold an event of a given millisecond are found
// within a bounded range of the time index (a lookup by event ID). A batch
// spans less than a second unless a slow call's event joins it.
const packSpread = 2 * time.Second

// insertPack writes evs as packs of at most packSpread each, with their
// key rows when keyed.
func insertPack(ctx context.Context, q querier, account string, evs []*store.Event, keyed bool) error {
	slices.SortStableFunc(evs, func(a, b *store.Event) int { return a.Time.Compare(b.Time) })
	for len(evs) > 0 {
		n := 1
		for n < len(evs) && evs[n].Time.Sub(evs[0].Time) <= packSpread {
			n++
		}
		if err := insertOnePack(ctx, q, account, evs[:n], keyed); err != nil {
			return err
		}
		evs = evs[n:]
	}
	return nil
}

// insertOnePack writes evs, sorted by time, as one pack.
func insertOnePack(ctx context.Context, q querier, account string, evs []*store.Event, keyed bool) error {
	keys, bloom := packKeys(evs)
	format := packFormat
	if !keyed {
		format = rawPackFormat
	}
	blob := getScratch()
	*blob = encodePack1(*blob, evs, !keyed)
	res, err := q.ExecContext(ctx, `INSERT INTO event_packs (account_id, min_time, max_time, n, format, keyed, bloom, events) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		account, encTime(evs[0].Time), encTime(evs[len(evs)-1].Time), len(evs), format, keyed, makeBloom(bloom), *blob)
	putScratch(blob) // the driver copied it
	if err != nil || !keyed {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	return insertPackKeys(ctx, q, account, id, keys)
}

type packKey struct{ attr, value string }

// packKeys are the distinct lookup attribute values of evs, but for the
// event IDs that carry their event's time (found by time), and the
// temporary access keys named as resources, returned apart for the pack's
// Bloom filter.
func packKeys(evs []*store.Event) (keys []packKey, bloom []string) {
	seen := map[packKey]struct{}{}
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
		if !timedID(e) {
			add(store.EventByID, e.ID)
		}
		add(store.EventByAccessKeyID, e.AccessKeyID)
		add(store.EventByName, e.Name)
		add(store.EventBySource, e.Source)
		add(store.EventByUsername, e.Username)
		add(store.EventByReadOnly, readOnlyValue(e.ReadOnly))
		for _, res := range e.Resources {
			if bloomed(res) {
				bloom = append(bloom, res.Name)
			} else {
				add(store.EventByResourceName, res.Name)
			}
			add(store.EventByResourceType, res.Type)
		}
	}
	return keys, bloom
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

// A format 0 pack is its events one after the other, each: ID, time
// (Unix nanoseconds, varint), name, source, access key ID, username,
// read-only (one byte), the resource count and each resource's type and
// name, and the record; strings and the record are uvarint-length-prefixed.
// mantle no longer writes them (packformat.go) but reads those it wrote.
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
	format  int
	bloom   []byte
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
	keep := func(e *store.Event) bool { return matches(e, q) && inWindow(e, q) }
	// A temporary key named as a resource has no key rows: every pack is a
	// candidate, and its Bloom filter says whether to read it.
	bloomScan := q.Attribute == store.EventByResourceName && bloomed(store.EventResource{Type: "AWS::IAM::AccessKey", Name: q.Value})
	var read map[int64]bool // the packs read, when a second pass may meet them
	if q.Attribute == store.EventByID {
		read = map[int64]bool{}
	}
	seen := map[string]bool{} // event IDs found: a pack merged meanwhile is met twice
	for _, e := range found {
		seen[e.ID] = true
	}
	add := func(evs []*store.Event) {
		for _, e := range evs {
			if !seen[e.ID] {
				seen[e.ID] = true
				found = append(found, e)
			}
		}
	}
	if q.Attribute != "" && !bloomScan {
		// The packs not merged yet have no key rows: read them all (they
		// are the last few seconds' small batches).
		rows, err := r.q.QueryContext(ctx, `SELECT id, max_time, format, NULL FROM event_packs
			WHERE keyed = 0 AND account_id = ? AND max_time >= ? AND min_time <= ?`, q.AccountID, start, end)
		if err != nil {
			return nil, wrap(err, "lookup event packs")
		}
		refs, err := scanRefs(rows)
		if err != nil {
			return nil, wrap(err, "lookup event packs")
		}
		for _, p := range refs {
			evs, err := r.pack(ctx, q.AccountID, p.id, keep)
			if err != nil {
				return nil, err
			}
			add(evs)
			if read != nil {
				read[p.id] = true
			}
		}
	}
	const chunk = 64
	lastMax, lastID := "9", int64(1<<62)
	for {
		var rows *sql.Rows
		var err error
		if q.Attribute == "" || bloomScan {
			rows, err = r.q.QueryContext(ctx, `SELECT id, max_time, format, bloom FROM event_packs
				WHERE account_id = ? AND max_time >= ? AND min_time <= ?
				AND (max_time < ? OR (max_time = ? AND id < ?))
				ORDER BY max_time DESC, id DESC LIMIT ?`, q.AccountID, start, end, lastMax, lastMax, lastID, chunk)
		} else {
			rows, err = r.q.QueryContext(ctx, `SELECT p.id, p.max_time, p.format, NULL FROM event_pack_keys k JOIN event_packs p ON p.id = k.pack_id
				WHERE k.attr = ? AND k.value = ? AND k.account_id = ? AND p.max_time >= ? AND p.min_time <= ?
				AND (p.max_time < ? OR (p.max_time = ? AND p.id < ?))
				ORDER BY p.max_time DESC, p.id DESC LIMIT ?`, string(q.Attribute), value, q.AccountID, start, end, lastMax, lastMax, lastID, chunk)
		}
		if err != nil {
			return nil, wrap(err, "lookup event packs")
		}
		refs, err := scanRefs(rows)
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
			if bloomScan && p.format != 0 && !mayHold(p.bloom, q.Value) {
				continue
			}
			evs, err := r.pack(ctx, q.AccountID, p.id, keep)
			if err != nil {
				return nil, err
			}
			add(evs)
			if read != nil {
				read[p.id] = true
			}
		}
		if len(refs) < chunk {
			break
		}
		lastMax, lastID = refs[len(refs)-1].maxTime, refs[len(refs)-1].id
	}
	if read != nil {
		// IDs that carry their event's time have no key rows: their pack
		// is one of that millisecond's.
		ids, err := r.packsAt(ctx, q.AccountID, q.Value)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if read[id] {
				continue
			}
			evs, err := r.pack(ctx, q.AccountID, id, keep)
			if err != nil {
				return nil, err
			}
			add(evs)
		}
	}
	return found, nil
}

func scanRefs(rows *sql.Rows) ([]packRef, error) {
	defer rows.Close()
	var refs []packRef
	for rows.Next() {
		var p packRef
		if err := rows.Scan(&p.id, &p.maxTime, &p.format, &p.bloom); err != nil {
			return nil, err
		}
		refs = append(refs, p)
	}
	return refs, rows.Err()
}

// packsAt returns the packs (of account, or of any account when it is "")
// that may hold the event whose ID is id, by the time a version 7 UUID
// carries: none for any other ID.
func (r events) packsAt(ctx context.Context, account, id string) ([]int64, error) {
	t, ok := idTime(id)
	if !ok {
		return nil, nil
	}
	lo, hi, top := encTime(t), encTime(t.Add(time.Millisecond-1)), encTime(t.Add(time.Millisecond+packSpread))
	var rows *sql.Rows
	var err error
	if account != "" {
		rows, err = r.q.QueryContext(ctx, `SELECT id FROM event_packs
			WHERE account_id = ? AND max_time >= ? AND max_time <= ? AND min_time <= ?`, account, lo, top, hi)
	} else {
		// Get, which knows no account: not on any request path.
		rows, err = r.q.QueryContext(ctx, `SELECT id FROM event_packs
			WHERE max_time >= ? AND max_time <= ? AND min_time <= ?`, lo, top, hi)
	}
	if err != nil {
		return nil, wrap(err, "event %s", id)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var pid int64
		if err := rows.Scan(&pid); err != nil {
			return nil, wrap(err, "event %s", id)
		}
		ids = append(ids, pid)
	}
	return ids, wrap(rows.Err(), "event %s", id)
}

// pack returns the events of pack id that keep accepts (all when keep is
// nil).
func (r events) pack(ctx context.Context, account string, id int64, keep func(*store.Event) bool) ([]*store.Event, error) {
	var blob []byte
	var format int
	err := r.q.QueryRowContext(ctx, `SELECT format, events FROM event_packs WHERE id = ?`, id).Scan(&format, &blob)
	if errors.Is(err, sql.ErrNoRows) {
		// Merged or pruned since it was listed: a lookup reads the
		// unmerged packs before the keyed ones, so it meets a merged
		// pack's events there.
		return nil, nil
	}
	if err != nil {
		return nil, wrap(err, "event pack %d", id)
	}
	evs, err := decodeAny(account, format, blob, keep)
	if err != nil {
		return nil, fmt.Errorf("event pack %d: %w", id, err)
	}
	return evs, nil
}

// decodeAny decodes a pack of either format.
func decodeAny(account string, format int, blob []byte, keep func(*store.Event) bool) ([]*store.Event, error) {
	switch format {
	case 0:
		evs, err := decodePack(account, blob)
		if err != nil || keep == nil {
			return evs, err
		}
		return slices.DeleteFunc(evs, func(e *store.Event) bool { return !keep(e) }), nil
	case packFormat, rawPackFormat:
		return decodePack1(account, blob, format == rawPackFormat, keep)
	}
	return nil, fmt.Errorf("%w: format %d", errBadPack, format)
}

// getPacked finds an appended event by ID.
func (r events) getPacked(ctx context.Context, id string) (*store.Event, error) {
	type ref struct {
		id      int64
		account string
	}
	var refs []ref
	keyed, err := r.q.QueryContext(ctx, `SELECT p.id, p.account_id FROM event_pack_keys k JOIN event_packs p ON p.id = k.pack_id
		WHERE k.attr = ? AND k.value = ?
		UNION ALL SELECT id, account_id FROM event_packs WHERE keyed = 0`, string(store.EventByID), id)
	if err != nil {
		return nil, wrap(err, "event %s", id)
	}
	for keyed.Next() {
		var p ref
		if err := keyed.Scan(&p.id, &p.account); err != nil {
			keyed.Close()
			return nil, wrap(err, "event %s", id)
		}
		refs = append(refs, p)
	}
	err = keyed.Err()
	keyed.Close()
	if err != nil {
		return nil, wrap(err, "event %s", id)
	}
	timed, err := r.packsAt(ctx, "", id)
	if err != nil {
		return nil, err
	}
	for _, pid := range timed {
		var account string
		if err := r.q.QueryRowContext(ctx, `SELECT account_id FROM event_packs WHERE id = ?`, pid).Scan(&account); err != nil {
			return nil, wrap(err, "event %s", id)
		}
		refs = append(refs, ref{pid, account})
	}
	for _, p := range refs {
		evs, err := r.pack(ctx, p.account, p.id, func(e *store.Event) bool { return e.ID == id })
		if err != nil {
			return nil, err
		}
		if len(evs) > 0 {
			return evs[0], nil
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
		// The packs holding events on both sides of t. Pruning runs
		// hourly: it scans the packs rather than have every commit
		// maintain one more index.
		rows, err := q.QueryContext(ctx, `SELECT id, account_id, format, events FROM event_packs
			WHERE max_time >= ? AND min_time < ?`, cut, cut)
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
			var format int
			var blob []byte
			if err := rows.Scan(&id, &account, &format, &blob); err != nil {
				rows.Close()
				return err
			}
			evs, err := decodeAny(account, format, blob, nil)
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
			slices.SortStableFunc(s.keep, func(a, b *store.Event) int { return a.Time.Compare(b.Time) })
			_, bloom := packKeys(s.keep)
			if _, err := q.ExecContext(ctx, `UPDATE event_packs SET min_time = ?, n = ?, format = ?, bloom = ?, events = ? WHERE id = ?`,
				encTime(s.keep[0].Time), len(s.keep), packFormat, makeBloom(bloom), encodePack1(nil, s.keep, false), s.id); err != nil {
				return err
			}
			n += s.had - len(s.keep)
		}
		return nil
	})
	return n, wrap(err, "delete event packs")
}

// Merging unkeyed packs (compact): an account's are merged once they hold
// compactAt events or the oldest is compactAge old, mergeMax events to a
// transaction so the single writer is not held long (a durable call waits
// behind it).
const (
	compactAt    = 256
	mergeMax     = 1024
	compactAge   = 5 * time.Second
	compactEvery = 250 * time.Millisecond
)

// compact merges the unkeyed packs that are due; now is the clock.
func (s *Store) compact(ctx context.Context, now time.Time) error {
	rows, err := s.read.QueryContext(ctx, `SELECT account_id, sum(n), min(max_time) FROM event_packs WHERE keyed = 0 GROUP BY account_id`)
	if err != nil {
		return wrap(err, "compact events")
	}
	type due struct {
		account string
		n       int
		oldest  string
	}
	var dues []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.account, &d.n, &d.oldest); err != nil {
			rows.Close()
			return wrap(err, "compact events")
		}
		dues = append(dues, d)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return wrap(err, "compact events")
	}
	aged := encTime(now.Add(-compactAge))
	for _, d := range dues {
		for d.n >= compactAt || d.n > 0 && d.oldest < aged {
			merged, err := s.merge(ctx, d.account)
			if err != nil {
				return err
			}
			if merged == 0 {
				break
			}
			d.n -= merged
		}
	}
	return nil
}

// merge replaces the account's oldest unkeyed packs, up to mergeMax
// events, with keyed packs, and says how many events it moved.
func (s *Store) merge(ctx context.Context, account string) (int, error) {
	var moved int
	err := s.atomic(ctx, func(q querier) error {
		rows, err := q.QueryContext(ctx, `SELECT id, format, events FROM event_packs WHERE keyed = 0 AND account_id = ? ORDER BY id LIMIT 256`, account)
		if err != nil {
			return err
		}
		var ids []any
		var evs []*store.Event
		for rows.Next() && len(evs) < mergeMax {
			var id int64
			var format int
			var blob []byte
			if err := rows.Scan(&id, &format, &blob); err != nil {
				rows.Close()
				return err
			}
			pevs, err := decodeAny(account, format, blob, nil)
			if err != nil {
				rows.Close()
				return fmt.Errorf("event pack %d: %w", id, err)
			}
			ids = append(ids, id)
			evs = append(evs, pevs...)
		}
		err = rows.Err()
		rows.Close()
		if err != nil || len(ids) == 0 {
			return err
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM event_packs WHERE id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, ids...); err != nil {
			return err
		}
		moved = len(evs)
		return insertPack(ctx, q, account, evs, true)
	})
	return moved, wrap(err, "merge event packs")
}

// compactor merges unkeyed packs in the background until stop closes.
func (s *Store) compactor(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(compactEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			// Best effort: what is not merged now is next time, and a
			// lookup reads unmerged packs anyway.
			_ = s.compact(context.Background(), now)
		}
	}
}
