package policy

import (
	"fmt"
	"sort"
	"strings"
)

// Effect is a statement's Effect element.
type Effect uint8

// Effects.
const (
	Allow Effect = iota + 1
	Deny
)

func (e Effect) String() string {
	if e == Deny {
		return "Deny"
	}
	return "Allow"
}

// Pos is a 1-based line and column in the policy document.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Policy is a parsed, validated and compiled policy document. It is
// immutable and safe for concurrent use.
type Policy struct {
	id         string
	kind       Kind
	version    string
	docID      string
	vars       bool
	statements []Statement
	byService  map[string][]int32 // lower-cased service prefix -> statements
	anyService []int32            // statements whose actions can match any service
}

// Statement is one compiled statement. Sid, Effect and the source range are
// exported for explanations; the matchers are internal.
type Statement struct {
	Sid    string
	Effect Effect
	Start  Pos // position of the statement's opening brace
	End    Pos // position just past its closing brace

	principals   []principalEntry
	notPrincipal bool
	hasPrincipal bool
	actions      []actionPattern
	notAction    bool
	resources    []arnPattern
	notResource  bool
	hasResource  bool
	conditions   []condition
}

// Kind is the kind the policy was validated as.
func (p *Policy) Kind() Kind { return p.kind }

// ID is the caller-supplied label (policy ARN, inline policy name, ...).
func (p *Policy) ID() string { return p.id }

// Version is the document's Version element ("" when absent).
func (p *Policy) Version() string { return p.version }

// DocumentID is the document's Id element.
func (p *Policy) DocumentID() string { return p.docID }

// Statements returns the compiled statements; callers must not modify them.
func (p *Policy) Statements() []Statement { return p.statements }

// WithID returns a copy of the policy labelled id, the name explanations
// report for it (a policy ARN, "user/alice/inline-name", ...).
func (p *Policy) WithID(id string) *Policy {
	c := *p
	c.id = id
	return &c
}

type actionPattern struct {
	raw   string
	toks  []token // lower-cased
	lit   string  // lower-cased literal when there is no wildcard
	any   bool
	isLit bool
}

func compileAction(s string) actionPattern {
	a := actionPattern{raw: s}
	if s == "*" {
		a.any = true
		return a
	}
	a.toks = tokenize(s, true, false, true)
	if len(a.toks) == 1 && a.toks[0].kind == tLit {
		a.isLit, a.lit = true, a.toks[0].text
	}
	return a
}

func (a *actionPattern) match(action string) bool {
	if a.any {
		return true
	}
	if a.isLit {
		return len(a.lit) == len(action) && hasPrefixFold(action, a.lit, true)
	}
	return matchTokens(a.toks, action, true, nil)
}

// service returns the lower-cased literal service prefix, or "" when the
// pattern can match more than one service.
func (a *actionPattern) service() string {
	if a.any || len(a.toks) == 0 || a.toks[0].kind != tLit {
		return ""
	}
	svc, _, ok := strings.Cut(a.toks[0].text, ":")
	if !ok {
		return ""
	}
	return svc
}

// Parse parses and validates a policy document as IAM does for kind and
// compiles it for evaluation. A rejected document yields an *Error with
// IAM's code and message. Size quotas depend on where the document is
// stored and are checked separately (see CheckManagedPolicySize and friends).
func Parse(doc string, kind Kind) (*Policy, error) {
	if kind < KindIdentity || kind > KindRCP {
		return nil, fmt.Errorf("policy: unknown kind %d", kind)
	}
	root, err := parseJSON(doc)
	if err != nil || root.kind != jObject {
		return nil, malformed(msgSyntax)
	}
	p := &Policy{kind: kind}
	for i, k := range root.keys {
		v := root.vals[i]
		switch k {
		case "Version", "Id":
			if v.kind != jString {
				return nil, malformed(msgSyntax)
			}
		case "Statement":
		default:
			return nil, malformed(msgSyntax)
		}
	}
	if v, ok := root.get("Version"); ok {
		p.version = v.str
		switch v.str {
		case "2012-10-17":
			p.vars = true
		case "2008-10-17":
		default:
			return nil, malformed(msgLegacy)
		}
	}
	if v, ok := root.get("Id"); ok {
		p.docID = v.str
	}
	stmts, ok := statementsOf(root)
	if !ok {
		return nil, malformed(msgSyntax)
	}
	sids := map[string]bool{}
	lines := newLineIndex(doc)
	for _, sj := range stmts {
		if sj.kind != jObject {
			return nil, malformed(msgSyntax)
		}
		st, err := p.parseStatement(sj, lines)
		if err != nil {
			return nil, err
		}
		if st.Sid != "" {
			if sids[st.Sid] {
				return nil, malformed(msgUniqueSid)
			}
			sids[st.Sid] = true
		}
		p.statements = append(p.statements, st)
	}
	p.buildIndex()
	return p, nil
}

// statementsOf returns the document's statements: one object or a
// non-empty list.
func statementsOf(root *jval) ([]*jval, bool) {
	sv, ok := root.get("Statement")
	if !ok {
		return nil, false
	}
	switch sv.kind {
	case jObject:
		return []*jval{sv}, true
	case jArray:
		return sv.arr, len(sv.arr) > 0
	}
	return nil, false
}

// MustParse is Parse for tests and fixed policies; it panics on error.
func MustParse(doc string, kind Kind) *Policy {
	p, err := Parse(doc, kind)
	if err != nil {
		panic(err)
	}
	return p
}

func (p *Policy) buildIndex() {
	p.byService = map[string][]int32{}
	for i := range p.statements {
		st := &p.statements[i]
		wild := st.notAction
		var svcs []string
		for j := range st.actions {
			svc := st.actions[j].service()
			if svc == "" {
				wild = true
				break
			}
			svcs = append(svcs, svc)
		}
		if wild {
			p.anyService = append(p.anyService, int32(i))
			continue
		}
		sort.Strings(svcs)
		for j, svc := range svcs {
			if j > 0 && svcs[j-1] == svc {
				continue
			}
			p.byService[svc] = append(p.byService[svc], int32(i))
		}
	}
}

// stringList reads a string or a list of strings.
func stringList(v *jval) ([]string, bool) {
	switch v.kind {
	case jString:
		return []string{v.str}, true
	case jArray:
		out := make([]string, 0, len(v.arr))
		for _, e := range v.arr {
			if e.kind != jString {
				return nil, false
			}
			out = append(out, e.str)
		}
		return out, true
	}
	return nil, false
}

var statementFields = map[string]bool{
	"Sid": true, "Effect": true, "Principal": true, "NotPrincipal": true,
	"Action": true, "NotAction": true, "Resource": true, "NotResource": true, "Condition": true,
}

func (p *Policy) parseStatement(sj *jval, lines *lineIndex) (Statement, error) {
	st := Statement{Start: lines.pos(sj.start), End: lines.pos(sj.end)}
	for _, k := range sj.keys {
		if !statementFields[k] {
			return st, malformed(msgSyntax)
		}
	}
	has := func(k string) bool { _, ok := sj.get(k); return ok }
	if v, ok := sj.get("Sid"); ok {
		if v.kind != jString {
			return st, malformed(msgSyntax)
		}
		st.Sid = v.str
		if p.kind != KindResource && p.kind != KindRCP && p.kind != KindSCP && !isAlnum(st.Sid) {
			return st, malformed(msgSidAlnum)
		}
	}
	v, ok := sj.get("Effect")
	if !ok {
		return st, malformed(msgMissingEffect)
	}
	if v.kind != jString {
		return st, malformed(msgSyntax)
	}
	switch v.str {
	case "Allow":
		st.Effect = Allow
	case "Deny":
		st.Effect = Deny
	default:
		return st, malformed("Invalid effect: " + v.str)
	}
	if has("Action") && has("NotAction") || has("Resource") && has("NotResource") || has("Principal") && has("NotPrincipal") {
		return st, malformed(msgSyntax)
	}
	if err := p.parsePrincipal(&st, sj); err != nil {
		return st, err
	}
	if err := p.parseActions(&st, sj); err != nil {
		return st, err
	}
	if err := p.parseResources(&st, sj); err != nil {
		return st, err
	}
	if v, ok := sj.get("Condition"); ok {
		if err := p.parseConditions(&st, v); err != nil {
			return st, err
		}
	}
	if p.kind == KindRCP && st.Effect == Allow && !st.isFullAccess() {
		// "RCP syntax": Allow is only supported for RCPFullAWSAccess.
		return st, malformed(msgOrgPolicyType)
	}
	return st, nil
}

func (st *Statement) isFullAccess() bool {
	return len(st.actions) == 1 && st.actions[0].any && !st.notAction &&
		len(st.resources) == 1 && st.resources[0].any && !st.notResource && len(st.conditions) == 0
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func (p *Policy) parseActions(st *Statement, sj *jval) error {
	v, ok := sj.get("Action")
	if !ok {
		v, ok = sj.get("NotAction")
		st.notAction = ok
	}
	if !ok {
		return malformed(msgNeedActions)
	}
	list, ok := stringList(v)
	if !ok {
		return malformed(msgSyntax)
	}
	if len(list) == 0 {
		return malformed(msgNeedActions)
	}
	for _, a := range list {
		if err := validateAction(a); err != nil {
			return err
		}
		ap := compileAction(a)
		switch p.kind {
		case KindTrust:
			if st.notAction || !trustAction(&ap) {
				return malformed(msgTrustActions)
			}
		case KindRCP:
			if st.notAction || (st.Effect == Deny && !rcpService(ap.service())) {
				return malformed(msgOrgPolicyType)
			}
		}
		st.actions = append(st.actions, ap)
	}
	return nil
}

func validateAction(a string) error {
	if a == "*" {
		return nil
	}
	vendor, name, ok := strings.Cut(a, ":")
	if !ok || vendor == "" || name == "" {
		return malformed(msgVendor)
	}
	if strings.Contains(name, ":") {
		return malformed(msgOneColon)
	}
	for i := 0; i < len(vendor); i++ {
		c := vendor[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '*' || c == '?') {
			return malformed(fmt.Sprintf("Vendor %s is not valid", vendor))
		}
	}
	return nil
}

// Actions a role trust policy may grant ("IAM JSON policy elements: Action"
// and the STS API reference: AssumeRole* plus the session permissions
// TagSession, SetSourceIdentity and SetContext).
var trustActions = []string{
	"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
	"sts:tagsession", "sts:setsourceidentity", "sts:setcontext",
}

func trustAction(a *actionPattern) bool {
	if a.any || a.service() != "sts" {
		return false
	}
	for _, t := range trustActions {
		if a.match(t) {
			return true
		}
	}
	return false
}

// Services whose resources RCPs can restrict ("Resource control policies",
// list of supported services).
var rcpServices = map[string]bool{
	"s3": true, "sts": true, "sqs": true, "secretsmanager": true, "kms": true,
	"dynamodb": true, "ecr": true, "aoss": true, "cognito-identity": true, "logs": true,
}

func rcpService(svc string) bool { return rcpServices[svc] }

func (p *Policy) parseResources(st *Statement, sj *jval) error {
	field := "Resource"
	v, ok := sj.get("Resource")
	if !ok {
		if v, ok = sj.get("NotResource"); ok {
			field, st.notResource = "NotResource", true
		}
	}
	if p.kind == KindTrust {
		if ok {
			return malformed("Has prohibited field " + field)
		}
		return nil
	}
	if !ok {
		return malformed(msgNeedResources)
	}
	list, ok := stringList(v)
	if !ok {
		return malformed(msgSyntax)
	}
	if len(list) == 0 {
		return malformed(msgNeedResources)
	}
	st.hasResource = true
	for _, r := range list {
		// IAM's own resource checks are Validate's (identity documents);
		// the other kinds keep the simpler ARN-shape check.
		if p.kind == KindSession || p.kind == KindSCP {
			if err := validateResource(r); err != nil {
				return err
			}
		}
		st.resources = append(st.resources, compileARN(r, p.vars))
	}
	return nil
}

// validateResource applies IAM's checks to identity-side resources: "*" or
// an ARN with at least the six colon-separated parts (wildcards may stand in
// for trailing parts).
func validateResource(r string) error {
	if r == "*" {
		return nil
	}
	if !strings.HasPrefix(r, "arn:") {
		return malformed(fmt.Sprintf("Resource %s must be in ARN format or \"*\".", r))
	}
	if strings.Count(r, ":") < 5 && !strings.Contains(r, "*") {
		return malformed(msgInvalidResource)
	}
	return nil
}

func (p *Policy) parseConditions(st *Statement, v *jval) error {
	if v.kind != jObject {
		return malformed(msgSyntax)
	}
	for i, opName := range v.keys {
		block := v.vals[i]
		if block.kind != jObject {
			return malformed(msgSyntax)
		}
		info, set, ifExists, ok := parseOperator(opName)
		if !ok {
			if len(block.keys) == 0 {
				continue // IAM accepts an unknown operator with nothing under it
			}
			return malformed("Invalid Condition type : " + opName)
		}
		for j, key := range block.keys {
			// IAM takes any key ("a" included) in identity documents.
			vendor, name, ok := strings.Cut(key, ":")
			if (!ok || vendor == "" || name == "") && p.kind != KindIdentity && p.kind != KindBoundary {
				return malformed(msgVendor)
			}
			raws, ok := conditionValues(block.vals[j])
			if !ok {
				return malformed(msgSyntax)
			}
			c := condition{opName: opName, op: info.kind, negated: info.negated, ifExists: ifExists, set: set, key: key}
			for _, raw := range raws {
				cv, err := compileCondValue(info.kind, opName, raw, p.vars)
				if err != nil {
					return err
				}
				c.values = append(c.values, cv)
			}
			st.conditions = append(st.conditions, c)
		}
	}
	return nil
}

// conditionValues reads a condition's value(s): strings, numbers or
// booleans, alone or in a list.
func conditionValues(v *jval) ([]string, bool) {
	scalar := func(v *jval) bool { return v.kind == jString || v.kind == jNumber || v.kind == jBool }
	if scalar(v) {
		return []string{v.str}, true
	}
	if v.kind != jArray {
		return nil, false
	}
	out := make([]string, 0, len(v.arr))
	for _, e := range v.arr {
		if !scalar(e) {
			return nil, false
		}
		out = append(out, e.str)
	}
	return out, true
}
