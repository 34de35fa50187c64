// Package netlimit serves HTTP with every resource a client can hold
// bounded: each listener of mantle (the API, the instance metadata and
// container credential endpoints, and any later one) runs through Serve, so
// none can be exhausted by one client.
//
// A client can hold a connection open without sending (cut after
// ReadHeaderTimeout), send headers or a body slowly (ReadHeaderTimeout,
// ReadTimeout), read the answer slowly (WriteTimeout), or keep an idle
// keep-alive connection (IdleTimeout). The number of connections is bounded
// below the process's descriptor limit; at the bound a new connection
// evicts the one that has waited longest without a request in progress, so
// idle connections can never lock out a health check, and when every
// connection is busy a small reserve still admits health checks. On
// shutdown in-flight requests get a short grace, then every connection is
// cut, so one slow client cannot hold the process.
//
// PerAddress is the request-rate counterpart: token buckets per source
// address in a bounded table, for requests no signature vouches for.
package netlimit
