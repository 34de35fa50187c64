package sts

import (
	"context"
	"regexp"
	"time"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"

	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/awsproto"
	"github.com/mantle-iam/mantle/policy"
)

// Service principals mantle's workload endpoints act as.
const (
	ServiceEC2      = "ec2.amazonaws.com"
	ServiceECSTasks = "ecs-tasks.amazonaws.com"
)

// ServiceSessionInput asks for a role session on behalf of an AWS service
// principal, as EC2 obtains one for an instance profile's role and ECS for a
// task role.
type ServiceSessionInput struct {
	// Service is the service principal, e.g. ServiceEC2.
	Service string
	RoleArn string
	// SessionName is the instance ID or task ID.
	SessionName string
	// DurationSeconds is 0 for the role's MaxSessionDuration; a longer one
	// is shortened to it.
	DurationSeconds int
	// SourceArn is the resource the service acts for (the instance or the
	// task): aws:SourceArn and aws:SourceAccount for the trust policy, and
	// the session's source in the audit trail.
	SourceArn string
	Region    string
}

var sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// AssumeRoleForService issues a session of in.RoleArn for in.Service. It is
// not an API action: mantle's own endpoints (IMDS, the container credentials
// endpoint) call it, as the AWS service itself would call STS. The role's
// trust policy must allow the service principal sts:AssumeRole; the
// service has no identity policies and no organization policies apply to
// it, so the trust policy alone decides.
//
// Its event is the AssumeRole AWS records for the service (userIdentity
// AWSService), stored before the credentials are returned, as for every
// call that issues credentials.
func (s *Service) AssumeRoleForService(ctx context.Context, in *ServiceSessionInput) (*stsapi.AssumeRoleOutput, error) {
	if s.audit == nil {
		return s.assumeRoleForService(ctx, in)
	}
	req := &stsapi.AssumeRoleInput{RoleArn: in.RoleArn, RoleSessionName: in.SessionName}
	if in.DurationSeconds > 0 {
		req.DurationSeconds = &in.DurationSeconds
	}
	now := s.now()
	e := &audit.Entry{
		EventID: audit.NewEventID(now), RequestID: awsproto.NewRequestID(), Time: now,
		Service: "sts", Action: "AssumeRole", Invoker: in.Service, Region: in.Region,
		SourceIP: in.Service, UserAgent: in.Service, Input: req,
	}
	ctx = audit.With(ctx, e)
	out, err := s.assumeRoleForService(ctx, in)
	if err == nil {
		e.Output = out
		audit.Durable(ctx)
	}
	e.Err = err
	if rerr := s.audit.Record(ctx, e); rerr != nil && err == nil {
		return nil, rerr
	}
	return out, err
}

func (s *Service) assumeRoleForService(ctx context.Context, in *ServiceSessionInput) (*stsapi.AssumeRoleOutput, error) {
	const action = "sts:AssumeRole"
	if !sessionNamePattern.MatchString(in.SessionName) {
		return nil, awserr.ValidationError("%q is not a valid role session name (2-64 characters of [\\w+=,.@-])", in.SessionName)
	}
	if _, _, _, ok := parseRoleARN(in.RoleArn); !ok {
		return nil, awserr.ValidationError("%s is not a valid role ARN", in.RoleArn)
	}
	e, err := s.role(ctx, in.RoleArn)
	if err != nil {
		return nil, err
	}
	if e.role == nil {
		return nil, awserr.NoSuchEntity("The role with ARN %s cannot be found.", in.RoleArn)
	}
	now := s.clock()
	if !s.trustsService(e, in, now) {
		return nil, awserr.AccessDenied("%s is not authorized to perform: %s on resource: %s: the role's trust policy does not allow the service principal", in.Service, action, in.RoleArn)
	}
	r := e.role
	roleMax := r.MaxSessionDuration
	if roleMax <= 0 {
		roleMax = defaultMaxSession
	}
	duration := roleMax
	if in.DurationSeconds > 0 {
		duration = min(in.DurationSeconds, roleMax)
	}
	out, err := s.issueRoleSession(now, &roleSession{
		entry:     e,
		name:      in.SessionName,
		duration:  &duration,
		region:    in.Region,
		sourceArn: in.SourceArn,
	})
	if err != nil {
		return nil, err
	}
	return &stsapi.AssumeRoleOutput{Credentials: out.creds, AssumedRoleUser: out.user}, nil
}

// trustsService evaluates the role's trust policy for the service principal
// with the keys AWS sets when a service assumes a role on a resource's
// behalf.
func (s *Service) trustsService(e *roleEntry, in *ServiceSessionInput, now time.Time) bool {
	if e.trust == nil {
		return false
	}
	t := policy.TimeEntries(now)
	ctxKeys := append(make([]policy.ContextEntry, 0, 5), t[0], t[1])
	if in.SourceArn != "" {
		ctxKeys = append(ctxKeys, policy.ContextEntry{Key: "aws:SourceArn", Value: in.SourceArn})
		if acct := arnAccount(in.SourceArn); acct != "" {
			ctxKeys = append(ctxKeys, policy.ContextEntry{Key: "aws:SourceAccount", Value: acct})
		}
	}
	if in.Region != "" {
		ctxKeys = append(ctxKeys, policy.ContextEntry{Key: "aws:RequestedRegion", Value: in.Region})
	}
	req := policy.Request{
		Principal: policy.Principal{Type: policy.PrincipalService, ARN: in.Service},
		Action:    "sts:AssumeRole",
		Resource:  e.arn,
		Context:   ctxKeys,
	}
	res := policy.Evaluate(&req, &policy.Input{Resource: e.trust})
	if !res.Allowed() {
		return false
	}
	for _, ref := range res.Matched() {
		if ref.Set == policy.SetResource {
			return true
		}
	}
	return false
}

// arnAccount is the account field of arn:PARTITION:SERVICE:REGION:ACCOUNT:….
func arnAccount(arn string) string {
	rest := arn
	for range 4 {
		var ok bool
		if _, rest, ok = cut(rest, ':'); !ok {
			return ""
		}
	}
	acct, _, _ := cut(rest, ':')
	return acct
}
