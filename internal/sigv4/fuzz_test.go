package sigv4

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/awserr"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		"AWS4-HMAC-SHA256 Credential=a/b/c/d/e,SignedHeaders=host,Signature=00",
		"AWS4-HMAC-SHA256  Signature=x , Credential= y ,SignedHeaders=",
		"Bearer abc", "", " ", "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 ,,,==,", "AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f, SignedHeaders=host, Signature=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		p := parseAuthorization(h)
		for _, part := range []string{p.algorithm, p.credential, p.signedHeaders, p.signature} {
			if !strings.Contains(h, part) {
				t.Fatalf("%q is not part of %q", part, h)
			}
		}
		r := &http.Request{Method: "GET", URL: &url.URL{Path: "/"}, Header: http.Header{
			"Authorization": {h}, "X-Amz-Date": {"20150830T123600Z"}}, Host: "example.com"}
		sc, err := ParseScope(r)
		if err != nil {
			if awserr.As(err) == nil {
				t.Fatalf("non-AWS error %v", err)
			}
			return
		}
		if sc.AccessKeyID+"/"+sc.scope != p.credential || !signsHost(sc.signedHeaders) {
			t.Fatalf("scope %+v from %q", sc, h)
		}
	})
}

// FuzzVerify throws arbitrary request targets, headers and bodies at Verify;
// it must answer every one with an *awserr.Error or success, never a panic.
func FuzzVerify(f *testing.F) {
	f.Add("POST", "/", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		"20150830T123600Z", "My-Header1: a  b ;X-Amz-Content-Sha256: UNSIGNED-PAYLOAD", "Action=ListUsers")
	f.Add("GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d",
		"", "", "", "")
	f.Add("GET", "//a/./b/../%zz/%41?x&&=y&+%2=&X-Amz-Security-Token=t", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;my-header1;content-length, Signature=00",
		"Mon, 30 Aug 2015 12:36:00 GMT", "My-Header1:;Content-Length: 3", "abc")
	f.Add("GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20150830%2Fr%2Fs%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=-1&X-Amz-Signature=0", "", "", "", "")
	v := NewVerifier(WithClock(func() time.Time { return time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC) }), WithCacheSize(16))
	src := SecretFunc(func(_ context.Context, akid, _ string) (string, error) {
		if akid == "AKIDEXAMPLE" {
			return "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", nil
		}
		return "", &awserr.Error{Code: "InvalidClientTokenId", Status: 403, Message: "The security token included in the request is invalid."}
	})
	f.Fuzz(func(t *testing.T, method, target, authz, date, headers, body string) {
		path, query, _ := strings.Cut(target, "?")
		r := &http.Request{Method: method, RequestURI: target, URL: &url.URL{Path: path, RawQuery: query},
			Host: "example.amazonaws.com", Header: http.Header{}}
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		if date != "" {
			r.Header.Set("X-Amz-Date", date)
		}
		for _, h := range strings.Split(headers, ";") {
			if k, v, ok := strings.Cut(h, ":"); ok {
				r.Header.Add(k, v)
			}
		}
		_, err := v.Verify(context.Background(), r, []byte(body), src)
		if err != nil && awserr.As(err) == nil {
			t.Fatalf("non-AWS error %v", err)
		}
	})
}
