package policy

import (
	"strconv"
	"strings"
	"time"
)

// PrincipalType is the kind of caller making a request.
type PrincipalType uint8

// Principal types. The aws:PrincipalType value of each is given in
// "AWS global condition context keys".
const (
	PrincipalAnonymous     PrincipalType = iota // unauthenticated ("Anonymous")
	PrincipalUser                               // IAM user ("User")
	PrincipalAssumedRole                        // role session ("AssumedRole")
	PrincipalFederatedUser                      // GetFederationToken session ("FederatedUser")
	PrincipalRoot                               // account root user ("Account")
	PrincipalRole                               // an IAM role itself, as a resource-policy principal
	PrincipalService                            // AWS service principal, e.g. s3.amazonaws.com
	PrincipalFederated                          // web identity or SAML provider, e.g. accounts.google.com
)

var principalTypeValues = [...]string{
	PrincipalAnonymous:     "Anonymous",
	PrincipalUser:          "User",
	PrincipalAssumedRole:   "AssumedRole",
	PrincipalFederatedUser: "FederatedUser",
	PrincipalRoot:          "Account",
	PrincipalRole:          "Role",
	PrincipalService:       "Service",
	PrincipalFederated:     "Federated",
}

// String is the aws:PrincipalType value.
func (t PrincipalType) String() string {
	if int(t) < len(principalTypeValues) {
		return principalTypeValues[t]
	}
	return "Unknown"
}

// Tag is a key/value tag (principal tag, session tag).
type Tag struct {
	Key   string
	Value string
}

// Principal identifies the caller. DerivePrincipal fills it from an ARN.
type Principal struct {
	Type PrincipalType
	// ARN is the caller's ARN: user, assumed-role session, federated user or
	// root ARN; the service name for PrincipalService; the provider for
	// PrincipalFederated; empty for anonymous callers.
	ARN     string
	Account string
	// RoleARN is, for a role session, the ARN of the role (with its path when
	// known). It is the value of aws:PrincipalArn and what a resource policy
	// naming the role matches.
	RoleARN string
	// SourceUserARN is, for a federated user, the IAM user that called
	// GetFederationToken: a resource policy naming that user grants to the
	// federated session subject to its session policy.
	SourceUserARN string
	UserID        string // aws:userid
	Username      string // aws:username (IAM users only)
	CanonicalUser string // S3 canonical user ID, for CanonicalUser principals
	Tags          []Tag  // aws:PrincipalTag/*
}

// roleName is the name of the role a session belongs to.
func (p *Principal) roleName() string {
	switch p.Type {
	case PrincipalAssumedRole:
		// arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION
		_, rest, ok := strings.Cut(resourcePart(p.ARN), "assumed-role/")
		if !ok {
			return ""
		}
		name, _, _ := strings.Cut(rest, "/")
		return name
	case PrincipalRole:
		return lastSegment(resourcePart(p.ARN))
	}
	return ""
}

// resourcePart returns the sixth colon-separated field of an ARN.
func resourcePart(arn string) string {
	a := splitARN(arn)
	if a.n < 6 {
		return ""
	}
	return arn[a.start(5):]
}

func arnAccount(arn string) string {
	a := splitARN(arn)
	if a.n < 6 || arn[:a.end[0]] != "arn" {
		return ""
	}
	return arn[a.start(4):a.end[4]]
}

func lastSegment(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// DerivePrincipal builds a Principal from the caller's ARN: an IAM user,
// role, assumed-role session, federated user or root ARN, a bare 12-digit
// account ID (its root), a service principal such as "ec2.amazonaws.com", or
// "" for an anonymous caller. For a session the role ARN is rebuilt without a
// path; set RoleARN yourself when the role has one. Anything else is treated
// as a web identity or SAML provider (Federated principal).
func DerivePrincipal(arn string) Principal {
	p := Principal{ARN: arn}
	switch {
	case arn == "" || arn == "*" || arn == "anonymous":
		p.Type, p.ARN = PrincipalAnonymous, ""
		return p
	case isAccountID(arn):
		p.Type, p.Account = PrincipalRoot, arn
		p.ARN = "arn:aws:iam::" + arn + ":root"
		return p
	case !strings.HasPrefix(arn, "arn:"):
		if strings.HasSuffix(arn, ".amazonaws.com") && !isWebIdentityHost(arn) {
			p.Type = PrincipalService
		} else {
			p.Type = PrincipalFederated
		}
		return p
	}
	a := splitARN(arn)
	if a.n < 6 {
		p.Type = PrincipalFederated
		return p
	}
	partition := arn[a.start(1):a.end[1]]
	service := arn[a.start(2):a.end[2]]
	p.Account = arn[a.start(4):a.end[4]]
	res := arn[a.start(5):]
	switch {
	case service == "iam" && res == "root":
		p.Type = PrincipalRoot
	case service == "iam" && strings.HasPrefix(res, "user/"):
		p.Type = PrincipalUser
		p.Username = lastSegment(res)
	case service == "iam" && strings.HasPrefix(res, "role/"):
		p.Type = PrincipalRole
		p.RoleARN = arn
	case service == "sts" && strings.HasPrefix(res, "assumed-role/"):
		p.Type = PrincipalAssumedRole
		if name := p.roleName(); name != "" {
			p.RoleARN = "arn:" + partition + ":iam::" + p.Account + ":role/" + name
		}
	case service == "sts" && strings.HasPrefix(res, "federated-user/"):
		p.Type = PrincipalFederatedUser
	default:
		// saml-provider/oidc-provider ARNs and anything else.
		p.Type = PrincipalFederated
	}
	return p
}

func isWebIdentityHost(s string) bool {
	return s == "cognito-identity.amazonaws.com"
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ContextEntry is one condition context key. A single-valued key sets Value
// (and leaves Values nil, so building it allocates nothing); a multi-valued
// key such as aws:TagKeys sets Values. A non-nil empty Values is an empty set,
// which condition operators treat as absent.
type ContextEntry struct {
	Key    string
	Value  string
	Values []string
}

// Request is one authorization question: may Principal perform Action on
// Resource? Build it per request; Evaluate does not retain it.
type Request struct {
	Principal Principal
	Action    string // service:Operation, any case
	Resource  string // resource ARN, or "*" for actions without a resource
	// ResourceAccount owns the resource; when empty it is taken from the
	// resource ARN, and when that has no account (S3) the request is treated
	// as same-account.
	ResourceAccount string
	// Context holds condition keys. The aws:Principal*, aws:userid,
	// aws:username and aws:ResourceAccount keys are derived from the fields
	// above unless Context sets them.
	Context []ContextEntry
}

// values is a view of a key's values that avoids building slices.
type values struct {
	one  string
	many []string
	set  bool // many is authoritative
}

func (v *values) len() int {
	if v.set {
		return len(v.many)
	}
	return 1
}

func (v *values) at(i int) string {
	if v.set {
		return v.many[i]
	}
	return v.one
}

func single(s string) values { return values{one: s} }

// Keys derived from the principal and resource.
const (
	keyPrincipalArn     = "aws:PrincipalArn"
	keyPrincipalAccount = "aws:PrincipalAccount"
	keyPrincipalType    = "aws:PrincipalType"
	keyUserID           = "aws:userid"
	keyUsername         = "aws:username"
	keyPrincipalTag     = "aws:PrincipalTag/"
	keyResourceAccount  = "aws:ResourceAccount"
	keyIsAWSService     = "aws:PrincipalIsAWSService"
	keyServiceName      = "aws:PrincipalServiceName"
)

// lookup finds a condition key, case-insensitively as IAM matches key names.
func (r *Request) lookup(key string) (values, bool) {
	for i := range r.Context {
		e := &r.Context[i]
		if len(e.Key) == len(key) && strings.EqualFold(e.Key, key) {
			if e.Values != nil {
				return values{many: e.Values, set: true}, true
			}
			return single(e.Value), true
		}
	}
	return r.derived(key)
}

func (r *Request) derived(key string) (values, bool) {
	p := &r.Principal
	if len(key) > len(keyPrincipalTag) && strings.EqualFold(key[:len(keyPrincipalTag)], keyPrincipalTag) {
		name := key[len(keyPrincipalTag):]
		for i := range p.Tags {
			if strings.EqualFold(p.Tags[i].Key, name) {
				return single(p.Tags[i].Value), true
			}
		}
		return values{}, false
	}
	switch {
	case strings.EqualFold(key, keyPrincipalArn):
		switch p.Type {
		case PrincipalAssumedRole:
			if p.RoleARN != "" {
				return single(p.RoleARN), true
			}
		case PrincipalUser, PrincipalFederatedUser, PrincipalRoot, PrincipalRole:
			return single(p.ARN), true
		}
	case strings.EqualFold(key, keyPrincipalAccount):
		if p.Account != "" {
			return single(p.Account), true
		}
	case strings.EqualFold(key, keyPrincipalType):
		switch p.Type {
		case PrincipalUser, PrincipalAssumedRole, PrincipalFederatedUser, PrincipalRoot, PrincipalAnonymous:
			return single(p.Type.String()), true
		}
	case strings.EqualFold(key, keyUserID):
		if p.UserID != "" {
			return single(p.UserID), true
		}
	case strings.EqualFold(key, keyUsername):
		if p.Type == PrincipalUser && p.Username != "" {
			return single(p.Username), true
		}
	case strings.EqualFold(key, keyResourceAccount):
		if acct := r.resourceAccount(); acct != "" {
			return single(acct), true
		}
	case strings.EqualFold(key, keyIsAWSService):
		if p.Type == PrincipalService {
			return single("true"), true
		}
		return single("false"), true
	case strings.EqualFold(key, keyServiceName):
		if p.Type == PrincipalService {
			return single(p.ARN), true
		}
	}
	return values{}, false
}

func (r *Request) resourceAccount() string {
	if r.ResourceAccount != "" {
		return r.ResourceAccount
	}
	return arnAccount(r.Resource)
}

// variable resolves a policy variable. Multi-valued keys cannot be used as
// variables ("Policy variables with no value" in the variables page).
func (r *Request) variable(t *token) (string, bool) {
	v, ok := r.lookup(t.text)
	if ok && !v.set {
		return v.one, true
	}
	if ok && len(v.many) == 1 {
		return v.many[0], true
	}
	if t.hasDef {
		return t.def, true
	}
	return "", false
}

// TimeEntries returns aws:CurrentTime (ISO 8601, UTC) and aws:EpochTime
// (seconds) for t, the two request-time keys of "AWS global condition
// context keys".
func TimeEntries(t time.Time) [2]ContextEntry {
	t = t.UTC()
	return [2]ContextEntry{
		{Key: "aws:CurrentTime", Value: t.Format("2006-01-02T15:04:05Z")},
		{Key: "aws:EpochTime", Value: strconv.FormatInt(t.Unix(), 10)},
	}
}
