// Package authmsg builds, seals and opens encoded authorization failure
// messages: the opaque text an AccessDenied may carry ("Encoded authorization
// failure message: …") that only sts:DecodeAuthorizationMessage turns back
// into the decision's details.
//
// The decoded form is AWS's documented JSON: allowed, explicitDeny,
// matchedStatements, failures, and the request context (principal, action,
// resource, conditions). The encoded form is mantle's own: the JSON sealed
// with XChaCha20-Poly1305 under a key derived from a server secret, in
// unpadded URL-safe base64, so that callers cannot read or forge it.
//
// The package depends only on auth and policy, so internal/authz can import it
// to attach messages to its denials.
package authmsg

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/policy"
)

// Message is a decoded authorization message in AWS's shape.
type Message struct {
	Allowed           bool             `json:"allowed"`
	ExplicitDeny      bool             `json:"explicitDeny"`
	MatchedStatements Items[Statement] `json:"matchedStatements"`
	Failures          Items[string]    `json:"failures"`
	Context           Context          `json:"context"`
}

// Items is AWS's {"items": [...]} list wrapper.
type Items[T any] struct {
	Items []T `json:"items"`
}

// Statement is one statement that decided the request.
type Statement struct {
	StatementID string `json:"statementId,omitempty"`
	Effect      string `json:"effect"` // "ALLOW" or "DENY"
	// PolicyType is the kind of policy that holds it ("identity-based
	// policy", "session policy", …); PolicyID names the policy.
	PolicyType string `json:"policyType,omitempty"`
	PolicyID   string `json:"policyId,omitempty"`
}

// Context is the request as it was authorized.
type Context struct {
	Principal  Principal        `json:"principal"`
	Action     string           `json:"action"`
	Resource   string           `json:"resource"`
	Conditions Items[Condition] `json:"conditions"`
}

type Principal struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	ARN  string `json:"arn"`
}

type Condition struct {
	Key    string       `json:"key"`
	Values Items[Value] `json:"values"`
}

type Value struct {
	Value string `json:"value"`
}

// New describes a decision of the policy engine for the caller; keys are the
// action's own condition keys as they were passed to the authorizer.
func New(res *policy.Result, c *auth.Caller, action, resource string, keys []auth.Key) *Message {
	m := &Message{
		Allowed:      res.Allowed(),
		ExplicitDeny: res.Decision == policy.ExplicitDeny,
		Context: Context{
			Principal: Principal{ID: c.UserID, Name: principalName(c), ARN: c.ARN},
			Action:    action,
			Resource:  resource,
		},
	}
	m.MatchedStatements.Items = []Statement{}
	for _, ref := range res.Matched() {
		st := ref.Statement()
		eff := "ALLOW"
		if st.Effect == policy.Deny {
			eff = "DENY"
		}
		m.MatchedStatements.Items = append(m.MatchedStatements.Items, Statement{
			StatementID: st.Sid, Effect: eff, PolicyType: ref.Set.String(), PolicyID: ref.Policy.ID(),
		})
	}
	m.Failures.Items = []string{}
	if !m.Allowed {
		m.Failures.Items = append(m.Failures.Items, res.Reason())
	}
	conds := []Condition{}
	add := func(k string, vs ...string) {
		c := Condition{Key: k, Values: Items[Value]{Items: make([]Value, len(vs))}}
		for i, v := range vs {
			c.Values.Items[i] = Value{Value: v}
		}
		conds = append(conds, c)
	}
	add("aws:userid", c.UserID)
	if c.Kind == auth.KindUser {
		add("aws:username", c.Name)
	}
	add("aws:PrincipalType", c.Kind.String())
	add("aws:PrincipalAccount", c.AccountID)
	t := c.RequestTime
	if t.IsZero() {
		t = time.Now()
	}
	add("aws:CurrentTime", t.UTC().Format(time.RFC3339))
	add("aws:EpochTime", strconv.FormatInt(t.Unix(), 10))
	if c.SourceIP != "" {
		add("aws:SourceIp", c.SourceIP)
	}
	if c.Region != "" {
		add("aws:RequestedRegion", c.Region)
	}
	if c.Temporary {
		add("aws:MultiFactorAuthPresent", strconv.FormatBool(c.MFA))
	}
	if c.SourceIdentity != "" {
		add("aws:SourceIdentity", c.SourceIdentity)
	}
	for _, tg := range c.SessionTags {
		add("aws:PrincipalTag/"+tg.Key, tg.Value)
	}
	for _, k := range keys {
		add(k.Name, k.Values...)
	}
	m.Context.Conditions.Items = conds
	return m
}

func principalName(c *auth.Caller) string {
	switch c.Kind {
	case auth.KindAssumedRole, auth.KindFederatedUser:
		return c.SessionName
	}
	return c.Name
}

// ErrInvalid is returned by Decode for text that this codec did not seal.
var ErrInvalid = errors.New("authmsg: invalid message")

// Codec seals and opens messages. Every node of a deployment must build it
// from the same secret. Safe for concurrent use.
type Codec struct {
	aead cipher.AEAD
}

var encoding = base64.RawURLEncoding

// NewCodec derives the message key from secret (at least 32 bytes of key
// material, such as the server's master key).
func NewCodec(secret []byte) (*Codec, error) {
	if len(secret) < 32 {
		return nil, errors.New("authmsg: secret shorter than 32 bytes")
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "mantle authorization message v1", chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	return &Codec{aead: aead}, nil
}

// version prefixes the sealed bytes so that the format can change.
const version = 1

// Encode seals m.
func (c *Codec) Encode(m *Message) (string, error) {
	js, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	n := c.aead.NonceSize()
	b := make([]byte, 1+n, 1+n+len(js)+c.aead.Overhead())
	b[0] = version
	_, _ = rand.Read(b[1 : 1+n])
	b = c.aead.Seal(b, b[1:1+n], js, b[:1])
	return encoding.EncodeToString(b), nil
}

// Decode opens an encoded message and returns its JSON.
func (c *Codec) Decode(s string) ([]byte, error) {
	b, err := encoding.DecodeString(s)
	n := c.aead.NonceSize()
	if err != nil || len(b) < 1+n+c.aead.Overhead() || b[0] != version {
		return nil, ErrInvalid
	}
	js, err := c.aead.Open(nil, b[1:1+n], b[1+n:], b[:1])
	if err != nil {
		return nil, ErrInvalid
	}
	return js, nil
}
