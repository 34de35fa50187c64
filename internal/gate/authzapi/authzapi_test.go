package authzapi

import (
	"testing"

	"github.com/mantle-iam/mantle/internal/sigv4"
)

// FuzzSignedRequest: whatever a gateway sends, rebuilding the client's
// request and reading its signature's scope neither panics nor yields a
// request whose path is not the one sent.
func FuzzSignedRequest(f *testing.F) {
	f.Add("GET", "/prod/pets", "a=1", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=00", "h")
	f.Add("GET", "//", "X-Amz-Credential=a%2F&X-Amz-Signature=", "", "")
	f.Fuzz(func(t *testing.T, method, path, query, authz, host string) {
		r := SignedRequest{Method: method, Path: path, Query: query, Headers: map[string][]string{"authorization": {authz}, "HOST": {host}}}
		req, err := r.HTTPRequest()
		if err != nil {
			return
		}
		if req.Host != host || req.Header.Get("Authorization") != authz {
			t.Fatalf("headers not kept: %q %v", req.Host, req.Header)
		}
		sigv4.ParseScope(req)
	})
}

func TestValidate(t *testing.T) {
	ok := Input{Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:us-east-1:111122223333:a/prod/GET/", Request: SignedRequest{Method: "GET", Path: "/", SourceIP: "127.0.0.1"}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Input){
		"no action":     func(in *Input) { in.Action = "" },
		"bare action":   func(in *Input) { in.Action = "Invoke" },
		"resource":      func(in *Input) { in.Resource = "*" },
		"method":        func(in *Input) { in.Request.Method = "" },
		"relative path": func(in *Input) { in.Request.Path = "prod" },
		"source ip":     func(in *Input) { in.Request.SourceIP = "localhost" },
	} {
		in := ok
		mod(&in)
		if err := in.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
