package sigv4

import (
	"net/http"
	"strings"
)

const (
	algorithm  = "AWS4-HMAC-SHA256"
	terminator = "aws4_request"
)

// Scope is what a request claims about its signature before anything is
// verified: who signed it and for which day, region and service. The server
// routes on Service (IAM and STS share one endpoint) and then hands the same
// Scope to VerifyScope so the request is parsed once.
//
// Nothing in a Scope is trustworthy until VerifyScope succeeds.
type Scope struct {
	AccessKeyID string
	Date        string // YYYYMMDD
	Region      string
	Service     string
	Presigned   bool

	scope         string // "date/region/service/terminator", as signed
	terminator    string
	signedHeaders string
	signature     string
	amzDate       string // X-Amz-Date (or Date) as sent
	fromDateHdr   bool   // amzDate came from the Date header
	expires       string // X-Amz-Expires, presigned only; may be empty
	sessionToken  string
	tokenInQuery  bool
	authz         string // the Authorization header, for error messages
}

// ParseScope extracts the credential scope and signature parameters from the
// Authorization header or, failing that, from presigned query parameters.
// Its errors are the ones AWS returns for a missing or malformed signature.
func ParseScope(r *http.Request) (Scope, error) {
	var sc Scope
	err := parseScope(r, &sc)
	return sc, err
}

func parseScope(r *http.Request, sc *Scope) error {
	authz := headerValue(r.Header, "Authorization")
	hasQueryAuth := r.URL != nil && r.URL.RawQuery != "" && queryHasAuth(r.URL.RawQuery)
	switch {
	case authz != "" && hasQueryAuth:
		return incompleteSignature(msgOneMechanism)
	case authz != "":
		return parseHeaderAuth(r, authz, sc)
	case hasQueryAuth:
		return parseQueryAuth(r, sc)
	}
	return missingAuthenticationToken()
}

// headerValue is Header.Get for a key already in canonical form, minus the
// canonicalisation.
func headerValue(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// authParams is the parsed form of an Authorization header.
type authParams struct {
	algorithm     string
	credential    string
	signedHeaders string
	signature     string
}

// parseAuthorization splits "ALG Credential=..., SignedHeaders=..., Signature=..."
// into its parts. Parameters may come in any order, with or without spaces
// after the commas; unknown parameters are ignored, as AWS does. It never
// allocates: every field is a substring of h.
func parseAuthorization(h string) authParams {
	var p authParams
	h = trimSpace(h)
	i := strings.IndexByte(h, ' ')
	if i < 0 {
		p.algorithm = h
		return p
	}
	p.algorithm = h[:i]
	rest := h[i+1:]
	for rest != "" {
		var part string
		if j := strings.IndexByte(rest, ','); j >= 0 {
			part, rest = rest[:j], rest[j+1:]
		} else {
			part, rest = rest, ""
		}
		part = trimSpace(part)
		eq := strings.IndexByte(part, '=')
		if eq < 0 {
			continue
		}
		k, v := part[:eq], trimSpace(part[eq+1:])
		switch k {
		case "Credential":
			if p.credential == "" {
				p.credential = v
			}
		case "SignedHeaders":
			if p.signedHeaders == "" {
				p.signedHeaders = v
			}
		case "Signature":
			if p.signature == "" {
				p.signature = v
			}
		}
	}
	return p
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func parseHeaderAuth(r *http.Request, authz string, sc *Scope) error {
	p := parseAuthorization(authz)
	sc.authz = authz
	sc.amzDate = headerValue(r.Header, "X-Amz-Date")
	if sc.amzDate == "" {
		sc.amzDate = headerValue(r.Header, "Date")
		sc.fromDateHdr = sc.amzDate != ""
	}
	if p.credential == "" || p.signature == "" || p.signedHeaders == "" || sc.amzDate == "" {
		// An unknown AWS4 variant (e.g. SigV4a) is named as such; anything
		// else (Basic, Bearer, SigV2) is reported as the missing parameters.
		if p.algorithm != algorithm && strings.HasPrefix(p.algorithm, "AWS4-") {
			return unsupportedAlgorithm(p.algorithm)
		}
		return missingComponents(p.credential == "", p.signature == "", p.signedHeaders == "", sc.amzDate == "", authz)
	}
	if p.algorithm != algorithm {
		return unsupportedAlgorithm(p.algorithm)
	}
	if err := splitCredential(p.credential, sc); err != nil {
		return err
	}
	sc.signedHeaders = p.signedHeaders
	sc.signature = p.signature
	sc.sessionToken = headerValue(r.Header, "X-Amz-Security-Token")
	if !signsHost(sc.signedHeaders) {
		return incompleteSignature(msgHostNotSigned)
	}
	return nil
}

// splitCredential splits keyid/date/region/service/terminator.
func splitCredential(cred string, sc *Scope) error {
	var idx [4]int
	n := 0
	for i := 0; i < len(cred); i++ {
		if cred[i] == '/' {
			if n == 4 {
				return malformedCredential(cred)
			}
			idx[n] = i
			n++
		}
	}
	if n != 4 {
		return malformedCredential(cred)
	}
	sc.AccessKeyID = cred[:idx[0]]
	sc.Date = cred[idx[0]+1 : idx[1]]
	sc.Region = cred[idx[1]+1 : idx[2]]
	sc.Service = cred[idx[2]+1 : idx[3]]
	sc.terminator = cred[idx[3]+1:]
	sc.scope = cred[idx[0]+1:]
	return nil
}

func signsHost(signed string) bool {
	for signed != "" {
		var name string
		if i := strings.IndexByte(signed, ';'); i >= 0 {
			name, signed = signed[:i], signed[i+1:]
		} else {
			name, signed = signed, ""
		}
		if strings.EqualFold(name, "host") {
			return true
		}
	}
	return false
}

// queryHasAuth reports whether the raw query carries presigning parameters.
// It looks only at the parameters that make no sense outside a presigned URL,
// so a header-signed request with an innocent X-Amz-Date query is not taken
// for a second mechanism.
func queryHasAuth(raw string) bool {
	for raw != "" {
		var pair string
		if i := strings.IndexByte(raw, '&'); i >= 0 {
			pair, raw = raw[:i], raw[i+1:]
		} else {
			pair, raw = raw, ""
		}
		k := pair
		if i := strings.IndexByte(pair, '='); i >= 0 {
			k = pair[:i]
		}
		switch unescapeQuery(k) {
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature":
			return true
		}
	}
	return false
}

func parseQueryAuth(r *http.Request, sc *Scope) error {
	var alg, cred string
	raw := r.URL.RawQuery
	for raw != "" {
		var pair string
		if i := strings.IndexByte(raw, '&'); i >= 0 {
			pair, raw = raw[:i], raw[i+1:]
		} else {
			pair, raw = raw, ""
		}
		k, v := pair, ""
		if i := strings.IndexByte(pair, '='); i >= 0 {
			k, v = pair[:i], pair[i+1:]
		}
		// First occurrence wins, matching url.Values.Get.
		switch unescapeQuery(k) {
		case "X-Amz-Algorithm":
			if alg == "" {
				alg = unescapeQuery(v)
			}
		case "X-Amz-Credential":
			if cred == "" {
				cred = unescapeQuery(v)
			}
		case "X-Amz-Date":
			if sc.amzDate == "" {
				sc.amzDate = unescapeQuery(v)
			}
		case "X-Amz-Expires":
			if sc.expires == "" {
				sc.expires = unescapeQuery(v)
			}
		case "X-Amz-SignedHeaders":
			if sc.signedHeaders == "" {
				sc.signedHeaders = unescapeQuery(v)
			}
		case "X-Amz-Signature":
			if sc.signature == "" {
				sc.signature = unescapeQuery(v)
			}
		case "X-Amz-Security-Token":
			if sc.sessionToken == "" {
				sc.sessionToken = unescapeQuery(v)
				sc.tokenInQuery = true
			}
		}
	}
	sc.Presigned = true
	if alg == "" || cred == "" || sc.signature == "" || sc.signedHeaders == "" || sc.amzDate == "" {
		return incompleteSignature(msgQueryIncomplete)
	}
	if alg != algorithm {
		return unsupportedAlgorithm(alg)
	}
	if err := splitCredential(cred, sc); err != nil {
		return err
	}
	if !sc.tokenInQuery {
		sc.sessionToken = headerValue(r.Header, "X-Amz-Security-Token")
	}
	if !signsHost(sc.signedHeaders) {
		return incompleteSignature(msgHostNotSigned)
	}
	return nil
}

// unescapeQuery decodes a query component ('+' is a space, %XX a byte). It
// returns s itself when there is nothing to decode, which is the common case
// for parameter names. Malformed escapes are kept literally rather than
// rejected: the signature check decides, not the parser.
func unescapeQuery(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
