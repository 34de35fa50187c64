package policy

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Condition operators, from "IAM JSON policy elements: Condition operators".

type opKind uint8

const (
	opString opKind = iota + 1
	opStringIgnoreCase
	opStringLike
	opNumericEq
	opNumericLt
	opNumericLe
	opNumericGt
	opNumericGe
	opDateEq
	opDateLt
	opDateLe
	opDateGt
	opDateGe
	opBool
	opBinary
	opIP
	opArn
	opNull
)

type opInfo struct {
	kind    opKind
	negated bool
}

var operators = map[string]opInfo{
	"stringequals":              {opString, false},
	"stringnotequals":           {opString, true},
	"stringequalsignorecase":    {opStringIgnoreCase, false},
	"stringnotequalsignorecase": {opStringIgnoreCase, true},
	"stringlike":                {opStringLike, false},
	"stringnotlike":             {opStringLike, true},
	"numericequals":             {opNumericEq, false},
	"numericnotequals":          {opNumericEq, true},
	"numericlessthan":           {opNumericLt, false},
	"numericlessthanequals":     {opNumericLe, false},
	"numericgreaterthan":        {opNumericGt, false},
	"numericgreaterthanequals":  {opNumericGe, false},
	"dateequals":                {opDateEq, false},
	"datenotequals":             {opDateEq, true},
	"datelessthan":              {opDateLt, false},
	"datelessthanequals":        {opDateLe, false},
	"dategreaterthan":           {opDateGt, false},
	"dategreaterthanequals":     {opDateGe, false},
	"bool":                      {opBool, false},
	"binaryequals":              {opBinary, false},
	"ipaddress":                 {opIP, false},
	"notipaddress":              {opIP, true},
	"arnequals":                 {opArn, false},
	"arnlike":                   {opArn, false},
	"arnnotequals":              {opArn, true},
	"arnnotlike":                {opArn, true},
	"null":                      {opNull, false},
}

type setQualifier uint8

const (
	setNone setQualifier = iota
	setForAll
	setForAny
)

// condition is one (operator, key) pair with its values; the values are ORed.
type condition struct {
	opName   string // as written, for explanations
	op       opKind
	negated  bool
	ifExists bool
	set      setQualifier
	key      string
	values   []condValue
}

type condValue struct {
	raw    string
	toks   []token // string operators with variables or wildcards
	arn    arnPattern
	num    float64
	date   instant
	prefix netip.Prefix
	bin    []byte
	b      bool
	dyn    bool // contains a policy variable: typed parsing happens per request
}

// parseOperator splits "ForAnyValue:StringLikeIfExists" into its parts.
func parseOperator(name string) (opInfo, setQualifier, bool, bool) {
	rest := name
	set := setNone
	if len(rest) > 13 && strings.EqualFold(rest[:13], "ForAllValues:") {
		set, rest = setForAll, rest[13:]
	} else if len(rest) > 12 && strings.EqualFold(rest[:12], "ForAnyValue:") {
		set, rest = setForAny, rest[12:]
	}
	ifExists := false
	if len(rest) > 8 && strings.EqualFold(rest[len(rest)-8:], "IfExists") {
		ifExists, rest = true, rest[:len(rest)-8]
	}
	info, ok := operators[strings.ToLower(rest)]
	if !ok || (info.kind == opNull && set != setNone) {
		return opInfo{}, 0, false, false
	}
	return info, set, ifExists, true
}

func compileCondValue(op opKind, opName, raw string, vars bool) (condValue, *Error) {
	v := condValue{raw: raw}
	bad := func() (condValue, *Error) {
		return condValue{}, malformed(fmt.Sprintf("Invalid value for condition operator %s: %q", opName, raw))
	}
	dynamic := vars && strings.Contains(raw, "${")
	switch op {
	case opString, opStringIgnoreCase:
		if dynamic {
			v.toks = tokenize(raw, false, true, false)
			v.dyn = hasVars(v.toks)
		}
	case opStringLike:
		v.toks = tokenize(raw, true, vars, false)
		v.dyn = hasVars(v.toks)
	case opArn:
		v.arn = compileARN(raw, vars)
		v.dyn = v.arn.vars
	case opNull, opBool:
		switch strings.ToLower(raw) {
		case "true":
			v.b = true
		case "false":
		default:
			return bad()
		}
	default:
		if dynamic {
			v.toks = tokenize(raw, false, true, false)
			if v.dyn = hasVars(v.toks); v.dyn {
				return v, nil
			}
		}
		if !v.parseTyped(op, raw) {
			return bad()
		}
	}
	return v, nil
}

// parseTyped parses raw as the operand type of op into v.
func (v *condValue) parseTyped(op opKind, raw string) bool {
	var ok bool
	switch op {
	case opNumericEq, opNumericLt, opNumericLe, opNumericGt, opNumericGe:
		v.num, ok = parseNumber(raw)
	case opDateEq, opDateLt, opDateLe, opDateGt, opDateGe:
		if v.date, ok = parseLegacyDate(raw); !ok {
			v.date, ok = parseDate(raw)
		}
	case opIP:
		v.prefix, ok = parseCIDR(raw)
	case opBinary:
		b, err := base64.StdEncoding.DecodeString(raw)
		v.bin, ok = b, err == nil
	default:
		ok = true
	}
	return ok
}

// parseNumber accepts decimal numbers only: strconv.ParseFloat alone would
// also take "Inf", "NaN" and hex floats.
func parseNumber(s string) (float64, bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// instant is a point in time, comparable without time.Time's location.
type instant struct {
	sec  int64
	nsec int64
}

func (a instant) cmp(b instant) int {
	switch {
	case a.sec < b.sec:
		return -1
	case a.sec > b.sec:
		return 1
	case a.nsec < b.nsec:
		return -1
	case a.nsec > b.nsec:
		return 1
	}
	return 0
}

// parseDate reads the forms the Date operators accept: ISO 8601 dates and
// times (W3C profile: YYYY-MM-DD, optionally THH:MM[:SS[.fff]] and Z or an
// offset) and epoch seconds.
func parseDate(s string) (instant, bool) {
	if s == "" {
		return instant{}, false
	}
	if isEpoch(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f > 1e15 || f < -1e15 {
			return instant{}, false
		}
		sec := int64(f)
		return instant{sec: sec, nsec: int64((f - float64(sec)) * 1e9)}, true
	}
	num := func(s string) (int, bool) {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
			n = n*10 + int(s[i]-'0')
		}
		return n, len(s) > 0
	}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return instant{}, false
	}
	year, ok1 := num(s[0:4])
	month, ok2 := num(s[5:7])
	day, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
		return instant{}, false
	}
	var hour, min, sec, nsec, offset int
	rest := s[10:]
	if rest != "" {
		if rest[0] != 'T' && rest[0] != 't' || len(rest) < 6 || rest[3] != ':' {
			return instant{}, false
		}
		var ok bool
		if hour, ok = num(rest[1:3]); !ok || hour > 23 {
			return instant{}, false
		}
		if min, ok = num(rest[4:6]); !ok || min > 59 {
			return instant{}, false
		}
		rest = rest[6:]
		if len(rest) >= 3 && rest[0] == ':' {
			if sec, ok = num(rest[1:3]); !ok || sec > 60 {
				return instant{}, false
			}
			rest = rest[3:]
			if len(rest) > 1 && rest[0] == '.' {
				i := 1
				scale := 100000000
				for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
					nsec += int(rest[i]-'0') * scale
					scale /= 10
					i++
				}
				if i == 1 {
					return instant{}, false
				}
				rest = rest[i:]
			}
		}
		switch {
		case rest == "" || rest == "Z" || rest == "z":
		case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':',
			len(rest) == 5 && (rest[0] == '+' || rest[0] == '-'):
			oh, ok1 := num(rest[1:3])
			om, ok2 := num(rest[len(rest)-2:])
			if !ok1 || !ok2 || oh > 23 || om > 59 {
				return instant{}, false
			}
			offset = oh*3600 + om*60
			if rest[0] == '-' {
				offset = -offset
			}
		default:
			return instant{}, false
		}
	}
	t := time.Date(year, time.Month(month), day, hour, min, sec, 0, time.UTC)
	return instant{sec: t.Unix() - int64(offset), nsec: int64(nsec)}, true
}

func isEpoch(s string) bool {
	i := 0
	if s[0] == '-' {
		i = 1
	}
	digits := 0
	dot := false
	for ; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			digits++
		case s[i] == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseCIDR accepts a CIDR block or a bare address (a single host).
func parseCIDR(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// eval applies the condition to the request. The semantics, from the
// condition operators page and "Multivalued context keys":
//   - values of one condition are ORed; a negated operator requires that no
//     value matches;
//   - an absent key fails the condition, except for negated operators,
//     ...IfExists, Null and ForAllValues (true on an empty set);
//     ForAnyValue on an absent key is false.
func (c *condition) eval(r *Request, tr *trace) bool {
	vs, ok := r.lookup(c.key)
	if !ok || vs.len() == 0 {
		if tr != nil && !ok {
			tr.addMissing(c.key)
		}
		if c.op == opNull {
			return c.anyValue(func(v *condValue) bool { return v.b })
		}
		switch {
		case c.set == setForAll:
			return true
		case c.ifExists:
			return true
		case c.set == setForAny:
			return false
		}
		return c.negated
	}
	if c.op == opNull {
		return c.anyValue(func(v *condValue) bool { return !v.b })
	}
	switch c.set {
	case setForAll:
		for i := 0; i < vs.len(); i++ {
			if c.matchAny(vs.at(i), r) == c.negated {
				return false
			}
		}
		return true
	case setForAny:
		for i := 0; i < vs.len(); i++ {
			if c.matchAny(vs.at(i), r) != c.negated {
				return true
			}
		}
		return false
	}
	// A single-valued operator on a multi-valued key matches when any
	// request value matches; negated, when none does.
	for i := 0; i < vs.len(); i++ {
		if c.matchAny(vs.at(i), r) {
			return !c.negated
		}
	}
	return c.negated
}

func (c *condition) anyValue(f func(*condValue) bool) bool {
	for i := range c.values {
		if f(&c.values[i]) {
			return true
		}
	}
	return false
}

// matchAny reports whether the request value s matches any policy value
// under the positive form of the operator.
func (c *condition) matchAny(s string, r *Request) bool {
	switch c.op {
	case opNumericEq, opNumericLt, opNumericLe, opNumericGt, opNumericGe:
		n, ok := parseNumber(s)
		if !ok {
			return false
		}
		for i := range c.values {
			v := &c.values[i]
			pv, ok := v.num, true
			if v.dyn {
				pv, ok = parseNumber(resolveString(v.toks, r))
			}
			if ok && compareOrdered(c.op-opNumericEq, cmpFloat(n, pv)) {
				return true
			}
		}
		return false
	case opDateEq, opDateLt, opDateLe, opDateGt, opDateGe:
		t, ok := parseDate(s)
		if !ok {
			return false
		}
		for i := range c.values {
			v := &c.values[i]
			pv, ok := v.date, true
			if v.dyn {
				pv, ok = parseDate(resolveString(v.toks, r))
			}
			if ok && compareOrdered(c.op-opDateEq, t.cmp(pv)) {
				return true
			}
		}
		return false
	case opIP:
		a, err := netip.ParseAddr(s)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for i := range c.values {
			v := &c.values[i]
			p, ok := v.prefix, true
			if v.dyn {
				p, ok = parseCIDR(resolveString(v.toks, r))
			}
			if ok && p.Contains(a) {
				return true
			}
		}
		return false
	case opArn:
		parts := splitARN(s)
		for i := range c.values {
			if c.values[i].arn.match(&parts, r) {
				return true
			}
		}
		return false
	}
	for i := range c.values {
		if c.values[i].matchString(c.op, s, r) {
			return true
		}
	}
	return false
}

func (v *condValue) matchString(op opKind, s string, r *Request) bool {
	switch op {
	case opString:
		if v.dyn {
			return matchTokens(v.toks, s, false, r)
		}
		return s == v.raw
	case opStringIgnoreCase:
		if v.dyn {
			return matchTokens(v.toks, s, true, r)
		}
		return strings.EqualFold(s, v.raw)
	case opStringLike:
		return matchTokens(v.toks, s, false, r)
	case opBool:
		return (v.b && strings.EqualFold(s, "true")) || (!v.b && strings.EqualFold(s, "false"))
	case opBinary:
		var buf [256]byte
		if base64.StdEncoding.DecodedLen(len(s)) > len(buf) {
			b, err := base64.StdEncoding.DecodeString(s)
			return err == nil && string(b) == string(v.bin)
		}
		n, err := base64.StdEncoding.Decode(buf[:], []byte(s))
		return err == nil && string(buf[:n]) == string(v.bin)
	}
	return false
}

// resolveString substitutes variables for typed operators (rare, so it may
// allocate); an unresolvable variable yields "" which no typed parse accepts.
func resolveString(toks []token, r *Request) string {
	var b strings.Builder
	for i := range toks {
		t := &toks[i]
		if t.kind == tVar {
			v, ok := r.variable(t)
			if !ok {
				return ""
			}
			b.WriteString(v)
			continue
		}
		b.WriteString(t.text)
	}
	return b.String()
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareOrdered applies the ordered operator at offset rel from the Equals
// variant (Eq, Lt, Le, Gt, Ge, in that order) to a comparison result.
func compareOrdered(rel opKind, c int) bool {
	switch rel {
	case 0:
		return c == 0
	case 1:
		return c < 0
	case 2:
		return c <= 0
	case 3:
		return c > 0
	case 4:
		return c >= 0
	}
	return false
}
