package metrics

import (
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// Success is the outcome label of a request answered without an error.
const Success = "Success"

// Other stands for a label value outside the bounded set: an action the
// service does not have (a typo, a probe), or an error code beyond maxCodes.
const Other = "other"

// maxCodes bounds the outcomes kept apart per action: mantle's error codes
// are a fixed set, but a bound costs nothing and keeps a bug from making
// series without end.
const maxCodes = 32

// latencyBuckets span a cached GetCallerIdentity (tens of µs) to a slow
// write waiting for a PostgreSQL peer's acknowledgement (seconds).
var latencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// Registry is one server's metrics. Register the services before serving;
// Request is then safe for concurrent use.
type Registry struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	services  map[string]*service
	unknown   *service // requests no service was found for

	txDurations *prometheus.HistogramVec
	txRetries   *prometheus.CounterVec
	ackDuration prometheus.Histogram
	ackRegister sync.Once
}

type service struct {
	actions map[string]*action
	other   *action
}

// action holds the series of one (service, action). They are made at the
// first request, not at registration: the services' models name hundreds
// of operations, most of which a deployment never sees, and a series
// scraped as zero for each would cost every scrape thousands of lines.
type action struct {
	r             *Registry
	service, name string
	mu            sync.Mutex // making series
	series        atomic.Pointer[actionSeries]
	codes         atomic.Pointer[map[string]prometheus.Counter] // copied on write
}

type actionSeries struct {
	ok       prometheus.Counter
	duration prometheus.Observer
}

// New returns a registry with the request metrics, the store's transaction
// metrics, and Go's runtime and process collectors.
func New() *Registry {
	r := &Registry{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mantle_requests_total",
			Help: "API requests answered, by service, action and outcome (Success or the AWS error code).",
		}, []string{"service", "action", "outcome"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mantle_request_duration_seconds",
			Help:    "Time from reading a request to answering it, by service and action.",
			Buckets: latencyBuckets,
		}, []string{"service", "action"}),
		services: map[string]*service{},
		txDurations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mantle_store_transaction_duration_seconds",
			Help:    "Store transactions by kind (change: announced to every node; tx: bookkeeping), retries and acknowledgement waits included.",
			Buckets: latencyBuckets,
		}, []string{"kind"}),
		txRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mantle_store_transaction_retries_total",
			Help: "Store transactions run again after a serialization failure or deadlock, by kind.",
		}, []string{"kind"}),
		ackDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "mantle_change_ack_duration_seconds",
			Help:    "PostgreSQL: how long a committed change waited for every other live node to apply it.",
			Buckets: latencyBuckets,
		}),
	}
	r.unknown = r.newService("unknown", nil)
	r.reg.MustRegister(r.requests, r.durations, r.txDurations, r.txRetries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Handler serves the registry in Prometheus' text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{})
}

// ObserveAck records one change's wait for acknowledgements; it registers
// the histogram at the first call, so a SQLite mantle does not show it.
func (r *Registry) ObserveAck(d time.Duration) {
	r.ackRegister.Do(func() { r.reg.MustRegister(r.ackDuration) })
	r.ackDuration.Observe(d.Seconds())
}

// Register declares a service and the actions it serves. Call it before
// the first Request.
func (r *Registry) Register(name string, actions []string) {
	r.services[name] = r.newService(name, actions)
}

func (r *Registry) newService(name string, actions []string) *service {
	s := &service{actions: make(map[string]*action, len(actions))}
	for _, a := range actions {
		s.actions[a] = r.newAction(name, a)
	}
	s.other = r.newAction(name, Other)
	return s
}

func (r *Registry) newAction(svc, name string) *action {
	a := &action{r: r, service: svc, name: name}
	a.codes.Store(&map[string]prometheus.Counter{})
	return a
}

// Request counts one answered request: code is "" for success, else the
// AWS error code it was answered with. It allocates nothing once the
// action's series exist.
func (r *Registry) Request(svc, act, code string, d time.Duration) {
	s := r.services[svc]
	if s == nil {
		s = r.unknown
	}
	a := s.actions[act]
	if a == nil {
		a = s.other
	}
	m := a.series.Load()
	if m == nil {
		m = a.makeSeries()
	}
	m.duration.Observe(d.Seconds())
	if code == "" {
		m.ok.Inc()
		return
	}
	c := (*a.codes.Load())[code]
	if c == nil {
		c = a.makeCode(code)
	}
	c.Inc()
}

func (a *action) makeSeries() *actionSeries {
	a.mu.Lock()
	defer a.mu.Unlock()
	if m := a.series.Load(); m != nil {
		return m
	}
	m := &actionSeries{
		ok:       a.r.requests.WithLabelValues(a.service, a.name, Success),
		duration: a.r.durations.WithLabelValues(a.service, a.name),
	}
	a.series.Store(m)
	return m
}

func (a *action) makeCode(code string) prometheus.Counter {
	a.mu.Lock()
	defer a.mu.Unlock()
	old := *a.codes.Load()
	if c := old[code]; c != nil {
		return c
	}
	if len(old) >= maxCodes {
		code = Other
		if c := old[code]; c != nil {
			return c
		}
	}
	c := a.r.requests.WithLabelValues(a.service, a.name, code)
	m := maps.Clone(old)
	m[code] = c
	a.codes.Store(&m)
	return c
}

// Successes returns how many requests of an action succeeded so far.
func (r *Registry) Successes(svc, act string) uint64 {
	s := r.services[svc]
	if s == nil || s.actions[act] == nil {
		return 0
	}
	m := s.actions[act].series.Load()
	if m == nil {
		return 0
	}
	var out dto.Metric
	if err := m.ok.Write(&out); err != nil {
		return 0
	}
	return uint64(out.GetCounter().GetValue())
}

// Emit reports one value of a metric read at scrape time, with its labels'
// values in the order they were declared.
type Emit func(v float64, labels ...string)

// Counter registers a counter read at scrape time from what another
// package counts for itself.
func (r *Registry) Counter(name, help string, labels []string, read func(Emit)) {
	r.reg.MustRegister(&sampler{desc: prometheus.NewDesc(name, help, labels, nil), typ: prometheus.CounterValue, read: read})
}

// Gauge registers a gauge read at scrape time.
func (r *Registry) Gauge(name, help string, labels []string, read func(Emit)) {
	r.reg.MustRegister(&sampler{desc: prometheus.NewDesc(name, help, labels, nil), typ: prometheus.GaugeValue, read: read})
}

// sampler is a collector of values read at scrape time.
type sampler struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
	read func(Emit)
}

func (s *sampler) Describe(ch chan<- *prometheus.Desc) { ch <- s.desc }

func (s *sampler) Collect(ch chan<- prometheus.Metric) {
	s.read(func(v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(s.desc, s.typ, v, labels...)
	})
}
