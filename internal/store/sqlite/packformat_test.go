package sqlite

import (
	"encoding/binary"
	"path/filepath"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

// encodePack0 writes a format 0 pack as mantle did before format 1, so the
// tests can check such packs still read.
func encodePack0(evs []*store.Event) []byte {
	var b []byte
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

// The attributes format 1 keeps without key rows (time-carrying event IDs,
// temporary keys named as resources) are still found, by Lookup and Get,
// next to format 0 packs, and pruning cuts through both formats.
func TestPackFormats(t *testing.T) {
	ctx := t.Context()
	s := open(t, filepath.Join(t.TempDir(), "m.db"))
	defer s.Close()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := newTrail(start)
	var evs []*store.Event
	for range 300 {
		evs = append(evs, tr.next())
	}
	// A non-UUID ID and an ID whose time is not its event's need key rows.
	evs[10].ID = "custom-id"
	evs[11].ID = tr.uuid7(start.Add(time.Hour))
	// The first 100 as a format 0 pack, the rest in two appends.
	old := evs[:100]
	res, err := s.write.ExecContext(ctx, `INSERT INTO event_packs (account_id, min_time, max_time, n, format, keyed, events) VALUES (?, ?, ?, ?, 0, 1, ?)`,
		scaleAccount, encTime(old[0].Time), encTime(old[99].Time), 100, encodePack0(old))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	var keys []packKey
	for _, e := range old {
		keys = append(keys, packKey{string(store.EventByID), e.ID})
		for _, r := range e.Resources {
			keys = append(keys, packKey{string(store.EventByResourceName), r.Name})
		}
	}
	if err := insertPackKeys(ctx, s.write, scaleAccount, id, keys); err != nil {
		t.Fatal(err)
	}
	if err := s.Events().Append(ctx, evs[100:200]...); err != nil {
		t.Fatal(err)
	}
	if err := s.Events().Append(ctx, evs[200:]...); err != nil {
		t.Fatal(err)
	}
	// Appends of fewer than compactAt events are unkeyed until merged:
	// everything is found before the merge and after it, once.
	all := func() int {
		all, err := s.Events().Lookup(ctx, store.EventQuery{AccountID: scaleAccount})
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	check := func(stage string) {
		t.Helper()
		if n := all(); n != 300 {
			t.Errorf("%s: %d events, want 300", stage, n)
		}
		checkFound(t, s, evs, tr, start)
	}
	check("unmerged")
	if err := s.compact(ctx, start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var unkeyed, keyRows int
	if err := s.write.QueryRow(`SELECT count(*) FROM event_packs WHERE keyed = 0`).Scan(&unkeyed); err != nil {
		t.Fatal(err)
	}
	if err := s.write.QueryRow(`SELECT count(*) FROM event_pack_keys`).Scan(&keyRows); err != nil {
		t.Fatal(err)
	}
	if unkeyed != 0 || keyRows == 0 {
		t.Errorf("after compact: %d unkeyed packs, %d key rows", unkeyed, keyRows)
	}
	check("merged")
	// Prune through the middle of the format 0 pack and of an append.
	for _, cut := range []int{50, 250} {
		n, err := s.Events().DeleteBefore(ctx, evs[cut].Time)
		if err != nil {
			t.Fatal(err)
		}
		all, err := s.Events().Lookup(ctx, store.EventQuery{AccountID: scaleAccount})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 || len(all) != 300-cut+1 && len(all) != 300-cut {
			t.Errorf("prune before %d removed %d, %d left", cut, n, len(all))
		}
		for _, e := range all {
			if e.Time.Before(evs[cut].Time) {
				t.Errorf("event at %s kept after pruning before %s", e.Time, evs[cut].Time)
			}
		}
	}
}

// checkFound looks up a few of evs by ID (Get and Lookup) and by each of
// their resources.
func checkFound(t *testing.T, s *Store, evs []*store.Event, tr *trail, start time.Time) {
	t.Helper()
	ctx := t.Context()
	for _, i := range []int{5, 10, 11, 150, 299} {
		e := evs[i]
		got, err := s.Events().Get(ctx, e.ID)
		if err != nil || got.ID != e.ID || string(got.Record) != string(e.Record) || !got.Time.Equal(e.Time) {
			t.Errorf("Get(%d %s) = %v, %v", i, e.ID, got, err)
		}
		found, err := s.Events().Lookup(ctx, store.EventQuery{AccountID: scaleAccount, Attribute: store.EventByID, Value: e.ID})
		if err != nil || len(found) != 1 || found[0].ID != e.ID {
			t.Errorf("Lookup by ID %d: %v, %v", i, found, err)
		}
		for _, r := range e.Resources {
			found, err := s.Events().Lookup(ctx, store.EventQuery{AccountID: scaleAccount, Attribute: store.EventByResourceName, Value: r.Name, Limit: 500})
			if err != nil || len(found) == 0 {
				t.Errorf("Lookup by resource %s of %d: %v, %v", r.Name, i, found, err)
			}
			has := false
			for _, f := range found {
				has = has || f.ID == e.ID
			}
			if !has {
				t.Errorf("Lookup by resource %s misses event %d", r.Name, i)
			}
		}
		if found, err := s.Events().Lookup(ctx, store.EventQuery{AccountID: "999999999999", Attribute: store.EventByID, Value: e.ID}); err != nil || len(found) != 0 {
			t.Errorf("another account's lookup found %v, %v", found, err)
		}
	}
	if _, err := s.Events().Get(ctx, tr.uuid7(start)); err == nil {
		t.Error("Get of an unknown ID found an event")
	}
}

func TestBloom(t *testing.T) {
	var vs []string
	for i := range 500 {
		vs = append(vs, "ASIA"+string(rune('A'+i%26))+string(rune('A'+i/26)))
	}
	b := makeBloom(vs)
	for _, v := range vs {
		if !mayHold(b, v) {
			t.Fatalf("bloom lost %s", v)
		}
	}
	fp := 0
	for i := range 10000 {
		if mayHold(b, "ASIAX"+string(rune(i))) {
			fp++
		}
	}
	if fp > 300 {
		t.Errorf("%d false positives in 10000", fp)
	}
	if mayHold(nil, "x") {
		t.Error("empty filter holds a value")
	}
}

// A damaged pack is an error, never a panic.
func FuzzDecodePack1(f *testing.F) {
	tr := newTrail(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var evs []*store.Event
	for range 40 {
		evs = append(evs, tr.next())
	}
	f.Add(encodePack1(nil, evs, false))
	f.Add(encodePack1(nil, evs[:1], false))
	f.Add(encodePack1(nil, evs[:3], true))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, raw := range []bool{false, true} {
			_, _ = decodePack1(scaleAccount, b, raw, nil)
			_, _ = decodePack1(scaleAccount, b, raw, func(e *store.Event) bool { return e.Name == "AssumeRole" })
		}
	})
}
