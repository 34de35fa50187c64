package server

import (
	"context"
	"net/url"

	"github.com/mantle-iam/mantle/internal/api/wire"
	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
)

// UnsignedActions serves the named actions also without a signature, as AWS
// does for AssumeRoleWithWebIdentity and AssumeRoleWithSAML: the action
// gets a Caller holding only the request's facts (source IP, time, …).
func UnsignedActions(actions map[string]QueryHandler, names ...string) map[string]UnsignedHandler {
	out := make(map[string]UnsignedHandler, len(names))
	for _, name := range names {
		h, ok := actions[name]
		if !ok {
			panic("no action " + name)
		}
		out[name] = func(ctx context.Context, r *RequestInfo, form url.Values) (wire.Auditable, error) {
			return h(ctx, &auth.Caller{
				SourceIP:        r.SourceIP,
				SecureTransport: r.SecureTransport,
				UserAgent:       r.UserAgent,
				RequestTime:     r.Time,
				RequestID:       r.ID,
			}, form)
		}
	}
	return out
}

// Operations serves a generated table of operations (internal/api/…)
// over the Query protocol: the operation decodes and validates its input,
// the audit entry gets the input before the handler runs (IAM writes
// stage their event with it), and an operation without a handler answers
// NotImplemented before anything is read.
func Operations(ops []wire.Operation) map[string]QueryHandler {
	return serve(ops, func(op *wire.Operation, form url.Values) (wire.Auditable, error) { return op.DecodeQuery(form) })
}

// JSONOperations is Operations for the JSON 1.1 protocol.
func JSONOperations(ops []wire.Operation) map[string]JSONHandler {
	return serve(ops, func(op *wire.Operation, body []byte) (wire.Auditable, error) { return op.DecodeJSON(body) })
}

func serve[R any](ops []wire.Operation, decode func(*wire.Operation, R) (wire.Auditable, error)) map[string]handler[R] {
	actions := make(map[string]handler[R], len(ops))
	for i := range ops {
		op := &ops[i]
		actions[op.Name] = func(ctx context.Context, c *auth.Caller, req R) (wire.Auditable, error) {
			if !op.Served {
				return op.Call(ctx, c, nil)
			}
			in, err := decode(op, req)
			if err != nil {
				return nil, err
			}
			audit.SetInput(ctx, in)
			return op.Call(ctx, c, in)
		}
	}
	return actions
}
