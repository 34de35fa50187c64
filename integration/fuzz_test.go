package integration

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// FuzzQueryActions sends arbitrary parameters to every IAM and STS action
// as the root user: whatever the input, mantle answers with an AWS error or
// a result, never an internal failure.
func FuzzQueryActions(f *testing.F) {
	seeds := []struct{ service, action, params string }{
		{"iam", "CreateUser", "UserName=a&Path=%2F&Tags.member.1.Key=k&Tags.member.1.Value=v"},
		{"iam", "CreateRole", "RoleName=r&AssumeRolePolicyDocument=%7B%7D&MaxSessionDuration=99999999999999999999"},
		{"iam", "PutUserPolicy", "UserName=a&PolicyName=p&PolicyDocument=%7B%22Statement%22%3A%5B%5D%7D"},
		{"iam", "CreatePolicy", "PolicyName=p&PolicyDocument=%5B%5D&Path=%2Fx"},
		{"iam", "ListUsers", "Marker=%00%ff&MaxItems=-1"},
		{"iam", "SimulateCustomPolicy", "PolicyInputList.member.1=%7B%7D&ActionNames.member.1=s3%3A*&ContextEntries.member.1.ContextKeyType=ip"},
		{"iam", "CreateVirtualMFADevice", "VirtualMFADeviceName=%E2%82%AC"},
		{"iam", "EnableMFADevice", "UserName=a&SerialNumber=x&AuthenticationCode1=1&AuthenticationCode2=2"},
		{"iam", "GetAccountAuthorizationDetails", "Filter.member.1=Nope"},
		{"sts", "AssumeRole", "RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx&RoleSessionName=s&DurationSeconds=0&Policy=%7B"},
		{"sts", "GetFederationToken", "Name=n&PolicyArns.member.1.arn=x"},
		{"sts", "DecodeAuthorizationMessage", "EncodedMessage=%3D%3D%3D"},
		{"sts", "GetAccessKeyInfo", "AccessKeyId=ASIA"},
	}
	for _, s := range seeds {
		f.Add(s.service, s.action, s.params)
	}
	e := start(f)
	h := e.srv.Handler
	versions := map[string]string{"iam": "2010-05-08", "sts": "2011-06-15"}
	f.Fuzz(func(t *testing.T, service, action, params string) {
		if versions[service] == "" {
			return
		}
		if _, err := url.ParseQuery(params); err != nil {
			return
		}
		body := "Action=" + url.QueryEscape(action) + "&Version=" + versions[service] + "&" + params
		req, _ := http.NewRequest(http.MethodPost, e.URL+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		sum := sha256.Sum256([]byte(body))
		cr := aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret}
		if err := v4.NewSigner().SignHTTP(context.Background(), cr, req, hex.EncodeToString(sum[:]), service, testRegion, time.Now()); err != nil {
			t.Fatal(err)
		}
		req.RemoteAddr = "127.0.0.1:1"
		w := &discardWriter{h: http.Header{}}
		done := make(chan struct{})
		go func() { h.ServeHTTP(w, req); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s %s: no answer in 10s", service, body)
		}
		if w.code >= 500 {
			t.Fatalf("%s %s → %d", service, body, w.code)
		}
	})
}
