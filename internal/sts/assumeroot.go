package sts

import (
	"context"
	"strings"
	"time"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"
	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/iam/awsmanaged"
	"github.com/mantle-iam/mantle/internal/token"
)

// RootSessions says whether an account may open root sessions in another
// (centralized root access); internal/orgs implements it.
type RootSessions interface {
	RootSessionAllowed(ctx context.Context, callerAccount, target string) (bool, error)
}

// rootTaskPrefix is where the task policies an AssumeRoot session is
// limited to live ("AssumeRoot": TaskPolicyArn).
const (
	rootTaskPrefix   = "arn:aws:iam::aws:policy/root-task/"
	rootSessionMax   = 900 // DurationSeconds: at most, and by default, 15 minutes
	actionAssumeRoot = "sts:AssumeRoot"
)

// isRootTask reports whether arn names one of AWS's root-task policies.
func isRootTask(arn string) (bool, error) {
	if !strings.HasPrefix(arn, rootTaskPrefix) {
		return false, nil
	}
	all, err := awsmanaged.All()
	if err != nil {
		return false, err
	}
	for i := range all {
		if all[i].ARN() == arn {
			return true, nil
		}
	}
	return false, nil
}

// AssumeRoot gives an IAM principal of the management account (or of IAM's
// delegated administrator) a short root session in a member account,
// limited to one task policy: the session is the member's root user with
// the task policy as its session policy (internal/authz), so anything
// outside the task is refused. Like the other credential-issuing calls it
// answers only once its event is stored.
func (s *Service) AssumeRoot(ctx context.Context, c *auth.Caller, in *stsapi.AssumeRootInput) (*stsapi.AssumeRootOutput, error) {
	resource := "arn:aws:iam::" + in.TargetPrincipal + ":root"
	task := ""
	if in.TaskPolicyArn != nil {
		task = in.TaskPolicyArn.Arn
	}
	ok, err := isRootTask(task)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, awserr.ValidationError("TaskPolicyArn must be one of the root task policies, arn:aws:iam::aws:policy/root-task/….")
	}
	if c.Kind == auth.KindRoot || c.Kind == auth.KindIdentityProvider {
		// The root user of the management account does not call it: an IAM
		// principal does.
		return nil, notAuthorized(c, actionAssumeRoot, resource)
	}
	if err := s.authz.Authorize(ctx, c, actionAssumeRoot, resource, auth.Key{Name: "sts:TaskPolicyArn", Values: []string{task}}); err != nil {
		return nil, err
	}
	allowed := false
	if s.roots != nil {
		if allowed, err = s.roots.RootSessionAllowed(ctx, c.AccountID, in.TargetPrincipal); err != nil {
			return nil, err
		}
	}
	if !allowed {
		return nil, notAuthorized(c, actionAssumeRoot, resource)
	}
	d := rootSessionMax
	if in.DurationSeconds != nil {
		d = *in.DurationSeconds
	}
	now := s.clock()
	cl := token.Claims{
		Kind: token.KindRootSession, AccountID: in.TargetPrincipal, PrincipalID: in.TargetPrincipal,
		IssuedAt: now, ExpiresAt: now.Add(time.Duration(d) * time.Second),
		SourceArn: c.ARN, SourceIdentity: c.SourceIdentity, SessionPolicyARNs: []string{task},
	}
	creds, err := s.issue(&cl)
	if err != nil {
		return nil, err
	}
	audit.Durable(ctx)
	return &stsapi.AssumeRootOutput{Credentials: creds, SourceIdentity: c.SourceIdentity}, nil
}
