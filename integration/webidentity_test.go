package integration

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/go-jose/go-jose/v4"
)

// oidcIssuer is a test OpenID Connect issuer: discovery and JWKS over HTTPS
// with a self-signed certificate, and an RS256 key that signs its tokens.
type oidcIssuer struct {
	srv *httptest.Server
	key *rsa.PrivateKey
}

func newOIDCIssuer(t testing.TB) *oidcIssuer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &oidcIssuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	is.srv = httptest.NewTLSServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

// host is the issuer URL without https://, which names the provider and
// its condition keys.
func (is *oidcIssuer) host() string { return strings.TrimPrefix(is.srv.URL, "https://") }

func (is *oidcIssuer) thumbprint() string {
	sum := sha1.Sum(is.srv.Certificate().Raw)
	return hex.EncodeToString(sum[:])
}

// token signs claims over the defaults (iss, aud sts.amazonaws.com, a
// GitHub-like sub, an hour of validity).
func (is *oidcIssuer) token(t testing.TB, extra map[string]any) string {
	t.Helper()
	now := time.Now()
	claims := map[string]any{
		"iss": is.srv.URL, "aud": "sts.amazonaws.com", "sub": "repo:acme/app:ref:refs/heads/main",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	for k, v := range extra {
		claims[k] = v
	}
	return signJWT(t, is.key, jose.RS256, map[jose.HeaderKey]any{"kid": "k1"}, false, claims)
}

// register creates the IAM OIDC provider for the issuer and returns its ARN.
func (is *oidcIssuer) register(t *testing.T, e *env) string {
	t.Helper()
	out := must[*iam.CreateOpenIDConnectProviderOutput](t)(e.iam(e.root()).CreateOpenIDConnectProvider(ctx(t), &iam.CreateOpenIDConnectProviderInput{
		Url:            aws.String(is.srv.URL),
		ClientIDList:   []string{"sts.amazonaws.com"},
		ThumbprintList: []string{is.thumbprint()},
	}))
	return aws.ToString(out.OpenIDConnectProviderArn)
}

// anonymous is an STS client that signs nothing, as a workload without AWS
// credentials calls AssumeRoleWithWebIdentity.
func (e *env) anonymousSTS() *sts.Client {
	cfg := e.config(creds{})
	cfg.Credentials = aws.AnonymousCredentials{}
	return sts.NewFromConfig(cfg)
}

func webIdentityTrust(providerARN, conditions string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + providerARN +
		`"},"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],"Condition":` + conditions + `}]}`
}

func TestWebIdentity(t *testing.T) {
	e := start(t)
	c := ctx(t)
	is := newOIDCIssuer(t)
	providerARN := is.register(t, e)
	host := is.host()
	trust := webIdentityTrust(providerARN, `{"StringEquals":{"`+host+`:aud":"sts.amazonaws.com"},"StringLike":{"`+host+`:sub":"repo:acme/*"}}`)
	// The role may read roles only from a web identity session of this
	// provider, and only with its session tag.
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"aws:FederatedProvider":"` + providerARN + `"}}},
		{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}`
	roleARN := e.newRole("ci-deploy", trust, policy, 0)
	anon := e.anonymousSTS()

	t.Run("assume and use", func(t *testing.T) {
		out := must[*sts.AssumeRoleWithWebIdentityOutput](t)(anon.AssumeRoleWithWebIdentity(c, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(roleARN), RoleSessionName: aws.String("gha-42"),
			WebIdentityToken: aws.String(is.token(t, map[string]any{
				"https://aws.amazon.com/tags": map[string]any{"principal_tags": map[string][]string{"team": {"blue"}}},
			})),
		}))
		if got := aws.ToString(out.SubjectFromWebIdentityToken); got != "repo:acme/app:ref:refs/heads/main" {
			t.Errorf("SubjectFromWebIdentityToken = %q", got)
		}
		if got := aws.ToString(out.Provider); got != providerARN {
			t.Errorf("Provider = %q", got)
		}
		if got := aws.ToString(out.Audience); got != "sts.amazonaws.com" {
			t.Errorf("Audience = %q", got)
		}
		if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::"+testAccount+":assumed-role/ci-deploy/gha-42" {
			t.Errorf("AssumedRoleUser.Arn = %q", got)
		}
		if out.PackedPolicySize == nil {
			t.Error("PackedPolicySize missing for a tagged session")
		}
		sess := session(out.Credentials)
		who := must[*sts.GetCallerIdentityOutput](t)(e.sts(sess).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))
		if aws.ToString(who.Arn) != aws.ToString(out.AssumedRoleUser.Arn) {
			t.Errorf("GetCallerIdentity = %s", aws.ToString(who.Arn))
		}
		must[*iam.GetRoleOutput](t)(e.iam(sess).GetRole(c, &iam.GetRoleInput{RoleName: aws.String("ci-deploy")}))
		must[*iam.ListRolesOutput](t)(e.iam(sess).ListRoles(c, &iam.ListRolesInput{}))
	})

	tests := []struct {
		name      string
		token     func() string
		roleARN   string
		code, msg string
	}{
		{"subject outside the condition", func() string { return is.token(t, map[string]any{"sub": "repo:evil/app:ref:refs/heads/main"}) },
			roleARN, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{"missing role", func() string { return is.token(t, nil) },
			"arn:aws:iam::" + testAccount + ":role/nope", "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{"expired", func() string { return is.token(t, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()}) },
			roleARN, "ExpiredTokenException", "Token expired"},
		{"wrong audience", func() string { return is.token(t, map[string]any{"aud": "someone-else"}) },
			roleARN, "InvalidIdentityToken", "Incorrect token audience"},
		{"unregistered issuer", func() string { return is.token(t, map[string]any{"iss": "https://idp.example.com"}) },
			roleARN, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://idp.example.com"},
		{"not a JWT", func() string { return "not-a-token" },
			roleARN, "InvalidIdentityToken", "not a valid JWT"},
		{"forged signature", func() string { tok := is.token(t, nil); return tok[:len(tok)-4] + "AAAA" },
			roleARN, "InvalidIdentityToken", "signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := anon.AssumeRoleWithWebIdentity(c, &sts.AssumeRoleWithWebIdentityInput{
				RoleArn: aws.String(tt.roleARN), RoleSessionName: aws.String("s1"), WebIdentityToken: aws.String(tt.token()),
			})
			wantCode(t, err, tt.code, tt.msg)
		})
	}

	t.Run("thumbprint no longer matches", func(t *testing.T) {
		root := e.iam(e.root())
		must[*iam.UpdateOpenIDConnectProviderThumbprintOutput](t)(root.UpdateOpenIDConnectProviderThumbprint(c, &iam.UpdateOpenIDConnectProviderThumbprintInput{
			OpenIDConnectProviderArn: aws.String(providerARN), ThumbprintList: []string{strings.Repeat("0", 40)},
		}))
		defer func() {
			must[*iam.UpdateOpenIDConnectProviderThumbprintOutput](t)(root.UpdateOpenIDConnectProviderThumbprint(c, &iam.UpdateOpenIDConnectProviderThumbprintInput{
				OpenIDConnectProviderArn: aws.String(providerARN), ThumbprintList: []string{is.thumbprint()},
			}))
		}()
		_, err := anon.AssumeRoleWithWebIdentity(c, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"), WebIdentityToken: aws.String(is.token(t, nil)),
		})
		wantCode(t, err, "InvalidIdentityToken", "thumbprint")
	})

	t.Run("session policy and duration", func(t *testing.T) {
		out := must[*sts.AssumeRoleWithWebIdentityOutput](t)(anon.AssumeRoleWithWebIdentity(c, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(roleARN), RoleSessionName: aws.String("narrow"), WebIdentityToken: aws.String(is.token(t, nil)),
			Policy:          aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`),
			DurationSeconds: aws.Int32(900),
		}))
		if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d > 16*time.Minute || d < 14*time.Minute {
			t.Errorf("session lasts %v, want 15m", d)
		}
		_, err := e.iam(session(out.Credentials)).GetRole(c, &iam.GetRoleInput{RoleName: aws.String("ci-deploy")})
		wantCode(t, err, "AccessDenied", "")
		_, err = anon.AssumeRoleWithWebIdentity(c, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(roleARN), RoleSessionName: aws.String("long"), WebIdentityToken: aws.String(is.token(t, nil)),
			DurationSeconds: aws.Int32(7200),
		})
		wantCode(t, err, "ValidationError", "MaxSessionDuration")
		_, err = anon.AssumeRoleWithWebIdentity(c, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(roleARN), RoleSessionName: aws.String("bad"), WebIdentityToken: aws.String(is.token(t, nil)),
			Policy: aws.String(`{"Statement":`),
		})
		wantCode(t, err, "MalformedPolicyDocument", "")
	})
}

// TestWebIdentityCredentialProvider: the SDK's standard web identity
// provider (what AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE configure) reads
// the token file and refreshes through mantle.
func TestWebIdentityCredentialProvider(t *testing.T) {
	e := start(t)
	c := ctx(t)
	is := newOIDCIssuer(t)
	providerARN := is.register(t, e)
	roleARN := e.newRole("k8s-app", webIdentityTrust(providerARN, `{"StringEquals":{"`+is.host()+`:sub":"system:serviceaccount:default:app"}}`), "", 0)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(is.token(t, map[string]any{"sub": "system:serviceaccount:default:app"})), 0o600); err != nil {
		t.Fatal(err)
	}
	provider := stscreds.NewWebIdentityRoleProvider(e.anonymousSTS(), roleARN, stscreds.IdentityTokenFile(tokenFile),
		func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = "pod-1" })
	cfg := e.config(creds{})
	cfg.Credentials = aws.NewCredentialsCache(provider)
	who := must[*sts.GetCallerIdentityOutput](t)(sts.NewFromConfig(cfg).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))
	if got := aws.ToString(who.Arn); got != "arn:aws:sts::"+testAccount+":assumed-role/k8s-app/pod-1" {
		t.Fatalf("caller %s", got)
	}
}
