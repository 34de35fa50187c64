package storetest

import (
	"fmt"
	"testing"

	"github.com/mantle-iam/mantle/internal/store"
)

func event(id, acct string, sec int, name, key, user string, readOnly bool, res ...store.EventResource) *store.Event {
	return &store.Event{ID: id, AccountID: acct, Time: at(sec), Name: name, Source: "iam.amazonaws.com",
		AccessKeyID: key, Username: user, ReadOnly: readOnly, Resources: res, Record: []byte(`{"eventID":"` + id + `"}`)}
}

func eventIDs(evs []*store.Event) []string {
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	return ids
}

var eventTests = []testCase{
	{name: "Event/RoundTrip", run: func(t *testing.T, f *fixture) {
		e := event("e1", acct1, 1, "CreateUser", "AKIA1", "alice", false,
			store.EventResource{Type: "AWS::IAM::User", Name: "bob"})
		f.must(f.s.Events().Put(f.ctx, e), "put")
		got, err := f.s.Events().Get(f.ctx, "e1")
		f.must(err, "get")
		f.same(e, got, "event")
		_, err = f.s.Events().Get(f.ctx, "nope")
		f.wantErr(err, store.ErrNotFound, "get missing")

		// Put replaces: a staged event is completed later.
		e2 := event("e1", acct1, 1, "CreateUser", "AKIA1", "alice", false,
			store.EventResource{Type: "AWS::IAM::User", Name: "carol"})
		e2.Record = []byte(`{"eventID":"e1","responseElements":{}}`)
		f.tx(func(tx store.Repos) error { return tx.Events().Put(f.ctx, e2) })
		got, err = f.s.Events().Get(f.ctx, "e1")
		f.must(err, "get replaced")
		f.same(e2, got, "replaced event")
		got2, err := f.s.Events().Lookup(f.ctx, store.EventQuery{AccountID: acct1, Attribute: store.EventByResourceName, Value: "bob"})
		f.must(err, "lookup old resource")
		f.same([]string{}, eventIDs(got2), "events naming the replaced resource")
	}},
}

// eventWriter is one way events reach the store: the lookups must not tell
// them apart.
type eventWriter struct {
	name  string
	write func(f *fixture, evs ...*store.Event)
}

var eventWriters = []eventWriter{
	{"Put", func(f *fixture, evs ...*store.Event) {
		f.tx(func(tx store.Repos) error { return tx.Events().Put(f.ctx, evs...) })
	}},
	{"Append", func(f *fixture, evs ...*store.Event) {
		f.must(f.s.Events().Append(f.ctx, evs...), "append")
	}},
	// One call per event, alternating Put and Append: lookups merge many
	// packs with rows.
	{"Mixed", func(f *fixture, evs ...*store.Event) {
		for i, e := range evs {
			if i%2 == 0 {
				f.must(f.s.Events().Append(f.ctx, e), "append %s", e.ID)
			} else {
				f.must(f.s.Events().Put(f.ctx, e), "put %s", e.ID)
			}
		}
	}},
}

func writerEventTests() []testCase {
	var tests []testCase
	for _, w := range eventWriters {
		tests = append(tests, []testCase{
			{name: "Event/" + w.name + "/Lookup", run: func(t *testing.T, f *fixture) {
				role := store.EventResource{Type: "AWS::IAM::Role", Name: "arn:aws:iam::111111111111:role/r"}
				evs := []*store.Event{
					event("a", acct1, 1, "CreateUser", "AKIA1", "alice", false, store.EventResource{Type: "AWS::IAM::User", Name: "bob"}),
					event("b", acct1, 2, "AssumeRole", "AKIA1", "alice", true, role, store.EventResource{Type: "AWS::IAM::AccessKey", Name: "ASIA1"}),
					event("c", acct1, 3, "ListUsers", "ASIA1", "s1", true),
					event("d", acct1, 3, "GetUser", "ASIA1", "s1", true, store.EventResource{Type: "AWS::IAM::User", Name: "bob"}),
					event("x", acct2, 2, "CreateUser", "AKIA2", "alice", false, store.EventResource{Type: "AWS::IAM::User", Name: "bob"}),
				}
				evs[1].Source = "sts.amazonaws.com"
				w.write(f, evs...)
				for _, c := range []struct {
					attr  store.EventAttribute
					value string
					want  []string
				}{
					{"", "", []string{"d", "c", "b", "a"}}, // newest first, ties by ID descending
					{store.EventByAccessKeyID, "ASIA1", []string{"d", "c"}},
					{store.EventByResourceName, "ASIA1", []string{"b"}},
					{store.EventByResourceName, "bob", []string{"d", "a"}},
					{store.EventByResourceType, "AWS::IAM::Role", []string{"b"}},
					{store.EventByID, "c", []string{"c"}},
					{store.EventByID, "x", []string{}}, // another account's
					{store.EventByName, "CreateUser", []string{"a"}},
					{store.EventBySource, "sts.amazonaws.com", []string{"b"}},
					{store.EventByUsername, "alice", []string{"b", "a"}},
					{store.EventByReadOnly, "false", []string{"a"}},
					{store.EventByReadOnly, "true", []string{"d", "c", "b"}},
				} {
					got, err := f.s.Events().Lookup(f.ctx, store.EventQuery{AccountID: acct1, Attribute: c.attr, Value: c.value})
					f.must(err, "lookup %s=%s", c.attr, c.value)
					f.same(c.want, eventIDs(got), "lookup %s=%s", c.attr, c.value)
				}
				// Time bounds are inclusive.
				got, err := f.s.Events().Lookup(f.ctx, store.EventQuery{AccountID: acct1, Start: at(2), End: at(2)})
				f.must(err, "lookup by time")
				f.same([]string{"b"}, eventIDs(got), "events at t=2")
				got, err = f.s.Events().Lookup(f.ctx, store.EventQuery{AccountID: acct1, Start: at(2)})
				f.must(err, "lookup from t=2")
				f.same([]string{"d", "c", "b"}, eventIDs(got), "events from t=2")
				got, err = f.s.Events().Lookup(f.ctx, store.EventQuery{AccountID: acct1, Attribute: store.EventByResourceName, Value: "ASIA1"})
				f.must(err, "lookup")
				f.same(evs[1], got[0], "looked-up event with its resources")
			}},
			{name: "Event/" + w.name + "/Pages", run: func(t *testing.T, f *fixture) {
				var all []string
				var evs []*store.Event
				for i := range 7 {
					// Pairs share a time, so the cursor must break ties by ID.
					e := event(fmt.Sprintf("e%d", i), acct1, i/2, "GetUser", "AKIA1", "alice", true)
					evs = append(evs, e)
					all = append([]string{e.ID}, all...)
				}
				w.write(f, evs...)
				var got []string
				q := store.EventQuery{AccountID: acct1, Limit: 3}
				for range 10 {
					page, err := f.s.Events().Lookup(f.ctx, q)
					f.must(err, "page")
					got = append(got, eventIDs(page)...)
					if len(page) < q.Limit {
						break
					}
					last := page[len(page)-1]
					q.After = &store.EventCursor{Time: last.Time, ID: last.ID}
				}
				f.same(all, got, "paged events")
			}},
			{name: "Event/" + w.name + "/DeleteBefore", run: func(t *testing.T, f *fixture) {
				w.write(f,
					event("old", acct1, -100, "GetUser", "AKIA1", "alice", true, store.EventResource{Type: "AWS::IAM::User", Name: "bob"}),
					event("mid", acct1, -50, "GetUser", "AKIA1", "alice", true, store.EventResource{Type: "AWS::IAM::User", Name: "bob"}),
					event("new", acct1, 100, "GetUser", "AKIA1", "alice", true, store.EventResource{Type: "AWS::IAM::User", Name: "bob"}),
				)
				n, err := f.s.Events().DeleteBefore(f.ctx, at(0))
				f.must(err, "delete")
				if n != 2 {
					t.Errorf("deleted %d events, want 2", n)
				}
				got, err := f.s.Events().Lookup(f.ctx, store.EventQuery{AccountID: acct1, Attribute: store.EventByResourceName, Value: "bob"})
				f.must(err, "lookup")
				f.same([]string{"new"}, eventIDs(got), "events left")
				_, err = f.s.Events().Get(f.ctx, "old")
				f.wantErr(err, store.ErrNotFound, "get pruned")
				got1, err := f.s.Events().Get(f.ctx, "new")
				f.must(err, "get kept")
				f.same("new", got1.ID, "kept event")
			}},
		}...)
	}
	return tests
}
