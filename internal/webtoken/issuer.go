package webtoken

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mantle-iam/mantle/internal/secrets"
	"github.com/mantle-iam/mantle/internal/store"
)

// Account settings (store.AccountSettings) the issuer keeps.
const (
	settingEnabled = "outbound.enabled" // "true" or "false"
	settingIssuer  = "outbound.issuer"  // the issuer URL, fixed when first enabled
	settingRS256   = "outbound.key.RS256"
	settingES384   = "outbound.key.ES384"
)

// Algorithms GetWebIdentityToken signs with.
const (
	RS256 = "RS256"
	ES384 = "ES384"
)

// Errors of Enable and Disable.
var (
	ErrEnabled  = errors.New("webtoken: outbound web identity federation is already enabled")
	ErrDisabled = errors.New("webtoken: outbound web identity federation is not enabled")
)

// PathPrefix is where the issuers live on mantle's listener: the issuer of
// account A is BASE/_mantle/oidc/A.
const PathPrefix = "/_mantle/oidc/"

// Issuer is every account's issuer on one mantle.
type Issuer struct {
	store  store.Store
	sealer *secrets.Sealer
	base   atomic.Value // string: the URL clients reach mantle at
}

// New returns the issuers of st; base is mantle's URL (SetBase may give it
// later, once the listener's address is known).
func New(st store.Store, sealer *secrets.Sealer, base string) *Issuer {
	is := &Issuer{store: st, sealer: sealer}
	is.SetBase(base)
	return is
}

// SetBase sets mantle's URL, which new issuer URLs start with.
func (is *Issuer) SetBase(base string) { is.base.Store(strings.TrimRight(base, "/")) }

// Enable turns federation on for the account in tx, making its keys and
// fixing its issuer URL the first time, and returns the issuer URL.
func (is *Issuer) Enable(ctx context.Context, tx store.Repos, accountID string) (string, error) {
	if on, err := tx.AccountSettings().Get(ctx, accountID, settingEnabled); err == nil && on == "true" {
		return "", ErrEnabled
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	iss, err := tx.AccountSettings().Get(ctx, accountID, settingIssuer)
	if errors.Is(err, store.ErrNotFound) {
		iss = is.base.Load().(string) + PathPrefix + accountID
		if err := tx.AccountSettings().Put(ctx, accountID, settingIssuer, iss); err != nil {
			return "", err
		}
		if err := is.makeKeys(ctx, tx, accountID); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	return iss, tx.AccountSettings().Put(ctx, accountID, settingEnabled, "true")
}

// Disable turns federation off; the keys stay, so tokens already issued
// still verify until they expire.
func (is *Issuer) Disable(ctx context.Context, tx store.Repos, accountID string) error {
	on, err := tx.AccountSettings().Get(ctx, accountID, settingEnabled)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if on != "true" {
		return ErrDisabled
	}
	return tx.AccountSettings().Put(ctx, accountID, settingEnabled, "false")
}

// Info returns the account's issuer URL and whether federation is on; ""
// when it never was.
func (is *Issuer) Info(ctx context.Context, r store.Repos, accountID string) (string, bool, error) {
	iss, err := r.AccountSettings().Get(ctx, accountID, settingIssuer)
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	on, err := r.AccountSettings().Get(ctx, accountID, settingEnabled)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", false, err
	}
	return iss, on == "true", nil
}

func (is *Issuer) makeKeys(ctx context.Context, tx store.Repos, accountID string) error {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	ek, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return err
	}
	for name, k := range map[string]crypto.Signer{settingRS256: rk, settingES384: ek} {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return err
		}
		sealed, err := is.sealer.Seal(der)
		if err != nil {
			return err
		}
		if err := tx.AccountSettings().Put(ctx, accountID, name, base64.StdEncoding.EncodeToString(sealed)); err != nil {
			return err
		}
	}
	return nil
}

func (is *Issuer) key(ctx context.Context, r store.Repos, accountID, alg string) (crypto.Signer, error) {
	v, err := r.AccountSettings().Get(ctx, accountID, "outbound.key."+alg)
	if err != nil {
		return nil, err
	}
	sealed, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, err
	}
	der, err := is.sealer.Open(sealed)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	return k.(crypto.Signer), nil
}

// publicJWK is a key as the JWKS lists it, its ID the RFC 7638 thumbprint.
func publicJWK(k crypto.Signer, alg string) (jose.JSONWebKey, error) {
	j := jose.JSONWebKey{Key: k.Public(), Algorithm: alg, Use: "sig"}
	tp, err := j.Thumbprint(crypto.SHA256)
	if err != nil {
		return j, err
	}
	j.KeyID = base64.RawURLEncoding.EncodeToString(tp)
	return j, nil
}

// Token is what GetWebIdentityToken signs.
type Token struct {
	AccountID string
	Subject   string // the caller's ARN (a role session: the role's ARN)
	Audience  []string
	Algorithm string // RS256 or ES384
	IssuedAt  time.Time
	Expires   time.Time
	ID        string
	// Claims go under "https://sts.amazonaws.com/" (aws_account, the
	// principal's and the request's tags, …).
	Claims map[string]any
}

// Sign signs t with the account's key; ErrDisabled when federation is off.
func (is *Issuer) Sign(ctx context.Context, r store.Repos, t *Token) (string, error) {
	iss, on, err := is.Info(ctx, r, t.AccountID)
	if err != nil {
		return "", err
	}
	if !on {
		return "", ErrDisabled
	}
	k, err := is.key(ctx, r, t.AccountID, t.Algorithm)
	if err != nil {
		return "", err
	}
	j, err := publicJWK(k, t.Algorithm)
	if err != nil {
		return "", err
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(t.Algorithm), Key: k},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", j.KeyID))
	if err != nil {
		return "", err
	}
	std := jwt.Claims{Issuer: iss, Subject: t.Subject, Audience: jwt.Audience(t.Audience), ID: t.ID,
		IssuedAt: jwt.NewNumericDate(t.IssuedAt), NotBefore: jwt.NewNumericDate(t.IssuedAt), Expiry: jwt.NewNumericDate(t.Expires)}
	return jwt.Signed(sig).Claims(std).Claims(map[string]any{"https://sts.amazonaws.com/": t.Claims}).Serialize()
}

// ServeHTTP serves each issuer's discovery document
// (PathPrefix+ACCOUNT/.well-known/openid-configuration) and JWKS
// (…/.well-known/jwks.json). An account that never enabled federation has
// neither; one that disabled it keeps its JWKS, for the tokens still valid.
func (is *Issuer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, PathPrefix)
	accountID, doc, _ := strings.Cut(rest, "/")
	if r.Method != http.MethodGet || len(accountID) != 12 || strings.Trim(accountID, "0123456789") != "" {
		http.NotFound(w, r)
		return
	}
	iss, _, err := is.Info(r.Context(), is.store, accountID)
	if err != nil || iss == "" {
		http.NotFound(w, r)
		return
	}
	var body any
	switch doc {
	case ".well-known/openid-configuration":
		body = map[string]any{
			"issuer":                                iss,
			"jwks_uri":                              iss + "/.well-known/jwks.json",
			"response_types_supported":              []string{"id_token"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{RS256, ES384},
			"claims_supported":                      []string{"aud", "exp", "iat", "iss", "jti", "nbf", "sub", "https://sts.amazonaws.com/"},
		}
	case ".well-known/jwks.json":
		var set jose.JSONWebKeySet
		for _, alg := range []string{RS256, ES384} {
			k, err := is.key(r.Context(), is.store, accountID, alg)
			if err != nil {
				http.Error(w, "key unavailable", http.StatusServiceUnavailable)
				return
			}
			j, err := publicJWK(k, alg)
			if err != nil {
				http.Error(w, "key unavailable", http.StatusServiceUnavailable)
				return
			}
			set.Keys = append(set.Keys, j)
		}
		body = set
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=300")
	_ = json.NewEncoder(w).Encode(body)
}
