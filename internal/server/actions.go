package server

import (
	"context"
	"net/url"
	"reflect"

	"github.com/mantle-iam/mantle/internal/api/wire"
	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awsproto"
)

var (
	ctxType    = reflect.TypeFor[context.Context]()
	callerType = reflect.TypeFor[*auth.Caller]()
	errType    = reflect.TypeFor[error]()
)

// QueryActions exposes every method of svc shaped like an AWS action,
//
//	func (s *S) Name(ctx context.Context, c *auth.Caller, in *NameInput) (*NameOutput, error)
//
// as the Query action Name. A domain service gains an action by gaining the
// method: there is no second list to keep in step.
func QueryActions(svc any) map[string]QueryHandler {
	actions := make(map[string]QueryHandler)
	forEachAction(svc, func(name string, inType reflect.Type, call func(ctx context.Context, c *auth.Caller, in reflect.Value) (any, error)) {
		actions[name] = func(ctx context.Context, c *auth.Caller, form url.Values) (any, error) {
			in := reflect.New(inType)
			if err := awsproto.DecodeQuery(form, in.Interface()); err != nil {
				return nil, err
			}
			return call(ctx, c, in)
		}
	})
	return actions
}

// JSONActions is QueryActions for the JSON 1.1 protocol.
func JSONActions(svc any) map[string]JSONHandler {
	actions := make(map[string]JSONHandler)
	forEachAction(svc, func(name string, inType reflect.Type, call func(ctx context.Context, c *auth.Caller, in reflect.Value) (any, error)) {
		actions[name] = func(ctx context.Context, c *auth.Caller, body []byte) (any, error) {
			in := reflect.New(inType)
			if err := awsproto.DecodeJSON(body, in.Interface()); err != nil {
				return nil, err
			}
			return call(ctx, c, in)
		}
	})
	return actions
}

func forEachAction(svc any, add func(name string, inType reflect.Type, call func(ctx context.Context, c *auth.Caller, in reflect.Value) (any, error))) {
	v := reflect.ValueOf(svc)
	t := v.Type()
	for i := 0; i < t.NumMethod(); i++ {
		m := t.Method(i)
		mt := m.Type // includes the receiver
		if mt.NumIn() != 4 || mt.NumOut() != 2 ||
			mt.In(1) != ctxType || mt.In(2) != callerType ||
			mt.In(3).Kind() != reflect.Pointer || mt.In(3).Elem().Kind() != reflect.Struct ||
			mt.In(3).Elem().Name() != m.Name+"Input" || mt.Out(1) != errType {
			continue
		}
		fn := v.Method(i)
		inType := mt.In(3).Elem()
		if err := awsproto.Prepare(reflect.New(inType).Interface()); err != nil {
			panic(err)
		}
		add(m.Name, inType, func(ctx context.Context, c *auth.Caller, in reflect.Value) (any, error) {
			audit.SetInput(ctx, in.Interface())
			out := fn.Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(c), in})
			if err, _ := out[1].Interface().(error); err != nil {
				return nil, err
			}
			res := out[0]
			if res.Kind() == reflect.Pointer && res.IsNil() {
				return nil, nil
			}
			return res.Interface(), nil
		})
	}
}

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
		out[name] = func(ctx context.Context, r *RequestInfo, form url.Values) (any, error) {
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
		actions[op.Name] = func(ctx context.Context, c *auth.Caller, form url.Values) (any, error) {
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
		actions[op.Name] = func(ctx context.Context, c *auth.Caller, body []byte) (any, error) {
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

func call(ctx context.Context, c *auth.Caller, op *wire.Operation, in wire.Auditable) (any, error) {
	audit.SetInput(ctx, in)
	out, err := op.Call(ctx, c, in)
	if out == nil {
		// An interface holding no output, not a typed nil: the encoders
		// write no Result for it.
		return nil, err
	}
	return out, err
}
