package integration

import (
	"crypto/sha1"
	"encoding/base64"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/mantle-iam/mantle/internal/federation/saml/samltest"
)

func TestSAML(t *testing.T) {
	e := start(t)
	c := ctx(t)
	idp, err := samltest.New("https://idp.example.com/metadata")
	if err != nil {
		t.Fatal(err)
	}
	root := e.iam(e.root())
	prov := must[*iam.CreateSAMLProviderOutput](t)(root.CreateSAMLProvider(c, &iam.CreateSAMLProviderInput{
		Name: aws.String("corp"), SAMLMetadataDocument: aws.String(idp.Metadata()),
	}))
	providerARN := aws.ToString(prov.SAMLProviderArn)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + providerARN + `"},` +
		`"Action":["sts:AssumeRoleWithSAML","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"},` +
		`"ForAnyValue:StringEquals":{"saml:edupersonaffiliation":"staff"}}}]}`
	roleARN := e.newRole("sso-admin", trust, allowDoc("iam:GetRole", "*"), 0)
	roleAttr := roleARN + "," + providerARN
	staff := map[string][]string{"urn:oid:1.3.6.1.4.1.5923.1.1.1.1": {"member", "staff"}}
	anon := e.anonymousSTS()
	assume := func(o samltest.Options, edit func(*sts.AssumeRoleWithSAMLInput)) (*sts.AssumeRoleWithSAMLOutput, error) {
		t.Helper()
		resp, err := idp.Response(o)
		if err != nil {
			t.Fatal(err)
		}
		in := &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN), PrincipalArn: aws.String(providerARN), SAMLAssertion: aws.String(resp)}
		if edit != nil {
			edit(in)
		}
		return anon.AssumeRoleWithSAML(c, in)
	}

	t.Run("assume and use", func(t *testing.T) {
		out, err := assume(samltest.Options{
			Subject: "alice@example.com", Roles: []string{"arn:aws:iam::" + testAccount + ":role/other," + providerARN, providerARN + "," + roleARN},
			RoleSessionName: "alice@example.com", Attributes: staff, SessionNotOnOrAfter: time.Now().Add(30 * time.Minute),
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha1.Sum([]byte("https://idp.example.com/metadata" + testAccount + "/corp"))
		for name, got := range map[string][2]string{
			"Subject":       {aws.ToString(out.Subject), "alice@example.com"},
			"SubjectType":   {aws.ToString(out.SubjectType), "persistent"},
			"Issuer":        {aws.ToString(out.Issuer), "https://idp.example.com/metadata"},
			"Audience":      {aws.ToString(out.Audience), "https://signin.aws.amazon.com/saml"},
			"NameQualifier": {aws.ToString(out.NameQualifier), base64.StdEncoding.EncodeToString(sum[:])},
			"Arn":           {aws.ToString(out.AssumedRoleUser.Arn), "arn:aws:sts::" + testAccount + ":assumed-role/sso-admin/alice@example.com"},
		} {
			if got[0] != got[1] {
				t.Errorf("%s = %q, want %q", name, got[0], got[1])
			}
		}
		// SessionNotOnOrAfter (30 min) shortens the default hour.
		if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d > 31*time.Minute {
			t.Errorf("session lasts %v, beyond SessionNotOnOrAfter", d)
		}
		sess := session(out.Credentials)
		who := must[*sts.GetCallerIdentityOutput](t)(e.sts(sess).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))
		if aws.ToString(who.Arn) != aws.ToString(out.AssumedRoleUser.Arn) {
			t.Errorf("GetCallerIdentity = %s", aws.ToString(who.Arn))
		}
		must[*iam.GetRoleOutput](t)(e.iam(sess).GetRole(c, &iam.GetRoleInput{RoleName: aws.String("sso-admin")}))
	})

	t.Run("response signed, session tags", func(t *testing.T) {
		out, err := assume(samltest.Options{
			Roles: []string{roleAttr}, RoleSessionName: "bob", SignResponse: true,
			Attributes: map[string][]string{
				"urn:oid:1.3.6.1.4.1.5923.1.1.1.1":                         {"staff"},
				"https://aws.amazon.com/SAML/Attributes/PrincipalTag:team": {"blue"},
				"https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys": {"team"},
				"https://aws.amazon.com/SAML/Attributes/SessionDuration":   {"1800"},
				"https://aws.amazon.com/SAML/Attributes/SourceIdentity":    {"bob"},
			},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if out.PackedPolicySize == nil || aws.ToString(out.SourceIdentity) != "bob" {
			t.Errorf("PackedPolicySize %v, SourceIdentity %q", out.PackedPolicySize, aws.ToString(out.SourceIdentity))
		}
		if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d > 31*time.Minute || d < 29*time.Minute {
			t.Errorf("session lasts %v, want SessionDuration's 30m", d)
		}
	})

	tests := []struct {
		name      string
		opts      samltest.Options
		edit      func(*sts.AssumeRoleWithSAMLInput)
		code, msg string
	}{
		{"role not granted by the IdP", samltest.Options{Roles: []string{"arn:aws:iam::" + testAccount + ":role/other," + providerARN}, RoleSessionName: "a1", Attributes: staff},
			nil, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML"},
		{"trust condition fails", samltest.Options{Roles: []string{roleAttr}, RoleSessionName: "a1"},
			nil, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML"},
		{"no RoleSessionName", samltest.Options{Roles: []string{roleAttr}, Attributes: staff},
			nil, "InvalidIdentityToken", "RoleSessionName is required"},
		{"unknown provider", samltest.Options{Roles: []string{roleAttr}, RoleSessionName: "a1", Attributes: staff},
			func(in *sts.AssumeRoleWithSAMLInput) {
				in.PrincipalArn = aws.String("arn:aws:iam::" + testAccount + ":saml-provider/nope")
			}, "InvalidIdentityToken", "Specified provider doesn't exist"},
		{"expired", samltest.Options{Roles: []string{roleAttr}, RoleSessionName: "a1", Attributes: staff, IssueInstant: time.Now().Add(-time.Hour)},
			nil, "ExpiredTokenException", "expired"},
		{"wrong issuer", samltest.Options{Roles: []string{roleAttr}, RoleSessionName: "a1", Attributes: staff, Issuer: "https://evil.example.com"},
			nil, "InvalidIdentityToken", "does not match"},
		{"not base64", samltest.Options{Roles: []string{roleAttr}, RoleSessionName: "a1"},
			func(in *sts.AssumeRoleWithSAMLInput) { in.SAMLAssertion = aws.String("%%%%") }, "InvalidIdentityToken", "base64"},
		{"malformed session policy", samltest.Options{Roles: []string{roleAttr}, RoleSessionName: "a1", Attributes: staff},
			func(in *sts.AssumeRoleWithSAMLInput) { in.Policy = aws.String("{") }, "MalformedPolicyDocument", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := assume(tt.opts, tt.edit)
			wantCode(t, err, tt.code, tt.msg)
		})
	}
}
