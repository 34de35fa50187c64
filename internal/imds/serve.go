package imds

import (
	"context"
	"net"
	"net/http"

	"github.com/mantle-iam/mantle/internal/netlimit"
)

// maxConns bounds a workload endpoint's connections: its clients are the
// SDKs of the workloads on this host, a connection or two each, and the
// API listener's bound leaves only an eighth of the descriptors to share.
const maxConns = 256

// Serve answers on l with h until ctx is done, with the bounds every
// listener of mantle has (netlimit), then shuts down.
func Serve(ctx context.Context, l net.Listener, h http.Handler) error {
	return netlimit.Serve(ctx, l, h, netlimit.Config{Name: "workload credentials", MaxConns: maxConns})
}
