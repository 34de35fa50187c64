package gate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/mantle-iam/mantle/internal/gate/authzapi"
)

// Authorizer answers the authorization API's question. Client asks mantle
// over HTTP; tests may answer in-process.
type Authorizer interface {
	Authorize(ctx context.Context, in *authzapi.Input) (*authzapi.Output, error)
}

// Client calls mantle's authorization API, signing each call with the
// gate's own credentials (which need mantle:AuthorizeRequest on the APIs'
// ARNs).
type Client struct {
	// Endpoint is mantle's URL, e.g. http://127.0.0.1:4599.
	Endpoint    string
	Region      string
	Credentials aws.CredentialsProvider
	HTTP        *http.Client
	signer      *v4.Signer
}

// NewClient returns a Client with a connection pool sized for a busy gate.
func NewClient(endpoint, region string, creds aws.CredentialsProvider) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 1024
	tr.MaxIdleConnsPerHost = 1024
	return &Client{
		Endpoint:    strings.TrimRight(endpoint, "/"),
		Region:      region,
		Credentials: aws.NewCredentialsCache(creds),
		HTTP:        &http.Client{Transport: tr, Timeout: 30 * time.Second},
		signer:      v4.NewSigner(),
	}
}

// APIError is mantle's refusal of the gate's own call (its JSON error).
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("mantle answered %d %s: %s", e.Status, e.Code, e.Message)
}

// Authorize asks mantle about one request.
func (c *Client) Authorize(ctx context.Context, in *authzapi.Input) (*authzapi.Output, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", authzapi.Target)
	creds, err := c.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("the gate's credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), authzapi.Service, c.Region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(b, &e)
		if e.Type == "" {
			e.Type = resp.Header.Get("X-Amzn-Errortype")
		}
		return nil, &APIError{Status: resp.StatusCode, Code: e.Type, Message: e.Message}
	}
	var out authzapi.Output
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("mantle's answer: %w", err)
	}
	return &out, nil
}
