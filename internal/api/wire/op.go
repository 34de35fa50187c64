package wire

import (
	"context"
	"net/http"
	"net/url"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
)

// Operation is one operation of a service model, as the generated table
// of operations (Handlers.Operations) describes it: how to read its input
// and how to call its handler. Served is false for the operations of the
// model mantle has no handler for; calling those answers NotImplemented.
type Operation struct {
	Name   string
	Served bool
	// DecodeQuery reads and validates the input of a Query protocol
	// operation (nil for JSON services); DecodeJSON of a JSON 1.1 one.
	DecodeQuery func(form url.Values) (Auditable, error)
	DecodeJSON  func(body []byte) (Auditable, error)
	// Call runs the handler with the decoded input. The output is nil for
	// operations whose model has no output, else it has the protocol's
	// encoder (AppendXML or AppendJSON).
	Call func(ctx context.Context, c *auth.Caller, in Auditable) (Auditable, error)
}

// NotImplemented is the answer to a model operation mantle does not serve,
// so a client can tell mantle's gap from its own mistake (an unknown
// operation is InvalidAction). Like every 5xx it is the service's fault
// (Type Receiver), which the SDKs do not retry for 501.
func NotImplemented(service, op string) error {
	e := awserr.New("NotImplemented", http.StatusNotImplemented,
		"%s operation %s is not implemented by mantle.", service, op)
	e.Receiver = true
	return e
}
