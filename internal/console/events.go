package console

import (
	"encoding/json"
	"net/http"
	"time"

	cloudtrailapi "github.com/mantle-iam/mantle/internal/api/cloudtrail"
)

// lookupKeys are LookupEvents' attribute keys, in AWS's console order.
var lookupKeys = []string{"EventName", "Username", "ResourceName", "ResourceType", "AccessKeyId", "EventId", "EventSource", "ReadOnly"}

type lookupForm struct {
	Keys       []string
	Key, Value string
	Start, End string // datetime-local values
	NextToken  string
}

// eventRow is one event of the history, with what the page links on.
type eventRow struct {
	cloudtrailapi.Event
	Type, ErrorCode, Outcome string
	JSON                     string
}

// events is CloudTrail's event history: LookupEvents as the session's
// identity, with one attribute filter and a time range. A temporary key
// links to the events naming it as a resource, which include the call
// that issued it (AssumeRole, GetSessionToken, …) and so its caller.
func (h *Console) events(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.page(s, "Event history")
	q := r.URL.Query()
	v.Lookup = lookupForm{Keys: lookupKeys, Key: q.Get("key"), Value: q.Get("value"), Start: q.Get("start"), End: q.Get("end"), NextToken: q.Get("next")}
	body := map[string]any{"MaxResults": 50}
	if v.Lookup.Key != "" && v.Lookup.Value != "" {
		body["LookupAttributes"] = []map[string]string{{"AttributeKey": v.Lookup.Key, "AttributeValue": v.Lookup.Value}}
	}
	// The form's times are UTC, as the page says.
	if t, err := time.Parse("2006-01-02T15:04", v.Lookup.Start); err == nil {
		body["StartTime"] = t.Unix()
	}
	if t, err := time.Parse("2006-01-02T15:04", v.Lookup.End); err == nil {
		body["EndTime"] = t.Unix()
	}
	if v.Lookup.NextToken != "" {
		body["NextToken"] = v.Lookup.NextToken
	}
	out, err := actJSON(h, r, s, "LookupEvents", h.cfg.Trail.LookupEvents, body)
	if err != nil {
		v.Error = errorMessage(err)
		h.render(w, statusOf(err), "events", v)
		return
	}
	v.Lookup.NextToken = out.NextToken
	for _, e := range out.Events {
		row := eventRow{Event: e, Outcome: "Success"}
		var rec struct{ EventType, ErrorCode string }
		if json.Unmarshal([]byte(e.CloudTrailEvent), &rec) == nil {
			row.Type, row.ErrorCode = rec.EventType, rec.ErrorCode
			if rec.ErrorCode != "" {
				row.Outcome = "Failure"
			}
		}
		var pretty any
		if json.Unmarshal([]byte(e.CloudTrailEvent), &pretty) == nil {
			b, _ := json.MarshalIndent(pretty, "", "  ")
			row.JSON = string(b)
		}
		v.Events = append(v.Events, row)
	}
	h.render(w, http.StatusOK, "events", v)
}
