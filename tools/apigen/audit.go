package main

import (
	"fmt"
	"strings"
)

// Members CloudTrail never records: secrets, one-time codes and identity
// assertions are left out, not even hidden. Other sensitive members of
// the models (passwords, Organizations' account names and emails) are
// recorded as HIDDEN_DUE_TO_SECURITY_REASONS, as CloudTrail does.
var auditOmitted = map[string]bool{
	"SecretAccessKey": true, "SessionToken": true, "TokenCode": true,
	"AuthenticationCode1": true, "AuthenticationCode2": true,
	"SAMLAssertion": true, "WebIdentityToken": true,
	"Base32StringSeed": true, "QRCodePNG": true, "PrivateKey": true,
	"ServicePassword": true, "ServiceCredentialSecret": true,
}

var auditHidden = map[string]bool{"Password": true, "OldPassword": true, "NewPassword": true}

// audit writes AppendAudit for every structure: CloudTrail's
// requestParameters and responseElements.
func (g *gen) audit() (string, error) {
	var b strings.Builder
	for _, s := range g.m.structures() {
		fmt.Fprintf(&b, "// AppendAudit appends the CloudTrail form of the value; false (and b\n// unchanged) when nothing is left to record.\nfunc (v *%s) AppendAudit(b []byte) ([]byte, bool) {\n", s.goName)
		if len(s.members) == 0 {
			b.WriteString("return b, false\n}\n\n")
			continue
		}
		b.WriteString("start := len(b)\nb = append(b, '{')\nn := 0\n")
		for _, mb := range s.members {
			if auditOmitted[mb.name] {
				continue
			}
			key := fmt.Sprintf("b = wire.Key(b, n > 0, `\"%s\":`)\n", lowerFirst(mb.name))
			cond, code, ok := auditValue(mb.shape, "v."+mb.field, true, 0)
			if !ok {
				continue
			}
			if auditHidden[mb.name] || mb.shape.Sensitive {
				fmt.Fprintf(&b, "if %s {\n%sb = append(b, wire.Hidden...)\nn++\n}\n", cond, key)
				continue
			}
			if mb.shape.Type == "structure" {
				fmt.Fprintf(&b, "if %s {\nmark := len(b)\n%s%sif ok {\nn++\n} else {\nb = b[:mark]\n}\n}\n", cond, key, code)
				continue
			}
			fmt.Fprintf(&b, "if %s {\n%s%sn++\n}\n", cond, key, code)
		}
		b.WriteString("if n == 0 {\nreturn b[:start], false\n}\nreturn append(b, '}'), true\n}\n\n")
	}
	return g.file(b.String(), "strconv", impWire), nil
}

// auditValue returns the condition under which a member is recorded and
// the code appending it; ok is false for what is never recorded (blobs,
// maps). A structure's code sets ok when it recorded anything.
func auditValue(s *shape, expr string, isMember bool, depth int) (cond, code string, ok bool) {
	val := valueOf(s, expr, isMember)
	switch s.Type {
	case "string":
		return expr + ` != ""`, fmt.Sprintf("b = wire.AppendJSONString(b, %s)\n", val), true
	case "integer", "long":
		return expr + " != nil", fmt.Sprintf("b = strconv.AppendInt(b, int64(%s), 10)\n", val), true
	case "boolean":
		return expr + " != nil", fmt.Sprintf("b = strconv.AppendBool(b, %s)\n", val), true
	case "double", "float":
		return expr + " != nil", fmt.Sprintf("b = wire.AppendJSONFloat(b, float64(%s))\n", val), true
	case "timestamp":
		return "!" + expr + ".IsZero()", fmt.Sprintf("b = wire.AppendAuditTime(b, %s)\n", val), true
	case "structure":
		if isMember {
			return expr + " != nil", fmt.Sprintf("var ok bool\nb, ok = %s.AppendAudit(b)\n", expr), true
		}
		return "", fmt.Sprintf("var ok bool\nb, ok = (&%s).AppendAudit(b)\n", expr), true
	case "list":
		i := fmt.Sprintf("i%d", depth)
		_, inner, ok := auditValue(s.elem(), expr+"["+i+"]", false, depth+1)
		if !ok {
			return "", "", false
		}
		if s.elem().Type == "structure" {
			inner += "if !ok {\nb = append(b, \"null\"...)\n}\n"
		}
		return "len(" + expr + ") > 0", fmt.Sprintf("b = append(b, '[')\nfor %s := range %s {\nif %s > 0 {\nb = append(b, ',')\n}\n%s}\nb = append(b, ']')\n", i, expr, i, inner), true
	}
	return "", "", false
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}
