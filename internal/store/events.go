package store

import (
	"context"
	"time"
)

// Event is one audit record: a CloudTrail event, kept whole as JSON, with
// the attributes LookupEvents filters on pulled out so a backend can index
// them. Events refer to nothing: they outlive the users and keys they name.
type Event struct {
	ID          string // eventID, a UUID
	AccountID   string // recipientAccountId: the account whose history holds it
	Time        time.Time
	Name        string // eventName
	Source      string // eventSource, e.g. "iam.amazonaws.com"
	AccessKeyID string // the key that signed the request; "" when unsigned
	Username    string
	ReadOnly    bool
	Resources   []EventResource // in the order given
	// Record is the CloudTrail JSON record, returned as stored.
	Record []byte
}

// EventResource is a resource an event refers to, e.g. ("AWS::IAM::User",
// "alice") or ("AWS::IAM::AccessKey", "ASIA…").
type EventResource struct {
	Type string
	Name string
}

// EventAttribute is what an event lookup filters on; the values are
// CloudTrail's LookupAttribute keys.
type EventAttribute string

const (
	EventByAccessKeyID  EventAttribute = "AccessKeyId"
	EventByID           EventAttribute = "EventId"
	EventByName         EventAttribute = "EventName"
	EventBySource       EventAttribute = "EventSource"
	EventByReadOnly     EventAttribute = "ReadOnly" // Value "true" or "false"
	EventByResourceName EventAttribute = "ResourceName"
	EventByResourceType EventAttribute = "ResourceType"
	EventByUsername     EventAttribute = "Username"
)

// EventCursor is a position in the newest-first order of an account's
// events: events at the same time order by ID, descending.
type EventCursor struct {
	Time time.Time
	ID   string
}

// EventQuery selects an account's events, newest first.
type EventQuery struct {
	AccountID string
	// Attribute is "" for every event; otherwise only events whose
	// attribute equals Value (exactly; resources match when any does).
	Attribute EventAttribute
	Value     string
	// Start and End bound the event time, both inclusive; zero for none.
	Start, End time.Time
	// After, when set, skips to the events that follow it in the order.
	After *EventCursor
	Limit int // at most this many; 0 for no limit
}

type Events interface {
	// Put stores events, replacing any stored with the same ID: a write's
	// event is first stored inside the write's own transaction and
	// completed with its response afterwards.
	Put(ctx context.Context, events ...*Event) error
	// Append stores events that were never stored before and will not be
	// replaced: the bulk of the trail (reads, and every call that changed
	// nothing). A backend may pack them for cheap writes; they must read
	// back (Get, Lookup, DeleteBefore) exactly as Put's do.
	Append(ctx context.Context, events ...*Event) error
	Get(ctx context.Context, id string) (*Event, error)
	Lookup(ctx context.Context, q EventQuery) ([]*Event, error)
	// DeleteBefore removes the events older than t and says how many.
	DeleteBefore(ctx context.Context, t time.Time) (int, error)
}
