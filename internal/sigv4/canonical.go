package sigv4

import (
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
)

// scratch is the per-verification working memory, pooled so that a warm
// verification allocates nothing.
type scratch struct {
	buf   []byte   // canonical request, then string to sign
	arena []byte   // encoded query keys and values
	pairs []qpair  // offsets into arena
	segs  []span   // path segments while normalising
	phash [64]byte // hex payload hash
}

type qpair struct{ k, v span }
type span struct{ start, end int }

var unreserved = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['.'], t['_'], t['~'] = true, true, true, true
	return t
}()

const upperHex = "0123456789ABCDEF"

// appendEncoded URI-encodes s as SigV4 requires: every byte but the RFC 3986
// unreserved set becomes %XX with upper-case hex.
func appendEncoded(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

// appendDecodedEncoded decodes a percent-encoded component and re-encodes it
// canonically in one pass. With plus set, '+' decodes to a space (query
// strings); malformed escapes are taken as a literal '%'.
func appendDecodedEncoded(dst []byte, s string, plus bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		case c == '+' && plus:
			c = ' '
		}
		if unreserved[c] {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

// requestPath is the path exactly as it arrived on the wire. The canonical
// URI of non-S3 services encodes the wire form once more, so it must not be
// taken from the decoded URL.Path; RequestURI is the only place a server
// still has it.
func requestPath(r *http.Request) string {
	p := r.RequestURI
	if p == "" || p == "*" {
		if r.URL == nil {
			return "/"
		}
		return r.URL.EscapedPath()
	}
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if p != "" && p[0] != '/' {
		// absolute-form request target: scheme://authority/path
		if i := strings.Index(p, "://"); i >= 0 {
			p = p[i+3:]
			if j := strings.IndexByte(p, '/'); j >= 0 {
				p = p[j:]
			} else {
				p = ""
			}
		}
	}
	return p
}

// appendCanonicalURI writes the canonical URI. normalize selects what AWS
// does for every service but S3: drop empty and "." segments, resolve "..",
// then encode each segment of the wire path. S3 keeps the path as sent and
// only re-encodes it canonically.
func appendCanonicalURI(dst []byte, path string, normalize bool, s *scratch) []byte {
	if path == "" || path == "/" {
		return append(dst, '/')
	}
	if !normalize {
		if path[0] != '/' {
			dst = append(dst, '/')
		}
		for len(path) > 0 {
			i := strings.IndexByte(path, '/')
			if i < 0 {
				return appendDecodedEncoded(dst, path, false)
			}
			dst = appendDecodedEncoded(dst, path[:i], false)
			dst = append(dst, '/')
			path = path[i+1:]
		}
		return dst
	}
	segs := s.segs[:0]
	trailing := false
	for start := 0; start <= len(path); {
		end := strings.IndexByte(path[start:], '/')
		if end < 0 {
			end = len(path)
		} else {
			end += start
		}
		seg := path[start:end]
		last := end == len(path)
		switch seg {
		case "", ".":
			trailing = last
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
			trailing = last
		default:
			segs = append(segs, span{start, end})
			trailing = false
		}
		start = end + 1
	}
	s.segs = segs
	dst = append(dst, '/')
	for i, sp := range segs {
		if i > 0 {
			dst = append(dst, '/')
		}
		dst = appendEncoded(dst, path[sp.start:sp.end])
	}
	if trailing && len(segs) > 0 {
		dst = append(dst, '/')
	}
	return dst
}

// appendCanonicalQuery writes the sorted, canonically encoded query. For a
// presigned request X-Amz-Signature is left out (it cannot sign itself), and
// so is X-Amz-Security-Token when skipToken is set: some signers add the
// token after signing.
func appendCanonicalQuery(dst []byte, raw string, presigned, skipToken bool, s *scratch) []byte {
	if raw == "" {
		return dst
	}
	arena, pairs := s.arena[:0], s.pairs[:0]
	for raw != "" {
		var pair string
		if i := strings.IndexByte(raw, '&'); i >= 0 {
			pair, raw = raw[:i], raw[i+1:]
		} else {
			pair, raw = raw, ""
		}
		if pair == "" {
			continue
		}
		k, v := pair, ""
		if i := strings.IndexByte(pair, '='); i >= 0 {
			k, v = pair[:i], pair[i+1:]
		}
		if presigned {
			switch unescapeQuery(k) {
			case "X-Amz-Signature":
				continue
			case "X-Amz-Security-Token":
				if skipToken {
					continue
				}
			}
		}
		ks := len(arena)
		arena = appendDecodedEncoded(arena, k, true)
		vs := len(arena)
		arena = appendDecodedEncoded(arena, v, true)
		pairs = append(pairs, qpair{span{ks, vs}, span{vs, len(arena)}})
	}
	a := arena
	slices.SortFunc(pairs, func(x, y qpair) int {
		if c := strings.Compare(bstr(a, x.k), bstr(a, y.k)); c != 0 {
			return c
		}
		return strings.Compare(bstr(a, x.v), bstr(a, y.v))
	})
	for i, p := range pairs {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, a[p.k.start:p.k.end]...)
		dst = append(dst, '=')
		dst = append(dst, a[p.v.start:p.v.end]...)
	}
	s.arena, s.pairs = arena, pairs
	return dst
}

// bstr views a span of b as a string for comparison without copying; the
// result must not outlive the comparison.
func bstr(b []byte, sp span) string {
	return unsafeString(b[sp.start:sp.end])
}

// appendCanonicalHeaders writes "name:value\n" for each signed header, in the
// order the signer listed them (which a conforming signer has sorted).
func appendCanonicalHeaders(dst []byte, r *http.Request, signed string) []byte {
	var keyBuf [64]byte
	for signed != "" {
		var name string
		if i := strings.IndexByte(signed, ';'); i >= 0 {
			name, signed = signed[:i], signed[i+1:]
		} else {
			name, signed = signed, ""
		}
		dst = append(dst, name...)
		dst = append(dst, ':')
		if strings.EqualFold(name, "host") {
			// net/http moves Host out of the header map.
			host := r.Host
			if host == "" && r.URL != nil {
				host = r.URL.Host
			}
			dst = appendTrimmed(dst, host)
			dst = append(dst, '\n')
			continue
		}
		var vals []string
		if len(name) <= len(keyBuf) {
			vals = r.Header[string(canonicalKey(keyBuf[:0], name))]
		} else {
			vals = r.Header[textproto.CanonicalMIMEHeaderKey(name)]
		}
		if len(vals) == 0 && strings.EqualFold(name, "content-length") && r.ContentLength > 0 {
			// A client-side request keeps its length outside the header map.
			dst = strconv.AppendInt(dst, r.ContentLength, 10)
		}
		for i, v := range vals {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendTrimmed(dst, v)
		}
		dst = append(dst, '\n')
	}
	return dst
}

// canonicalKey is textproto.CanonicalMIMEHeaderKey into a caller's buffer.
func canonicalKey(dst []byte, name string) []byte {
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
		upper = c == '-'
	}
	return dst
}

// appendTrimmed appends v without leading or trailing blanks and with runs
// of spaces collapsed to one, AWS's "trimall". Values are copied a run at a
// time: session tokens make this the longest part of a canonical request.
func appendTrimmed(dst []byte, v string) []byte {
	v = trimSpace(v)
	for {
		i := strings.Index(v, "  ")
		if i < 0 {
			return append(dst, v...)
		}
		dst = append(dst, v[:i+1]...)
		v = v[i+1:]
		for len(v) > 0 && v[0] == ' ' {
			v = v[1:]
		}
	}
}

// appendCanonicalRequest writes the whole canonical request.
func appendCanonicalRequest(dst []byte, r *http.Request, sc *Scope, payloadHash string, normalize, skipToken bool, s *scratch) []byte {
	dst = append(dst, r.Method...)
	dst = append(dst, '\n')
	dst = appendCanonicalURI(dst, requestPath(r), normalize, s)
	dst = append(dst, '\n')
	if r.URL != nil {
		dst = appendCanonicalQuery(dst, r.URL.RawQuery, sc.Presigned, skipToken, s)
	}
	dst = append(dst, '\n')
	dst = appendCanonicalHeaders(dst, r, sc.signedHeaders)
	dst = append(dst, '\n')
	dst = append(dst, sc.signedHeaders...)
	dst = append(dst, '\n')
	dst = append(dst, payloadHash...)
	return dst
}
