package audit

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"math/rand/v2"
	"time"

	"github.com/mantle-iam/mantle/internal/api/wire"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awsproto"
	"github.com/mantle-iam/mantle/internal/store"
)

// Entry is what one request contributes to its event. The server fills the
// request part before the action runs and Input, Output and Err as the
// action decodes and returns; nothing changes it after Record.
type Entry struct {
	EventID   string
	RequestID string
	Time      time.Time
	// Service is the SigV4 service name: "iam", "sts", "organizations",
	// "cloudtrail".
	Service string
	Action  string
	// Caller is nil for the unsigned federation actions and for calls an
	// AWS service makes on its own behalf (Invoker).
	Caller *auth.Caller
	// Invoker is the service principal ("ec2.amazonaws.com") of a call
	// mantle makes as that AWS service: the workload endpoints' role
	// sessions. The record's identity is then AWSService.
	Invoker   string
	Region    string
	SourceIP  string
	UserAgent string
	// TLS is the connection's state when the request came over TLS.
	TLS  *tls.ConnectionState
	Host string

	// Input and Output are the generated input and output (internal/api);
	// Output is nil for an operation without output or a failed call.
	Input  wire.Auditable
	Output wire.Auditable
	Err    error

	// Data marks a data event (an API invoked through mantle gate):
	// managementEvent false, eventCategory Data.
	Data bool
	// Resources are the resources the event names beyond those its
	// parameters do (the API a data event invoked).
	Resources []ResourceRef
	// Unrecorded leaves the call's event out: a client's failed
	// authentication at a gateway beyond its address's allowance, so an
	// anonymous client cannot grow the trail without bound.
	Unrecorded bool
	// Recipient, when set, is the account whose history holds the event:
	// the owner of the resource a data event acted on, who may not be the
	// caller's account.
	Recipient string

	// staged is set once a write transaction stored the provisional event:
	// the complete one must replace it (Events.Put); every other event is
	// new (Events.Append, which a backend may pack).
	staged bool
	// durable is set by Durable: the call is answered only once its
	// event has committed.
	durable bool
}

// With returns ctx carrying e, for the action and the writes it makes:
// every store.Change made with ctx stages e's provisional event.
func With(ctx context.Context, e *Entry) context.Context {
	return store.WithStager(ctx, e)
}

// From returns the request's entry, nil outside a request.
func From(ctx context.Context) *Entry {
	e, _ := store.StagerFrom(ctx).(*Entry)
	return e
}

// SetInput records the decoded request parameters of the request in ctx.
func SetInput(ctx context.Context, in wire.Auditable) {
	if e := From(ctx); e != nil {
		e.Input = in
	}
}

// Stage stores the request's provisional event (the request as made,
// without its result) inside the write transaction tx: if the write
// commits, so does its event. The Recorder later replaces it with the
// complete record. store.Change calls it (Entry is the store.Stager the
// request's context carries); nothing else needs to.
func (e *Entry) Stage(ctx context.Context, tx store.Repos) error {
	ev, err := e.Event()
	if err != nil {
		return err
	}
	e.staged = true
	return tx.Events().Put(ctx, ev)
}

// Durable marks the request in ctx as one that must not be answered
// before its event is stored: a call that issues credentials, whose key
// could otherwise not be traced to who obtained it after a crash. The
// action calls it once it has succeeded; the Recorder then stores the
// event before Record returns (group commit keeps that to one commit
// shared by concurrent callers). Outside a request it does nothing.
func Durable(ctx context.Context) {
	if e := From(ctx); e != nil {
		e.durable = true
	}
}

// NewEventID returns a version 7 UUID: random like CloudTrail's event IDs,
// but ordered by time, so the store appends to its ID index instead of
// writing all over it. An event ID is an identifier, not a secret: the
// runtime's per-thread generator is enough and costs nothing on the hot path.
func NewEventID(now time.Time) string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[0:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:16], rand.Uint64())
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return awsproto.FormatUUID(b)
}
