package policy

import (
	"strings"
	"unicode/utf8"
)

// Patterns are pre-tokenised at compile time so that matching needs no
// allocation: policy variables are resolved against the request while
// matching instead of by building a substituted string.

type tokKind uint8

const (
	tLit   tokKind = iota // literal text
	tStar                 // "*": any run of characters
	tQuest                // "?": exactly one character
	tVar                  // ${key} or ${key, 'default'}
)

type token struct {
	kind   tokKind
	text   string // literal text, or the variable's context key
	def    string // default value of a variable
	hasDef bool
}

// tokenize splits s into tokens. wild makes "*" and "?" wildcards; vars
// enables ${...} policy variables (only in Version 2012-10-17 documents, see
// "IAM policy elements: Variables and tags"); fold lower-cases literal text
// for case-insensitive matching.
func tokenize(s string, wild, vars, fold bool) []token {
	var toks []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t := lit.String()
			if fold {
				t = lowerASCII(t)
			}
			toks = append(toks, token{kind: tLit, text: t})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if vars && c == '$' && i+1 < len(s) && s[i+1] == '{' {
			if end := strings.IndexByte(s[i+2:], '}'); end >= 0 {
				inner := s[i+2 : i+2+end]
				switch inner {
				case "*", "?", "$":
					// Escapes for characters that would otherwise be special.
					lit.WriteString(inner)
					i += end + 3
					continue
				}
				if v, ok := parseVariable(inner); ok {
					flush()
					toks = append(toks, v)
					i += end + 3
					continue
				}
			}
		}
		if wild && (c == '*' || c == '?') {
			flush()
			if c == '*' {
				if n := len(toks); n == 0 || toks[n-1].kind != tStar {
					toks = append(toks, token{kind: tStar})
				}
			} else {
				toks = append(toks, token{kind: tQuest})
			}
			i++
			continue
		}
		lit.WriteByte(c)
		i++
	}
	flush()
	return toks
}

// parseVariable reads the inside of ${...}: a key, optionally followed by a
// comma and a default value in single quotes.
func parseVariable(inner string) (token, bool) {
	key, def, hasDef := strings.Cut(inner, ",")
	key = strings.TrimSpace(key)
	if key == "" || strings.ContainsAny(key, " '${") {
		return token{}, false
	}
	t := token{kind: tVar, text: key}
	if hasDef {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return token{}, false
		}
		t.def, t.hasDef = def[1:len(def)-1], true
	}
	return t, true
}

func hasVars(toks []token) bool {
	for _, t := range toks {
		if t.kind == tVar {
			return true
		}
	}
	return false
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func foldByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasPrefixFold reports whether s starts with p, ignoring ASCII case when
// fold is set.
func hasPrefixFold(s, p string, fold bool) bool {
	if len(s) < len(p) {
		return false
	}
	if !fold {
		return s[:len(p)] == p
	}
	for i := 0; i < len(p); i++ {
		if foldByte(s[i]) != foldByte(p[i]) {
			return false
		}
	}
	return true
}

// matchTokens matches s against toks. An unresolvable variable makes the
// whole pattern fail, as AWS documents for variables with no value.
func matchTokens(toks []token, s string, fold bool, r *Request) bool {
	// Fast paths for the common shapes: "literal", "*", "prefix*".
	switch len(toks) {
	case 0:
		return s == ""
	case 1:
		switch toks[0].kind {
		case tLit:
			return len(s) == len(toks[0].text) && hasPrefixFold(s, toks[0].text, fold)
		case tStar:
			return true
		}
	case 2:
		if toks[0].kind == tLit && toks[1].kind == tStar {
			return hasPrefixFold(s, toks[0].text, fold)
		}
	}
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tStar:
				starTi, starSi = ti, si
				ti++
				continue
			case tQuest:
				if si < len(s) {
					_, w := utf8.DecodeRuneInString(s[si:])
					si += w
					ti++
					continue
				}
			case tLit:
				if hasPrefixFold(s[si:], t.text, fold) {
					si += len(t.text)
					ti++
					continue
				}
			case tVar:
				if r == nil {
					return false
				}
				v, ok := r.variable(t)
				if !ok {
					return false
				}
				if hasPrefixFold(s[si:], v, fold) {
					si += len(v)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[starSi:])
		starSi += w
		if next := starTi + 1; next < len(toks) && toks[next].kind == tLit && !fold {
			// Skip straight to the next place the following literal occurs.
			k := strings.Index(s[starSi:], toks[next].text)
			if k < 0 {
				return false
			}
			starSi += k
		}
		si, ti = starSi, starTi+1
	}
}

// arnPattern matches ARNs the way the Resource element and the Arn condition
// operators do: the first five colon-separated segments (arn, partition,
// service, region, account) are matched one by one, so a wildcard there stays
// inside its segment, and the resource part is matched as a whole, so "*"
// there spans "/" and ":". A pattern with fewer segments matches its last
// segment against the rest of the value. Patterns that are not ARNs are
// matched as plain wildcard strings.
type arnPattern struct {
	raw   string
	any   bool      // "*"
	segs  [][]token // ARN segments; nil for a non-ARN pattern
	whole []token   // non-ARN pattern
	vars  bool
	// prefix is the literal text every match must start with; exact is set
	// when the pattern is entirely literal. Both let most mismatches be
	// rejected with one comparison.
	prefix string
	exact  bool
}

func compileARN(s string, vars bool) arnPattern {
	p := arnPattern{raw: s}
	if s == "*" {
		p.any = true
		return p
	}
	toks := tokenize(s, true, vars, false)
	p.vars = hasVars(toks)
	if len(toks) > 0 && toks[0].kind == tLit {
		p.prefix = toks[0].text
		p.exact = len(toks) == 1
	}
	if !strings.HasPrefix(s, "arn:") {
		p.whole = toks
		return p
	}
	seg := []token{}
	for _, t := range toks {
		if t.kind != tLit || len(p.segs) == 5 {
			seg = append(seg, t)
			continue
		}
		text := t.text
		for len(p.segs) < 5 {
			before, after, found := strings.Cut(text, ":")
			if !found {
				break
			}
			if before != "" {
				seg = append(seg, token{kind: tLit, text: before})
			}
			p.segs = append(p.segs, seg)
			seg = []token{}
			text = after
		}
		if text != "" {
			seg = append(seg, token{kind: tLit, text: text})
		}
	}
	p.segs = append(p.segs, seg)
	return p
}

// arnParts is a value split at its first five colons.
type arnParts struct {
	s   string
	end [6]int // end offset of each segment; segment i starts at end[i-1]+1
	n   int
}

func splitARN(s string) arnParts {
	a := arnParts{s: s}
	for i := 0; i < len(s) && a.n < 5; i++ {
		if s[i] == ':' {
			a.end[a.n] = i
			a.n++
		}
	}
	a.end[a.n] = len(s)
	a.n++
	return a
}

func (a *arnParts) start(i int) int {
	if i == 0 {
		return 0
	}
	return a.end[i-1] + 1
}

func (p *arnPattern) match(v *arnParts, r *Request) bool {
	if p.any {
		return true
	}
	if p.exact {
		return v.s == p.prefix
	}
	if len(v.s) < len(p.prefix) || v.s[:len(p.prefix)] != p.prefix {
		return false
	}
	if p.segs == nil {
		return matchTokens(p.whole, v.s, false, r)
	}
	last := len(p.segs) - 1
	if v.n < len(p.segs) {
		return false
	}
	for i := 0; i < last; i++ {
		if !matchTokens(p.segs[i], v.s[v.start(i):v.end[i]], false, r) {
			return false
		}
	}
	return matchTokens(p.segs[last], v.s[v.start(last):], false, r)
}
