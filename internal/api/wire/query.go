package wire

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Query reads one Query protocol request (lists as Name.member.N, members
// of listed structures as Name.member.N.Field). The generated decoders
// build each parameter's key in one reused buffer, so reading a form costs
// no allocation but the values' own. Unknown parameters are ignored, as
// AWS ignores them.
type Query struct {
	Form url.Values
	// Malformed collects values that are not of their member's type
	// ("Member must be a number"); AWS reports them before any constraint.
	Malformed Checker
}

// Get returns the value of key, and whether it was sent.
func (q *Query) Get(key []byte) (string, bool) {
	vs, ok := q.Form[string(key)]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// Has reports whether key was sent at all; the SDKs send an empty list as
// "Name=".
func (q *Query) Has(key []byte) bool {
	_, ok := q.Form[string(key)]
	return ok
}

// Item returns the key of a list's n-th (1-based) element: "Name.member.n".
func Item(key []byte, n int) []byte {
	key = append(key, ".member."...)
	return strconv.AppendInt(key, int64(n), 10)
}

// Int reads an integer member.
func (q *Query) Int(key []byte) (*int, bool) {
	s, ok := q.Get(key)
	if !ok {
		return nil, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		q.malformed(key, s, "Member must be a number")
		return nil, true
	}
	return &n, true
}

// Int64 reads a long member.
func (q *Query) Int64(key []byte) (*int64, bool) {
	s, ok := q.Get(key)
	if !ok {
		return nil, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		q.malformed(key, s, "Member must be a number")
		return nil, true
	}
	return &n, true
}

// Float reads a double or float member.
func (q *Query) Float(key []byte) (*float64, bool) {
	s, ok := q.Get(key)
	if !ok {
		return nil, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		q.malformed(key, s, "Member must be a number")
		return nil, true
	}
	return &f, true
}

// Bool reads a boolean member ("true"/"false", any case).
func (q *Query) Bool(key []byte) (*bool, bool) {
	s, ok := q.Get(key)
	if !ok {
		return nil, false
	}
	var b bool
	switch strings.ToLower(s) {
	case "true":
		b = true
	case "false":
	default:
		q.malformed(key, s, "Member must be a boolean")
		return nil, true
	}
	return &b, true
}

// Time reads a timestamp member (ISO 8601).
func (q *Query) Time(key []byte) (time.Time, bool) {
	s, ok := q.Get(key)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		q.malformed(key, s, "Member must be a timestamp")
		return time.Time{}, true
	}
	return t, true
}

// Blob reads a base64 blob member.
func (q *Query) Blob(key []byte) ([]byte, bool) {
	s, ok := q.Get(key)
	if !ok {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		q.malformed(key, s, "Member must be base64 encoded")
		return nil, true
	}
	return b, true
}

// malformed reports a value at a wire key ("Tags.member.6.Value") under
// AWS's name for the member ("tags.6.member.value").
func (q *Query) malformed(key []byte, value, constraint string) {
	parts := strings.Split(string(key), ".")
	var p *Path
	for i := 0; i < len(parts); i++ {
		next := At(p, parts[i])
		p = &next
		if i+2 < len(parts) && parts[i+1] == "member" {
			n, _ := strconv.Atoi(parts[i+2])
			el := Elem(p, n-1)
			p = &el
			i += 2
		}
	}
	q.Malformed.Fail(p, value, constraint)
}
