package sigv4

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"sync"
	"time"
)

// SecretSource resolves an access key ID (and, for temporary ASIA keys, its
// session token) to the secret access key. Errors it returns (e.g.
// *awserr.Error InvalidClientTokenId or ExpiredToken) are passed through
// unchanged. The server implements it on a per-request value that also
// remembers who the key belongs to.
type SecretSource interface {
	SecretKey(ctx context.Context, accessKeyID, sessionToken string) (string, error)
}

// SecretFunc adapts a function to SecretSource.
type SecretFunc func(ctx context.Context, accessKeyID, sessionToken string) (string, error)

// SecretKey calls f.
func (f SecretFunc) SecretKey(ctx context.Context, accessKeyID, sessionToken string) (string, error) {
	return f(ctx, accessKeyID, sessionToken)
}

// Result is what a verified signature establishes.
type Result struct {
	AccessKeyID  string
	SessionToken string
	Region       string
	Service      string
	SignedAt     time.Time
	Presigned    bool
	// UnsignedPayload reports that the body is not covered by the
	// signature (UNSIGNED-PAYLOAD or a streaming marker, on a service named
	// by WithPayloadHashHeader).
	UnsignedPayload bool
}

// Verifier checks SigV4 signatures. It is safe for concurrent use.
type Verifier struct {
	now          func() time.Time
	skew         time.Duration
	cacheSize    int
	cache        *keyCache
	regions      map[string]bool // nil: any region
	services     map[string]bool // nil: any service
	rawPath      map[string]bool // services whose paths are not normalised
	presignUnsig map[string]bool // services whose presigned URLs sign UNSIGNED-PAYLOAD
	hashHeader   map[string]bool // services that take the payload hash from X-Amz-Content-Sha256
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(v *Verifier) { v.now = now } }

// WithMaxSkew sets how far a request's time may be from the server's
// (default 15 minutes, AWS's value).
func WithMaxSkew(d time.Duration) Option { return func(v *Verifier) { v.skew = d } }

// WithCacheSize bounds the number of derived signing keys kept (default 4096).
func WithCacheSize(n int) Option { return func(v *Verifier) { v.cacheSize = n } }

// WithRegions restricts the regions a credential scope may name. By default
// any region is accepted, which suits a single self-hosted endpoint.
func WithRegions(regions ...string) Option {
	return func(v *Verifier) { v.regions = set(regions) }
}

// WithServices restricts the services a credential scope may name.
func WithServices(services ...string) Option {
	return func(v *Verifier) { v.services = set(services) }
}

// WithUnnormalizedPaths names the services that, like S3, sign the path as
// sent instead of normalising it. The default is just "s3".
func WithUnnormalizedPaths(services ...string) Option {
	return func(v *Verifier) { v.rawPath = set(services) }
}

// WithUnsignedPresign names the services whose presigned URLs carry
// UNSIGNED-PAYLOAD rather than the body's hash when no X-Amz-Content-Sha256
// header says otherwise. The default is just "s3"; every other service,
// STS's presigned GetCallerIdentity included, signs the body's hash.
func WithUnsignedPresign(services ...string) Option {
	return func(v *Verifier) { v.presignUnsig = set(services) }
}

// WithPayloadHashHeader names the services that, like S3, take the payload
// hash from X-Amz-Content-Sha256: UNSIGNED-PAYLOAD and the STREAMING-…
// markers leave the body unsigned, and a hex digest is checked against the
// body. The default is just "s3". Every other service signs the SHA-256 of
// the body received whatever that header says, as AWS's other services do:
// a header that differs from the body's hash (UNSIGNED-PAYLOAD, a digest of
// another body) then fails as SignatureDoesNotMatch, so a captured request's
// body cannot be swapped.
func WithPayloadHashHeader(services ...string) Option {
	return func(v *Verifier) { v.hashHeader = set(services) }
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// NewVerifier returns a Verifier with AWS's defaults.
func NewVerifier(opts ...Option) *Verifier {
	v := &Verifier{
		now:          time.Now,
		skew:         15 * time.Minute,
		cacheSize:    4096,
		rawPath:      map[string]bool{"s3": true},
		presignUnsig: map[string]bool{"s3": true},
		hashHeader:   map[string]bool{"s3": true},
	}
	for _, o := range opts {
		o(v)
	}
	v.cache = newKeyCache(v.cacheSize)
	return v
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{buf: make([]byte, 0, 1024), arena: make([]byte, 0, 256)}
}}

// Verify checks r (whose body has already been read into body) and returns
// what the signature established.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte, src SecretSource) (Result, error) {
	var sc Scope
	if err := parseScope(r, &sc); err != nil {
		return Result{}, err
	}
	return v.VerifyScope(ctx, r, body, &sc, src)
}

// VerifyScope is Verify for a request whose Scope the caller has already
// parsed with ParseScope (to route it), so it is not parsed twice.
func (v *Verifier) VerifyScope(ctx context.Context, r *http.Request, body []byte, sc *Scope, src SecretSource) (Result, error) {
	amzDate, signedAt, err := v.checkScope(sc)
	if err != nil {
		return Result{}, err
	}
	if err := v.checkTime(sc, signedAt); err != nil {
		return Result{}, err
	}
	secret, err := src.SecretKey(ctx, sc.AccessKeyID, sc.sessionToken)
	if err != nil {
		return Result{}, err
	}

	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	payloadHash, unsigned, err := v.payloadHash(r, body, sc, s)
	if err != nil {
		return Result{}, err
	}
	return v.check(r, sc, secret, payloadHash, unsigned, amzDate, signedAt, s)
}

// VerifyScopeHash is VerifyScope for a request whose body this process
// never saw: a gateway asking on its client's behalf passes the SHA-256 of
// the body it received (64 lower-case hex digits), which takes the body's
// place in the canonical request. The hash is always what is signed, as for
// every service but S3, so UNSIGNED-PAYLOAD or another body's hash fail as
// SignatureDoesNotMatch.
func (v *Verifier) VerifyScopeHash(ctx context.Context, r *http.Request, bodySHA256 string, sc *Scope, src SecretSource) (Result, error) {
	amzDate, signedAt, err := v.checkScope(sc)
	if err != nil {
		return Result{}, err
	}
	if err := v.checkTime(sc, signedAt); err != nil {
		return Result{}, err
	}
	if len(bodySHA256) != 64 || !isLowerHex(bodySHA256) {
		return Result{}, signatureDoesNotMatch(msgSignatureMismatch)
	}
	secret, err := src.SecretKey(ctx, sc.AccessKeyID, sc.sessionToken)
	if err != nil {
		return Result{}, err
	}
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	return v.check(r, sc, secret, bodySHA256, false, amzDate, signedAt, s)
}

// check compares the request's signature with the one its secret makes.
func (v *Verifier) check(r *http.Request, sc *Scope, secret, payloadHash string, unsigned bool, amzDate string, signedAt time.Time, s *scratch) (Result, error) {
	key := v.cache.signingKey(secret, sc.Date, sc.Region, sc.Service)
	normalize := !v.rawPath[sc.Service]

	sig := v.sign(r, sc, payloadHash, amzDate, &key, normalize, false, s)
	ok := len(sc.signature) == len(sig) && subtle.ConstantTimeCompare(unsafeBytes(sc.signature), sig[:]) == 1
	if !ok && sc.tokenInQuery {
		// Some signers append X-Amz-Security-Token after signing a URL.
		// The token is still checked by the SecretSource against the key.
		sig = v.sign(r, sc, payloadHash, amzDate, &key, normalize, true, s)
		ok = len(sc.signature) == len(sig) && subtle.ConstantTimeCompare(unsafeBytes(sc.signature), sig[:]) == 1
	}
	if !ok {
		return Result{}, signatureDoesNotMatch(msgSignatureMismatch)
	}
	return Result{
		AccessKeyID:     sc.AccessKeyID,
		SessionToken:    sc.sessionToken,
		Region:          sc.Region,
		Service:         sc.Service,
		SignedAt:        signedAt,
		Presigned:       sc.Presigned,
		UnsignedPayload: unsigned,
	}, nil
}

// checkScope validates the request date against the credential scope and
// returns the date as it enters the string to sign.
func (v *Verifier) checkScope(sc *Scope) (string, time.Time, error) {
	amzDate := sc.amzDate
	t, ok := parseAmzDate(amzDate)
	if !ok && sc.fromDateHdr {
		// The Date header may carry an HTTP date; the string to sign
		// always uses the ISO 8601 basic form.
		if ht, err := http.ParseTime(amzDate); err == nil {
			t, ok = ht.UTC(), true
			amzDate = formatAmzDate(t)
		}
	}
	if !ok {
		if sc.Presigned {
			return "", time.Time{}, incompleteSignature(msgQueryIncomplete)
		}
		return "", time.Time{}, missingComponents(false, false, false, true, sc.authz)
	}
	if sc.Date != amzDate[:8] {
		return "", time.Time{}, scopeDateMismatch(sc.Date, amzDate)
	}
	if sc.terminator != terminator {
		return "", time.Time{}, badTerminator(sc.terminator)
	}
	if v.regions != nil && !v.regions[sc.Region] {
		return "", time.Time{}, badRegion(sc.Region)
	}
	if v.services != nil && !v.services[sc.Service] {
		return "", time.Time{}, badService(sc.Service)
	}
	return amzDate, t, nil
}

// maxExpires is SigV4's limit: a derived key is only good for seven days.
const maxExpires = 7 * 24 * 60 * 60

func (v *Verifier) checkTime(sc *Scope, signedAt time.Time) error {
	now := v.now().UTC()
	if signedAt.After(now.Add(v.skew)) {
		return signatureNotYetCurrent(signedAt, now, v.skew)
	}
	if sc.Presigned && sc.expires != "" {
		secs, err := parseExpires(sc.expires)
		if err != nil {
			return err
		}
		if now.After(signedAt.Add(time.Duration(secs) * time.Second)) {
			return requestExpired()
		}
		return nil
	}
	if signedAt.Before(now.Add(-v.skew)) {
		return signatureExpired(signedAt, now, v.skew)
	}
	return nil
}

func parseExpires(s string) (int, error) {
	neg := s[0] == '-'
	digits := s
	if neg {
		digits = s[1:]
	}
	if digits == "" || len(digits) > 9 {
		if len(digits) > 9 && allDigits(digits) && !neg {
			return 0, queryParametersError("X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds")
		}
		return 0, queryParametersError("X-Amz-Expires should be a number")
	}
	if !allDigits(digits) {
		return 0, queryParametersError("X-Amz-Expires should be a number")
	}
	n := 0
	for i := 0; i < len(digits); i++ {
		n = n*10 + int(digits[i]-'0')
	}
	switch {
	case neg:
		return 0, queryParametersError("X-Amz-Expires must be non-negative")
	case n < 1:
		return 0, queryParametersError("X-Amz-Expires must be at least 1 second")
	case n > maxExpires:
		return 0, queryParametersError("X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds")
	}
	return n, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// payloadHash is the last line of the canonical request. Only services
// that honour X-Amz-Content-Sha256 (S3) read it; for them a hex digest is
// checked against the body, since the signature covers only the header and
// an unchecked header would leave the body forgeable.
func (v *Verifier) payloadHash(r *http.Request, body []byte, sc *Scope, s *scratch) (string, bool, error) {
	if v.hashHeader[sc.Service] {
		if h := headerValue(r.Header, "X-Amz-Content-Sha256"); h != "" {
			switch {
			case h == "UNSIGNED-PAYLOAD":
				return h, true, nil
			case len(h) == 64 && isLowerHex(h):
				sum := sha256.Sum256(body)
				hex32(&s.phash, &sum)
				if subtle.ConstantTimeCompare(s.phash[:], unsafeBytes(h)) != 1 {
					return "", false, payloadHashMismatch()
				}
				return h, false, nil
			default:
				// Streaming uploads sign their chunks, each checked
				// by the service as it reads them.
				return h, true, nil
			}
		}
	}
	if sc.Presigned && v.presignUnsig[sc.Service] {
		return "UNSIGNED-PAYLOAD", true, nil
	}
	sum := sha256.Sum256(body)
	hex32(&s.phash, &sum)
	return unsafeString(s.phash[:]), false, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// sign computes the hex signature of r. The HMAC is done by hand over the
// pooled buffer (key^ipad || string to sign) with the pads precomputed in
// the cache, so the hot path allocates nothing.
func (v *Verifier) sign(r *http.Request, sc *Scope, payloadHash, amzDate string, key *hmacPads, normalize, skipToken bool, s *scratch) [64]byte {
	buf := appendCanonicalRequest(s.buf[:0], r, sc, payloadHash, normalize, skipToken, s)
	creqHash := sha256.Sum256(buf)

	buf = append(buf[:0], key.inner[:]...)
	buf = appendStringToSign(buf, amzDate, sc.scope, &creqHash)
	inner := sha256.Sum256(buf)
	s.buf = buf

	var outer [64 + 32]byte
	copy(outer[:64], key.outer[:])
	copy(outer[64:], inner[:])
	mac := sha256.Sum256(outer[:])
	var out [64]byte
	hex32(&out, &mac)
	return out
}

func appendStringToSign(dst []byte, amzDate, scope string, creqHash *[32]byte) []byte {
	dst = append(dst, algorithm...)
	dst = append(dst, '\n')
	dst = append(dst, amzDate...)
	dst = append(dst, '\n')
	dst = append(dst, scope...)
	dst = append(dst, '\n')
	var h [64]byte
	hex32(&h, creqHash)
	return append(dst, h[:]...)
}

// parseAmzDate parses the ISO 8601 basic form YYYYMMDD'T'HHMMSS'Z' without
// the cost of time.Parse.
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != 16 || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for j := i; j < i+n; j++ {
			c := s[j]
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(4, 2)
	d, ok3 := num(6, 2)
	h, ok4 := num(9, 2)
	mi, ok5 := num(11, 2)
	se, ok6 := num(13, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, se, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, false // 31 February and friends
	}
	return t, true
}

func formatAmzDate(t time.Time) string {
	return t.UTC().Format("20060102T150405Z")
}
