package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// model is the part of a botocore service-2 model apigen reads.
type model struct {
	Metadata struct {
		Protocol     string `json:"protocol"`
		TargetPrefix string `json:"targetPrefix"`
		XMLNamespace string `json:"xmlNamespace"`
	} `json:"metadata"`
	Operations map[string]*operation `json:"operations"`
	Shapes     map[string]*shape     `json:"shapes"`
}

type operation struct {
	Name   string `json:"name"`
	Input  *ref   `json:"input"`
	Output *ref   `json:"output"`
}

type ref struct {
	Shape string `json:"shape"`
}

type shape struct {
	Type      string          `json:"type"`
	RawMember json.RawMessage `json:"members"`
	Required  []string        `json:"required"`
	Min       *float64        `json:"min"`
	Max       *float64        `json:"max"`
	Pattern   string          `json:"pattern"`
	Enum      []string        `json:"enum"`
	Sensitive bool            `json:"sensitive"`
	Exception bool            `json:"exception"`
	Member    *ref            `json:"member"`
	Key       *ref            `json:"key"`
	Value     *ref            `json:"value"`

	name    string   // the model's name
	goName  string   // for structures
	members []member // in the model's order, which is AWS's wire and message order
	input   bool     // reachable from an operation's input
	output  bool     // reachable from an operation's output
	// elemShape and valShape are a list's element and a map's value.
	elemShape, valShape *shape
}

type member struct {
	name     string // AWS's name, as on the wire
	field    string // Go field name
	shape    *shape
	required bool
}

// loadModel reads a model. order gives, per structure, the order AWS
// writes its members in: the published models list members sorted by
// name, but AWS's responses (and validation messages) follow the order
// of its own definitions.
func loadModel(path string, order map[string][]string) (*model, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m model
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for name, s := range m.Shapes {
		s.name = name
		if s.Member != nil {
			s.elemShape = m.Shapes[s.Member.Shape]
		}
		if s.Value != nil {
			s.valShape = m.Shapes[s.Value.Shape]
		}
	}
	for name, s := range m.Shapes {
		if s.Type != "structure" {
			continue
		}
		names, err := memberOrder(s.RawMember)
		if err != nil {
			return nil, fmt.Errorf("%s: shape %s: %w", path, name, err)
		}
		var refs map[string]ref
		if err := json.Unmarshal(s.RawMember, &refs); err != nil {
			return nil, err
		}
		names = reorder(names, order[name])
		req := map[string]bool{}
		for _, r := range s.Required {
			req[r] = true
		}
		for _, n := range names {
			ms := m.Shapes[refs[n].Shape]
			if ms == nil {
				return nil, fmt.Errorf("%s: %s.%s: no shape %s", path, name, n, refs[n].Shape)
			}
			s.members = append(s.members, member{name: n, field: exported(n), shape: ms, required: req[n]})
		}
		if len(s.members) > 64 {
			return nil, fmt.Errorf("%s: %s has more than 64 members", path, name)
		}
	}
	return &m, nil
}

// memberOrder returns an object's keys in document order: the model lists
// members in the order AWS writes and validates them.
func memberOrder(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	if _, err := d.Token(); err != nil {
		return nil, err
	}
	var names []string
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, err
		}
		names = append(names, t.(string))
		var skip json.RawMessage
		if err := d.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// ops returns the operations in name order.
func (m *model) ops() []*operation {
	var ops []*operation
	for _, o := range m.Operations {
		ops = append(ops, o)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].Name < ops[j].Name })
	return ops
}

// structures returns the structures reachable from operations, in Go name
// order.
func (m *model) structures() []*shape {
	var out []*shape
	for _, s := range m.Shapes {
		if s.Type == "structure" && (s.input || s.output) {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].goName < out[j].goName })
	return out
}

// mark flags s and everything it contains as reachable from an input or
// an output.
func mark(s *shape, input bool) {
	if s == nil {
		return
	}
	if input {
		if s.input {
			return
		}
		s.input = true
	} else {
		if s.output {
			return
		}
		s.output = true
	}
	for _, mb := range s.members {
		mark(mb.shape, input)
	}
	mark(s.elem(), input)
	mark(s.val(), input)
}

func (s *shape) elem() *shape { return s.elemShape }

func (s *shape) val() *shape { return s.valShape }

func exported(name string) string {
	if name == "" {
		return name
	}
	b := []byte(name)
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	return string(b)
}

// reorder puts the names listed in first before the others, which keep
// their order.
func reorder(names, first []string) []string {
	if len(first) == 0 {
		return names
	}
	out := make([]string, 0, len(names))
	listed := map[string]bool{}
	for _, n := range first {
		for _, m := range names {
			if m == n && !listed[n] {
				out = append(out, n)
				listed[n] = true
			}
		}
	}
	for _, n := range names {
		if !listed[n] {
			out = append(out, n)
		}
	}
	return out
}

// loadOrder reads member-order.json: per model file, per structure, the
// order of its members on the wire.
func loadOrder(path string) (map[string]map[string][]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var order map[string]map[string][]string
	return order, json.Unmarshal(raw, &order)
}
