package wire

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mantle-iam/mantle/internal/awserr"
)

// Checker collects the constraint violations of one input, in member
// order, as AWS reports all of them at once ("3 validation errors
// detected: …; …; …").
type Checker struct {
	msgs []string
}

// Path names the member being checked: a chain of values on the
// validating functions' stacks, turned into AWS's form
// ("tags.2.member.key") only when a violation is reported, so a valid
// input costs no allocation.
type Path struct {
	parent *Path
	name   string // a member's name; "" for a list element
	index  int    // a list element's 1-based index
}

// At is member name of the structure at p (nil: the input itself).
func At(p *Path, name string) Path { return Path{parent: p, name: name} }

// Elem is the i-th (0-based) element of the list at p: AWS writes it
// "N.member" after the list's name.
func Elem(p *Path, i int) Path { return Path{parent: p, index: i + 1} }

// String is the path as AWS names it in messages: each name with its
// first letter lowered.
func (p *Path) String() string {
	if p == nil {
		return ""
	}
	prefix := p.parent.String()
	if prefix != "" {
		prefix += "."
	}
	if p.name == "" {
		return prefix + strconv.Itoa(p.index) + ".member"
	}
	return prefix + lowerFirst(p.name)
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

// Fail records a violation of the current member with its value shown.
func (c *Checker) Fail(p *Path, value, constraint string) {
	c.msgs = append(c.msgs, "Value '"+value+"' at '"+p.String()+"' failed to satisfy constraint: "+constraint)
}

// FailNoValue records a violation without the value, as AWS reports lists,
// maps and structures.
func (c *Checker) FailNoValue(p *Path, constraint string) {
	c.msgs = append(c.msgs, "Value at '"+p.String()+"' failed to satisfy constraint: "+constraint)
}

// Null records a required member that is absent.
func (c *Checker) Null(p *Path) {
	c.msgs = append(c.msgs, "Value null at '"+p.String()+"' failed to satisfy constraint: Member must not be null")
}

// Err renders AWS's message: "1 validation error detected: …" or
// "N validation errors detected: …; …". nil when nothing failed.
func (c *Checker) Err() error {
	switch len(c.msgs) {
	case 0:
		return nil
	case 1:
		return awserr.ValidationError("1 validation error detected: %s", c.msgs[0])
	}
	return awserr.ValidationError("%d validation errors detected: %s", len(c.msgs), strings.Join(c.msgs, "; "))
}

// organizationsReasons are the messages Organizations answers a violated
// constraint with: an InvalidInputException naming the kind of violation,
// not the member ("You provided a value that does not match the required
// pattern.", recorded in github.com/openshift/osdctl pull request #204; the
// others as the InvalidInputException reference words its reasons).
var organizationsReasons = []struct{ constraint, message string }{
	{"Member must not be null", "You must include a value for all required parameters."},
	{"Member must have length greater than or equal to", "You provided a string parameter that is shorter than allowed."},
	{"Member must have length less than or equal to", "You provided a string parameter that is longer than allowed."},
	{"Member must satisfy regular expression pattern", "You provided a value that does not match the required pattern."},
	{"Member must satisfy enum value set", "You specified an invalid value."},
	{"Member must have value greater than or equal to", "You provided a numeric parameter that has a smaller value than allowed."},
	{"Member must have value less than or equal to", "You provided a numeric parameter that has a larger value than allowed."},
}

// InvalidInput renders the first violation as Organizations does, nil when
// nothing failed.
func (c *Checker) InvalidInput() error {
	if len(c.msgs) == 0 {
		return nil
	}
	_, constraint, _ := strings.Cut(c.msgs[0], "failed to satisfy constraint: ")
	for _, r := range organizationsReasons {
		if strings.HasPrefix(constraint, r.constraint) {
			return awserr.New("InvalidInputException", http.StatusBadRequest, "%s", r.message)
		}
	}
	return awserr.New("InvalidInputException", http.StatusBadRequest, "%s", "You provided an invalid value for one or more of the request parameters.")
}

// String checks a present string member. An empty value is reported only
// against its minimum length, as AWS does.
func (c *Checker) String(p *Path, s string, min, max int, pattern *Pattern, enum []string) {
	if s == "" {
		if min > 0 {
			c.Fail(p, s, "Member must have length greater than or equal to "+strconv.Itoa(min))
		}
		return
	}
	if min > 0 || max >= 0 {
		n := utf8.RuneCountInString(s)
		if n < min {
			c.Fail(p, s, "Member must have length greater than or equal to "+strconv.Itoa(min))
		}
		if max >= 0 && n > max {
			c.Fail(p, s, "Member must have length less than or equal to "+strconv.Itoa(max))
		}
	}
	if pattern != nil && !pattern.Match(s) {
		c.Fail(p, s, "Member must satisfy regular expression pattern: "+pattern.Source)
	}
	if enum != nil && !contains(enum, s) {
		c.Fail(p, s, "Member must satisfy enum value set: ["+strings.Join(enum, ", ")+"]")
	}
}

// Int checks a present number against its range (NoLimit: unbounded).
func (c *Checker) Int(p *Path, n int64, min, max int64) {
	if min != NoLimit && n < min {
		c.Fail(p, strconv.FormatInt(n, 10), "Member must have value greater than or equal to "+strconv.FormatInt(min, 10))
	}
	if max != NoLimit && n > max {
		c.Fail(p, strconv.FormatInt(n, 10), "Member must have value less than or equal to "+strconv.FormatInt(max, 10))
	}
}

// Len checks the size of a present list or map; AWS leaves the value out.
func (c *Checker) Len(p *Path, n, min, max int) {
	if n < min {
		c.FailNoValue(p, "Member must have length greater than or equal to "+strconv.Itoa(min))
	}
	if max >= 0 && n > max {
		c.FailNoValue(p, "Member must have length less than or equal to "+strconv.Itoa(max))
	}
}

// NoLimit marks an absent bound.
const NoLimit = -1 << 63

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Pattern is a model's pattern: Source as AWS prints it in messages, and
// the whole-string matcher (AWS's patterns are Java's, matched entirely).
type Pattern struct {
	Source string
	re     *regexp.Regexp
	match  func(string) bool
	// Most of AWS's patterns are one character class repeated
	// ([\w+=,.@-]+): for those, ascii says which ASCII bytes the class
	// holds, so ASCII values are matched without running the regexp.
	ascii    *[128]bool
	nonEmpty bool
}

// classRepeat matches a pattern that is one character class repeated.
var classRepeat = regexp.MustCompile(`^\[(?:[^\]\\]|\\.)*\][*+]$`)

// NewPattern compiles a model pattern already translated to Go syntax
// (goSyntax) for matching the whole value.
func NewPattern(source, goSyntax string) *Pattern {
	p := &Pattern{Source: source, re: regexp.MustCompile(`^(?:` + goSyntax + `)$`)}
	if classRepeat.MatchString(goSyntax) {
		class := regexp.MustCompile(`^` + goSyntax[:len(goSyntax)-1] + `$`)
		p.ascii = new([128]bool)
		for c := 0; c < 128; c++ {
			p.ascii[c] = class.MatchString(string(rune(c)))
		}
		p.nonEmpty = goSyntax[len(goSyntax)-1] == '+'
	}
	return p
}

// NewPatternFunc is a pattern Go's regexp cannot express (lookahead),
// matched by hand.
func NewPatternFunc(source string, match func(string) bool) *Pattern {
	return &Pattern{Source: source, match: match}
}

// Match reports whether all of s matches.
func (p *Pattern) Match(s string) bool {
	if p.match != nil {
		return p.match(s)
	}
	if p.ascii != nil {
		if matched, ascii := p.matchASCII(s); ascii {
			return matched
		}
	}
	return p.re.MatchString(s)
}

// matchASCII matches s by the class's table; ascii is false when s has
// other characters, which the regexp decides.
func (p *Pattern) matchASCII(s string) (matched, ascii bool) {
	if s == "" {
		return !p.nonEmpty, true
	}
	matched = true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return false, false
		}
		if !p.ascii[c] {
			matched = false
		}
	}
	return matched, true
}

// DNSLabel matches ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$: 3 to 63
// lower-case letters, digits and single hyphens, not at either end.
func DNSLabel(s string) bool {
	if len(s) < 3 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9':
		case ch == '-' && i > 0 && i < len(s)-1 && s[i+1] != '-':
		default:
			return false
		}
	}
	return true
}
