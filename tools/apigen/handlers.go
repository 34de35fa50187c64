package main

import (
	"fmt"
	"strings"
)

// handlers writes the typed table of operations: Handlers has one field
// per operation of the model, filled by the wiring code, so a handler of
// the wrong shape does not compile; Operations turns it into the table
// the server dispatches on.
func (g *gen) handlers() (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "// Handlers is the table of %s's operations: one field per operation of the\n// model. A nil field is an operation mantle does not serve: it answers\n// NotImplemented.\ntype Handlers struct {\n", g.svc.title)
	for _, o := range g.ops {
		fmt.Fprintf(&b, "%s func(ctx context.Context, c *auth.Caller, in *%s) (*%s, error)\n", o.name, o.in.goName, o.out.goName)
	}
	b.WriteString("}\n\n")
	fmt.Fprintf(&b, "// Operations returns every operation of the model, served or not, in name\n// order.\nfunc (h *Handlers) Operations() []wire.Operation {\nreturn []wire.Operation{\n")
	for _, o := range g.ops {
		fmt.Fprintf(&b, "{\nName: %q,\nServed: h.%s != nil,\n", o.name, o.name)
		if g.query {
			fmt.Fprintf(&b, "DecodeQuery: func(form url.Values) (wire.Auditable, error) {\nin := new(%s)\nreturn in, in.DecodeQuery(form)\n},\n", o.in.goName)
		} else {
			fmt.Fprintf(&b, "DecodeJSON: func(body []byte) (wire.Auditable, error) {\nin := new(%s)\nreturn in, in.DecodeJSON(body)\n},\n", o.in.goName)
		}
		fmt.Fprintf(&b, "Call: func(ctx context.Context, c *auth.Caller, in wire.Auditable) (wire.Auditable, error) {\nif h.%s == nil {\nreturn nil, wire.NotImplemented(%q, %q)\n}\nout, err := h.%s(ctx, c, in.(*%s))\n", o.name, g.svc.title, o.name, o.name, o.in.goName)
		if o.noOut {
			b.WriteString("_ = out\nreturn nil, err\n},\n},\n")
		} else {
			b.WriteString("if err != nil || out == nil {\nreturn nil, err\n}\nreturn out, nil\n},\n},\n")
		}
	}
	b.WriteString("}\n}\n")
	return g.file(b.String(), "context", "net/url", impAuth, impWire), nil
}
