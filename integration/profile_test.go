package integration

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// aws-sdk-go-v2's shared-config role assumption (role_arn + source_profile
// + external_id). Unlike the CLI, boto3 and the JS SDK (e2e/), its role
// provider ignores AWS_ENDPOINT_URL and needs AWS_ENDPOINT_URL_STS, as
// docs/clients.md says.
func TestSharedConfigRoleProfile(t *testing.T) {
	e := start(t)
	c := ctx(t)
	alice := e.newUser("alice", "")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + userARN("alice") + `"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-123"}}}]}`
	roleARN := e.newRole("profiled", trust, "", 0)

	dir := t.TempDir()
	cfgFile, credFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	if err := os.WriteFile(credFile, []byte("[alice]\naws_access_key_id = "+alice.id+"\naws_secret_access_key = "+alice.secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgFile, []byte("[profile deploy]\nrole_arn = "+roleARN+"\nsource_profile = alice\nexternal_id = ext-123\nrole_session_name = from-profile\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_ENDPOINT_URL", e.URL)
	t.Setenv("AWS_ENDPOINT_URL_STS", e.URL)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	cfg, err := config.LoadDefaultConfig(c,
		config.WithSharedConfigProfile("deploy"),
		config.WithSharedConfigFiles([]string{cfgFile}),
		config.WithSharedCredentialsFiles([]string{credFile}),
	)
	if err != nil {
		t.Fatal(err)
	}
	who := must[*sts.GetCallerIdentityOutput](t)(sts.NewFromConfig(cfg).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))
	if got := aws.ToString(who.Arn); got != "arn:aws:sts::"+testAccount+":assumed-role/profiled/from-profile" {
		t.Fatalf("caller %s", got)
	}
}
