// Package auth describes who is calling: the principal a verified request
// acts as, with the facts of its session that authorization and the audit
// trail need. internal/server builds a Caller for every signed request;
// domain services receive it as a parameter and pass it to their Authorizer.
package auth

import (
	"context"
	"time"
)

// Kind is the kind of principal behind a request.
type Kind int

const (
	KindRoot          Kind = iota + 1 // the account's root user
	KindUser                          // an IAM user with long-term keys
	KindAssumedRole                   // a role session (AssumeRole*)
	KindFederatedUser                 // GetFederationToken
	// KindIdentityProvider is an OIDC or SAML provider (ARN is the
	// provider's): the principal AssumeRoleWithWebIdentity and
	// AssumeRoleWithSAML present to a role's trust policy.
	KindIdentityProvider
)

// String is the aws:PrincipalType value AWS uses for the kind.
func (k Kind) String() string {
	switch k {
	case KindRoot:
		return "Account"
	case KindUser:
		return "User"
	case KindAssumedRole:
		return "AssumedRole"
	case KindFederatedUser:
		return "FederatedUser"
	case KindIdentityProvider:
		return "Federated"
	}
	return "Unknown"
}

// Tag is a principal or session tag.
type Tag struct {
	Key   string
	Value string
}

// Caller is a verified principal and the facts of the request that carry
// into authorization (aws:SourceIp, aws:SecureTransport, …).
type Caller struct {
	Kind      Kind
	AccountID string
	// ARN is what GetCallerIdentity returns: a user or root ARN, or an STS
	// assumed-role / federated-user ARN.
	ARN string
	// UserID is aws:userid: AIDA… for a user, AROA…:session for a role
	// session, ACCOUNT:name for a federated user, the account ID for root.
	UserID string
	// ID is the IAM entity ID (user ID or role ID); the account ID for root.
	ID string
	// Name is the user or role name ("" for root); Path its path.
	Name string
	Path string
	// SessionName is the role session or federated user name.
	SessionName string

	AccessKeyID string
	// Temporary is true for credentials with a session token.
	Temporary bool
	// SessionToken marks GetSessionToken credentials of a user or root
	// (Kind is then KindUser or KindRoot): AWS limits what they may call.
	SessionToken   bool
	MFA            bool
	MFAAuthTime    time.Time
	TokenIssueTime time.Time
	Expiration     time.Time
	SourceIdentity string
	// FederatedProvider is aws:FederatedProvider: the OIDC provider ARN of
	// a web identity session.
	FederatedProvider string
	// SessionTags are the session's tags; aws:PrincipalTag is the user's or
	// role's tags overridden by these.
	SessionTags       []Tag
	TransitiveTagKeys []string
	// SourceARN is who obtained the session (a user, or the previous
	// session when roles are chained), for the audit trail.
	SourceARN string
	// SessionPolicy and SessionPolicyARNs restrict a session; empty when none.
	SessionPolicy     string
	SessionPolicyARNs []string
	// ChainDepth is 0 for long-term credentials, 1 for a session obtained
	// with them, 2 and more down a chain of role sessions.
	ChainDepth int

	SourceIP        string
	SecureTransport bool
	Region          string
	UserAgent       string
	RequestTime     time.Time
	RequestID       string
}

// IsRoot reports whether the caller is the account's root user (with
// long-term or GetSessionToken credentials).
func (c *Caller) IsRoot() bool { return c.Kind == KindRoot }

// Key is one extra request-context key for authorization: a service key such
// as iam:PermissionsBoundary, or aws:RequestTag/k, aws:TagKeys.
type Key struct {
	Name   string
	Values []string
}

// Authorizer decides whether the caller may perform action on resource. It
// returns nil or an *awserr.Error (AccessDenied with AWS's message). Domain
// services call it after they know the resource's ARN.
type Authorizer interface {
	Authorize(ctx context.Context, c *Caller, action, resource string, keys ...Key) error
}
