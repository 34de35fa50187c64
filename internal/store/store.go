package store

import (
	"context"
	"errors"
	"time"
)

// Errors every backend returns, wrapped with %w and tested with errors.Is.
// They say nothing of HTTP or AWS codes: internal/iam maps them.
var (
	ErrNotFound      = errors.New("store: not found")
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict means the write would break a reference (a foreign key),
	// or lost a race with another writer.
	ErrConflict = errors.New("store: conflict")
	// ErrNotCurrent means this node cannot prove it has applied every
	// committed change (see Store.Current).
	ErrNotCurrent = errors.New("store: this node is not known to be current")
)

// Store is a backend: repositories bound to the database for reads, and
// Change and Tx for writes. A backend begins, commits and (on serialization
// failures) retries the transaction; fn may therefore run more than once and
// must not have side effects outside tx. Inside fn, write only through tx. A
// store error inside fn (ErrNotFound, ErrAlreadyExists) leaves the
// transaction usable: fn may handle it and go on to commit.
//
// Several nodes may share one store (PostgreSQL); the store is what makes
// them one service, through the change contract of Change, Generation and
// Current (change.go).
type Store interface {
	Repos
	// Change runs fn as a write that may change what any node caches or
	// decides (every IAM and Organizations write). See change.go.
	Change(ctx context.Context, fn func(ctx context.Context, tx Repos) error) error
	// Tx runs fn as bookkeeping: a write that changes nothing any node
	// caches or decides on (last-use times, MFA counters, audit batches,
	// first-start setup that precedes serving). It stages nothing, announces
	// nothing and leaves the generation alone.
	Tx(ctx context.Context, fn func(ctx context.Context, tx Repos) error) error
	// Generation counts the changes this node has applied: it advances
	// after every Change committed here or on another node, and whenever
	// the node may have missed one. Caches key on it (Cache).
	Generation() uint64
	// Current returns nil while this node can prove it has applied every
	// committed change, and ErrNotCurrent (wrapped) otherwise: it must then
	// not authorize anything until it is current again.
	Current() error
	// Lock runs fn while no other node of the store runs fn under the same
	// name, so nodes starting together on an empty store bootstrap it once.
	Lock(ctx context.Context, name string, fn func(ctx context.Context) error) error
	Close() error
}

// Repos groups the repositories by entity. The same interfaces serve reads
// outside a transaction (Store) and reads and writes inside one (Tx).
type Repos interface {
	Accounts() Accounts
	Users() Users
	AccessKeys() AccessKeys
	LoginProfiles() LoginProfiles
	Groups() Groups
	Roles() Roles
	Policies() Policies
	AWSPolicies() AWSPolicies
	Jobs() Jobs
	Attachments() Attachments
	InlinePolicies() InlinePolicies
	InstanceProfiles() InstanceProfiles
	MFADevices() MFADevices
	OIDCProviders() OIDCProviders
	SAMLProviders() SAMLProviders
	Organizations() Organizations
	SigningKeys() SigningKeys
	Events() Events
	UserCredentials() UserCredentials
	ServerCertificates() ServerCertificates
	AccountSettings() AccountSettings
}

// ListOptions pages through an account's entities in name order. Names
// compare case-insensitively (IAM names are unique regardless of case), so
// After is the lower-cased name of the last entity of the previous page.
// "Lower-cased" means Go's strings.ToLower, compared byte-wise (a SQL backend
// stores that form rather than relying on its own lower() and collation).
type ListOptions struct {
	PathPrefix string // only entities whose path starts with it; "" or "/" for all
	After      string // exclusive lower bound on the lower-cased name; "" from the start
	Limit      int    // at most this many; 0 for no limit
}

// Tag is an IAM tag. Tags keep the caller's order.
type Tag struct {
	Key   string
	Value string
}

// Account is an AWS account with its root user.
type Account struct {
	ID        string // 12 digits
	Name      string
	Email     string
	Alias     string // "" when none; unique across accounts
	CreatedAt time.Time
	// OrganizationID is "" for a standalone account.
	OrganizationID string
	// JoinedMethod is "CREATED" or "INVITED" once in an organization.
	JoinedMethod string
	Status       string // "ACTIVE"
	// PasswordPolicy is nil when the account has none.
	PasswordPolicy *PasswordPolicy
	// RootPasswordHash is the root user's console password (argon2id),
	// "" when the root user cannot sign in to the console (member
	// accounts created by Organizations, as on AWS).
	RootPasswordHash string
}

// PasswordPolicy is the account password policy (UpdateAccountPasswordPolicy).
type PasswordPolicy struct {
	MinimumPasswordLength      int
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	AllowUsersToChangePassword bool
	MaxPasswordAge             int // days; 0 for none
	PasswordReusePrevention    int // 0 for none
	HardExpiry                 bool
}

type Accounts interface {
	Create(ctx context.Context, a *Account) error
	Get(ctx context.Context, id string) (*Account, error)
	GetByAlias(ctx context.Context, alias string) (*Account, error)
	// GetByRootEmail finds the account whose root user signs in with
	// email (ASCII case ignored) among accounts with a root password.
	GetByRootEmail(ctx context.Context, email string) (*Account, error)
	Update(ctx context.Context, a *Account) error
	// List returns every account, ordered by ID.
	List(ctx context.Context) ([]*Account, error)
}

// User is an IAM user. Related records (keys, groups, policies) refer to it
// by ID so renaming a user touches one row.
type User struct {
	AccountID           string
	ID                  string // AIDA…
	Name                string
	Path                string
	CreatedAt           time.Time
	PermissionsBoundary string // policy ARN; "" when none
	Tags                []Tag
	PasswordLastUsed    *time.Time
}

type Users interface {
	// Create fails with ErrAlreadyExists when the account has a user of the
	// same name in any letter case.
	Create(ctx context.Context, u *User) error
	Get(ctx context.Context, accountID, name string) (*User, error) // name in any case
	GetByID(ctx context.Context, id string) (*User, error)
	// Update writes every field of the user with u.ID, renames included;
	// like every Update, it never moves an entity to another account.
	Update(ctx context.Context, u *User) error
	Delete(ctx context.Context, id string) error
	List(ctx context.Context, accountID string, opt ListOptions) ([]*User, error)
	Count(ctx context.Context, accountID string) (int, error)
}

// AccessKey is a long-term access key. UserID is "" for the root user's keys.
type AccessKey struct {
	ID        string // AKIA…, unique across accounts
	AccountID string
	UserID    string
	// Secret is the secret access key sealed under the master key; the store
	// keeps it opaque.
	Secret          []byte
	Status          string // "Active" or "Inactive"
	CreatedAt       time.Time
	LastUsedAt      *time.Time
	LastUsedService string
	LastUsedRegion  string
}

type AccessKeys interface {
	Create(ctx context.Context, k *AccessKey) error
	Get(ctx context.Context, id string) (*AccessKey, error)
	// ListForUser lists a user's keys (userID "" for root's) oldest first.
	ListForUser(ctx context.Context, accountID, userID string) ([]*AccessKey, error)
	Update(ctx context.Context, k *AccessKey) error
	Delete(ctx context.Context, id string) error
}

// LoginProfile is a user's console password.
type LoginProfile struct {
	UserID                string
	PasswordHash          string
	PasswordResetRequired bool
	CreatedAt             time.Time
	// PasswordChangedAt is when the password was last set, for the
	// password policy's MaxPasswordAge; zero means CreatedAt.
	PasswordChangedAt time.Time
}

type LoginProfiles interface {
	Create(ctx context.Context, p *LoginProfile) error
	Get(ctx context.Context, userID string) (*LoginProfile, error)
	Update(ctx context.Context, p *LoginProfile) error
	Delete(ctx context.Context, userID string) error
}

type Group struct {
	AccountID string
	ID        string // AGPA…
	Name      string
	Path      string
	CreatedAt time.Time
}

type Groups interface {
	Create(ctx context.Context, g *Group) error
	Get(ctx context.Context, accountID, name string) (*Group, error)
	GetByID(ctx context.Context, id string) (*Group, error)
	Update(ctx context.Context, g *Group) error
	Delete(ctx context.Context, id string) error
	List(ctx context.Context, accountID string, opt ListOptions) ([]*Group, error)
	Count(ctx context.Context, accountID string) (int, error)

	// AddMember is idempotent: adding a member twice is not an error.
	AddMember(ctx context.Context, groupID, userID string) error
	// RemoveMember fails with ErrNotFound when the user is not a member.
	RemoveMember(ctx context.Context, groupID, userID string) error
	ListMembers(ctx context.Context, groupID string, opt ListOptions) ([]*User, error)
	// ListForUser lists the groups a user belongs to, in name order.
	ListForUser(ctx context.Context, userID string, opt ListOptions) ([]*Group, error)
}

type Role struct {
	AccountID           string
	ID                  string // AROA…
	Name                string
	Path                string
	TrustPolicy         string // the document as the caller sent it
	Description         string
	MaxSessionDuration  int // seconds, 3600–43200
	PermissionsBoundary string
	Tags                []Tag
	CreatedAt           time.Time
	LastUsedAt          *time.Time
	LastUsedRegion      string
}

type Roles interface {
	Create(ctx context.Context, r *Role) error
	Get(ctx context.Context, accountID, name string) (*Role, error)
	GetByID(ctx context.Context, id string) (*Role, error)
	Update(ctx context.Context, r *Role) error
	Delete(ctx context.Context, id string) error
	List(ctx context.Context, accountID string, opt ListOptions) ([]*Role, error)
	Count(ctx context.Context, accountID string) (int, error)
	// SetLastUsed records that the roles with these IDs were used at at
	// in region (RoleLastUsed), in one statement; IDs of roles deleted
	// since are skipped.
	SetLastUsed(ctx context.Context, at time.Time, region string, ids []string) error
}

// AWSAccount is the AccountID of AWS managed policies
// (arn:aws:iam::aws:policy/…).
const AWSAccount = "aws"

// ManagedPolicy is a customer or AWS managed policy. Its documents are its
// versions. The counters are kept by internal/iam in the same transaction as
// the attachment or boundary change they count.
type ManagedPolicy struct {
	AccountID                     string // AWSAccount for AWS managed policies
	ID                            string // ANPA…
	Name                          string // unique per account in any case
	Path                          string
	Description                   string
	DefaultVersionID              string // "v1", "v2", …
	NextVersion                   int    // the number the next version gets; never reused
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	Tags                          []Tag
	CreatedAt                     time.Time
	UpdatedAt                     time.Time
}

type PolicyVersion struct {
	PolicyID  string
	VersionID string
	Document  string
	CreatedAt time.Time
}

type Policies interface {
	// Create stores the policy and its first version.
	Create(ctx context.Context, p *ManagedPolicy, v *PolicyVersion) error
	Get(ctx context.Context, accountID, name string) (*ManagedPolicy, error)
	GetByID(ctx context.Context, id string) (*ManagedPolicy, error)
	Update(ctx context.Context, p *ManagedPolicy) error
	// Delete removes the policy with all its versions.
	Delete(ctx context.Context, id string) error
	List(ctx context.Context, accountID string, opt ListOptions) ([]*ManagedPolicy, error)
	Count(ctx context.Context, accountID string) (int, error)

	CreateVersion(ctx context.Context, v *PolicyVersion) error
	GetVersion(ctx context.Context, policyID, versionID string) (*PolicyVersion, error)
	// ListVersions lists versions newest first, as IAM does.
	ListVersions(ctx context.Context, policyID string) ([]*PolicyVersion, error)
	DeleteVersion(ctx context.Context, policyID, versionID string) error
}

// AWSPolicyUse is one account's use of one AWS managed policy: AWS counts
// attachments and permissions boundaries per account, while the policy
// itself (a Policies row under AWSAccount) is shared by all.
type AWSPolicyUse struct {
	AccountID  string
	PolicyName string // lower-cased, as ListOptions.After
	// Attachments and Boundaries are the account's AttachmentCount and
	// PermissionsBoundaryUsageCount of the policy.
	Attachments int
	Boundaries  int
}

// AWSPolicies holds what mantle keeps about AWS managed policies besides
// their rows: which shipped set the rows hold, and each account's use.
type AWSPolicies interface {
	// Digest is the digest of the shipped set last loaded ("" before the
	// first); SetDigest records one, in the transaction that loads it.
	Digest(ctx context.Context) (string, error)
	SetDigest(ctx context.Context, digest string, at time.Time) error
	// AddUse adds to the account's counts of the policy named (negative
	// deltas remove; a count never goes below 0).
	AddUse(ctx context.Context, accountID, policyName string, attachments, boundaries int) error
	// Use returns the account's counts of the policy (zero when unused).
	Use(ctx context.Context, accountID, policyName string) (AWSPolicyUse, error)
	// ListUsed lists the AWS managed policies the account uses as a
	// permissions policy or boundary, in name order from opt.After, with
	// AttachmentCount and PermissionsBoundaryUsageCount the account's.
	ListUsed(ctx context.Context, accountID string, opt ListOptions) ([]*ManagedPolicy, error)
}

// Job is work IAM does for an account and answers about later: a
// service-linked role deletion task, the credential report, an access
// advisor job. Params and Result are the kind's own encoding.
type Job struct {
	AccountID   string
	ID          string // the task or job ID the caller holds
	Kind        string
	Status      string
	Params      string
	Result      string
	CreatedAt   time.Time
	CompletedAt *time.Time
}

// Jobs stores jobs by account and ID. Writing one is bookkeeping (Tx): no
// node caches or decides anything on it.
type Jobs interface {
	// Put creates the job or replaces the one with its account and ID.
	Put(ctx context.Context, j *Job) error
	Get(ctx context.Context, accountID, id string) (*Job, error)
}

// EntityType names the kind of principal a policy attaches to.
type EntityType string

const (
	EntityUser  EntityType = "User"
	EntityGroup EntityType = "Group"
	EntityRole  EntityType = "Role"
)

type Attachment struct {
	PolicyID   string
	EntityType EntityType
	EntityID   string
}

type Attachments interface {
	// Attach is idempotent.
	Attach(ctx context.Context, a Attachment) error
	// Detach fails with ErrNotFound when the policy is not attached.
	Detach(ctx context.Context, a Attachment) error
	// ListForEntity lists the policies attached to one entity, in name order.
	ListForEntity(ctx context.Context, t EntityType, entityID string) ([]*ManagedPolicy, error)
	// ListForPolicy lists the entities a policy is attached to.
	ListForPolicy(ctx context.Context, policyID string) ([]Attachment, error)
}

type InlinePolicy struct {
	EntityType EntityType
	EntityID   string
	Name       string
	Document   string
}

type InlinePolicies interface {
	// Put creates or replaces the policy of that name (names compare in any
	// case); a replacement takes the new spelling of the name.
	Put(ctx context.Context, p *InlinePolicy) error
	Get(ctx context.Context, t EntityType, entityID, name string) (*InlinePolicy, error)
	Delete(ctx context.Context, t EntityType, entityID, name string) error
	// List lists an entity's inline policies in name order.
	List(ctx context.Context, t EntityType, entityID string) ([]*InlinePolicy, error)
}

type InstanceProfile struct {
	AccountID string
	ID        string // AIPA…
	Name      string
	Path      string
	RoleID    string // "" when it holds no role; IAM allows one
	Tags      []Tag
	CreatedAt time.Time
}

type InstanceProfiles interface {
	Create(ctx context.Context, p *InstanceProfile) error
	Get(ctx context.Context, accountID, name string) (*InstanceProfile, error)
	Update(ctx context.Context, p *InstanceProfile) error
	Delete(ctx context.Context, id string) error
	List(ctx context.Context, accountID string, opt ListOptions) ([]*InstanceProfile, error)
	ListForRole(ctx context.Context, roleID string) ([]*InstanceProfile, error)
	Count(ctx context.Context, accountID string) (int, error)
}

// MFADevice is a virtual MFA device. It belongs to a user once enabled.
type MFADevice struct {
	AccountID    string
	SerialNumber string // arn:aws:iam::ACCOUNT:mfa/PATH…NAME, unique
	Name         string
	Path         string
	Seed         []byte // the TOTP seed sealed under the master key
	UserID       string // "" until enabled; the account ID when it is the root user's
	EnabledAt    *time.Time
	// LastCounter is the TOTP time step of the last code accepted, so a code
	// is never accepted twice.
	LastCounter int64
	Tags        []Tag
	CreatedAt   time.Time
}

type MFADevices interface {
	Create(ctx context.Context, d *MFADevice) error
	Get(ctx context.Context, serial string) (*MFADevice, error)
	Update(ctx context.Context, d *MFADevice) error
	Delete(ctx context.Context, serial string) error
	// List lists the account's devices in serial-number order; After is a
	// serial number.
	List(ctx context.Context, accountID string, opt ListOptions) ([]*MFADevice, error)
	ListForUser(ctx context.Context, userID string) ([]*MFADevice, error)
}

type OIDCProvider struct {
	AccountID   string
	ARN         string // arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH
	URL         string
	ClientIDs   []string
	Thumbprints []string
	Tags        []Tag
	CreatedAt   time.Time
}

type OIDCProviders interface {
	Create(ctx context.Context, p *OIDCProvider) error
	Get(ctx context.Context, arn string) (*OIDCProvider, error)
	Update(ctx context.Context, p *OIDCProvider) error
	Delete(ctx context.Context, arn string) error
	List(ctx context.Context, accountID string) ([]*OIDCProvider, error)
}

type SAMLProvider struct {
	AccountID  string
	ARN        string // arn:aws:iam::ACCOUNT:saml-provider/NAME
	Name       string
	Metadata   string
	ValidUntil time.Time
	Tags       []Tag
	CreatedAt  time.Time
}

type SAMLProviders interface {
	Create(ctx context.Context, p *SAMLProvider) error
	Get(ctx context.Context, arn string) (*SAMLProvider, error)
	Update(ctx context.Context, p *SAMLProvider) error
	Delete(ctx context.Context, arn string) error
	List(ctx context.Context, accountID string) ([]*SAMLProvider, error)
}

type Organization struct {
	ID                  string // o-…
	ARN                 string
	ManagementAccountID string
	FeatureSet          string // "ALL" or "CONSOLIDATED_BILLING"
	RootID              string // r-…
	CreatedAt           time.Time
}

// CreateAccountStatus tracks a CreateAccount request.
type CreateAccountStatus struct {
	ID             string // car-…
	OrganizationID string
	AccountName    string
	State          string // IN_PROGRESS, SUCCEEDED, FAILED
	AccountID      string
	FailureReason  string
	RequestedAt    time.Time
	CompletedAt    *time.Time
}

type Organizations interface {
	Create(ctx context.Context, o *Organization) error
	Get(ctx context.Context, id string) (*Organization, error)
	// Delete removes the organization and its create-account statuses.
	Delete(ctx context.Context, id string) error
	// SetFeatureSet changes an organization's feature set.
	SetFeatureSet(ctx context.Context, id, featureSet string) error
	PutCreateAccountStatus(ctx context.Context, s *CreateAccountStatus) error
	GetCreateAccountStatus(ctx context.Context, id string) (*CreateAccountStatus, error)
	// ListCreateAccountStatus lists an organization's requests, oldest first.
	ListCreateAccountStatus(ctx context.Context, orgID string) ([]*CreateAccountStatus, error)

	// CreateOU fails with ErrAlreadyExists when the parent already has an
	// OU of the same name (names compare exactly, as Organizations does).
	CreateOU(ctx context.Context, ou *OrganizationalUnit) error
	GetOU(ctx context.Context, id string) (*OrganizationalUnit, error)
	// UpdateOU renames; the parent of an OU never changes.
	UpdateOU(ctx context.Context, ou *OrganizationalUnit) error
	DeleteOU(ctx context.Context, id string) error
	// ListOUs lists an organization's OUs ordered by ID.
	ListOUs(ctx context.Context, orgID string) ([]*OrganizationalUnit, error)
	// PutAccountParent places a member account under parentID (its root's
	// ID or an OU's).
	PutAccountParent(ctx context.Context, p *AccountParent) error
	// DeleteAccountParent forgets where an account was (it left).
	DeleteAccountParent(ctx context.Context, accountID string) error
	// ListAccountParents lists where each placed account of an organization
	// is, ordered by account ID.
	ListAccountParents(ctx context.Context, orgID string) ([]*AccountParent, error)

	// CreatePolicy fails with ErrAlreadyExists when the organization has a
	// policy of the same type and name.
	CreatePolicy(ctx context.Context, p *OrgPolicy) error
	GetPolicy(ctx context.Context, id string) (*OrgPolicy, error)
	UpdatePolicy(ctx context.Context, p *OrgPolicy) error
	DeletePolicy(ctx context.Context, id string) error
	// ListPolicies lists an organization's own policies ordered by ID.
	ListPolicies(ctx context.Context, orgID string) ([]*OrgPolicy, error)
	// AttachPolicy fails with ErrAlreadyExists when already attached.
	AttachPolicy(ctx context.Context, a *PolicyAttachment) error
	DetachPolicy(ctx context.Context, a *PolicyAttachment) error
	// ListAttachments lists an organization's attachments ordered by
	// policy, then target.
	ListAttachments(ctx context.Context, orgID string) ([]*PolicyAttachment, error)

	// PutSetting fails with ErrAlreadyExists when the setting is there.
	PutSetting(ctx context.Context, s *OrgSetting) error
	UpdateSetting(ctx context.Context, s *OrgSetting) error
	DeleteSetting(ctx context.Context, orgID, kind, name string) error
	// ListSettings lists an organization's settings of one kind by name.
	ListSettings(ctx context.Context, orgID, kind string) ([]*OrgSetting, error)

	// PutTags replaces the tags of a root, OU, account or policy; no tags
	// forgets them.
	PutTags(ctx context.Context, orgID, resourceID string, tags []Tag) error
	// Tags returns a resource's tags, nil when it has none.
	Tags(ctx context.Context, orgID, resourceID string) ([]Tag, error)

	// PutHandshake creates or updates a handshake.
	PutHandshake(ctx context.Context, h *Handshake) error
	GetHandshake(ctx context.Context, id string) (*Handshake, error)
	// ListHandshakes lists the handshakes an organization sent (orgID) or
	// an account received (accountID), ordered by ID.
	ListHandshakes(ctx context.Context, orgID, accountID string) ([]*Handshake, error)
}

// OrgPolicy is a policy an organization created (AWS managed policies are
// not stored).
type OrgPolicy struct {
	ID             string // p-…
	OrganizationID string
	Type           string // SERVICE_CONTROL_POLICY, RESOURCE_CONTROL_POLICY, TAG_POLICY, …
	Name           string
	Description    string
	Content        string
	CreatedAt      time.Time
}

// PolicyAttachment attaches a policy to a root, an OU or an account.
type PolicyAttachment struct {
	OrganizationID string
	PolicyID       string
	TargetID       string
}

// Kinds of OrgSetting.
const (
	SettingPolicyType     = "policy-type"     // Name: an enabled policy type of the root
	SettingServiceAccess  = "service-access"  // Name: a trusted service principal
	SettingDelegatedAdmin = "delegated-admin" // Name: ACCOUNT/SERVICE-PRINCIPAL
	SettingIAMFeature     = "iam-feature"     // Name: RootCredentialsManagement or RootSessions
	SettingResourcePolicy = "resource-policy" // Name: the policy's ID; Value: its content
	SettingClosedAccount  = "closed-account"  // Name: an account closed (CloseAccount) at CreatedAt
)

// OrgSetting is one named fact about an organization.
type OrgSetting struct {
	OrganizationID string
	Kind           string
	Name           string
	Value          string
	CreatedAt      time.Time
}

// Handshake is an invitation from an organization to an account.
type Handshake struct {
	ID              string // h-…
	OrganizationID  string
	Action          string // INVITE
	TargetType      string // ACCOUNT or EMAIL
	TargetValue     string
	TargetAccountID string
	State           string // OPEN, ACCEPTED, DECLINED, CANCELED, EXPIRED
	Notes           string
	RequestedAt     time.Time
	ExpiresAt       time.Time
}

// OrganizationalUnit is an OU: a container of accounts and OUs under the
// root of an organization.
type OrganizationalUnit struct {
	ID             string // ou-<root suffix>-<8+ characters>
	OrganizationID string
	ParentID       string // r-… or ou-…
	Name           string
	CreatedAt      time.Time
}

// AccountParent is the container a member account is in.
type AccountParent struct {
	AccountID      string
	OrganizationID string
	ParentID       string // r-… or ou-…
}

// SigningKey is a session-token sealing key, shared by every node through
// the store. Material is sealed under the master key.
type SigningKey struct {
	ID        string
	Material  []byte
	Active    bool
	CreatedAt time.Time
}

type SigningKeys interface {
	Create(ctx context.Context, k *SigningKey) error
	Update(ctx context.Context, k *SigningKey) error
	Delete(ctx context.Context, id string) error
	// List lists every key, oldest first.
	List(ctx context.Context) ([]*SigningKey, error)
}
