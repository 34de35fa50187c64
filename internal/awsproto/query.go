package awsproto

import (
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/mantle-iam/mantle/internal/awserr"
)

// A plan is what DecodeQuery and Validate learn once per input type by
// reflection: the fields, their wire names and their constraints.
type plan struct {
	fields []fieldPlan
}

type fieldPlan struct {
	index    int
	name     string // wire name: the Go field name, which is AWS's
	member   string // name in validation messages: lower camel case
	kind     reflect.Kind
	ptr      bool         // *string, *int, *bool
	elem     *plan        // []struct
	elemKind reflect.Kind // []string, []int
	required bool
	min, max *int
	pattern  *regexp.Regexp
	patSrc   string
	enum     []string
}

var plans sync.Map // reflect.Type → *plan

func planFor(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	p := buildPlan(t)
	plans.Store(t, p)
	return p
}

func buildPlan(t reflect.Type) *plan {
	p := &plan{}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() || sf.Name == "XMLName" {
			continue
		}
		f := fieldPlan{index: i, name: sf.Name, member: lowerFirst(sf.Name)}
		if q, ok := sf.Tag.Lookup("query"); ok {
			// A few members are spelled differently on the wire, e.g.
			// PolicyArns.member.N.arn.
			f.name, f.member = q, lowerFirst(q)
		}
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			f.ptr = true
			ft = ft.Elem()
		}
		f.kind = ft.Kind()
		if f.kind == reflect.Slice {
			et := ft.Elem()
			if et.Kind() == reflect.Struct {
				f.elem = planFor(et)
			}
			f.elemKind = et.Kind()
		}
		for _, opt := range strings.Split(sf.Tag.Get("aws"), ",") {
			k, v, _ := strings.Cut(opt, "=")
			switch k {
			case "required":
				f.required = true
			case "min", "max":
				n, err := strconv.Atoi(v)
				if err != nil {
					panic("awsproto: bad " + k + " tag on " + t.String() + "." + sf.Name)
				}
				if k == "min" {
					f.min = &n
				} else {
					f.max = &n
				}
			}
		}
		if pat, ok := sf.Tag.Lookup("pattern"); ok {
			f.patSrc = javaQuote(pat)
			f.pattern = regexp.MustCompile(`^(?:` + goRegexp(pat) + `)$`)
		}
		if e, ok := sf.Tag.Lookup("enum"); ok {
			f.enum = strings.Split(e, "|")
		}
		p.fields = append(p.fields, f)
	}
	return p
}

// javaEscape matches the \uXXXX escapes of AWS's (Java) patterns.
var javaEscape = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

// goRegexp turns an AWS (Java) pattern into Go syntax: \u002F → \x{002F}.
func goRegexp(pat string) string {
	return javaEscape.ReplaceAllString(pat, `\x{$1}`)
}

// Prepare checks an input type's tags once, at start-up, so a bad pattern
// fails there rather than on a request.
func Prepare(input any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("awsproto: %T: %v", input, r)
		}
	}()
	planFor(reflect.TypeOf(input).Elem())
	return nil
}

// javaQuote writes a pattern back as AWS prints it in messages: characters
// outside printable ASCII as \uXXXX escapes.
func javaQuote(pat string) string {
	var b strings.Builder
	for _, r := range pat {
		if r < 0x21 || r > 0x7E {
			fmt.Fprintf(&b, "\\u%04X", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// DecodeQuery fills dst, a pointer to an input struct, from AWS Query
// parameters (lists as Name.member.N, structs in lists as
// Name.member.N.Field), then validates it as AWS does. Unknown parameters are
// ignored, as AWS ignores them.
func DecodeQuery(form url.Values, dst any) error {
	v := reflect.ValueOf(dst).Elem()
	var errs validationErrors
	decodeStruct(form, "", v, planFor(v.Type()), &errs)
	if len(errs.msgs) == 0 {
		validateStruct(v, planFor(v.Type()), "", &errs)
	}
	return errs.err()
}

// Validate checks an already decoded input (JSON protocol) against its tags.
func Validate(src any) error {
	v := reflect.ValueOf(src).Elem()
	var errs validationErrors
	validateStruct(v, planFor(v.Type()), "", &errs)
	return errs.err()
}

// decodeStruct returns whether any parameter of the struct was present, so a
// list of structs knows where it ends.
func decodeStruct(form url.Values, prefix string, v reflect.Value, p *plan, errs *validationErrors) bool {
	found := false
	for i := range p.fields {
		f := &p.fields[i]
		key := prefix + f.name
		fv := v.Field(f.index)
		switch f.kind {
		case reflect.Slice:
			if decodeList(form, key, fv, f, errs) {
				found = true
			}
		default:
			vals, ok := form[key]
			if !ok || len(vals) == 0 {
				continue
			}
			found = true
			if vals[0] == "" && f.kind == reflect.String && !f.ptr {
				if errs.emptyPresent == nil {
					errs.emptyPresent = make(map[string]bool)
				}
				errs.emptyPresent[memberPath(prefix, f.member)] = true
			}
			setScalar(fv, f, vals[0], prefix, errs)
		}
	}
	return found
}

func decodeList(form url.Values, key string, fv reflect.Value, f *fieldPlan, errs *validationErrors) bool {
	slice := fv
	if f.ptr {
		slice = reflect.New(fv.Type().Elem()).Elem()
	}
	found := false
	// An explicitly empty list is sent as "Name=" by the SDKs.
	if _, ok := form[key]; ok {
		found = true
	}
	for n := 1; ; n++ {
		item := key + ".member." + strconv.Itoa(n)
		if f.elem != nil {
			ev := reflect.New(slice.Type().Elem()).Elem()
			if !decodeStruct(form, item+".", ev, f.elem, errs) {
				break
			}
			slice = reflect.Append(slice, ev)
		} else {
			vals, ok := form[item]
			if !ok || len(vals) == 0 {
				break
			}
			ev := reflect.New(slice.Type().Elem()).Elem()
			setScalar(ev, &fieldPlan{kind: f.elemKind, member: f.member}, vals[0], "", errs)
			slice = reflect.Append(slice, ev)
		}
		found = true
	}
	if found {
		if slice.IsNil() {
			slice = reflect.MakeSlice(slice.Type(), 0, 0)
		}
		if f.ptr {
			p := reflect.New(slice.Type())
			p.Elem().Set(slice)
			fv.Set(p)
		} else {
			fv.Set(slice)
		}
	}
	return found
}

func setScalar(fv reflect.Value, f *fieldPlan, s, prefix string, errs *validationErrors) {
	if f.ptr {
		p := reflect.New(fv.Type().Elem())
		fv.Set(p)
		fv = p.Elem()
	}
	switch f.kind {
	case reflect.String:
		fv.SetString(s)
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			errs.add(s, memberPath(prefix, f.member), "Member must be a number")
			return
		}
		fv.SetInt(n)
	case reflect.Bool:
		switch strings.ToLower(s) {
		case "true":
			fv.SetBool(true)
		case "false":
			fv.SetBool(false)
		default:
			errs.add(s, memberPath(prefix, f.member), "Member must be a boolean")
		}
	}
}

// memberPath turns a wire prefix such as "Tags.member.6." into AWS's message
// form "tags.6.member.".
func memberPath(prefix, member string) string {
	if prefix == "" {
		return member
	}
	parts := strings.Split(strings.TrimSuffix(prefix, "."), ".")
	var b strings.Builder
	for i := 0; i < len(parts); i++ {
		if i+2 < len(parts) && parts[i+1] == "member" {
			b.WriteString(lowerFirst(parts[i]) + "." + parts[i+2] + ".member.")
			i += 2
			continue
		}
		b.WriteString(lowerFirst(parts[i]) + ".")
	}
	return b.String() + member
}

func validateStruct(v reflect.Value, p *plan, path string, errs *validationErrors) {
	for i := range p.fields {
		f := &p.fields[i]
		fv := v.Field(f.index)
		name := path + f.member
		if f.ptr {
			if fv.IsNil() {
				if f.required {
					errs.addNull(name)
				}
				continue
			}
			fv = fv.Elem()
		}
		switch f.kind {
		case reflect.String:
			s := fv.String()
			if s == "" && f.required && !f.ptr && f.min != nil && *f.min > 0 && !errs.emptyPresent[name] {
				// Absent (or, from JSON, indistinguishable from absent):
				// AWS reports a missing member as null.
				errs.addNull(name)
				continue
			}
			if s == "" && !f.ptr && errs.emptyPresent[name] {
				if f.min != nil && *f.min > 0 {
					errs.add(s, name, "Member must have length greater than or equal to "+strconv.Itoa(*f.min))
				}
				continue
			}
			if s == "" && !f.ptr && !f.required {
				continue
			}
			n := utf8.RuneCountInString(s)
			if f.min != nil && n < *f.min {
				errs.add(s, name, "Member must have length greater than or equal to "+strconv.Itoa(*f.min))
			}
			if f.max != nil && n > *f.max {
				errs.add(s, name, "Member must have length less than or equal to "+strconv.Itoa(*f.max))
			}
			if f.pattern != nil && !f.pattern.MatchString(s) {
				errs.add(s, name, "Member must satisfy regular expression pattern: "+f.patSrc)
			}
			if f.enum != nil && !contains(f.enum, s) {
				errs.add(s, name, "Member must satisfy enum value set: ["+strings.Join(f.enum, ", ")+"]")
			}
		case reflect.Int, reflect.Int32, reflect.Int64:
			n := int(fv.Int())
			if !f.ptr && n == 0 {
				if f.required {
					errs.addNull(name)
				}
				continue
			}
			s := strconv.Itoa(n)
			if f.min != nil && n < *f.min {
				errs.add(s, name, "Member must have value greater than or equal to "+strconv.Itoa(*f.min))
			}
			if f.max != nil && n > *f.max {
				errs.add(s, name, "Member must have value less than or equal to "+strconv.Itoa(*f.max))
			}
		case reflect.Slice:
			if fv.IsNil() {
				if f.required {
					errs.addNull(name)
				}
				continue
			}
			n := fv.Len()
			if f.min != nil && n < *f.min {
				errs.add(listString(fv), name, "Member must have length greater than or equal to "+strconv.Itoa(*f.min))
			}
			if f.max != nil && n > *f.max {
				errs.add(listString(fv), name, "Member must have length less than or equal to "+strconv.Itoa(*f.max))
			}
			for j := 0; j < n; j++ {
				ev := fv.Index(j)
				if f.elem != nil {
					validateStruct(ev, f.elem, name+"."+strconv.Itoa(j+1)+".member.", errs)
				} else if f.elemKind == reflect.String {
					// Element constraints (pattern, item length) come from
					// the list's own tags where AWS documents them per item.
					s := ev.String()
					if f.pattern != nil && !f.pattern.MatchString(s) {
						errs.add(s, name+"."+strconv.Itoa(j+1)+".member", "Member must satisfy regular expression pattern: "+f.patSrc)
					}
				}
			}
		}
	}
}

func listString(v reflect.Value) string {
	parts := make([]string, v.Len())
	for i := range parts {
		parts[i] = toString(v.Index(i))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func toString(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Int, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	}
	return v.Type().Name()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// validationErrors collects AWS's constraint messages. emptyPresent holds
// the members the Query decoder saw present with an empty value, so that
// validation can tell "" from absent for plain string fields.
type validationErrors struct {
	msgs         []string
	emptyPresent map[string]bool
}

func (e *validationErrors) add(value, member, constraint string) {
	e.msgs = append(e.msgs, "Value '"+value+"' at '"+member+"' failed to satisfy constraint: "+constraint)
}

func (e *validationErrors) addNull(member string) {
	e.msgs = append(e.msgs, "Value null at '"+member+"' failed to satisfy constraint: Member must not be null")
}

// err renders AWS's message: "1 validation error detected: …" or
// "N validation errors detected: …; …".
func (e *validationErrors) err() error {
	switch len(e.msgs) {
	case 0:
		return nil
	case 1:
		return awserr.ValidationError("1 validation error detected: %s", e.msgs[0])
	}
	return awserr.ValidationError("%d validation errors detected: %s", len(e.msgs), strings.Join(e.msgs, "; "))
}
