package integration

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/mantle-iam/mantle/internal/server"
)

// scrape reads /_mantle/metrics with Prometheus' own text parser.
func (e *env) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := e.httpClient().Get(e.URL + "/_mantle/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics: HTTP %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("metrics do not parse: %v", err)
	}
	return fams
}

// value is the value of the sample of family name whose labels include
// every pair of want; 0 when there is none. Counters, gauges and (as the
// count of observations) histograms.
func value(fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	var sum float64
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(want); i += 2 {
			found := false
			for _, l := range m.Label {
				if l.GetName() == want[i] && l.GetValue() == want[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

func TestMetricsMoveWithRequests(t *testing.T) {
	e := start(t)
	c := ctx(t)
	before := e.scrape(t)
	for _, name := range []string{
		"mantle_authorization_decisions_total", "mantle_credentials_issued_total",
		"mantle_audit_queue_depth", "mantle_audit_backpressure_waits_total", "mantle_audit_events_lost_total",
		"mantle_cache_hits_total", "mantle_cache_invalidations_total", "mantle_store_transaction_duration_seconds",
		"mantle_open_connections", "mantle_node_current", "go_goroutines",
	} {
		if before[name] == nil {
			t.Errorf("metric %s missing", name)
		}
	}

	root := e.iam(e.root())
	must[*iam.CreateUserOutput](t)(root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("metered")}))
	key := must[*iam.CreateAccessKeyOutput](t)(root.CreateAccessKey(c, &iam.CreateAccessKeyInput{UserName: aws.String("metered")}))
	_, err := root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("metered")})
	wantCode(t, err, "EntityAlreadyExists", "")
	user := creds{*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey, ""}
	// The user has no policy: an implicit deny.
	_, err = e.iam(user).ListUsers(c, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied", "")
	for range 3 {
		must[*sts.GetCallerIdentityOutput](t)(e.sts(user).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))
	}
	must[*sts.GetSessionTokenOutput](t)(e.sts(user).GetSessionToken(c, &sts.GetSessionTokenInput{}))

	after := e.scrape(t)
	moved := func(name string, want float64, labels ...string) {
		t.Helper()
		if got := value(after, name, labels...) - value(before, name, labels...); got != want {
			t.Errorf("%s%v moved by %g, want %g", name, labels, got, want)
		}
	}
	moved("mantle_requests_total", 1, "service", "iam", "action", "CreateUser", "outcome", "Success")
	moved("mantle_requests_total", 1, "service", "iam", "action", "CreateUser", "outcome", "EntityAlreadyExists")
	moved("mantle_requests_total", 1, "service", "iam", "action", "ListUsers", "outcome", "AccessDenied")
	moved("mantle_requests_total", 3, "service", "sts", "action", "GetCallerIdentity", "outcome", "Success")
	moved("mantle_request_duration_seconds", 3, "service", "sts", "action", "GetCallerIdentity")
	moved("mantle_request_duration_seconds", 2, "service", "iam", "action", "CreateUser")
	moved("mantle_credentials_issued_total", 1, "kind", "access-key")
	moved("mantle_credentials_issued_total", 1, "kind", "user-session")
	moved("mantle_credentials_issued_total", 0, "kind", "assumed-role")
	moved("mantle_authorization_decisions_total", 1, "result", "implicit_deny")
	if got := value(after, "mantle_authorization_decisions_total", "result", "allowed") - value(before, "mantle_authorization_decisions_total", "result", "allowed"); got < 3 {
		// CreateUser twice (authorized before existence is revealed) and
		// CreateAccessKey; GetCallerIdentity needs no permission.
		t.Errorf("allowed decisions moved by %g, want at least 3", got)
	}
	if got := value(after, "mantle_store_transaction_duration_seconds", "kind", "change") - value(before, "mantle_store_transaction_duration_seconds", "kind", "change"); got < 2 {
		t.Errorf("store changes moved by %g, want at least 2 (CreateUser, CreateAccessKey)", got)
	}
	// The user's key was looked up once per request after the last write:
	// the first lookup misses, the others hit.
	if got := value(after, "mantle_cache_hits_total", "cache", "access_keys"); got < 3 {
		t.Errorf("access key cache hits %g, want at least 3", got)
	}
	if got := value(after, "mantle_cache_invalidations_total"); got < 1 {
		t.Errorf("cache invalidations %g, want at least 1 (writes moved the generation)", got)
	}
	if got := value(after, "mantle_open_connections", "listener", "api"); got < 1 {
		t.Errorf("open connections %g, want at least the scraping one", got)
	}
	if got := value(after, "mantle_node_current"); got != 1 {
		t.Errorf("node current %g, want 1", got)
	}
	if got := value(after, "mantle_audit_events_lost_total"); got != 0 {
		t.Errorf("audit events lost %g", got)
	}

	// Unknown actions share one series per service, so a caller cannot
	// make series without end.
	for _, a := range []string{"NoSuchAction1", "NoSuchAction2"} {
		req, _ := http.NewRequest(http.MethodPost, e.URL+"/?Action="+a+"&Version=2011-06-15", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	last := e.scrape(t)
	for _, m := range last["mantle_requests_total"].Metric {
		for _, l := range m.Label {
			if l.GetName() == "action" && (l.GetValue() == "NoSuchAction1" || l.GetValue() == "NoSuchAction2") {
				t.Errorf("series made for an unknown action: %v", m)
			}
		}
	}
	if got := value(last, "mantle_requests_total", "action", "other") - value(after, "mantle_requests_total", "action", "other"); got != 2 {
		t.Errorf("unknown actions counted %g times under other, want 2", got)
	}
}

// TestMetricsDisabled: without metrics, nothing is served at the path.
func TestMetricsDisabled(t *testing.T) {
	e := startConfig(t, func(c *server.Config) { c.DisableMetrics = true })
	resp, err := http.Get(e.URL + "/_mantle/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("HTTP %d, want 404", resp.StatusCode)
	}
}
