package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Use is where a document is stored or sent. IAM checks a document by where
// it goes: a managed policy must be Version 2012-10-17, an inline one need
// not; a trust policy has its own messages. Validate is the one function
// that knows this, for the server and for `mantle policy validate` alike.
type Use uint8

// Uses.
const (
	UseManaged  Use = iota + 1 // CreatePolicy, CreatePolicyVersion (permissions boundaries are managed policies)
	UseInline                  // PutUserPolicy, PutGroupPolicy, PutRolePolicy
	UseTrust                   // CreateRole, UpdateAssumeRolePolicy
	UseSession                 // an STS session policy
	UseResource                // a resource-based policy
	UseSCP                     // an Organizations service control policy
	UseRCP                     // an Organizations resource control policy
)

var useNames = [...]string{
	UseManaged:  "managed",
	UseInline:   "inline",
	UseTrust:    "trust",
	UseSession:  "session",
	UseResource: "resource",
	UseSCP:      "scp",
	UseRCP:      "rcp",
}

func (u Use) String() string {
	if int(u) < len(useNames) && useNames[u] != "" {
		return useNames[u]
	}
	return fmt.Sprintf("Use(%d)", uint8(u))
}

// Kind is the kind a document of this use is compiled as.
func (u Use) Kind() Kind {
	switch u {
	case UseManaged, UseInline:
		return KindIdentity
	case UseTrust:
		return KindTrust
	case UseSession:
		return KindSession
	case UseResource:
		return KindResource
	case UseSCP:
		return KindSCP
	case UseRCP:
		return KindRCP
	}
	return 0
}

// ParseUse maps the CLI spelling to a Use: managed, inline, trust, session,
// resource, scp, rcp; "identity" and "boundary" are managed policies.
func ParseUse(s string) (Use, error) {
	switch s {
	case "identity", "boundary":
		return UseManaged, nil
	}
	for u, n := range useNames {
		if n != "" && n == s {
			return Use(u), nil
		}
	}
	return 0, fmt.Errorf("unknown policy kind %q (want managed, inline, trust, session, resource, scp or rcp; identity and boundary mean managed)", s)
}

// Messages of IAM's staged checks of identity-based documents, as IAM
// returns them (recorded against AWS: see validate_test.go).
const (
	msgNeedVersion   = "Policy document must be version 2012-10-17 or greater."
	msgTrustJSON     = "This policy contains invalid Json"
	msgVendorRegexes = "Resource vendor must be fully qualified and cannot contain regexes."
	msgIAMPath       = `IAM resource path must either be "*", root, or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.`
)

// Validate checks doc as IAM (or STS, or Organizations) checks a document
// stored or sent as use, and compiles it. A refused document yields an
// *Error with the service's code and message. Size quotas are separate
// (CheckManagedPolicySize and friends): some depend on more than the
// document.
//
// Parse, by contrast, is what the authorizer compiles stored documents
// with: it accepts everything Validate accepts, so a document IAM took
// always grants what it says, and does not run the store-time checks, so a
// document stored under older rules keeps its statements (a Deny included).
func Validate(doc string, use Use) (*Policy, error) {
	switch use {
	case UseManaged, UseInline:
		if err := checkIdentityDocument(doc, use == UseManaged); err != nil {
			return nil, err
		}
	case UseTrust:
		// IAM reads trust policies with another parser, which words
		// unreadable JSON its own way.
		if root, err := parseJSON(doc); err != nil || root.kind != jObject {
			return nil, malformed(msgTrustJSON)
		}
	case UseSession, UseResource, UseSCP, UseRCP:
	default:
		return nil, fmt.Errorf("policy: unknown use %d", use)
	}
	return Parse(doc, use.Kind())
}

// checkIdentityDocument applies IAM's checks of an identity-based document
// in IAM's order: the syntax stage, the version (managed policies), the
// legacy parser (exact Effect, dates, resource ARNs), unique Sids, actions
// present, the first resource error found, no principal, resources
// present, action vendors ({"Effect":"Allow","Action":"invalid"} is
// refused for its missing resources, as AWS answered in 2026). The first failing stage names the refusal.
func checkIdentityDocument(doc string, managed bool) error {
	root, stmts, ok := identitySyntax(doc)
	if !ok {
		return malformed(msgSyntax)
	}
	if managed {
		if v, ok := root.get("Version"); !ok || v.str != "2012-10-17" {
			return malformed(msgNeedVersion)
		}
	}
	resErr := ""
	for _, st := range stmts {
		if e, _ := st.get("Effect"); e.str != "Allow" && e.str != "Deny" {
			return malformed(msgLegacy)
		}
		if c, ok := st.get("Condition"); ok && !legacyConditions(c) {
			return malformed(msgLegacy)
		}
	}
	for _, field := range [...]string{"Resource", "NotResource"} {
		for _, st := range stmts {
			v, ok := st.get(field)
			if !ok {
				continue
			}
			list, _ := stringList(v)
			// IAM reports the error of the resource that sorts first;
			// the legacy parse runs only while no resource error is known.
			sorted := append([]string(nil), list...)
			sort.Sort(sort.Reverse(sort.StringSlice(sorted)))
			for _, r := range sorted {
				if msg := resourceFormatError(r); msg != "" {
					resErr = msg
				}
			}
			if resErr == "" {
				for _, r := range list {
					if !legacyResource(r) {
						return malformed(msgLegacy)
					}
				}
			}
		}
	}
	sids := map[string]bool{}
	for _, st := range stmts {
		if v, ok := st.get("Sid"); ok && v.str != "" {
			if sids[v.str] {
				return malformed(msgUniqueSid)
			}
			sids[v.str] = true
		}
	}
	for _, st := range stmts {
		if !nonEmptyField(st, "Action", "NotAction") {
			return malformed(msgNeedActions)
		}
	}
	if resErr != "" {
		return malformed(resErr)
	}
	for _, st := range stmts {
		// A trust policy sent to CreatePolicy is refused for its
		// principal, not for its missing resources.
		if _, ok := st.get("Principal"); ok {
			return malformed(msgNoPrincipal)
		}
		if _, ok := st.get("NotPrincipal"); ok {
			return malformed(msgNoPrincipal)
		}
	}
	for _, st := range stmts {
		if !nonEmptyField(st, "Resource", "NotResource") {
			return malformed(msgNeedResources)
		}
	}
	for _, field := range [...]string{"Action", "NotAction"} {
		for _, st := range stmts {
			if v, ok := st.get(field); ok {
				list, _ := stringList(v)
				for _, a := range list {
					if err := actionVendorError(a); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// identitySyntax is IAM's first stage: the document's shape and the types
// of its elements. It returns the root and the statements.
func identitySyntax(doc string) (*jval, []*jval, bool) {
	root, err := parseJSON(doc)
	if err != nil || root.kind != jObject {
		return nil, nil, false
	}
	for i, k := range root.keys {
		v := root.vals[i]
		switch k {
		case "Version":
			if v.kind != jString || v.str != "2012-10-17" && v.str != "2008-10-17" {
				return nil, nil, false
			}
		case "Id":
			if v.kind != jString {
				return nil, nil, false
			}
		case "Statement":
		default:
			return nil, nil, false
		}
	}
	stmts, ok := statementsOf(root)
	if !ok {
		return nil, nil, false
	}
	for _, st := range stmts {
		if !statementSyntax(st) {
			return nil, nil, false
		}
	}
	return root, stmts, true
}

func statementSyntax(st *jval) bool {
	if st.kind != jObject {
		return false
	}
	for _, k := range st.keys {
		if !statementFields[k] {
			return false
		}
	}
	has := func(k string) bool { _, ok := st.get(k); return ok }
	if has("Action") && has("NotAction") || has("Resource") && has("NotResource") || has("Principal") && has("NotPrincipal") {
		return false
	}
	e, ok := st.get("Effect")
	if !ok || e.kind != jString || !strings.EqualFold(e.str, "Allow") && !strings.EqualFold(e.str, "Deny") {
		return false
	}
	for _, f := range [...]string{"Action", "NotAction", "Resource", "NotResource"} {
		if v, ok := st.get(f); ok {
			if _, ok := stringList(v); !ok {
				return false
			}
		}
	}
	if v, ok := st.get("Sid"); ok && v.kind != jString {
		return false
	}
	if c, ok := st.get("Condition"); ok {
		if c.kind != jObject {
			return false
		}
		for i, op := range c.keys {
			block := c.vals[i]
			if block.kind != jObject {
				return false
			}
			for _, v := range block.vals {
				if _, ok := conditionValues(v); !ok {
					return false
				}
			}
			// An unknown operator passes only with nothing under it.
			if _, _, _, known := parseOperator(op); !known && len(block.keys) > 0 {
				return false
			}
		}
	}
	return true
}

func nonEmptyField(st *jval, field, notField string) bool {
	v, ok := st.get(field)
	if !ok {
		v, ok = st.get(notField)
	}
	return ok && !(v.kind == jArray && len(v.arr) == 0)
}

// actionVendorError checks an action's service prefix: letters, digits,
// '-' and '.', or "*" alone.
func actionVendorError(a string) error {
	parts := strings.Split(a, ":")
	switch {
	case len(parts) == 1 && a != "*":
		return malformed(msgVendor)
	case len(parts) > 2:
		return malformed(msgOneColon)
	}
	vendor := parts[0]
	if vendor == "*" {
		return nil
	}
	for i := 0; i < len(vendor); i++ {
		c := vendor[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return malformed(fmt.Sprintf("Vendor %s is not valid", vendor))
		}
	}
	return nil
}

// partitions are the AWS partitions a resource ARN may name.
var partitions = map[string]bool{
	"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true, "aws-iso-b": true,
	"aws-iso-e": true, "aws-iso-f": true, "aws-eusc": true,
}

// iamPathStarts are the resource types an IAM ARN may name.
var iamPathStarts = []string{
	"user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/", "server-certificate/",
	"policy/", "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/",
}

// resourceFormatError returns IAM's message for a resource it cannot take,
// or "". IAM reads "x:partition:service:region:account:resource" without
// looking at the first part, so "aws:s3:::b" names partition "s3".
func resourceFormatError(r string) string {
	if r == "*" {
		return ""
	}
	_, rest, ok := strings.Cut(r, ":")
	if !ok {
		return fmt.Sprintf("Resource %s must be in ARN format or \"*\".", r)
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if partition != "*" && !partitions[partition] {
		parts := strings.Split(rest, ":")
		part := func(i int) string {
			if i < len(parts) && (i > 0 || parts[0] != "" || len(parts) > 1) {
				return parts[i]
			}
			return "*"
		}
		last := "*"
		if len(parts) > 3 {
			last = strings.Join(parts[3:], ":")
		}
		return fmt.Sprintf("Partition %q is not valid for resource \"arn:%s:%s:%s:%s:%s\".", partition, partition, part(0), part(1), part(2), last)
	}
	if !ok {
		return msgVendorRegexes
	}
	service, afterService, _ := strings.Cut(rest, ":")
	_, afterRegion, _ := strings.Cut(afterService, ":")
	_, resource, _ := strings.Cut(afterRegion, ":")
	if afterService != "" && afterService[0] != ':' {
		switch {
		case service == "iam":
			return fmt.Sprintf("IAM resource %s cannot contain region information.", r)
		case service == "s3" && !strings.HasPrefix(resource, "accesspoint/"):
			return fmt.Sprintf("Resource %s can not contain region information.", r)
		}
	}
	if service == "iam" && resource != "*" && resource != "root" {
		for _, p := range iamPathStarts {
			if strings.HasPrefix(resource, p) {
				return ""
			}
		}
		return msgIAMPath
	}
	return ""
}

// legacyResource is the legacy parser's view of a resource: with "::" in
// it, it needs all six parts, and the service part may not be empty.
func legacyResource(r string) bool {
	if r == "*" {
		return true
	}
	if strings.Count(r, ":") < 5 && strings.Contains(r, "::") {
		return false
	}
	parts := strings.SplitN(r, ":", 4)
	return len(parts) > 2 && parts[2] != ""
}

// legacyConditions checks the values of Date operators as the legacy parser
// reads them (the other operators' values are checked when compiled).
func legacyConditions(c *jval) bool {
	for i, op := range c.keys {
		info, _, _, ok := parseOperator(op)
		if !ok || !isDateOp(info.kind) {
			continue
		}
		for _, v := range c.vals[i].vals {
			vals, _ := conditionValues(v)
			for _, s := range vals {
				if strings.Contains(s, "${") {
					continue // a policy variable, read at request time
				}
				if _, ok := parseLegacyDate(s); !ok {
					return false
				}
			}
		}
	}
	return true
}

func isDateOp(op opKind) bool { return op >= opDateEq && op <= opDateGe }

// parseLegacyDate reads a Date operator's value the way IAM's legacy parser
// accepts it: epoch seconds (0 to 2^63-1), or an ISO 8601 date and time
// that may leave out any trailing part ("01T", "2016-12-13t2:00:00+23"),
// with a year from -292275054 to 292278993, fractions of up to nine
// digits and a zone of Z, +HH or +HH:MM. A policy variable is read at
// request time.
func parseLegacyDate(s string) (instant, bool) {
	ls := strings.ToLower(s)
	if !strings.Contains(ls, "t") && !strings.Contains(ls, "-") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return instant{}, false
		}
		return instant{sec: n}, true
	}
	datePart, timePart, _ := strings.Cut(ls, "t")
	neg := strings.HasPrefix(datePart, "-")
	if neg {
		datePart = datePart[1:]
	}
	fields := strings.Split(datePart, "-")
	if len(fields) > 3 {
		return instant{}, false
	}
	atoi := func(s string, lo, hi int64) (int64, bool) {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil && n >= lo && n <= hi
	}
	year, ok := atoi(fields[0], -292275054, 292278993)
	if !ok {
		return instant{}, false
	}
	if neg {
		year = -year
		if year < -292275054 {
			return instant{}, false
		}
	}
	month, day := int64(1), int64(1)
	if len(fields) > 1 {
		if month, ok = atoi(fields[1], 1, 12); !ok {
			return instant{}, false
		}
	}
	if len(fields) > 2 {
		if day, ok = atoi(fields[2], 1, 31); !ok {
			return instant{}, false
		}
	}
	var hour, minute, sec, nsec, offset int64
	tp := strings.Split(timePart, ":")
	if tp[0] != "" {
		if hour, ok = atoi(tp[0], 0, 23); !ok {
			return instant{}, false
		}
	}
	if len(tp) > 1 {
		if minute, ok = atoi(tp[1], 0, 59); !ok {
			return instant{}, false
		}
	}
	if len(tp) > 2 {
		secs := strings.Join(tp[2:], ":")
		switch {
		case strings.Contains(secs, "z"):
			var after string
			secs, after, _ = strings.Cut(secs, "z")
			if after != "" {
				return instant{}, false
			}
		case strings.ContainsAny(secs, "+-"):
			i := strings.IndexAny(secs, "+-")
			sign, zone := int64(1), secs[i+1:]
			if secs[i] == '-' {
				sign = -1
			}
			secs = secs[:i]
			zh, zm, hasMin := strings.Cut(zone, ":")
			h, ok := atoi(zh, 0, 23)
			if len(zh) != 2 || !ok {
				return instant{}, false
			}
			offset = h * 3600
			if hasMin {
				m, ok := atoi(zm, 0, 59)
				if len(zm) != 2 || !ok {
					return instant{}, false
				}
				offset += m * 60
			}
			offset *= sign
		}
		whole, frac, hasFrac := strings.Cut(secs, ".")
		if sec, ok = atoi(whole, 0, 59); !ok {
			return instant{}, false
		}
		if hasFrac {
			f, ok := atoi(frac, 0, 999999999)
			if !ok {
				return instant{}, false
			}
			// The digits are a fraction: "5" is half a second.
			for n := len(frac); n < 9; n++ {
				f *= 10
			}
			if len(frac) <= 9 {
				nsec = f
			}
		}
	}
	days := daysFromCivil(year, month, day)
	return instant{sec: days*86400 + hour*3600 + minute*60 + sec - offset, nsec: nsec}, true
}

// daysFromCivil counts days from 1970-01-01 in the proleptic Gregorian
// calendar, for years beyond time.Date's comfortable range.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
