package token

import (
	"fmt"
	"time"
)

// MaxSessionLifetime is the longest any STS session can last (GetSessionToken
// and GetFederationToken allow 36 hours). A key that stopped sealing tokens
// this long ago can no longer open an unexpired token.
const MaxSessionLifetime = 36 * time.Hour

// Kind says which STS operation created a session, which decides how the
// principal fields are read and how the caller's ARN is built.
type Kind uint8

const (
	kindInvalid Kind = iota
	// KindAssumedRole is a role session (AssumeRole and its WebIdentity and
	// SAML variants): PrincipalID is the role's AROA ID, PrincipalName the
	// role name, Path the role path and SessionName the role session name.
	KindAssumedRole
	// KindFederatedUser is a GetFederationToken session: PrincipalName is the
	// federated user name, PrincipalID the calling IAM user's ID.
	KindFederatedUser
	// KindUserSession is an IAM user's GetSessionToken session: PrincipalID
	// and PrincipalName are the user's ID and name, Path the user's path.
	KindUserSession
	// KindRootSession is the root user's GetSessionToken session.
	KindRootSession
	kindEnd
)

func (k Kind) String() string {
	switch k {
	case KindAssumedRole:
		return "assumed-role"
	case KindFederatedUser:
		return "federated-user"
	case KindUserSession:
		return "user-session"
	case KindRootSession:
		return "root-session"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool { return k > kindInvalid && k < kindEnd }

// Tag is a session tag.
type Tag struct {
	Key, Value string
}

// Claims is everything a session token asserts. Times are kept to the second
// (AWS reports expirations to the second) and come back from Open in UTC; empty
// slices come back nil.
type Claims struct {
	Kind      Kind
	AccountID string
	// AccessKeyID is the ASIA… key ID the token belongs to; a request must be
	// signed with this ID and SecretAccessKey.
	AccessKeyID     string
	SecretAccessKey string

	IssuedAt  time.Time
	ExpiresAt time.Time

	// PrincipalID, PrincipalName, Path and SessionName are read according to
	// Kind.
	PrincipalID   string
	PrincipalName string
	Path          string
	SessionName   string

	// SourceArn is the identity that obtained the session: a user's ARN, or
	// the previous session's ARN when roles are chained. It is kept for audit.
	SourceArn      string
	SourceIdentity string
	// FederatedProvider is the IAM OIDC provider ARN of a session obtained
	// with AssumeRoleWithWebIdentity (aws:FederatedProvider); empty otherwise.
	FederatedProvider string

	MFAAuthenticated bool
	// MFAAuthTime is when MFA was presented; zero if unknown.
	MFAAuthTime time.Time

	Tags              []Tag
	TransitiveTagKeys []string

	// SessionPolicy is the inline session policy document, empty if none.
	SessionPolicy     string
	SessionPolicyARNs []string

	// ChainDepth counts the role sessions that led to this one: 0 for a
	// session obtained with long-term credentials, 1 for a role assumed from
	// a role session, and so on.
	ChainDepth int
}

// RoleChained reports whether the session was obtained with another
// session's credentials, which caps it at one hour.
func (c *Claims) RoleChained() bool { return c.ChainDepth > 0 }

// Expired reports whether the session has expired at now. Open does not check
// expiry so that the caller can report ExpiredToken rather than an invalid
// token.
func (c *Claims) Expired(now time.Time) bool { return !now.Before(c.ExpiresAt) }

// packedEmpty reports whether the session has nothing that counts towards the
// packed policy allowance.
func (c *Claims) packedEmpty() bool {
	return len(c.Tags) == 0 && len(c.TransitiveTagKeys) == 0 &&
		c.SessionPolicy == "" && len(c.SessionPolicyARNs) == 0
}
