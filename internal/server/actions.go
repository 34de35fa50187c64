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
	actions := make(map[string]QueryHandler, len(ops))
	for i := range ops {
		op := &ops[i]
		actions[op.Name] = func(ctx context.Context, c *auth.Caller, form url.Values) (wire.Auditable, error) {
			if !op.Served {
				return op.Call(ctx, c, nil)
			}
			in, err := op.DecodeQuery(form)
			if err != nil {
				return nil, err
			}
			return call(ctx, c, op, in)
		}
	}
	return actions
}

// JSONOperations is Operations for the JSON 1.1 protocol.
func JSONOperations(ops []wire.Operation) map[string]JSONHandler {
	actions := make(map[string]JSONHandler, len(ops))
	for i := range ops {
		op := &ops[i]
		actions[op.Name] = func(ctx context.Context, c *auth.Caller, body []byte) (wire.Auditable, error) {
			if !op.Served {
				return op.Call(ctx, c, nil)
			}
			in, err := op.DecodeJSON(body)
			if err != nil {
				return nil, err
			}
			return call(ctx, c, op, in)
		}
	}
	return actions
}

func call(ctx context.Context, c *auth.Caller, op *wire.Operation, in wire.Auditable) (wire.Auditable, error) {
	audit.SetInput(ctx, in)
	return op.Call(ctx, c, in)
}
