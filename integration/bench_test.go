package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// benchRequest signs one STS Query request as aws-sdk-go-v2 does and returns
// a function that replays it against the in-process handler.
func benchRequest(b *testing.B, e *env, c creds, body string) func() *httptest.ResponseRecorder {
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	cr := aws.Credentials{AccessKeyID: c.id, SecretAccessKey: c.secret, SessionToken: c.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), cr, req, hex.EncodeToString(sum[:]), "sts", testRegion, time.Now()); err != nil {
		b.Fatal(err)
	}
	h := e.srv.Handler
	return func() *httptest.ResponseRecorder {
		r := req.Clone(context.Background())
		r.Body = nopCloser{bytes.NewReader([]byte(body))}
		r.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func benchSetup(b *testing.B) (*env, creds) {
	e := start(&testing.T{})
	c := context.Background()
	root := e.iam(e.root())
	if _, err := root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	k, err := root.CreateAccessKey(c, &iam.CreateAccessKeyInput{UserName: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/bench"},"Action":"sts:AssumeRole"}]}`
	if _, err := root.CreateRole(c, &iam.CreateRoleInput{RoleName: aws.String("bench"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		b.Fatal(err)
	}
	return e, creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}
}

// BenchmarkAssumeRoleInProcess is the whole AssumeRole path but the socket:
// decode, verify, authorize against the trust policy, mint, encode.
func BenchmarkAssumeRoleInProcess(b *testing.B) {
	e, user := benchSetup(b)
	do := benchRequest(b, e, user, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A"+testAccount+"%3Arole%2Fbench&RoleSessionName=bench")
	if rec := do(); rec.Code != http.StatusOK {
		b.Fatalf("%d %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rec := do(); rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkGetCallerIdentityInProcess(b *testing.B) {
	e, user := benchSetup(b)
	do := benchRequest(b, e, user, "Action=GetCallerIdentity&Version=2011-06-15")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rec := do(); rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}
