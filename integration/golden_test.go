package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// rawCall sends a form-encoded Query request signed for service, or unsigned
// when c is nil, and returns the status and body.
func rawCall(t *testing.T, e *env, c *creds, service, form string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.URL+"/", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if c != nil {
		sum := sha256.Sum256([]byte(form))
		cr := aws.Credentials{AccessKeyID: c.id, SecretAccessKey: c.secret, SessionToken: c.token}
		if err := v4.NewSigner().SignHTTP(context.Background(), cr, req, hex.EncodeToString(sum[:]), service, testRegion, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("x-amzn-RequestId") == "" {
		t.Errorf("no x-amzn-RequestId header")
	}
	return resp.StatusCode, string(body)
}

// Values that differ on every run are replaced before comparing.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "REQUEST-ID"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`), "TIMESTAMP"},
	{regexp.MustCompile(`\b(AIDA|AROA|ANPA|AGPA)[A-Z2-7]{17}\b`), "${1}UNIQUEID"},
	{regexp.MustCompile(`<AccessKeyId>[A-Z0-9]{20}</AccessKeyId>`), "<AccessKeyId>KEYID</AccessKeyId>"},
	{regexp.MustCompile(`<SecretAccessKey>[^<]{40}</SecretAccessKey>`), "<SecretAccessKey>SECRET</SecretAccessKey>"},
	{regexp.MustCompile(`<SessionToken>[^<]+</SessionToken>`), "<SessionToken>TOKEN</SessionToken>"},
}

func golden(t *testing.T, name string, status int, body string) {
	t.Helper()
	for _, v := range volatile {
		body = v.re.ReplaceAllString(body, v.with)
	}
	got := "HTTP " + http.StatusText(status) + "\n" + body + "\n"
	path := filepath.Join("testdata", "golden", name+".xml")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n got: %s\nwant: %s", name, path, got, want)
	}
}

// TestWireShapes pins the XML documents mantle writes, responses and errors,
// to the shapes of AWS's API reference examples.
func TestWireShapes(t *testing.T) {
	e := start(t)
	root := e.root()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	cases := []struct {
		name, service, form string
		signed              bool
	}{
		{"CreateUser", "iam", "Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Fteam%2F&Tags.member.1.Key=env&Tags.member.1.Value=dev", true},
		{"GetUser", "iam", "Action=GetUser&Version=2010-05-08&UserName=alice", true},
		{"ListUsers", "iam", "Action=ListUsers&Version=2010-05-08&MaxItems=1", true},
		{"CreateRole", "iam", "Action=CreateRole&Version=2010-05-08&RoleName=deploy&AssumeRolePolicyDocument=" + urlEncode(trust), true},
		{"DeleteUser-NoSuchEntity", "iam", "Action=DeleteUser&Version=2010-05-08&UserName=nobody", true},
		{"GetUser-NoSuchEntity", "iam", "Action=GetUser&Version=2010-05-08&UserName=nobody", true},
		{"CreateUser-ValidationError", "iam", "Action=CreateUser&Version=2010-05-08&UserName=a%20b", true},
		{"CreateUser-missing", "iam", "Action=CreateUser&Version=2010-05-08", true},
		{"CreateUser-ValidationErrors", "iam", "Action=CreateUser&Version=2010-05-08&UserName=a%20b&Path=x&Tags.member.1.Key=k", true},
		{"InvalidAction", "iam", "Action=MakeCoffee&Version=2010-05-08", true},
		{"NotImplemented", "iam", "Action=AcceptDelegationRequest&Version=2010-05-08&DelegationRequestId=d-0123456789", true},
		{"MissingAuthenticationToken", "iam", "Action=ListUsers&Version=2010-05-08", false},
		{"GetCallerIdentity", "sts", "Action=GetCallerIdentity&Version=2011-06-15", true},
		{"AssumeRole", "sts", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A" + testAccount + "%3Arole%2Fdeploy&RoleSessionName=s1", true},
		{"AssumeRole-root-refused", "sts", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A" + testAccount + "%3Arole%2Fdeploy&RoleSessionName=s1", true},
	}
	user := creds{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &root
			if tc.name == "AssumeRole" {
				c = &user
			}
			if !tc.signed {
				c = nil
			}
			status, body := rawCall(t, e, c, tc.service, tc.form)
			golden(t, tc.name, status, body)
		})
		if tc.name == "CreateRole" {
			// A user allowed to assume the role, for the AssumeRole case.
			user = e.newUser("caller", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
		}
	}
	_, body := rawCall(t, e, &creds{rootKeyID, "bad", ""}, "iam", "Action=ListUsers&Version=2010-05-08")
	golden(t, "SignatureDoesNotMatch", http.StatusForbidden, body)
}

func urlEncode(s string) string {
	r := strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D", "\"", "%22", ":", "%3A", "/", "%2F", ",", "%2C", "[", "%5B", "]", "%5D", " ", "%20", "*", "%2A")
	return r.Replace(s)
}
