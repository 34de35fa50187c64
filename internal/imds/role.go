package imds

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/sts"
)

// Issuer issues a role session on behalf of an AWS service; *sts.Service
// implements it.
type Issuer interface {
	AssumeRoleForService(ctx context.Context, in *sts.ServiceSessionInput) (*stsapi.AssumeRoleOutput, error)
}

// Store reads instance profiles and roles; store.Repos implements it.
type Store interface {
	InstanceProfiles() store.InstanceProfiles
	Roles() store.Roles
}

// Session is what the service asks STS for: the same service principal,
// session name and source for every session of one instance or task.
type Session struct {
	Issuer  Issuer
	Service string // sts.ServiceEC2, sts.ServiceECSTasks
	// Name is the instance ID or task ID: the session name.
	Name string
	// SourceArn is the instance's or task's ARN.
	SourceArn string
	Region    string
	Rotator   Rotator
}

// credentials returns the session's cached credentials for role r, issuing
// new ones when r is another role than last time or they are due.
func (s *Session) credentials(ctx context.Context, r *store.Role) (*Credentials, error) {
	arn := roleARN(r)
	return s.Rotator.Get(ctx, r.ID, func(ctx context.Context) (*Credentials, error) {
		out, err := s.Issuer.AssumeRoleForService(ctx, &sts.ServiceSessionInput{
			Service: s.Service, RoleArn: arn, SessionName: s.Name, SourceArn: s.SourceArn, Region: s.Region,
		})
		if err != nil {
			return nil, err
		}
		return fromSTS(out.Credentials, arn, s.Rotator.now()), nil
	})
}

// fromSTS converts STS's credentials.
func fromSTS(c *stsapi.Credentials, roleArn string, now time.Time) *Credentials {
	return &Credentials{
		AccessKeyID: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		Expiration: c.Expiration.UTC(), LastUpdated: now.UTC().Truncate(time.Second), RoleArn: roleArn,
	}
}

func roleARN(r *store.Role) string {
	return "arn:aws:iam::" + r.AccountID + ":role" + r.Path + r.Name
}

// RoleSource is a Source of one role's credentials, named directly (the
// container endpoint's task role). The role is read at every call.
type RoleSource struct {
	Store     Store
	AccountID string
	// Role is the role's name or ARN.
	Role    string
	Session *Session
}

func (s *RoleSource) Credentials(ctx context.Context) (*Credentials, error) {
	account, name := s.AccountID, s.Role
	if a, n, ok := parseIAMARN(s.Role, "role"); ok {
		account, name = a, n
	}
	r, err := s.Store.Roles().Get(ctx, account, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, awserr.NoSuchEntity("The role with name %s cannot be found.", name)
	}
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(s.Role, "arn:") && roleARN(r) != s.Role {
		return nil, awserr.NoSuchEntity("The role %s cannot be found.", s.Role)
	}
	return s.Session.credentials(ctx, r)
}

// statusOf is the HTTP status an error answers with on the endpoints.
func statusOf(err error) int {
	if ae := awserr.As(err); ae != nil && ae.Status != 0 {
		return ae.Status
	}
	return http.StatusInternalServerError
}
