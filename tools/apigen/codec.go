package main

import (
	"fmt"
	"strings"
)

// --- decoding ---

func (g *gen) decode() (string, error) {
	var b strings.Builder
	for _, s := range g.m.structures() {
		if !s.input {
			continue
		}
		top := g.isInput(s)
		var err error
		if g.query {
			err = g.queryDecoder(&b, s, top)
		} else {
			err = g.jsonDecoder(&b, s, top)
		}
		if err != nil {
			return "", err
		}
	}
	return g.file(b.String(), "net/url", impWire), nil
}

func (g *gen) queryDecoder(b *strings.Builder, s *shape, top bool) error {
	if top {
		fmt.Fprintf(b, "// DecodeQuery reads the input from a Query protocol request and\n// validates it.\nfunc (v *%s) DecodeQuery(form url.Values) error {\nq := wire.Query{Form: form}\nvar key [128]byte\nv.decodeQuery(&q, key[:0])\nif err := q.Malformed.Err(); err != nil {\nreturn err\n}\nreturn v.Validate()\n}\n\n", s.goName)
	}
	fmt.Fprintf(b, "// decodeQuery reads the members under prefix p and reports whether any\n// was present.\nfunc (v *%s) decodeQuery(q *wire.Query, p []byte) (found bool) {\n", s.goName)
	if len(s.members) == 0 {
		b.WriteString("return false\n}\n\n")
		return nil
	}
	for i, mb := range s.members {
		fmt.Fprintf(b, "if k := append(p, %q...); true {\n", mb.name)
		set := ""
		if mb.shape.Type == "string" || mb.shape.Type == "timestamp" {
			set = fmt.Sprintf("v.set |= 1 << %d\n", i)
		}
		switch mb.shape.Type {
		case "list":
			el := mb.shape.elem()
			fmt.Fprintf(b, "if q.Has(k) {\nv.%s = %s{}\nfound = true\n}\nfor n := 1; ; n++ {\nik := wire.Item(k, n)\n", mb.field, goType(mb.shape))
			switch el.Type {
			case "structure":
				fmt.Fprintf(b, "var e %s\nif !e.decodeQuery(q, append(ik, '.')) {\nbreak\n}\n", el.goName)
			case "string":
				b.WriteString("e, ok := q.Get(ik)\nif !ok {\nbreak\n}\n")
			case "integer", "long", "boolean", "double", "float":
				fmt.Fprintf(b, "p, ok := q.%s(ik)\nif !ok {\nbreak\n}\nvar e %s\nif p != nil {\ne = *p\n}\n", queryReader(el), elemType(el))
			default:
				return fmt.Errorf("%s.%s: Query list of %s", s.name, mb.name, el.Type)
			}
			fmt.Fprintf(b, "v.%s = append(v.%s, e)\nfound = true\n}\n", mb.field, mb.field)
		case "structure":
			fmt.Fprintf(b, "var e %s\nif e.decodeQuery(q, append(k, '.')) {\nv.%s = &e\nfound = true\n}\n", mb.shape.goName, mb.field)
		case "string":
			fmt.Fprintf(b, "if s, ok := q.Get(k); ok {\nv.%s = s\n%sfound = true\n}\n", mb.field, set)
		case "integer", "long", "boolean", "double", "float", "blob":
			fmt.Fprintf(b, "if x, ok := q.%s(k); ok {\nv.%s = x\nfound = true\n}\n", queryReader(mb.shape), mb.field)
		case "timestamp":
			fmt.Fprintf(b, "if x, ok := q.Time(k); ok {\nv.%s = x\n%sfound = true\n}\n", mb.field, set)
		default:
			return fmt.Errorf("%s.%s: Query %s", s.name, mb.name, mb.shape.Type)
		}
		b.WriteString("}\n")
	}
	b.WriteString("return found\n}\n\n")
	return nil
}

func queryReader(s *shape) string {
	switch s.Type {
	case "integer":
		return "Int"
	case "long":
		return "Int64"
	case "boolean":
		return "Bool"
	case "blob":
		return "Blob"
	}
	return "Float"
}

func (g *gen) jsonDecoder(b *strings.Builder, s *shape, top bool) error {
	if top {
		fmt.Fprintf(b, "// DecodeJSON reads the input from a JSON 1.1 request body and validates\n// it. An empty body is an input without members.\nfunc (v *%s) DecodeJSON(body []byte) error {\nif !wire.Empty(body) {\nd := wire.NewJSON(body)\nv.decodeJSON(d)\nif err := d.Err(); err != nil {\nreturn err\n}\n}\nreturn v.Validate()\n}\n\n", s.goName)
	}
	fmt.Fprintf(b, "func (v *%s) decodeJSON(d *wire.JSON) {\nif !d.Object() {\nreturn\n}\nfor d.More() {\nswitch d.Key() {\n", s.goName)
	for i, mb := range s.members {
		fmt.Fprintf(b, "case %q:\n", mb.name)
		code, err := jsonRead(mb.shape, "v."+mb.field, true, 0)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", s.name, mb.name, err)
		}
		b.WriteString(code)
		if mb.shape.Type == "string" || mb.shape.Type == "timestamp" {
			fmt.Fprintf(b, "if ok {\nv.set |= 1 << %d\n}\n", i)
		}
	}
	b.WriteString("default:\nd.Skip()\n}\n}\n}\n\n")
	return nil
}

// jsonRead reads a value of shape s into dst. A structure member (not an
// element) is a pointer; strings and times set ok.
func jsonRead(s *shape, dst string, isMember bool, depth int) (string, error) {
	switch s.Type {
	case "string", "timestamp":
		r := map[string]string{"string": "String", "timestamp": "Time"}[s.Type]
		if isMember {
			return fmt.Sprintf("var ok bool\n%s, ok = d.%s()\n", dst, r), nil
		}
		return fmt.Sprintf("%s, _ = d.%s()\n", dst, r), nil
	case "integer", "long", "boolean", "double", "float":
		r := queryReader(s)
		if isMember {
			return fmt.Sprintf("%s = d.%s()\n", dst, r), nil
		}
		return fmt.Sprintf("if x := d.%s(); x != nil {\n%s = *x\n}\n", r, dst), nil
	case "blob":
		return fmt.Sprintf("%s = d.Blob()\n", dst), nil
	case "structure":
		if isMember {
			return fmt.Sprintf("%s = new(%s)\n%s.decodeJSON(d)\n", dst, s.goName, dst), nil
		}
		return dst + ".decodeJSON(d)\n", nil
	case "list":
		e := fmt.Sprintf("e%d", depth)
		inner, err := jsonRead(s.elem(), e, false, depth+1)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("if d.Array() {\n%s = %s{}\nfor d.More() {\nvar %s %s\n%s%s = append(%s, %s)\n}\n}\n",
			dst, elemType(s), e, elemType(s.elem()), inner, dst, dst, e), nil
	case "map":
		e := fmt.Sprintf("e%d", depth)
		inner, err := jsonRead(s.val(), e, false, depth+1)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("if d.Object() {\n%s = %s{}\nfor d.More() {\nk := d.Key()\nvar %s %s\n%s%s[k] = %s\n}\n}\n",
			dst, elemType(s), e, elemType(s.val()), inner, dst, e), nil
	}
	return "", fmt.Errorf("JSON %s", s.Type)
}

// --- encoding ---

func (g *gen) encode() (string, error) {
	var b strings.Builder
	for _, s := range g.m.structures() {
		if !s.output {
			continue
		}
		var err error
		if g.query {
			err = g.xmlEncoder(&b, s)
		} else {
			err = g.jsonEncoder(&b, s)
		}
		if err != nil {
			return "", err
		}
	}
	return g.file(b.String(), "strconv", impWire, impXML), nil
}

// xmlEncoder writes AppendXML: the members inside the structure's element.
// Absent members (nil, "", zero time) are left out; a list or map that is
// set is written even when empty (<Users></Users>), as AWS writes it, and a
// required one always.
func (g *gen) xmlEncoder(b *strings.Builder, s *shape) error {
	fmt.Fprintf(b, "// AppendXML appends the members as the Query protocol writes them.\nfunc (v *%s) AppendXML(b []byte) []byte {\n", s.goName)
	for _, mb := range s.members {
		code, err := xmlValue(mb.shape, "v."+mb.field, mb.name, true, mb.required, 0)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", s.name, mb.name, err)
		}
		b.WriteString(code)
	}
	b.WriteString("return b\n}\n\n")
	return nil
}

func xmlValue(s *shape, expr, name string, isMember, required bool, depth int) (string, error) {
	cond := func(c, code string) string {
		if !isMember {
			return code
		}
		return "if " + c + " {\n" + code + "}\n"
	}
	val := valueOf(s, expr, isMember)
	switch s.Type {
	case "string":
		return cond(expr+` != ""`, fmt.Sprintf("b = wire.AppendXMLString(b, %q, %s)\n", name, val)), nil
	case "integer", "long":
		return cond(expr+" != nil", fmt.Sprintf("b = wire.AppendXMLInt(b, %q, int64(%s))\n", name, val)), nil
	case "boolean":
		return cond(expr+" != nil", fmt.Sprintf("b = wire.AppendXMLBool(b, %q, %s)\n", name, val)), nil
	case "double", "float":
		return cond(expr+" != nil", fmt.Sprintf("b = wire.AppendXMLFloat(b, %q, %s)\n", name, val)), nil
	case "timestamp":
		return cond("!"+expr+".IsZero()", fmt.Sprintf("b = wire.AppendXMLTime(b, %q, %s)\n", name, val)), nil
	case "blob":
		return cond(expr+" != nil", fmt.Sprintf("b = wire.AppendXMLBlob(b, %q, %s)\n", name, val)), nil
	case "structure":
		return cond(expr+" != nil", fmt.Sprintf("b = wire.Open(b, %q)\nb = %s.AppendXML(b)\nb = wire.Close(b, %q)\n", name, expr, name)), nil
	case "list":
		e := fmt.Sprintf("e%d", depth)
		inner, err := xmlValue(s.elem(), e, "member", false, false, depth+1)
		if err != nil {
			return "", err
		}
		if s.elem().Type == "structure" {
			inner = fmt.Sprintf("b = wire.Open(b, \"member\")\nb = (&%s[i]).AppendXML(b)\nb = wire.Close(b, \"member\")\n", expr)
			code := fmt.Sprintf("b = wire.Open(b, %q)\nfor i := range %s {\n%s}\nb = wire.Close(b, %q)\n", name, expr, inner, name)
			if required || !isMember {
				return code, nil
			}
			return cond(expr+" != nil", code), nil
		}
		code := fmt.Sprintf("b = wire.Open(b, %q)\nfor %s := range %s {\n%s}\nb = wire.Close(b, %q)\n", name, e, expr, inner, name)
		code = strings.Replace(code, "for "+e+" := range", "for _, "+e+" := range", 1)
		if required || !isMember {
			return code, nil
		}
		return cond(expr+" != nil", code), nil
	case "map":
		k := fmt.Sprintf("k%d", depth)
		inner, err := xmlValue(s.val(), expr+"["+k+"]", "value", false, false, depth+1)
		if err != nil {
			return "", err
		}
		code := fmt.Sprintf("b = wire.Open(b, %q)\nfor _, %s := range wire.SortedKeys(%s) {\nb = wire.Open(b, \"entry\")\nb = wire.AppendXMLString(b, \"key\", %s)\n%sb = wire.Close(b, \"entry\")\n}\nb = wire.Close(b, %q)\n", name, k, expr, k, inner, name)
		if required || !isMember {
			return code, nil
		}
		// A map is written when set, even empty: AWS tells an empty map
		// (EvalDecisionDetails of a same-account simulation) from none.
		return cond(expr+" != nil", code), nil
	}
	return "", fmt.Errorf("XML %s", s.Type)
}

// jsonEncoder writes AppendJSON: the structure as a JSON object, absent
// members left out, lists and maps written when set (and always when
// required).
func (g *gen) jsonEncoder(b *strings.Builder, s *shape) error {
	fmt.Fprintf(b, "// AppendJSON appends the structure as the JSON 1.1 protocol writes it.\nfunc (v *%s) AppendJSON(b []byte) []byte {\nb = append(b, '{')\n", s.goName)
	if len(s.members) > 0 {
		b.WriteString("first := true\n")
	}
	for _, mb := range s.members {
		key := fmt.Sprintf("b = wire.AppendJSONKey(b, first, %q)\nfirst = false\n", mb.name)
		val, cond, err := jsonValue(mb.shape, "v."+mb.field, true, 0)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", s.name, mb.name, err)
		}
		if mb.required && (mb.shape.Type == "list" || mb.shape.Type == "map") {
			cond = ""
		}
		if cond == "" {
			b.WriteString(key + val)
		} else {
			fmt.Fprintf(b, "if %s {\n%s%s}\n", cond, key, val)
		}
	}
	if len(s.members) > 0 {
		b.WriteString("_ = first\n")
	}
	b.WriteString("return append(b, '}')\n}\n\n")
	return nil
}

// jsonValue returns the code appending expr of shape s, and for a member
// the condition under which it is present.
func jsonValue(s *shape, expr string, isMember bool, depth int) (code, cond string, err error) {
	val := valueOf(s, expr, isMember)
	switch s.Type {
	case "string":
		return fmt.Sprintf("b = wire.AppendJSONString(b, %s)\n", val), expr + ` != ""`, nil
	case "integer", "long":
		return fmt.Sprintf("b = strconv.AppendInt(b, int64(%s), 10)\n", val), expr + " != nil", nil
	case "boolean":
		return fmt.Sprintf("b = strconv.AppendBool(b, %s)\n", val), expr + " != nil", nil
	case "double", "float":
		return fmt.Sprintf("b = wire.AppendJSONFloat(b, float64(%s))\n", val), expr + " != nil", nil
	case "timestamp":
		return fmt.Sprintf("b = wire.AppendJSONTime(b, %s)\n", val), "!" + expr + ".IsZero()", nil
	case "blob":
		return fmt.Sprintf("b = wire.AppendJSONBlob(b, %s)\n", val), expr + " != nil", nil
	case "structure":
		if isMember {
			return fmt.Sprintf("b = %s.AppendJSON(b)\n", expr), expr + " != nil", nil
		}
		return fmt.Sprintf("b = (&%s).AppendJSON(b)\n", expr), "", nil
	case "list":
		i := fmt.Sprintf("i%d", depth)
		inner, _, err := jsonValue(s.elem(), expr+"["+i+"]", false, depth+1)
		if err != nil {
			return "", "", err
		}
		return fmt.Sprintf("b = append(b, '[')\nfor %s := range %s {\nif %s > 0 {\nb = append(b, ',')\n}\n%s}\nb = append(b, ']')\n", i, expr, i, inner), expr + " != nil", nil
	case "map":
		k := fmt.Sprintf("k%d", depth)
		i := fmt.Sprintf("i%d", depth)
		inner, _, err := jsonValue(s.val(), expr+"["+k+"]", false, depth+1)
		if err != nil {
			return "", "", err
		}
		if s.val().Type == "structure" {
			inner = fmt.Sprintf("e := %s[%s]\nb = e.AppendJSON(b)\n", expr, k)
		}
		return fmt.Sprintf("b = append(b, '{')\nfor %s, %s := range wire.SortedKeys(%s) {\nb = wire.AppendJSONKey(b, %s == 0, %s)\n%s}\nb = append(b, '}')\n", i, k, expr, i, k, inner), expr + " != nil", nil
	}
	return "", "", fmt.Errorf("JSON %s", s.Type)
}
