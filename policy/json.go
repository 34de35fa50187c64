package policy

import (
	"sort"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A small JSON reader of our own rather than encoding/json: the simulator
// needs each statement's source position, IAM keeps the last of duplicate
// keys, and condition values may be strings, numbers or booleans, all of which
// are awkward to recover from encoding/json.

type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

type jval struct {
	kind  jkind
	str   string // string value, number text, or "true"/"false"
	arr   []*jval
	keys  []string
	vals  []*jval
	start int // byte offset of the first character
	end   int // byte offset just past the last character
}

// get returns the value of the last member named key (IAM keeps the last of
// duplicated members).
func (v *jval) get(key string) (*jval, bool) {
	for i := len(v.keys) - 1; i >= 0; i-- {
		if v.keys[i] == key {
			return v.vals[i], true
		}
	}
	return nil, false
}

const maxJSONDepth = 64

type jparser struct {
	s     string
	i     int
	depth int
}

type jsonError struct{ off int }

func (e *jsonError) Error() string { return "invalid JSON at offset " + strconv.Itoa(e.off) }

func parseJSON(s string) (*jval, error) {
	p := &jparser{s: s}
	p.skipWS()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipWS()
	if p.i != len(p.s) {
		return nil, &jsonError{p.i}
	}
	return v, nil
}

func (p *jparser) fail() error { return &jsonError{p.i} }

func (p *jparser) skipWS() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jparser) value() (*jval, error) {
	if p.i >= len(p.s) {
		return nil, p.fail()
	}
	start := p.i
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		str, err := p.str()
		if err != nil {
			return nil, err
		}
		return &jval{kind: jString, str: str, start: start, end: p.i}, nil
	case c == 't':
		return p.lit("true", jBool)
	case c == 'f':
		return p.lit("false", jBool)
	case c == 'n':
		return p.lit("null", jNull)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, p.fail()
}

func (p *jparser) lit(word string, k jkind) (*jval, error) {
	if len(p.s)-p.i < len(word) || p.s[p.i:p.i+len(word)] != word {
		return nil, p.fail()
	}
	v := &jval{kind: k, str: word, start: p.i, end: p.i + len(word)}
	p.i += len(word)
	return v, nil
}

func (p *jparser) number() (*jval, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.s) && p.s[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return nil, p.fail()
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, p.fail()
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, p.fail()
		}
	}
	return &jval{kind: jNumber, str: p.s[start:p.i], start: start, end: p.i}, nil
}

func (p *jparser) str() (string, error) {
	p.i++ // opening quote
	start := p.i
	// Fast path: no escapes.
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			s := p.s[start:p.i]
			p.i++
			if !utf8.ValidString(s) {
				return "", &jsonError{start}
			}
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.fail()
		}
		p.i++
	}
	buf := []byte(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			if !utf8.Valid(buf) {
				return "", &jsonError{start}
			}
			return string(buf), nil
		case c < 0x20:
			return "", p.fail()
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.s) {
			return "", p.fail()
		}
		e := p.s[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.fail()
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(utf8.RuneError)
				if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					if lo, ok := p.hex4(); ok {
						r2 = utf16.DecodeRune(r, lo)
					} else {
						p.i = save
					}
				}
				r = r2
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", p.fail()
		}
	}
	return "", p.fail()
}

func (p *jparser) hex4() (rune, bool) {
	if len(p.s)-p.i < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}

func (p *jparser) enter() error {
	p.depth++
	if p.depth > maxJSONDepth {
		return p.fail()
	}
	return nil
}

func (p *jparser) object() (*jval, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	v := &jval{kind: jObject, start: p.i}
	p.i++
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		v.end = p.i
		return v, nil
	}
	for {
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return nil, p.fail()
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipWS()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.fail()
		}
		p.i++
		p.skipWS()
		val, err := p.value()
		if err != nil {
			return nil, err
		}
		v.keys = append(v.keys, k)
		v.vals = append(v.vals, val)
		p.skipWS()
		if p.i >= len(p.s) {
			return nil, p.fail()
		}
		if p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.s[p.i] == '}' {
			p.i++
			v.end = p.i
			return v, nil
		}
		return nil, p.fail()
	}
}

func (p *jparser) array() (*jval, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	v := &jval{kind: jArray, start: p.i}
	p.i++
	p.skipWS()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		v.end = p.i
		return v, nil
	}
	for {
		p.skipWS()
		val, err := p.value()
		if err != nil {
			return nil, err
		}
		v.arr = append(v.arr, val)
		p.skipWS()
		if p.i >= len(p.s) {
			return nil, p.fail()
		}
		if p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.s[p.i] == ']' {
			p.i++
			v.end = p.i
			return v, nil
		}
		return nil, p.fail()
	}
}

// lineIndex converts byte offsets into 1-based lines and columns, counting
// columns in characters as the IAM simulator reports them.
type lineIndex struct {
	doc    string
	starts []int // byte offset of each line's first character
}

func newLineIndex(doc string) *lineIndex {
	li := &lineIndex{doc: doc, starts: []int{0}}
	for i := 0; i < len(doc); i++ {
		if doc[i] == '\n' {
			li.starts = append(li.starts, i+1)
		}
	}
	return li
}

func (li *lineIndex) pos(off int) Pos {
	line := sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > off }) - 1
	return Pos{Line: line + 1, Column: utf8.RuneCountInString(li.doc[li.starts[line]:off]) + 1}
}
