package audit

import (
	"context"
	"encoding/base64"
	"fmt"
	cloudtrailapi "github.com/mantle-iam/mantle/internal/api/cloudtrail"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// TargetPrefix is the X-Amz-Target prefix of the CloudTrail API as the
// SDKs send it; the server also accepts it namespaced
// (com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101).
const TargetPrefix = "CloudTrail_20131101"

// Flusher makes the events recorded so far visible to lookups.
type Flusher interface {
	Flush(ctx context.Context) error
}

// Service serves CloudTrail's LookupEvents over the stored events.
type Service struct {
	store   store.Repos
	authz   auth.Authorizer
	flusher Flusher
}

func NewService(s store.Repos, az auth.Authorizer, f Flusher) *Service {
	return &Service{store: s, authz: az, flusher: f}
}

const (
	defaultMaxResults = 50
	maxAttributeValue = 2000
)

var attributeKeys = map[string]store.EventAttribute{}

func init() {
	for _, a := range []store.EventAttribute{
		store.EventByID, store.EventByName, store.EventByReadOnly, store.EventByUsername,
		store.EventByResourceType, store.EventByResourceName, store.EventBySource, store.EventByAccessKeyID,
	} {
		attributeKeys[string(a)] = a
	}
}

func lookupErr(code, format string, args ...any) error {
	return awserr.New(code, http.StatusBadRequest, format, args...)
}

// LookupEvents returns the caller's account's events, newest first.
func (s *Service) LookupEvents(ctx context.Context, c *auth.Caller, in *cloudtrailapi.LookupEventsInput) (*cloudtrailapi.LookupEventsOutput, error) {
	if err := s.authz.Authorize(ctx, c, "cloudtrail:LookupEvents", "*"); err != nil {
		return nil, err
	}
	q := store.EventQuery{AccountID: c.AccountID, Limit: defaultMaxResults}
	switch len(in.LookupAttributes) {
	case 0:
	case 1:
		a := in.LookupAttributes[0]
		key, ok := attributeKeys[a.AttributeKey]
		if !ok {
			return nil, lookupErr("InvalidLookupAttributesException", "Lookup attribute key %s is not valid. Valid keys are %s.", a.AttributeKey,
				"EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId")
		}
		if a.AttributeValue == "" || len(a.AttributeValue) > maxAttributeValue {
			return nil, lookupErr("InvalidLookupAttributesException", "Lookup attribute value must be between 1 and %d characters.", maxAttributeValue)
		}
		if key == store.EventByReadOnly && a.AttributeValue != "true" && a.AttributeValue != "false" {
			return nil, lookupErr("InvalidLookupAttributesException", "ReadOnly attribute value must be true or false.")
		}
		q.Attribute, q.Value = key, a.AttributeValue
	default:
		return nil, lookupErr("InvalidLookupAttributesException", "You can only specify one lookup attribute.")
	}
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > defaultMaxResults {
			return nil, lookupErr("InvalidMaxResultsException", "Value %d for MaxResults is invalid. Valid values are 1 to %d.", *in.MaxResults, defaultMaxResults)
		}
		q.Limit = *in.MaxResults
	}
	// Times are whole seconds: the events of EndTime's second count.
	q.Start = in.StartTime.Truncate(time.Second)
	if !in.EndTime.IsZero() {
		q.End = in.EndTime.Truncate(time.Second).Add(time.Second - time.Nanosecond)
	}
	if !q.Start.IsZero() && !q.End.IsZero() && q.Start.After(q.End) {
		return nil, lookupErr("InvalidTimeRangeException", "Start time must be before end time.")
	}
	switch in.EventCategory {
	case "":
	case "insight":
		// mantle has no Insights events.
		return &cloudtrailapi.LookupEventsOutput{Events: []cloudtrailapi.Event{}}, nil
	default:
		return nil, lookupErr("InvalidEventCategoryException", "Event category %s is not valid. Valid value is insight.", in.EventCategory)
	}
	fp := fingerprint(&q)
	if in.NextToken != "" {
		cur, ok := parseToken(in.NextToken, fp)
		if !ok {
			return nil, lookupErr("InvalidNextTokenException", "Invalid NextToken.")
		}
		q.After = cur
	}
	if s.flusher != nil {
		if err := s.flusher.Flush(ctx); err != nil {
			return nil, err
		}
	}
	// One more than asked for says whether there is a next page.
	limit := q.Limit
	q.Limit++
	evs, err := s.store.Events().Lookup(ctx, q)
	if err != nil {
		return nil, err
	}
	out := &cloudtrailapi.LookupEventsOutput{Events: make([]cloudtrailapi.Event, 0, min(len(evs), limit))}
	for i, e := range evs {
		if i == limit {
			last := evs[i-1]
			out.NextToken = makeToken(&store.EventCursor{Time: last.Time, ID: last.ID}, fp)
			break
		}
		res := make([]cloudtrailapi.Resource, len(e.Resources))
		for j, r := range e.Resources {
			res[j] = cloudtrailapi.Resource{ResourceType: r.Type, ResourceName: r.Name}
		}
		out.Events = append(out.Events, cloudtrailapi.Event{
			EventId: e.ID, EventName: e.Name, ReadOnly: strconv.FormatBool(e.ReadOnly), AccessKeyId: e.AccessKeyID,
			EventTime: e.Time, EventSource: e.Source, Username: e.Username,
			Resources: res, CloudTrailEvent: string(e.Record),
		})
	}
	return out, nil
}

// fingerprint ties a NextToken to the query it continues, as AWS refuses
// a token used with other parameters.
func fingerprint(q *store.EventQuery) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%d", q.AccountID, q.Attribute, q.Value, q.Start.UnixNano(), q.End.UnixNano())
	return strconv.FormatUint(h.Sum64(), 36)
}

func makeToken(c *store.EventCursor, fp string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fp + "/" + strconv.FormatInt(c.Time.UnixNano(), 36) + "/" + c.ID))
}

func parseToken(tok, fp string) (*store.EventCursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, false
	}
	parts := strings.SplitN(string(b), "/", 3)
	if len(parts) != 3 || parts[0] != fp || parts[2] == "" {
		return nil, false
	}
	ns, err := strconv.ParseInt(parts[1], 36, 64)
	if err != nil {
		return nil, false
	}
	return &store.EventCursor{Time: time.Unix(0, ns), ID: parts[2]}, true
}
