package integration

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Outbound web identity federation end to end: an account enables it, a
// role session asks STS for a JWT, and a relying party verifies the token
// as it would any OIDC provider's, knowing only the issuer URL: discovery
// document → jwks_uri → signature, issuer, audience, expiry.
func TestOutboundWebIdentityToken(t *testing.T) {
	e := start(t)
	c := ctx(t)
	root := e.iam(e.root())

	_, err := e.sts(e.root()).GetWebIdentityToken(c, &sts.GetWebIdentityTokenInput{Audience: []string{"https://api.example.com"}, SigningAlgorithm: aws.String("RS256")})
	wantCode(t, err, "OutboundWebIdentityFederationDisabledException", "")
	_, err = root.GetOutboundWebIdentityFederationInfo(c, &iam.GetOutboundWebIdentityFederationInfoInput{})
	wantCode(t, err, "FeatureDisabled", "")

	en := must[*iam.EnableOutboundWebIdentityFederationOutput](t)(root.EnableOutboundWebIdentityFederation(c, &iam.EnableOutboundWebIdentityFederationInput{}))
	issuer := aws.ToString(en.IssuerIdentifier)
	if issuer != e.URL+"/_mantle/oidc/"+testAccount {
		t.Fatalf("issuer %s", issuer)
	}
	_, err = root.EnableOutboundWebIdentityFederation(c, &iam.EnableOutboundWebIdentityFederationInput{})
	wantCode(t, err, "FeatureEnabled", "")

	must[*iam.CreateRoleOutput](t)(root.CreateRole(c, &iam.CreateRoleInput{RoleName: aws.String("caller"), Path: aws.String("/apps/"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},"Action":"sts:AssumeRole"}]}`)}))
	must[*iam.PutRolePolicyOutput](t)(root.PutRolePolicy(c, &iam.PutRolePolicyInput{RoleName: aws.String("caller"), PolicyName: aws.String("jwt"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetWebIdentityToken","Resource":"*"}]}`)}))
	must[*iam.CreateUserOutput](t)(root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("u")}))
	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(c, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}))
	k := must[*iam.CreateAccessKeyOutput](t)(root.CreateAccessKey(c, &iam.CreateAccessKeyInput{UserName: aws.String("u")}))
	user := creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}
	// Without the permission the user is refused.
	_, err = e.sts(user).GetWebIdentityToken(c, &sts.GetWebIdentityTokenInput{Audience: []string{"x"}, SigningAlgorithm: aws.String("RS256")})
	wantCode(t, err, "AccessDenied", "sts:GetWebIdentityToken")
	sess := must[*sts.AssumeRoleOutput](t)(e.sts(user).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + testAccount + ":role/apps/caller"), RoleSessionName: aws.String("job-1"), DurationSeconds: aws.Int32(900)}))
	role := creds{aws.ToString(sess.Credentials.AccessKeyId), aws.ToString(sess.Credentials.SecretAccessKey), aws.ToString(sess.Credentials.SessionToken)}

	// A relying party's view: discovery, then the JWKS it names.
	getJSON := func(url string, v any) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", url, resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	var disc struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	getJSON(issuer+"/.well-known/openid-configuration", &disc)
	if disc.Issuer != issuer || !strings.HasPrefix(disc.JWKSURI, issuer) {
		t.Fatalf("discovery %+v", disc)
	}
	var jwks jose.JSONWebKeySet
	getJSON(disc.JWKSURI, &jwks)

	for _, alg := range []string{"RS256", "ES384"} {
		t.Run(alg, func(t *testing.T) {
			out := must[*sts.GetWebIdentityTokenOutput](t)(e.sts(role).GetWebIdentityToken(c, &sts.GetWebIdentityTokenInput{
				Audience: []string{"https://api.example.com"}, SigningAlgorithm: aws.String(alg), DurationSeconds: aws.Int32(600),
				Tags: []ststypes.Tag{{Key: aws.String("job"), Value: aws.String("build-42")}}}))
			tok, err := jwt.ParseSigned(aws.ToString(out.WebIdentityToken), []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if err != nil {
				t.Fatal(err)
			}
			keys := jwks.Key(tok.Headers[0].KeyID)
			if len(keys) != 1 {
				t.Fatalf("kid %q not in the JWKS", tok.Headers[0].KeyID)
			}
			var std jwt.Claims
			var aws_ struct {
				NS map[string]any `json:"https://sts.amazonaws.com/"`
			}
			if err := tok.Claims(keys[0].Key, &std, &aws_); err != nil {
				t.Fatalf("signature: %v", err)
			}
			if err := std.ValidateWithLeeway(jwt.Expected{Issuer: issuer, AnyAudience: jwt.Audience{"https://api.example.com"}, Time: time.Now()}, time.Minute); err != nil {
				t.Fatal(err)
			}
			if std.Subject != "arn:aws:iam::"+testAccount+":role/apps/caller" || std.Expiry.Time().Sub(std.IssuedAt.Time()) != 600*time.Second {
				t.Errorf("claims %+v", std)
			}
			if aws_.NS["aws_account"] != testAccount || aws_.NS["request_tags"].(map[string]any)["job"] != "build-42" {
				t.Errorf("aws claims %+v", aws_.NS)
			}
			// Another audience does not take it.
			if err := std.Validate(jwt.Expected{Issuer: issuer, AnyAudience: jwt.Audience{"https://other.example.com"}, Time: time.Now()}); err == nil {
				t.Error("token valid for another audience")
			}
		})
	}
	_, err = e.sts(role).GetWebIdentityToken(c, &sts.GetWebIdentityTokenInput{Audience: []string{"a"}, SigningAlgorithm: aws.String("HS256")})
	wantCode(t, err, "ValidationError", "signingAlgorithm")
	// A token may not outlive the session that asked for it.
	_, err = e.sts(role).GetWebIdentityToken(c, &sts.GetWebIdentityTokenInput{Audience: []string{"a"}, SigningAlgorithm: aws.String("RS256"), DurationSeconds: aws.Int32(3600)})
	wantCode(t, err, "SessionDurationEscalationException", "")
	must[*iam.DisableOutboundWebIdentityFederationOutput](t)(root.DisableOutboundWebIdentityFederation(c, &iam.DisableOutboundWebIdentityFederationInput{}))
	_, err = e.sts(role).GetWebIdentityToken(c, &sts.GetWebIdentityTokenInput{Audience: []string{"a"}, SigningAlgorithm: aws.String("RS256")})
	wantCode(t, err, "OutboundWebIdentityFederationDisabledException", "")
	// The keys stay published for the tokens already issued.
	getJSON(disc.JWKSURI, &jwks)
}
