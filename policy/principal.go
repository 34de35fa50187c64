package policy

import (
	"fmt"
	"strings"
)

// Principal element handling ("AWS JSON policy elements: Principal" and
// "NotPrincipal").

type pkind uint8

const (
	pAll       pkind = iota // "Principal": "*"
	pAWSAll                 // {"AWS": "*"}
	pAccount                // account ID or arn:...:iam::ACCOUNT:root
	pUser                   // arn:...:iam::ACCOUNT:user/...
	pRole                   // arn:...:iam::ACCOUNT:role/...
	pSession                // arn:...:sts::ACCOUNT:assumed-role/ROLE/SESSION
	pFedUser                // arn:...:sts::ACCOUNT:federated-user/NAME
	pService                // {"Service": "..."}
	pFederated              // {"Federated": "..."}
	pCanonical              // {"CanonicalUser": "..."}
)

type principalEntry struct {
	kind    pkind
	raw     string
	account string
	name    string // role name for pRole
}

// grant ranks how directly a resource-policy statement names the caller; it
// decides which identity-side policies still limit the grant ("Policy
// evaluation logic", "Permissions boundaries for IAM entities", "Session
// policies").
type grant uint8

const (
	grantNone    grant = iota
	grantAccount       // the caller's account: identity policies must allow too
	grantRole          // the role of the caller's session (or the IAM user behind a federated user): boundary and session policies still apply
	grantDirect        // the caller itself, or everyone
)

func (p *Policy) parsePrincipal(st *Statement, sj *jval) error {
	v, ok := sj.get("Principal")
	if !ok {
		v, ok = sj.get("NotPrincipal")
		st.notPrincipal = ok
	}
	switch p.kind {
	case KindIdentity, KindBoundary, KindSession:
		if ok {
			return malformed(msgNoPrincipal)
		}
		return nil
	case KindSCP:
		if ok {
			return malformed(msgOrgPolicyType)
		}
		return nil
	case KindTrust:
		if st.notPrincipal {
			return malformed("Has prohibited field NotPrincipal")
		}
	case KindRCP:
		if st.notPrincipal || (ok && !(v.kind == jString && v.str == "*")) {
			return malformed(msgOrgPolicyType)
		}
	}
	if !ok {
		return malformed(msgMissingPrinc)
	}
	if st.notPrincipal && st.Effect != Deny {
		return malformed("NotPrincipal is only supported with \"Effect\":\"Deny\"")
	}
	st.hasPrincipal = true
	if v.kind == jString {
		if v.str != "*" {
			return malformed(fmt.Sprintf("Invalid principal in policy: %q", v.str))
		}
		st.principals = []principalEntry{{kind: pAll, raw: "*"}}
		return nil
	}
	if v.kind != jObject || len(v.keys) == 0 {
		return malformed(msgSyntax)
	}
	for i, typ := range v.keys {
		list, ok := stringList(v.vals[i])
		if !ok || len(list) == 0 {
			return malformed(msgSyntax)
		}
		for _, s := range list {
			e, ok := parsePrincipalValue(typ, s)
			if !ok {
				return malformed(fmt.Sprintf("Invalid principal in policy: \"%s\":\"%s\"", typ, s))
			}
			st.principals = append(st.principals, e)
		}
	}
	return nil
}

func parsePrincipalValue(typ, s string) (principalEntry, bool) {
	e := principalEntry{raw: s}
	switch typ {
	case "AWS":
	case "Service":
		e.kind = pService
		return e, s != "" && !strings.ContainsAny(s, " *")
	case "Federated":
		e.kind = pFederated
		return e, s != "" && !strings.ContainsAny(s, " *")
	case "CanonicalUser":
		e.kind = pCanonical
		return e, s != "" && !strings.ContainsAny(s, " *")
	default:
		return e, false
	}
	if s == "*" {
		e.kind = pAWSAll
		return e, true
	}
	if isAccountID(s) {
		e.kind, e.account = pAccount, s
		return e, true
	}
	a := splitARN(s)
	if a.n < 6 || s[:a.end[0]] != "arn" || strings.ContainsAny(s, "*?") {
		return e, false
	}
	service := s[a.start(2):a.end[2]]
	e.account = s[a.start(4):a.end[4]]
	res := s[a.start(5):]
	if !isAccountID(e.account) {
		return e, false
	}
	switch {
	case service == "iam" && res == "root":
		e.kind = pAccount
	case service == "iam" && strings.HasPrefix(res, "user/") && len(res) > 5:
		e.kind = pUser
	case service == "iam" && strings.HasPrefix(res, "role/") && len(res) > 5:
		e.kind, e.name = pRole, lastSegment(res)
	case service == "sts" && strings.HasPrefix(res, "assumed-role/") && strings.Count(res, "/") == 2:
		e.kind = pSession
	case service == "sts" && strings.HasPrefix(res, "federated-user/") && len(res) > 15:
		e.kind = pFedUser
	default:
		return e, false
	}
	return e, true
}

func awsPrincipal(t PrincipalType) bool {
	switch t {
	case PrincipalUser, PrincipalAssumedRole, PrincipalFederatedUser, PrincipalRoot, PrincipalRole:
		return true
	}
	return false
}

// match returns how this entry names the caller.
func (e *principalEntry) match(p *Principal) grant {
	switch e.kind {
	case pAll:
		return grantDirect
	case pAWSAll:
		if p.Type != PrincipalService && p.Type != PrincipalFederated {
			return grantDirect
		}
	case pAccount:
		if awsPrincipal(p.Type) && p.Account == e.account {
			if p.Type == PrincipalRoot {
				return grantDirect
			}
			return grantAccount
		}
	case pUser:
		if p.Type == PrincipalUser && p.ARN == e.raw {
			return grantDirect
		}
		if p.Type == PrincipalFederatedUser && p.SourceUserARN == e.raw {
			return grantRole
		}
	case pRole:
		if p.Account != e.account {
			return grantNone
		}
		if p.Type == PrincipalAssumedRole && p.roleName() == e.name {
			return grantRole
		}
		if p.Type == PrincipalRole && p.roleName() == e.name {
			return grantDirect
		}
	case pSession:
		if p.Type == PrincipalAssumedRole && p.ARN == e.raw {
			return grantDirect
		}
	case pFedUser:
		if p.Type == PrincipalFederatedUser && p.ARN == e.raw {
			return grantDirect
		}
	case pService:
		if p.Type == PrincipalService && p.ARN == e.raw {
			return grantDirect
		}
	case pFederated:
		if p.Type == PrincipalFederated && p.ARN == e.raw {
			return grantDirect
		}
	case pCanonical:
		if p.CanonicalUser != "" && p.CanonicalUser == e.raw {
			return grantDirect
		}
	}
	return grantNone
}

// matchPrincipal returns how the statement's Principal names the caller, or
// for NotPrincipal whether the statement applies (grantDirect) or not.
func (st *Statement) matchPrincipal(p *Principal, hasBoundary bool) grant {
	if !st.hasPrincipal {
		return grantDirect
	}
	if !st.notPrincipal {
		best := grantNone
		for i := range st.principals {
			if g := st.principals[i].match(p); g > best {
				best = g
			}
		}
		return best
	}
	// "NotPrincipal": a Deny with NotPrincipal always applies to an IAM
	// user or role that has a permissions boundary.
	if hasBoundary && (p.Type == PrincipalUser || p.Type == PrincipalAssumedRole) {
		return grantDirect
	}
	// The caller escapes the statement only when every identity it carries is
	// listed: a session needs its session ARN, its role and its account; a
	// user, its ARN and its account.
	var self, role, acct bool
	for i := range st.principals {
		e := &st.principals[i]
		switch e.kind {
		case pAll, pAWSAll:
			return grantNone
		case pAccount:
			acct = acct || (awsPrincipal(p.Type) && p.Account == e.account)
		case pRole:
			role = role || e.match(p) != grantNone
		default:
			self = self || e.match(p) == grantDirect
		}
	}
	var excluded bool
	switch p.Type {
	case PrincipalRoot:
		excluded = acct
	case PrincipalAssumedRole:
		excluded = self && role && acct
	case PrincipalUser, PrincipalFederatedUser:
		excluded = self && acct
	case PrincipalRole:
		excluded = role && acct
	default:
		excluded = self
	}
	if excluded {
		return grantNone
	}
	return grantDirect
}
