package sigv4

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mantle-iam/mantle/internal/awserr"
)

// Messages are AWS's own wording as IAM and STS (and the other Query/JSON
// services sharing their front end) return it; clients and people grep for
// them, so they are kept verbatim, trailing spaces included where AWS has them.
const (
	msgMissingAuth       = "Request is missing Authentication Token"
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgRequestExpired    = "Request has expired."
	msgHostNotSigned     = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgQueryIncomplete   = "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'. Re-examine the query-string parameters."
	msgOneMechanism      = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"
	msgPayloadMismatch   = "The provided 'x-amz-content-sha256' header does not match what was computed."
)

func missingAuthenticationToken() *awserr.Error {
	return &awserr.Error{Code: "MissingAuthenticationToken", Status: http.StatusForbidden, Message: msgMissingAuth}
}

func incompleteSignature(msg string) *awserr.Error {
	return &awserr.Error{Code: "IncompleteSignature", Status: http.StatusBadRequest, Message: msg}
}

func signatureDoesNotMatch(msg string) *awserr.Error {
	return &awserr.Error{Code: "SignatureDoesNotMatch", Status: http.StatusForbidden, Message: msg}
}

func requestExpired() *awserr.Error {
	return &awserr.Error{Code: "RequestExpired", Status: http.StatusBadRequest, Message: msgRequestExpired}
}

// queryParametersError is S3's code for a malformed X-Amz-Expires; IAM and STS
// document none of their own, and S3's wording is the only one AWS publishes.
func queryParametersError(msg string) *awserr.Error {
	return &awserr.Error{Code: "AuthorizationQueryParametersError", Status: http.StatusBadRequest, Message: msg}
}

func payloadHashMismatch() *awserr.Error {
	return &awserr.Error{Code: "XAmzContentSHA256Mismatch", Status: http.StatusBadRequest, Message: msgPayloadMismatch}
}

// missingComponents builds AWS's IncompleteSignature message for an
// Authorization header: one sentence per missing part, in AWS's order, then
// the header itself so the caller can see what arrived.
func missingComponents(credential, signature, signedHeaders, date bool, authz string) *awserr.Error {
	var b strings.Builder
	if credential {
		b.WriteString("Authorization header requires 'Credential' parameter. ")
	}
	if signature {
		b.WriteString("Authorization header requires 'Signature' parameter. ")
	}
	if signedHeaders {
		b.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
	}
	if date {
		b.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	b.WriteString("Authorization=")
	b.WriteString(authz)
	return incompleteSignature(b.String())
}

func unsupportedAlgorithm(alg string) *awserr.Error {
	return incompleteSignature("Unsupported AWS 'algorithm': '" + alg + "'")
}

func malformedCredential(cred string) *awserr.Error {
	return incompleteSignature("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + cred + "'")
}

func scopeDateMismatch(scopeDate, amzDate string) *awserr.Error {
	return signatureDoesNotMatch("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
		scopeDate + "' != '" + amzDate[:8] + "', from '" + amzDate + "'.")
}

func badTerminator(term string) *awserr.Error {
	return signatureDoesNotMatch("Credential should be scoped with a valid terminator: 'aws4_request', not '" + term + "'. ")
}

func badRegion(region string) *awserr.Error {
	return signatureDoesNotMatch("Credential should be scoped to a valid region, not '" + region + "'. ")
}

func badService(service string) *awserr.Error {
	return signatureDoesNotMatch("Credential should be scoped to correct service: '" + service + "'. ")
}

// skewMinutes renders the allowed skew the way AWS prints it ("15 min.").
func skewMinutes(d time.Duration) string {
	return strconv.FormatInt(int64(d/time.Minute), 10) + " min."
}

func signatureExpired(signed, now time.Time, skew time.Duration) *awserr.Error {
	return signatureDoesNotMatch("Signature expired: " + formatAmzDate(signed) + " is now earlier than " +
		formatAmzDate(now.Add(-skew)) + " (" + formatAmzDate(now) + " - " + skewMinutes(skew) + ")")
}

func signatureNotYetCurrent(signed, now time.Time, skew time.Duration) *awserr.Error {
	return signatureDoesNotMatch("Signature not yet current: " + formatAmzDate(signed) + " is still later than " +
		formatAmzDate(now.Add(skew)) + " (" + formatAmzDate(now) + " + " + skewMinutes(skew) + ")")
}
