package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

type events struct{ *repos }

// Append stores a batch of new events in two statements, the rows and
// their resources each from arrays: Put's three statements an event were a
// round trip each, so a batch of 32 held the transaction (and the durable
// callers waiting on it) for 96 round trips. The rows per event stay (the
// database server pays for them, and a database shared by nodes has the
// cores). An event already stored (a retried batch that had committed) is
// left as it is.
func (r events) Append(ctx context.Context, evs ...*store.Event) error {
	if len(evs) == 0 {
		return nil
	}
	n := len(evs)
	ids, accounts, times, names := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	sources, keys, users := make([]string, n), make([]string, n), make([]string, n)
	readOnly, records := make([]bool, n), make([][]byte, n)
	var resID, resAccount, resType, resName []string
	var resPos []int32
	for i, e := range evs {
		ids[i], accounts[i], times[i], names[i] = e.ID, e.AccountID, encTime(e.Time), e.Name
		sources[i], keys[i], users[i], readOnly[i], records[i] = e.Source, e.AccessKeyID, e.Username, e.ReadOnly, e.Record
		if records[i] == nil {
			records[i] = []byte{}
		}
		for j, res := range e.Resources {
			resID, resAccount, resType, resName = append(resID, e.ID), append(resAccount, e.AccountID), append(resType, res.Type), append(resName, res.Name)
			resPos = append(resPos, int32(j))
		}
	}
	return r.atomic(ctx, func(q querier) error {
		if err := exec(ctx, q, "append events",
			`INSERT INTO events (id, account_id, event_time, name, source, access_key_id, username, read_only, record)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::boolean[], $9::bytea[])
			ON CONFLICT (id) DO NOTHING`,
			ids, accounts, times, names, sources, keys, users, readOnly, records); err != nil {
			return err
		}
		if len(resID) == 0 {
			return nil
		}
		return exec(ctx, q, "append event resources",
			`INSERT INTO event_resources (event_id, pos, account_id, type, name)
			SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[], $5::text[])
			ON CONFLICT (event_id, pos) DO NOTHING`,
			resID, resPos, resAccount, resType, resName)
	})
}

// Put writes each event in three statements: the row (inserted or
// replaced), the removal of the resources a replaced event had, and all its
// resources at once from two arrays.
func (r events) Put(ctx context.Context, evs ...*store.Event) error {
	if len(evs) == 0 {
		return nil
	}
	return r.atomic(ctx, func(q querier) error {
		for _, e := range evs {
			what := "put event " + e.ID
			if err := exec(ctx, q, what,
				`INSERT INTO events (id, account_id, event_time, name, source, access_key_id, username, read_only, record)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
				ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id, event_time = excluded.event_time,
					name = excluded.name, source = excluded.source, access_key_id = excluded.access_key_id,
					username = excluded.username, read_only = excluded.read_only, record = excluded.record`,
				e.ID, e.AccountID, encTime(e.Time), e.Name, e.Source, e.AccessKeyID, e.Username, e.ReadOnly, blob(e.Record)); err != nil {
				return err
			}
			if err := exec(ctx, q, what, `DELETE FROM event_resources WHERE event_id = $1`, e.ID); err != nil {
				return err
			}
			if len(e.Resources) == 0 {
				continue
			}
			types, names := make([]string, len(e.Resources)), make([]string, len(e.Resources))
			for i, res := range e.Resources {
				types[i], names[i] = res.Type, res.Name
			}
			if err := exec(ctx, q, what,
				`INSERT INTO event_resources (event_id, pos, account_id, type, name)
				SELECT $1, r.pos - 1, $2, r.type, r.name FROM unnest($3::text[], $4::text[]) WITH ORDINALITY AS r (type, name, pos)`,
				e.ID, e.AccountID, types, names); err != nil {
				return err
			}
		}
		return nil
	})
}

func (r events) Get(ctx context.Context, id string) (*store.Event, error) {
	e, err := get(ctx, r.q, scanEvent, "event "+id, `SELECT `+eventCols+` FROM events e WHERE e.id = $1`, id)
	if err != nil {
		return nil, err
	}
	if err := r.resources(ctx, []*store.Event{e}); err != nil {
		return nil, err
	}
	return e, nil
}

func (r events) Lookup(ctx context.Context, q store.EventQuery) ([]*store.Event, error) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	acct := arg(q.AccountID)
	var filter string
	switch q.Attribute {
	case "":
	case store.EventByAccessKeyID:
		filter = `AND e.access_key_id = ` + arg(q.Value)
	case store.EventByID:
		filter = `AND e.id = ` + arg(q.Value)
	case store.EventByName:
		filter = `AND e.name = ` + arg(q.Value)
	case store.EventBySource:
		filter = `AND e.source = ` + arg(q.Value)
	case store.EventByUsername:
		filter = `AND e.username = ` + arg(q.Value)
	case store.EventByReadOnly:
		filter = `AND e.read_only = ` + arg(q.Value == "true")
	case store.EventByResourceName:
		filter = `AND e.id IN (SELECT event_id FROM event_resources WHERE account_id = ` + acct + ` AND name = ` + arg(q.Value) + `)`
	case store.EventByResourceType:
		filter = `AND e.id IN (SELECT event_id FROM event_resources WHERE account_id = ` + acct + ` AND type = ` + arg(q.Value) + `)`
	default:
		return nil, fmt.Errorf("postgres: unknown event attribute %q", q.Attribute)
	}
	// Unset bounds become bounds no stored time passes ("9" sorts after
	// every stored time), which keeps the statement text, and its plan,
	// the same for every query of one attribute.
	start, end := "", "9"
	if !q.Start.IsZero() {
		start = encTime(q.Start)
	}
	if !q.End.IsZero() {
		end = encTime(q.End)
	}
	afterT, afterID := "9", ""
	if q.After != nil {
		afterT, afterID = encTime(q.After.Time), q.After.ID
	}
	at := arg(afterT)
	out, err := list(ctx, r.q, scanEvent, "events",
		`SELECT `+eventCols+` FROM events e
		WHERE e.account_id = `+acct+` `+filter+` AND e.event_time >= `+arg(start)+` AND e.event_time <= `+arg(end)+`
		AND (e.event_time < `+at+` OR (e.event_time = `+at+` AND e.id < `+arg(afterID)+`))
		ORDER BY e.event_time DESC, e.id DESC LIMIT `+arg(limitArg(q.Limit)), args...)
	if err != nil {
		return nil, err
	}
	if err := r.resources(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

type eventResource struct {
	eventID string
	store.EventResource
}

// resources fills in the events' resources with one query.
func (r events) resources(ctx context.Context, evs []*store.Event) error {
	if len(evs) == 0 {
		return nil
	}
	byID := make(map[string]*store.Event, len(evs))
	ids := make([]string, len(evs))
	for i, e := range evs {
		byID[e.ID], ids[i] = e, e.ID
	}
	rs, err := list(ctx, r.q, func(sc scanner) (*eventResource, error) {
		var er eventResource
		return &er, sc.Scan(&er.eventID, &er.Type, &er.Name)
	}, "event resources", `SELECT event_id, type, name FROM event_resources WHERE event_id = ANY($1) ORDER BY event_id, pos`, ids)
	if err != nil {
		return err
	}
	for _, er := range rs {
		e := byID[er.eventID]
		e.Resources = append(e.Resources, er.EventResource)
	}
	return nil
}

func (r events) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	tag, err := r.q.Exec(ctx, `DELETE FROM events WHERE event_time < $1`, encTime(t))
	if err != nil {
		return 0, wrap(err, "delete events")
	}
	return int(tag.RowsAffected()), nil
}
