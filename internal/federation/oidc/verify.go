package oidc

import (
	"context"
	"crypto/x509"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mantle-iam/mantle/internal/federation"
)

// Error, its Kind and the kinds are federation's, named here for callers
// of this package alone.
type (
	Error = federation.Error
	Kind  = federation.Kind
)

const (
	Invalid     = federation.Invalid
	Expired     = federation.Expired
	Unreachable = federation.Unreachable
)

func invalid(msg string) *Error { return federation.New(Invalid, msg) }

// Provider is what IAM stores of an OIDC provider that verification needs.
type Provider struct {
	// URL is the issuer URL (https://host[/path]) as registered.
	URL         string
	ClientIDs   []string
	Thumbprints []string // hex SHA-1 of a certificate, any case
}

// Config tunes a Verifier; zero values take the defaults.
type Config struct {
	Now func() time.Time
	// Timeout bounds one discovery + JWKS fetch (default 5 s).
	Timeout time.Duration
	// RootCAs are the roots a server certificate may chain to (default:
	// the system's).
	RootCAs *x509.CertPool
	// TTL is how long fetched keys are used before they are fetched again
	// (default 1 h). Should the issuer be unreachable then, the old keys
	// stay in use.
	TTL time.Duration
	// MinRefresh is the least time between two fetches for one issuer
	// (default 10 s): tokens naming unknown key IDs refetch at most this
	// often.
	MinRefresh time.Duration
	// Skew is the clock skew allowed on exp, nbf and iat (default 60 s).
	Skew time.Duration
}

// Verifier verifies ID tokens. Safe for concurrent use.
type Verifier struct {
	cfg Config

	mu   sync.RWMutex
	sets map[string]*keySet
}

// maxIssuers bounds the key cache; it starts over when full.
const maxIssuers = 1000

// New returns a Verifier for cfg.
func New(cfg Config) *Verifier {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.TTL <= 0 {
		cfg.TTL = time.Hour
	}
	if cfg.MinRefresh <= 0 {
		cfg.MinRefresh = 10 * time.Second
	}
	if cfg.Skew <= 0 {
		cfg.Skew = time.Minute
	}
	return &Verifier{cfg: cfg, sets: make(map[string]*keySet)}
}

// keySet is one issuer's keys as fetched under one trust configuration.
type keySet struct {
	issuer      string
	thumbprints []string

	fetch sync.Mutex // one fetch at a time

	mu          sync.RWMutex
	keys        []jose.JSONWebKey
	fetchedAt   time.Time // zero until a fetch succeeded
	lastAttempt time.Time
}

// set returns the key set for the issuer under the provider's thumbprints:
// a thumbprint change must not reuse keys fetched under the old trust.
func (v *Verifier) set(issuer string, thumbprints []string) *keySet {
	tps := make([]string, len(thumbprints))
	for i, t := range thumbprints {
		tps[i] = strings.ToLower(t)
	}
	slices.Sort(tps)
	key := issuer + "\x00" + strings.Join(tps, ",")
	v.mu.RLock()
	ks := v.sets[key]
	v.mu.RUnlock()
	if ks != nil {
		return ks
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if ks = v.sets[key]; ks == nil {
		if len(v.sets) >= maxIssuers {
			clear(v.sets)
		}
		ks = &keySet{issuer: issuer, thumbprints: tps}
		v.sets[key] = ks
	}
	return ks
}

// Verify checks t against the provider its issuer names and returns what it
// asserts. Errors are *Error.
func (v *Verifier) Verify(ctx context.Context, t *Token, p Provider) (*Identity, error) {
	c := &t.claims
	if strings.TrimSuffix(c.Issuer, "/") != strings.TrimSuffix(p.URL, "/") {
		return nil, invalid("The token's issuer does not match the OpenIDConnect provider.")
	}
	// Claims first: they cost nothing and an expired token should say so
	// without a round trip to the issuer.
	now := v.cfg.Now()
	skew := v.cfg.Skew
	if c.Expiry == nil {
		return nil, invalid("The ID Token provided has no expiration (exp) claim.")
	}
	exp := c.Expiry.Time()
	if !now.Before(exp.Add(skew)) {
		return nil, &Error{Kind: Expired, Message: "Token expired: current date/time " +
			strconv.FormatInt(now.Unix(), 10) + " must be before the expiration date/time " + strconv.FormatInt(exp.Unix(), 10)}
	}
	if c.NotBefore != nil && now.Add(skew).Before(c.NotBefore.Time()) {
		return nil, invalid("The ID Token provided is not yet valid (nbf).")
	}
	if c.IssuedAt != nil && now.Add(skew).Before(c.IssuedAt.Time()) {
		return nil, invalid("The ID Token provided was issued in the future (iat).")
	}
	if c.Subject == "" {
		return nil, invalid("The ID Token provided has no subject (sub) claim.")
	}
	audience, ok := matchAudience(c.AZP, c.Audience, p.ClientIDs)
	if !ok {
		return nil, invalid("Incorrect token audience")
	}

	ks := v.set(strings.TrimSuffix(c.Issuer, "/"), p.Thumbprints)
	if err := v.checkSignature(ctx, ks, t); err != nil {
		return nil, err
	}

	id := &Identity{
		Issuer:         c.Issuer,
		Subject:        c.Subject,
		Audience:       audience,
		AMR:            c.AMR,
		Expiry:         exp,
		SourceIdentity: c.SourceID,
	}
	if c.AZP != "" {
		id.OtherAudiences = c.Audience
	}
	if c.IssuedAt != nil {
		id.IssuedAt = c.IssuedAt.Time()
	}
	if c.Tags != nil {
		if err := id.setTags(c.Tags); err != nil {
			return nil, err
		}
	}
	return id, nil
}

// matchAudience applies IAM's rule: azp, when present, is the audience;
// otherwise an aud value. It must be one of the provider's client IDs.
func matchAudience(azp string, aud []string, clientIDs []string) (string, bool) {
	if azp != "" {
		return azp, slices.Contains(clientIDs, azp)
	}
	for _, a := range aud {
		if slices.Contains(clientIDs, a) {
			return a, true
		}
	}
	return "", false
}

func (id *Identity) setTags(tc *tagsClaim) error {
	keys := make([]string, 0, len(tc.PrincipalTags))
	for k := range tc.PrincipalTags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		vals := tc.PrincipalTags[k]
		// AWS: each tag's value is an array holding one string.
		if len(vals) != 1 {
			return invalid("The session tag " + k + " in the token must have exactly one value.")
		}
		id.Tags = append(id.Tags, Tag{Key: k, Value: vals[0]})
	}
	id.TransitiveTagKeys = tc.TransitiveTagKeys
	return nil
}

// checkSignature verifies t with the issuer's keys, fetching them when
// there are none yet, when they are old, or when t names a key ID they do
// not have (rate limited).
func (v *Verifier) checkSignature(ctx context.Context, ks *keySet, t *Token) error {
	now := v.cfg.Now()
	ks.mu.RLock()
	keys, fetched, last := ks.keys, ks.fetchedAt, ks.lastAttempt
	ks.mu.RUnlock()

	candidates := pick(keys, t.kid, t.alg)
	stale := fetched.IsZero() || now.Sub(fetched) >= v.cfg.TTL
	if (len(candidates) == 0 || stale) && now.Sub(last) >= v.cfg.MinRefresh {
		fresh, err := v.refresh(ctx, ks)
		switch {
		case err == nil:
			keys = fresh
			candidates = pick(keys, t.kid, t.alg)
		case len(keys) == 0:
			return err
		}
		// A failed refresh keeps the keys already known.
	}
	if len(keys) == 0 {
		// The last fetch failed moments ago; do not ask again yet.
		return &Error{Kind: Unreachable, Message: "The identity provider could not be reached to verify the token; try again later."}
	}
	if len(candidates) == 0 {
		return invalid("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	for i := range candidates {
		// The claims read by Parse are the payload verified here.
		if err := t.jws.Claims(candidates[i].Key); err == nil {
			return nil
		}
	}
	return invalid("The ID Token signature could not be verified with the identity provider's keys.")
}

// pick returns the keys that may have signed a token with that key ID and
// algorithm: the one with the ID, or, for a token without one, every
// signing key of a matching type.
func pick(keys []jose.JSONWebKey, kid, alg string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range keys {
		if kid != "" && k.KeyID != kid {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != alg {
			continue
		}
		if !keyFitsAlg(k, alg) {
			continue
		}
		out = append(out, k)
	}
	return out
}

func keyFitsAlg(k jose.JSONWebKey, alg string) bool {
	switch {
	case strings.HasPrefix(alg, "RS"):
		return k.Key != nil && isRSA(k.Key)
	case strings.HasPrefix(alg, "ES"):
		return k.Key != nil && isEC(k.Key)
	}
	return false
}

// refresh fetches the issuer's keys, one fetch at a time: callers that
// waited behind another fetch take its result.
func (v *Verifier) refresh(ctx context.Context, ks *keySet) ([]jose.JSONWebKey, error) {
	ks.fetch.Lock()
	defer ks.fetch.Unlock()
	start := v.cfg.Now()
	ks.mu.RLock()
	last, keys := ks.lastAttempt, ks.keys
	ks.mu.RUnlock()
	if start.Sub(last) < v.cfg.MinRefresh {
		if len(keys) == 0 {
			return nil, &Error{Kind: Unreachable, Message: "The identity provider could not be reached to verify the token; try again later."}
		}
		return keys, nil
	}
	ks.mu.Lock()
	ks.lastAttempt = start
	ks.mu.Unlock()

	// The fetch is not tied to the caller's context alone: its result
	// serves every later request.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.cfg.Timeout)
	defer cancel()
	fresh, err := fetchKeys(fctx, ks.issuer, newClient(v.cfg.RootCAs, ks.thumbprints, v.cfg.Timeout))
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, &Error{Kind: Unreachable, Message: "The identity provider could not be reached to verify the token: " + err.Error()}
	}
	ks.mu.Lock()
	ks.keys, ks.fetchedAt = fresh, v.cfg.Now()
	ks.mu.Unlock()
	return fresh, nil
}
