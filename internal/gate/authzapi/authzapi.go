// Package authzapi is the wire form of mantle's authorization API
// (AuthorizeRequest, served by internal/server, called by mantle gate and
// by any gateway that wants mantle's decisions): JSON 1.1 over HTTP,
// signed by the caller with SigV4 for the service "mantle".
package authzapi

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/mantle-iam/mantle/internal/api/wire"
	"github.com/mantle-iam/mantle/internal/awserr"
)

// The API: a gateway (mantle gate, or nginx through it)
// hands mantle a request its client signed, and mantle answers who signed
// it and whether that principal may perform the action on the resource,
// with the whole policy engine (identity, boundary, session policies,
// organization policies, the resource's own policy, cross-account rules,
// condition keys). The gateway signs its own call (JSON 1.1, service
// Service) and needs AskAction on the resource it asks about,
// so a principal may only ask about resources its own account lets it.
const (
	Service      = "mantle"
	TargetPrefix = "MantleAuthorization"
	Operation    = "AuthorizeRequest"
	// Target is the X-Amz-Target header of a call.
	Target    = TargetPrefix + "." + Operation
	AskAction = "mantle:AuthorizeRequest"
)

// Input is the authorization API's request.
type Input struct {
	Action   string `json:"Action"`
	Resource string `json:"Resource"`
	// ResourcePolicy is the resource's own policy (an API's resource
	// policy), validated as IAM validates resource-based policies.
	ResourcePolicy string `json:"ResourcePolicy,omitempty"`
	// Service is the credential scope's service the client must have
	// signed for; by default the action's prefix ("execute-api").
	Service string        `json:"Service,omitempty"`
	Request SignedRequest `json:"Request"`
}

// SignedRequest is the client's request as the gateway received it.
type SignedRequest struct {
	Method string `json:"Method"`
	// Path and Query are as sent on the wire (escaped), since the
	// signature covers them in that form.
	Path    string              `json:"Path"`
	Query   string              `json:"Query,omitempty"`
	Headers map[string][]string `json:"Headers"`
	// BodySHA256 is the lower-case hex SHA-256 of the body received.
	BodySHA256      string `json:"BodySHA256"`
	SourceIP        string `json:"SourceIp"`
	SecureTransport bool   `json:"SecureTransport,omitempty"`
	UserAgent       string `json:"UserAgent,omitempty"`
}

// Output is the answer. A request that does not
// authenticate is not an error of the call: Authenticated is false and
// ErrorType/Message say what API Gateway would answer.
type Output struct {
	Authenticated bool           `json:"Authenticated"`
	Allowed       bool           `json:"Allowed"`
	Principal     *PrincipalInfo `json:"Principal,omitempty"`
	// Decision is the engine's: allowed, explicitDeny, implicitDeny.
	Decision string `json:"Decision,omitempty"`
	// Status, ErrorType and Message are API Gateway's answer to a refused
	// request (403, its x-amzn-ErrorType, the body's message).
	Status            int                `json:"Status,omitempty"`
	ErrorType         string             `json:"ErrorType,omitempty"`
	Message           string             `json:"Message,omitempty"`
	MatchedStatements []MatchedStatement `json:"MatchedStatements,omitempty"`
}

// PrincipalInfo is who signed the request.
type PrincipalInfo struct {
	ARN         string `json:"Arn"`
	AccountID   string `json:"AccountId"`
	UserID      string `json:"UserId"`
	Type        string `json:"Type"` // aws:PrincipalType
	AccessKeyID string `json:"AccessKeyId"`
	// UserName is the user's name; SessionName a role session's or
	// federated user's.
	UserName       string     `json:"UserName,omitempty"`
	SessionName    string     `json:"SessionName,omitempty"`
	RoleARN        string     `json:"RoleArn,omitempty"`
	SourceIdentity string     `json:"SourceIdentity,omitempty"`
	Tags           []KeyValue `json:"Tags,omitempty"`
}

// KeyValue is one principal tag.
type KeyValue struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// MatchedStatement is a statement that decided.
type MatchedStatement struct {
	PolicyID   string `json:"PolicyId"`
	PolicyType string `json:"PolicyType"`
	Sid        string `json:"Sid,omitempty"`
	Effect     string `json:"Effect"`
}

// AppendJSON encodes the output (JSON 1.1 response body).
func (o *Output) AppendJSON(dst []byte) []byte {
	b, _ := json.Marshal(o)
	return append(dst, b...)
}

// The output is not recorded (the event says the decision); the input
// records the request as API Gateway's events would.
func (o *Output) AppendAudit(b []byte) ([]byte, bool) { return b, false }
func (o *Output) StringField(string) string           { return "" }
func (o *Output) StructField(string) wire.Fields      { return nil }

func invalid(format string, args ...any) error {
	return awserr.New("ValidationException", http.StatusBadRequest, format, args...)
}

// Validate checks what the server needs before it looks at the signature.
func (in *Input) Validate() error {
	switch {
	case in.Action == "" || !strings.Contains(in.Action, ":"):
		return invalid("Action must be SERVICE:ACTION, e.g. execute-api:Invoke.")
	case !strings.HasPrefix(in.Resource, "arn:"):
		return invalid("Resource must be an ARN.")
	case in.Request.Method == "":
		return invalid("Request.Method is required.")
	case !strings.HasPrefix(in.Request.Path, "/"):
		return invalid("Request.Path must start with '/'.")
	case net.ParseIP(in.Request.SourceIP) == nil:
		return invalid("Request.SourceIp must be an IP address.")
	}
	return nil
}

// HTTPRequest rebuilds the client's request as a server would have
// received it, for the verifier.
func (r *SignedRequest) HTTPRequest() (*http.Request, error) {
	uri := r.Path
	if r.Query != "" {
		uri += "?" + r.Query
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, err
	}
	req := &http.Request{Method: r.Method, URL: u, RequestURI: uri, Header: make(http.Header, len(r.Headers))}
	for k, vs := range r.Headers {
		if strings.EqualFold(k, "Host") {
			if len(vs) > 0 {
				req.Host = vs[0]
			}
			continue
		}
		ck := http.CanonicalHeaderKey(k)
		req.Header[ck] = append(req.Header[ck], vs...)
	}
	return req, nil
}
