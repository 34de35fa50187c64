package server

import (
	"net/http"
	"testing"

	"github.com/mantle-iam/mantle/internal/awserr"
)

// A request that does not authenticate is answered as API Gateway answers
// it, from the table of "How do I troubleshoot HTTP 403 errors from API
// Gateway?" (repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden):
// MissingAuthenticationTokenException "Missing Authentication Token",
// AccessDeniedException "The security token included in the request is
// invalid.", InvalidSignatureException "Signature expired: …"; the
// verifier's other refusals keep its message under API Gateway's type.
func TestGatewayError(t *testing.T) {
	for _, tt := range []struct {
		code, msg, wantType, wantMsg string
	}{
		{"MissingAuthenticationToken", "Request is missing Authentication Token", "MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"InvalidClientTokenId", "The security token included in the request is invalid.", "AccessDeniedException", "The security token included in the request is invalid."},
		{"ExpiredToken", "The security token included in the request is expired", "ExpiredTokenException", "The security token included in the request is expired"},
		{"SignatureDoesNotMatch", "Signature expired: 20240101T000000Z is now earlier than …", "InvalidSignatureException", "Signature expired: 20240101T000000Z is now earlier than …"},
		{"RequestExpired", "Request has expired.", "InvalidSignatureException", "Request has expired."},
		{"IncompleteSignature", "Authorization header requires 'Signature' parameter.", "IncompleteSignatureException", "Authorization header requires 'Signature' parameter."},
	} {
		status, typ, msg := gatewayError(awserr.New(tt.code, http.StatusBadRequest, "%s", tt.msg))
		if status != http.StatusForbidden || typ != tt.wantType || msg != tt.wantMsg {
			t.Errorf("%s: %d %s %q, want 403 %s %q", tt.code, status, typ, msg, tt.wantType, tt.wantMsg)
		}
	}
}

// Resource policies are validated as IAM validates resource-based policies
// (the engine's own errors, under the JSON protocol's Exception suffix) and
// cached by content.
func TestRequestAuthorizerResourcePolicy(t *testing.T) {
	ra := newRequestAuthorizer(nil, nil, defaultUnsignedLimit)
	good := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"*"}]}`
	p1, err := ra.resourcePolicy(good)
	if err != nil {
		t.Fatal(err)
	}
	if p2, _ := ra.resourcePolicy(good); p2 != p1 {
		t.Error("the same document was parsed twice")
	}
	_, err = ra.resourcePolicy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}]}`)
	if e := awserr.As(err); e == nil || e.Code != "MalformedPolicyDocumentException" || e.Status != http.StatusBadRequest {
		t.Errorf("a resource policy without a principal: %v", err)
	}
}
