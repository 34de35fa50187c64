package sigv4

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/mantle-iam/mantle/internal/awserr"
)

// TestErrors pins the code, status and message AWS returns for each way a
// signature can fail.
func TestErrors(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 30, 0, 0, time.UTC)
	v := NewVerifier(WithClock(func() time.Time { return now }), WithServices("iam", "sts"))
	const body = "Action=ListUsers&Version=2010-05-08"
	signed := func(at time.Time, creds aws.Credentials, service string) func(t *testing.T) (*http.Request, []byte) {
		return func(t *testing.T) (*http.Request, []byte) {
			return overTheWire(t, signQuery(t, "iam.amazonaws.com", service, creds, body, at))
		}
	}
	valid := signed(now, longTerm, "iam")
	withAuthz := func(authz string) func(t *testing.T) (*http.Request, []byte) {
		return func(t *testing.T) (*http.Request, []byte) {
			r, b := valid(t)
			r.Header.Set("Authorization", authz)
			return r, b
		}
	}
	editAuthz := func(old, new string) func(t *testing.T) (*http.Request, []byte) {
		return func(t *testing.T) (*http.Request, []byte) {
			r, b := valid(t)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
			return r, b
		}
	}
	presigned := func(query string) func(t *testing.T) (*http.Request, []byte) {
		return func(t *testing.T) (*http.Request, []byte) {
			r, _ := http.NewRequest(http.MethodGet, "https://sts.amazonaws.com/?"+query, nil)
			return overTheWire(t, r)
		}
	}
	presignedAt := func(at time.Time, expires string) func(t *testing.T) (*http.Request, []byte) {
		return func(t *testing.T) (*http.Request, []byte) {
			return overTheWire(t, presign(t, "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires="+expires,
				"sts", longTerm, nil, at))
		}
	}
	const sigMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	tests := []struct {
		name   string
		req    func(t *testing.T) (*http.Request, []byte)
		code   string
		status int
		msg    string // exact, or prefix when it ends in "…"
	}{
		{"no authentication", presigned("Action=ListUsers"), "MissingAuthenticationToken", 403, "Request is missing Authentication Token"},
		{"bearer token", withAuthz("Bearer abc"), "IncompleteSignature", 400,
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer abc"},
		{"missing signature", editAuthz(", Signature=", ", Sig="), "IncompleteSignature", 400, "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 …"},
		{"missing date", func(t *testing.T) (*http.Request, []byte) {
			r, b := valid(t)
			r.Header.Del("X-Amz-Date")
			return r, b
		}, "IncompleteSignature", 400, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 …"},
		{"unknown algorithm", editAuthz("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"), "IncompleteSignature", 400, "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'"},
		{"credential with four parts", editAuthz("/aws4_request", ""), "IncompleteSignature", 400,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/iam'"},
		{"host not signed", editAuthz("SignedHeaders=content-length;content-type;host;", "SignedHeaders=content-length;content-type;"), "IncompleteSignature", 400,
			"'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{"scope date differs", editAuthz("/20240101/", "/20240102/"), "SignatureDoesNotMatch", 403,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240102' != '20240101', from '20240101T003000Z'."},
		{"bad terminator", editAuthz("/aws4_request", "/aws5_request"), "SignatureDoesNotMatch", 403,
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "},
		{"service not served", signed(now, longTerm, "ec2"), "SignatureDoesNotMatch", 403, "Credential should be scoped to correct service: 'ec2'. "},
		{"unknown key", signed(now, aws.Credentials{AccessKeyID: "AKIANOTKNOWN", SecretAccessKey: "x"}, "iam"), "InvalidClientTokenId", 403,
			"The security token included in the request is invalid."},
		{"wrong secret", signed(now, aws.Credentials{AccessKeyID: longTerm.AccessKeyID, SecretAccessKey: "wrong"}, "iam"), "SignatureDoesNotMatch", 403, sigMismatch},
		{"signed too long ago", signed(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), longTerm, "iam"), "SignatureDoesNotMatch", 403,
			"Signature expired: 20240101T000000Z is now earlier than 20240101T001500Z (20240101T003000Z - 15 min.)"},
		{"signed in the future", signed(time.Date(2024, 1, 1, 0, 50, 0, 0, time.UTC), longTerm, "iam"), "SignatureDoesNotMatch", 403,
			"Signature not yet current: 20240101T005000Z is still later than 20240101T004500Z (20240101T003000Z + 15 min.)"},
		{"skew limit is inclusive", signed(now.Add(-15*time.Minute), longTerm, "iam"), "", 0, ""},
		{"payload hash of another body", func(t *testing.T) (*http.Request, []byte) {
			return overTheWire(t, signPayload(t, "iam", hashHex([]byte("Action=DeleteUser")), body, now))
		}, "SignatureDoesNotMatch", 403, sigMismatch},
		{"two mechanisms", func(t *testing.T) (*http.Request, []byte) {
			r, b := valid(t)
			r.URL.RawQuery = "X-Amz-Signature=00"
			return r, b
		}, "IncompleteSignature", 400, msgOneMechanism},
		{"presigned incomplete", presigned("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240101%2Fus-east-1%2Fsts%2Faws4_request"),
			"IncompleteSignature", 400, msgQueryIncomplete},
		{"presigned unknown algorithm", presigned("X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential=A%2F20240101%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20240101T003000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00"),
			"IncompleteSignature", 400, "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1'"},
		{"presigned expired", presignedAt(now.Add(-61*time.Second), "60"), "RequestExpired", 400, "Request has expired."},
		{"presigned at its expiry", presignedAt(now.Add(-60*time.Second), "60"), "", 0, ""},
		{"presigned long-lived", presignedAt(now.Add(-6*24*time.Hour), "604800"), "", 0, ""},
		{"presigned in the future", presignedAt(now.Add(16*time.Minute), "60"), "SignatureDoesNotMatch", 403,
			"Signature not yet current: 20240101T004600Z is still later than 20240101T004500Z (20240101T003000Z + 15 min.)"},
		{"presigned expires too long", presignedAt(now, "604801"), "AuthorizationQueryParametersError", 400,
			"X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"},
		{"presigned expires zero", presignedAt(now, "0"), "AuthorizationQueryParametersError", 400, "X-Amz-Expires must be at least 1 second"},
		{"presigned expires negative", presignedAt(now, "-5"), "AuthorizationQueryParametersError", 400, "X-Amz-Expires must be non-negative"},
		{"presigned expires not a number", presignedAt(now, "soon"), "AuthorizationQueryParametersError", 400, "X-Amz-Expires should be a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := tt.req(t)
			_, err := v.Verify(context.Background(), r, body, testSecrets)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			e := awserr.As(err)
			if e == nil {
				t.Fatalf("Verify = %v, want %s", err, tt.code)
			}
			if e.Code != tt.code || e.Status != tt.status {
				t.Errorf("got %s/%d, want %s/%d (%s)", e.Code, e.Status, tt.code, tt.status, e.Message)
			}
			if prefix, ok := strings.CutSuffix(tt.msg, "…"); ok {
				if !strings.HasPrefix(e.Message, prefix) {
					t.Errorf("message %q, want prefix %q", e.Message, prefix)
				}
			} else if e.Message != tt.msg {
				t.Errorf("message %q\nwant    %q", e.Message, tt.msg)
			}
		})
	}
}

func TestDateHeader(t *testing.T) {
	// A signer may date the request with Date instead of X-Amz-Date; the
	// string to sign still uses the ISO 8601 basic form.
	now := time.Date(2024, 1, 1, 0, 30, 0, 0, time.UTC)
	v := NewVerifier(WithClock(func() time.Time { return now }))
	for _, date := range []string{"20240101T002900Z", "Mon, 01 Jan 2024 00:29:00 GMT"} {
		t.Run(date, func(t *testing.T) {
			r, body := overTheWire(t, signQuery(t, "iam.amazonaws.com", "iam", longTerm, "Action=ListUsers", now.Add(-time.Minute)))
			r.Header.Del("X-Amz-Date")
			r.Header.Set("Date", date)
			// Re-sign by hand with date in place of x-amz-date.
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "x-amz-date", "date", 1))
			sc, err := ParseScope(r)
			if err != nil {
				t.Fatal(err)
			}
			amzDate, _, err := v.checkScope(&sc)
			if err != nil || amzDate != "20240101T002900Z" {
				t.Fatalf("checkScope = %q, %v", amzDate, err)
			}
			s := &scratch{}
			ph, _, _ := v.payloadHash(r, body, &sc, s)
			pads := newPads(deriveKey(longTerm.SecretAccessKey, "20240101", "us-east-1", "iam"))
			sig := v.sign(r, &sc, ph, amzDate, &pads, true, false, s)
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.Index(a, "Signature=")+len("Signature=")]+string(sig[:]))
			res, err := v.Verify(context.Background(), r, body, testSecrets)
			if err != nil {
				t.Fatal(err)
			}
			if !res.SignedAt.Equal(now.Add(-time.Minute)) {
				t.Errorf("SignedAt %v", res.SignedAt)
			}
		})
	}
}

// signPayload signs a Query POST of body with payloadHash as the payload
// line and the X-Amz-Content-Sha256 header, as S3-style signers do.
func signPayload(t *testing.T, service, payloadHash, body string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "https://iam.amazonaws.com/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	if err := signer().SignHTTP(context.Background(), longTerm, req, payloadHash, service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return req
}

// TestPayloadHash: outside S3, the payload line is the SHA-256 of the body
// received, whatever X-Amz-Content-Sha256 claims. AWS's other services
// answer a signature over anything else with SignatureDoesNotMatch (only S3
// documents UNSIGNED-PAYLOAD and the STREAMING-… markers,
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html;
// signers that send UNSIGNED-PAYLOAD elsewhere get SignatureDoesNotMatch,
// apache/opendal-reqsign#346). Otherwise a captured request's body could be
// swapped within the signature's 15 minutes.
func TestPayloadHash(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 30, 0, 0, time.UTC)
	const body = "Action=ListUsers&Version=2010-05-08"
	const swapped = "Action=CreateUser&UserName=mallory&Version=2010-05-08"
	tests := []struct {
		service, hash, sent string // sent: the body that arrives
		code                string
		unsigned            bool
	}{
		{"iam", hashHex([]byte(body)), body, "", false},
		{"iam", hashHex([]byte(body)), swapped, "SignatureDoesNotMatch", false},
		{"iam", "UNSIGNED-PAYLOAD", body, "SignatureDoesNotMatch", false},
		{"iam", "UNSIGNED-PAYLOAD", swapped, "SignatureDoesNotMatch", false},
		{"sts", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", swapped, "SignatureDoesNotMatch", false},
		{"sts", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", swapped, "SignatureDoesNotMatch", false},
		{"organizations", "x", swapped, "SignatureDoesNotMatch", false},
		{"cloudtrail", "", swapped, "SignatureDoesNotMatch", false},
		{"iam", hashHex([]byte(swapped)), swapped + "&x=1", "SignatureDoesNotMatch", false},
		{"iam", strings.ToUpper(hashHex([]byte(body))), body, "SignatureDoesNotMatch", false},
		// S3 honours the header: that is its protocol.
		{"s3", "UNSIGNED-PAYLOAD", swapped, "", true},
		{"s3", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", swapped, "", true},
		{"s3", hashHex([]byte(body)), body, "", false},
		{"s3", hashHex([]byte(body)), swapped, "XAmzContentSHA256Mismatch", false},
	}
	v := NewVerifier(WithClock(func() time.Time { return now }))
	for _, tt := range tests {
		t.Run(tt.service+"/"+tt.hash, func(t *testing.T) {
			r, _ := overTheWire(t, signPayload(t, tt.service, tt.hash, body, now))
			res, err := v.Verify(context.Background(), r, []byte(tt.sent), testSecrets)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if res.UnsignedPayload != tt.unsigned {
					t.Errorf("UnsignedPayload = %v", res.UnsignedPayload)
				}
				return
			}
			if e := awserr.As(err); e == nil || e.Code != tt.code {
				t.Fatalf("Verify = %v, want %s", err, tt.code)
			}
		})
	}
}
