// Command apigen generates mantle's wire layer (internal/api/…) from AWS's
// service models: per service, the input and output types of every
// operation, their validation, Query or JSON 1.1 decoding, XML or JSON
// encoding, CloudTrail audit values, and the typed table of operations.
//
//	go run ./tools/apigen -models internal/api/models -out internal/api
//
// The output depends on nothing but the models, so it is reproducible byte
// for byte (internal/api's tests regenerate and compare).
package main

import (
	"flag"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// service is one model and the package generated from it.
type service struct {
	file  string // model file name without ".service-2.json"
	dir   string // directory under -out
	pkg   string
	title string // the service's name in messages
	// report is the wire.Checker method turning violations into the
	// service's error: AWS's ValidationError listing them all, or
	// Organizations' InvalidInputException naming the first one's kind.
	report string
}

var services = []service{
	{"iam-2010-05-08", "iam", "iamapi", "IAM", "Err"},
	{"sts-2011-06-15", "sts", "stsapi", "STS", "Err"},
	{"organizations-2016-11-28", "organizations", "orgsapi", "Organizations", "InvalidInput"},
	{"cloudtrail-2013-11-01", "cloudtrail", "cloudtrailapi", "CloudTrail", "Err"},
}

func main() {
	models := flag.String("models", "internal/api/models", "directory of the service-2 models")
	out := flag.String("out", "internal/api", "directory of the generated packages")
	flag.Parse()
	order, err := loadOrder(filepath.Join(*models, "member-order.json"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "apigen:", err)
		os.Exit(1)
	}
	for _, svc := range services {
		if err := generate(svc, *models, *out, order[svc.file]); err != nil {
			fmt.Fprintln(os.Stderr, "apigen:", err)
			os.Exit(1)
		}
	}
}

func generate(svc service, models, out string, order map[string][]string) error {
	m, err := loadModel(filepath.Join(models, svc.file+".service-2.json"), order)
	if err != nil {
		return err
	}
	g := &gen{svc: svc, m: m, query: m.Metadata.Protocol == "query", patterns: map[string]string{}, enums: map[string]string{}}
	if !g.query && m.Metadata.Protocol != "json" {
		return fmt.Errorf("%s: protocol %s", svc.file, m.Metadata.Protocol)
	}
	if err := g.name(); err != nil {
		return err
	}
	files := map[string]func() (string, error){
		"doc.go":      g.doc,
		"types.go":    g.types,
		"validate.go": g.validate,
		"decode.go":   g.decode,
		"encode.go":   g.encode,
		"audit.go":    g.audit,
		"handlers.go": g.handlers,
	}
	dir := filepath.Join(out, svc.dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		src, err := files[n]()
		if err != nil {
			return fmt.Errorf("%s %s: %w", svc.dir, n, err)
		}
		formatted, err := format.Source([]byte(src))
		if err != nil {
			return fmt.Errorf("%s %s: %w\n%s", svc.dir, n, err, src)
		}
		if err := os.WriteFile(filepath.Join(dir, n), formatted, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// gen generates one service's package.
type gen struct {
	svc      service
	m        *model
	query    bool
	ops      []*op
	patterns map[string]string // model pattern → Go variable
	enums    map[string]string // shape name → Go variable
	vars     []string          // declarations of patterns and enums, in order
}

// op is an operation with its Go input and output types. Operations the
// model gives no input or output get an empty structure, so every handler
// has the same shape.
type op struct {
	name    string
	in, out *shape
	noOut   bool // the model has no output: the response has no Result
}

// name gives every reachable structure its Go name: an operation's own
// input and output are OpInput and OpOutput (shared ones keep the
// model's name with that suffix), others keep the model's name.
func (g *gen) name() error {
	uses := map[string]int{}
	for _, o := range g.m.ops() {
		for _, r := range []*ref{o.Input, o.Output} {
			if r != nil {
				uses[r.Shape]++
			}
		}
	}
	for _, o := range g.m.ops() {
		op := &op{name: o.Name}
		for i, r := range []*ref{o.Input, o.Output} {
			suffix := [2]string{"Input", "Output"}[i]
			var s *shape
			if r == nil {
				s = &shape{Type: "structure", name: o.Name + suffix}
				g.m.Shapes[s.name] = s
				s.goName = o.Name + suffix
			} else {
				s = g.m.Shapes[r.Shape]
				if uses[r.Shape] > 1 {
					base := strings.TrimSuffix(strings.TrimSuffix(r.Shape, "Request"), "Response")
					s.goName = base + suffix
				} else {
					s.goName = o.Name + suffix
				}
			}
			if i == 0 {
				op.in = s
			} else {
				op.out = s
				op.noOut = r == nil
			}
			mark(s, i == 0)
		}
		g.ops = append(g.ops, op)
	}
	taken := map[string]string{}
	for _, s := range g.m.Shapes {
		if s.Type != "structure" || !(s.input || s.output) {
			continue
		}
		if s.goName == "" {
			s.goName = exported(s.name)
		}
		if prev, ok := taken[s.goName]; ok {
			return fmt.Errorf("%s and %s are both %s", prev, s.name, s.goName)
		}
		taken[s.goName] = s.name
		for _, mb := range s.members {
			switch mb.field {
			case "AppendXML", "AppendJSON", "AppendAudit", "Validate", "DecodeQuery", "DecodeJSON", "StringField", "StructField":
				return fmt.Errorf("%s.%s clashes with a method", s.name, mb.name)
			}
		}
	}
	return nil
}

// isInput reports whether s is an operation's own input (not a structure
// inside one).
func (g *gen) isInput(s *shape) bool {
	for _, o := range g.ops {
		if o.in == s {
			return true
		}
	}
	return false
}

// valueOf is the value of expr, a member (pointer for numbers and booleans)
// or an element (a plain value) of shape s.
func valueOf(s *shape, expr string, isMember bool) string {
	if isMember {
		switch s.Type {
		case "integer", "long", "boolean", "double", "float":
			return "*" + expr
		}
	}
	return expr
}

func (g *gen) doc() (string, error) {
	return fmt.Sprintf("%s// Package %s is %s's wire layer, generated by tools/apigen from AWS's\n"+
		"// service model (internal/api/models/%s.service-2.json): the input and\n"+
		"// output types of every operation, their validation, decoding, encoding\n"+
		"// and audit values, and Handlers, the typed table of operations.\n"+
		"package %s\n", header, g.svc.pkg, g.svc.title, g.svc.file, g.svc.pkg), nil
}

const header = "// Code generated by apigen. DO NOT EDIT.\n\n"

func (g *gen) file(body string, imports ...string) string {
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "package %s\n\n", g.svc.pkg)
	var used []string
	for _, imp := range imports {
		name := imp[strings.LastIndexByte(imp, '/')+1:]
		if strings.Contains(body, name+".") {
			used = append(used, imp)
		}
	}
	if len(used) > 0 {
		// Standard library first, then mantle's packages, as goimports
		// groups them.
		sort.Slice(used, func(i, j int) bool {
			si, sj := strings.Contains(used[i], "."), strings.Contains(used[j], ".")
			if si != sj {
				return sj
			}
			return used[i] < used[j]
		})
		b.WriteString("import (\n")
		for i, imp := range used {
			if i > 0 && strings.Contains(imp, ".") && !strings.Contains(used[i-1], ".") {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "\t%q\n", imp)
		}
		b.WriteString(")\n\n")
	}
	b.WriteString(body)
	return b.String()
}

const (
	impWire = "github.com/mantle-iam/mantle/internal/api/wire"
	impAuth = "github.com/mantle-iam/mantle/internal/auth"
	impXML  = "github.com/mantle-iam/mantle/internal/awsproto"
)

// goType is the Go type of a structure member of shape s. Numbers and
// booleans are pointers (absent differs from zero); strings, times, lists
// and maps are absent when empty.
func goType(s *shape) string {
	switch s.Type {
	case "structure":
		return "*" + s.goName
	case "integer":
		return "*int"
	case "long":
		return "*int64"
	case "boolean":
		return "*bool"
	case "double", "float":
		return "*float64"
	}
	return elemType(s)
}

// elemType is the Go type of a list element or map value of shape s.
func elemType(s *shape) string {
	switch s.Type {
	case "string":
		return "string"
	case "integer":
		return "int"
	case "long":
		return "int64"
	case "boolean":
		return "bool"
	case "double", "float":
		return "float64"
	case "timestamp":
		return "time.Time"
	case "blob":
		return "[]byte"
	case "structure":
		return s.goName
	case "list":
		return "[]" + elemType(s.elem())
	case "map":
		return "map[string]" + elemType(s.val())
	}
	panic("apigen: shape type " + s.Type)
}

func (g *gen) types() (string, error) {
	var b strings.Builder
	for _, s := range g.m.structures() {
		fmt.Fprintf(&b, "// %s is AWS's %s shape.\n", s.goName, s.name)
		fmt.Fprintf(&b, "type %s struct {\n", s.goName)
		for _, mb := range s.members {
			fmt.Fprintf(&b, "\t%s %s\n", mb.field, goType(mb.shape))
		}
		if s.input && len(s.members) > 0 {
			b.WriteString("\n\t// set marks the members the request carried, by member index.\n\tset uint64\n")
		}
		b.WriteString("}\n\n")
		g.fields(&b, s)
	}
	return g.file(b.String(), "time", impWire), nil
}

// fields writes StringField and StructField, the by-name access the audit
// record needs.
func (g *gen) fields(b *strings.Builder, s *shape) {
	fmt.Fprintf(b, "func (v *%s) StringField(name string) string {\n", s.goName)
	var cases []string
	for _, mb := range s.members {
		if mb.shape.Type == "string" {
			cases = append(cases, fmt.Sprintf("case %q:\n\treturn v.%s\n", mb.name, mb.field))
		}
	}
	if len(cases) > 0 {
		b.WriteString("switch name {\n" + strings.Join(cases, "") + "}\n")
	}
	b.WriteString("return \"\"\n}\n\n")
	fmt.Fprintf(b, "func (v *%s) StructField(name string) wire.Fields {\n", s.goName)
	cases = nil
	for _, mb := range s.members {
		if mb.shape.Type == "structure" {
			cases = append(cases, fmt.Sprintf("case %q:\n\tif v.%s != nil {\n\treturn v.%s\n}\n", mb.name, mb.field, mb.field))
		}
	}
	if len(cases) > 0 {
		b.WriteString("switch name {\n" + strings.Join(cases, "") + "}\n")
	}
	b.WriteString("return nil\n}\n\n")
	if !s.input {
		return
	}
	cases = nil
	for i, mb := range s.members {
		if mb.shape.Type == "string" || mb.shape.Type == "timestamp" {
			cases = append(cases, fmt.Sprintf("case %q:\n\treturn v.set&(1<<%d) != 0\n", mb.name, i))
		}
	}
	if len(cases) > 0 {
		fmt.Fprintf(b, "// Sent reports whether the request carried the named member, which an\n// empty string cannot tell.\nfunc (v *%s) Sent(name string) bool {\nswitch name {\n%s}\nreturn false\n}\n\n", s.goName, strings.Join(cases, ""))
	}
}

// --- validation ---

var javaEscape = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

// goPattern translates a model (Java) pattern into Go syntax. Surrogate
// pairs written as two escapes are one code point in Java.
func goPattern(p string) string {
	p = regexp.MustCompile(`\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})`).ReplaceAllStringFunc(p, func(pair string) string {
		hi, _ := strconv.ParseUint(pair[2:6], 16, 32)
		lo, _ := strconv.ParseUint(pair[8:12], 16, 32)
		return fmt.Sprintf(`\x{%X}`, (hi-0xD800)<<10+(lo-0xDC00)+0x10000)
	})
	return javaEscape.ReplaceAllString(p, `\x{$1}`)
}

// handPatterns are patterns Go's regexp cannot express, with the wire
// function matching them.
var handPatterns = map[string]string{
	`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`: "wire.DNSLabel",
}

func (g *gen) pattern(p string) (string, error) {
	if v, ok := g.patterns[p]; ok {
		return v, nil
	}
	v := fmt.Sprintf("pattern%d", len(g.patterns))
	g.patterns[p] = v
	if fn, ok := handPatterns[p]; ok {
		g.vars = append(g.vars, fmt.Sprintf("%s = wire.NewPatternFunc(%q, %s)", v, p, fn))
		return v, nil
	}
	gp := goPattern(p)
	if _, err := regexp.Compile(`^(?:` + gp + `)$`); err != nil {
		return "", fmt.Errorf("pattern %q: %w", p, err)
	}
	g.vars = append(g.vars, fmt.Sprintf("%s = wire.NewPattern(%q, %q)", v, p, gp))
	return v, nil
}

func (g *gen) enum(s *shape) string {
	if v, ok := g.enums[s.name]; ok {
		return v
	}
	v := "enum" + exported(s.name)
	g.enums[s.name] = v
	g.vars = append(g.vars, fmt.Sprintf("%s = %#v", v, s.Enum))
	return v
}

func bound(f *float64, none string) string {
	if f == nil {
		return none
	}
	return strconv.FormatInt(int64(*f), 10)
}

// check returns the code checking a present value expr of shape s, "" when
// there is nothing to check.
func (g *gen) check(s *shape, expr string, depth int) (string, error) {
	switch s.Type {
	case "string":
		if s.Min == nil && s.Max == nil && s.Pattern == "" && s.Enum == nil {
			return "", nil
		}
		pat, enum := "nil", "nil"
		if s.Pattern != "" {
			var err error
			if pat, err = g.pattern(s.Pattern); err != nil {
				return "", err
			}
		}
		if s.Enum != nil {
			enum = g.enum(s)
		}
		return fmt.Sprintf("c.String(at, %s, %s, %s, %s, %s)\n", expr, bound(s.Min, "0"), bound(s.Max, "-1"), pat, enum), nil
	case "integer", "long":
		if s.Min == nil && s.Max == nil {
			return "", nil
		}
		return fmt.Sprintf("c.Int(at, int64(%s), %s, %s)\n", expr, bound(s.Min, "wire.NoLimit"), bound(s.Max, "wire.NoLimit")), nil
	case "structure":
		if !hasChecks(s, map[*shape]bool{}) {
			return "", nil
		}
		return expr + ".validate(c, at)\n", nil
	case "list":
		el := s.elem()
		i := fmt.Sprintf("i%d", depth)
		elemExpr := expr + "[" + i + "]"
		if el.Type == "integer" || el.Type == "long" {
			elemExpr = "int64(" + elemExpr + ")"
		}
		inner, err := g.check(el, elemExpr, depth+1)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		if s.Min != nil || s.Max != nil {
			fmt.Fprintf(&b, "c.Len(at, len(%s), %s, %s)\n", expr, bound(s.Min, "0"), bound(s.Max, "-1"))
		}
		if inner != "" {
			fmt.Fprintf(&b, "for %s := range %s {\nat := wire.Elem(at, %s)\n{\nat := &at\n%s}\n}\n", i, expr, i, inner)
		}
		return b.String(), nil
	case "map":
		// AWS reports map entries as "Map value must satisfy constraint";
		// mantle checks the map's size only.
		if s.Min != nil || s.Max != nil {
			return fmt.Sprintf("c.Len(at, len(%s), %s, %s)\n", expr, bound(s.Min, "0"), bound(s.Max, "-1")), nil
		}
	case "blob":
		if s.Min != nil || s.Max != nil {
			return fmt.Sprintf("c.Len(at, len(%s), %s, %s)\n", expr, bound(s.Min, "0"), bound(s.Max, "-1")), nil
		}
	}
	return "", nil
}

// hasChecks reports whether a structure has anything to validate.
func hasChecks(s *shape, seen map[*shape]bool) bool {
	if seen[s] {
		return false
	}
	seen[s] = true
	for _, mb := range s.members {
		if mb.required {
			return true
		}
		ms := mb.shape
		for ms.Type == "list" {
			if ms.Min != nil || ms.Max != nil {
				return true
			}
			ms = ms.elem()
		}
		switch ms.Type {
		case "string":
			if ms.Min != nil || ms.Max != nil || ms.Pattern != "" || ms.Enum != nil {
				return true
			}
		case "integer", "long", "map", "blob":
			if ms.Min != nil || ms.Max != nil {
				return true
			}
		case "structure":
			if hasChecks(ms, seen) {
				return true
			}
		}
	}
	return false
}

// present is the condition under which member i of a decoded structure was
// sent.
func present(mb member, i int) string {
	switch mb.shape.Type {
	case "string", "timestamp":
		return fmt.Sprintf("v.set&(1<<%d) != 0", i)
	}
	return "v." + mb.field + " != nil"
}

// ownChecks are members whose constraints the service checks itself,
// answering with its own exception rather than a ValidationError:
// CloudTrail's LookupEvents reports InvalidLookupAttributesException,
// InvalidMaxResultsException and InvalidEventCategoryException (its API
// reference's errors for these members).
var ownChecks = map[string]bool{
	"LookupEventsRequest.MaxResults":    true,
	"LookupEventsRequest.EventCategory": true,
	"LookupAttribute.AttributeKey":      true,
	"LookupAttribute.AttributeValue":    true,
}

func (g *gen) validate() (string, error) {
	var b strings.Builder
	for _, s := range g.m.structures() {
		if !s.input {
			continue
		}
		top := g.isInput(s)
		if top {
			fmt.Fprintf(&b, "// Validate checks every constraint of the model and reports the\n// violations as %s does.\nfunc (v *%s) Validate() error {\nvar c wire.Checker\nv.validate(&c, nil)\nreturn c.%s()\n}\n\n", g.svc.title, s.goName, g.svc.report)
		}
		fmt.Fprintf(&b, "func (v *%s) validate(c *wire.Checker, p *wire.Path) {\n", s.goName)
		for i, mb := range s.members {
			if ownChecks[s.name+"."+mb.name] {
				continue
			}
			expr := "v." + mb.field
			switch mb.shape.Type {
			case "integer", "long":
				expr = "*" + expr
			}
			chk, err := g.check(mb.shape, expr, 0)
			if err != nil {
				return "", err
			}
			if chk == "" && !mb.required {
				continue
			}
			fmt.Fprintf(&b, "{\nat := wire.At(p, %q)\n{\nat := &at\n", mb.name)
			switch {
			case chk != "" && mb.required:
				fmt.Fprintf(&b, "if %s {\n%s} else {\nc.Null(at)\n}\n", present(mb, i), chk)
			case chk != "":
				fmt.Fprintf(&b, "if %s {\n%s}\n", present(mb, i), chk)
			default:
				fmt.Fprintf(&b, "if !(%s) {\nc.Null(at)\n}\n", present(mb, i))
			}
			b.WriteString("}\n}\n")
		}
		b.WriteString("}\n\n")
	}
	if len(g.vars) > 0 {
		b.WriteString("var (\n" + strings.Join(g.vars, "\n") + "\n)\n")
	}
	return g.file(b.String(), impWire), nil
}
