package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

type events struct{ *repos }

const (
	insertEvent = `INSERT INTO events (id, account_id, event_time, name, source, access_key_id, username, read_only, record)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`
	updateEvent = `UPDATE events SET account_id = ?, event_time = ?, name = ?, source = ?, access_key_id = ?, username = ?,
		read_only = ?, record = ? WHERE id = ?`
	deleteEventResources = `DELETE FROM event_resources WHERE event_id = ?`
	insertEventResource  = `INSERT INTO event_resources (event_id, pos, account_id, type, name) VALUES (?, ?, ?, ?, ?)`
)

// preparer is a transaction: a batch prepares its statements once.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

func (r events) Put(ctx context.Context, evs ...*store.Event) error {
	if len(evs) == 0 {
		return nil
	}
	return r.atomic(ctx, func(q querier) error {
		stmts := map[string]*sql.Stmt{}
		defer func() {
			for _, st := range stmts {
				st.Close()
			}
		}()
		run := func(query string, args ...any) (sql.Result, error) {
			p, ok := q.(preparer)
			if !ok || len(evs) == 1 {
				return q.ExecContext(ctx, query, args...)
			}
			st := stmts[query]
			if st == nil {
				var err error
				if st, err = p.PrepareContext(ctx, query); err != nil {
					return nil, err
				}
				stmts[query] = st
			}
			return st.ExecContext(ctx, args...)
		}
		for _, e := range evs {
			if err := r.put(run, e); err != nil {
				return wrap(err, "put event %s", e.ID)
			}
		}
		return nil
	})
}

func (r events) put(run func(query string, args ...any) (sql.Result, error), e *store.Event) error {
	t := encTime(e.Time)
	res, err := run(insertEvent, e.ID, e.AccountID, t, e.Name, e.Source, e.AccessKeyID, e.Username, e.ReadOnly, blob(e.Record))
	if err != nil {
		return err
	}
	// Most events are new; only a replacement pays for the update and for
	// clearing the resources it had.
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		if _, err := run(updateEvent, e.AccountID, t, e.Name, e.Source, e.AccessKeyID, e.Username, e.ReadOnly, blob(e.Record), e.ID); err != nil {
			return err
		}
		if _, err := run(deleteEventResources, e.ID); err != nil {
			return err
		}
	}
	for i, res := range e.Resources {
		if _, err := run(insertEventResource, e.ID, i, e.AccountID, res.Type, res.Name); err != nil {
			return err
		}
	}
	return nil
}

func (r events) Get(ctx context.Context, id string) (*store.Event, error) {
	e, err := get(ctx, r.q, scanEvent, "event "+id, `SELECT `+eventCols+` FROM events e WHERE e.id = ?`, id)
	if errors.Is(err, store.ErrNotFound) {
		return r.getPacked(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	if err := r.resources(ctx, []*store.Event{e}); err != nil {
		return nil, err
	}
	return e, nil
}

func (r events) Lookup(ctx context.Context, q store.EventQuery) ([]*store.Event, error) {
	rt, ok := r.q.(routed)
	if !ok {
		return r.lookup(ctx, q) // inside a write transaction
	}
	// One read transaction, so the lookup sees the packs as of one
	// instant while the store merges small ones in the background.
	tx, err := rt.read.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, wrap(err, "lookup events")
	}
	defer tx.Rollback()
	return events{&repos{q: tx, atomic: inTx(tx)}}.lookup(ctx, q)
}

func (r events) lookup(ctx context.Context, q store.EventQuery) ([]*store.Event, error) {
	var filter string
	args := []any{q.AccountID}
	switch q.Attribute {
	case "":
	case store.EventByAccessKeyID:
		filter = `AND e.access_key_id = ?`
	case store.EventByID:
		filter = `AND e.id = ?`
	case store.EventByName:
		filter = `AND e.name = ?`
	case store.EventBySource:
		filter = `AND e.source = ?`
	case store.EventByUsername:
		filter = `AND e.username = ?`
	case store.EventByReadOnly:
		filter = `AND e.read_only = ?`
	case store.EventByResourceName:
		filter = `AND e.id IN (SELECT DISTINCT event_id FROM event_resources WHERE account_id = ? AND name = ?)`
		args = append(args, q.AccountID)
	case store.EventByResourceType:
		filter = `AND e.id IN (SELECT DISTINCT event_id FROM event_resources WHERE account_id = ? AND type = ?)`
		args = append(args, q.AccountID)
	default:
		return nil, fmt.Errorf("sqlite: unknown event attribute %q", q.Attribute)
	}
	switch {
	case q.Attribute == "":
	case q.Attribute == store.EventByReadOnly:
		args = append(args, q.Value == "true")
	default:
		args = append(args, q.Value)
	}
	// Unset bounds become bounds no stored time passes, which keeps the
	// statement text (and its cached plan) the same for every query.
	start, end := "", "9"
	if !q.Start.IsZero() {
		start = encTime(q.Start)
	}
	if !q.End.IsZero() {
		end = encTime(q.End)
	}
	args = append(args, start, end)
	afterT, afterID := "9", ""
	if q.After != nil {
		afterT, afterID = encTime(q.After.Time), q.After.ID
	}
	args = append(args, afterT, afterT, afterID, limitArg(q.Limit))
	out, err := list(ctx, r.q, scanEvent, "events",
		`SELECT `+eventCols+` FROM events e
		WHERE e.account_id = ? `+filter+` AND e.event_time >= ? AND e.event_time <= ?
		AND (e.event_time < ? OR (e.event_time = ? AND e.id < ?))
		ORDER BY e.event_time DESC, e.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	if err := r.resources(ctx, out); err != nil {
		return nil, err
	}
	out, err = r.lookupPacks(ctx, &q, out)
	if err != nil {
		return nil, err
	}
	sortEvents(out)
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// resources fills in the events' resources, one query per event: a page
// is at most a few dozen events.
func (r events) resources(ctx context.Context, evs []*store.Event) error {
	for _, e := range evs {
		rows, err := r.q.QueryContext(ctx, `SELECT type, name FROM event_resources WHERE event_id = ? ORDER BY pos`, e.ID)
		if err != nil {
			return wrap(err, "resources of event %s", e.ID)
		}
		for rows.Next() {
			var res store.EventResource
			if err := rows.Scan(&res.Type, &res.Name); err != nil {
				rows.Close()
				return wrap(err, "resources of event %s", e.ID)
			}
			e.Resources = append(e.Resources, res)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return wrap(err, "resources of event %s", e.ID)
		}
	}
	return nil
}

func (r events) DeleteBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := r.q.ExecContext(ctx, `DELETE FROM events WHERE event_time < ?`, encTime(t))
	if err != nil {
		return 0, wrap(err, "delete events")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap(err, "delete events")
	}
	packed, err := r.deletePacksBefore(ctx, t)
	return int(n) + packed, err
}
