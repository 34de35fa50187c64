// Package metrics owns mantle's Prometheus metrics: the registry served at
// GET /_mantle/metrics, the per-request counters and latency histograms, and
// the collectors that read, at scrape time, what other packages count for
// themselves (the authorizer's decisions, the token ring's sealed tokens, the
// audit recorder's queue, the caches, the connection bound, the PostgreSQL
// nodes).
//
// The request path pays for metrics with atomic adds and nothing else: the
// counters and histograms of every (service, action) the server serves are
// made once, when the server is wired, and looked up in read-only maps, so
// observing a request allocates nothing and takes no lock. Everything else is
// read when Prometheus scrapes. Label values are bounded: actions are the
// served operations (anything else is counted as "other") and outcomes are
// mantle's own error codes, at most maxCodes per action.
package metrics
