package store

import (
	"context"
	"time"
)

// CredentialKind tells a user's other credentials apart: they share one
// shape (an ID, an owner, a body, a status) and one repository.
type CredentialKind string

// Credential kinds.
const (
	CredentialSSHKey      CredentialKind = "ssh-key"      // UploadSSHPublicKey (CodeCommit)
	CredentialSigningCert CredentialKind = "signing-cert" // UploadSigningCertificate
	CredentialService     CredentialKind = "service"      // CreateServiceSpecificCredential
)

// UserCredential is an IAM user's credential other than its access keys,
// password and MFA devices.
type UserCredential struct {
	Kind      CredentialKind
	ID        string // APKA… (SSH key), a certificate ID, ACCA… (service credential); unique per kind
	AccountID string
	UserID    string // "" for the root user's
	// Body is the SSH public key as uploaded or the PEM certificate.
	Body        string
	Fingerprint string // the SSH key's MD5 fingerprint
	ServiceName string // service credentials: codecommit.amazonaws.com, …
	// ServiceUserName is the user name the service credential signs in
	// with (CodeCommit, Keyspaces) or "" (Bedrock API keys).
	ServiceUserName string
	// Secret is the service password, sealed under the master key.
	Secret    []byte
	Status    string // "Active", "Inactive" (and "Expired" is computed, not stored)
	CreatedAt time.Time
	ExpiresAt *time.Time
}

type UserCredentials interface {
	// Create fails with ErrAlreadyExists when the kind has the ID already.
	Create(ctx context.Context, c *UserCredential) error
	Get(ctx context.Context, kind CredentialKind, id string) (*UserCredential, error)
	// ListForUser lists a user's credentials of a kind (userID "" for the
	// root user's), oldest first.
	ListForUser(ctx context.Context, kind CredentialKind, accountID, userID string) ([]*UserCredential, error)
	// Update rewrites the status, secret and expiry.
	Update(ctx context.Context, c *UserCredential) error
	Delete(ctx context.Context, kind CredentialKind, id string) error
}

// ServerCertificate is an account's X.509 server certificate with its
// private key (UploadServerCertificate).
type ServerCertificate struct {
	AccountID  string
	ID         string // ASCA…
	Name       string // unique in the account in any letter case
	Path       string
	Body       string
	Chain      string
	PrivateKey []byte // sealed under the master key
	Expiration time.Time
	UploadedAt time.Time
	Tags       []Tag
}

type ServerCertificates interface {
	// Create fails with ErrAlreadyExists for a name the account has.
	Create(ctx context.Context, c *ServerCertificate) error
	Get(ctx context.Context, accountID, name string) (*ServerCertificate, error)
	// Update rewrites name, path and tags by ID.
	Update(ctx context.Context, c *ServerCertificate) error
	Delete(ctx context.Context, id string) error
	// List pages in name order (ListOptions).
	List(ctx context.Context, accountID string, opt ListOptions) ([]*ServerCertificate, error)
}

// AccountSettings holds an account's named settings that are not an
// entity: the STS global endpoint token version, outbound web identity
// federation.
type AccountSettings interface {
	// Get returns ErrNotFound for a setting never put.
	Get(ctx context.Context, accountID, name string) (string, error)
	Put(ctx context.Context, accountID, name, value string) error
}
