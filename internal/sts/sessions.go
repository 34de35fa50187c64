package sts

import (
	"context"
	"strings"
	"time"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"

	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/token"
)

// Durations from the GetSessionToken and GetFederationToken references.
const (
	defaultUserSession = 43200 // 12 hours
	// rootMaxSession is the cap on sessions the root user obtains; AWS
	// shortens longer requests rather than failing them.
	rootMaxSession = 3600
)

// GetSessionToken needs no permission: AWS lets every user and the root user
// call it with long-term credentials.
func (s *Service) GetSessionToken(ctx context.Context, c *auth.Caller, in *stsapi.GetSessionTokenInput) (*stsapi.GetSessionTokenOutput, error) {
	if c.Temporary {
		return nil, sessionCreds("GetSessionToken")
	}
	if c.Kind != auth.KindUser && c.Kind != auth.KindRoot {
		return nil, notAuthorized(c, "sts:GetSessionToken", "")
	}
	now := s.clock()
	mfa := in.SerialNumber != "" || in.TokenCode != ""
	if err := s.verifyMFA(ctx, c, in.SerialNumber, in.TokenCode); err != nil {
		return nil, err
	}
	cl := token.Claims{
		AccountID: c.AccountID,
		IssuedAt:  now,
		ExpiresAt: now.Add(time.Duration(userDuration(in.DurationSeconds, c.Kind == auth.KindRoot)) * time.Second),
		SourceArn: c.ARN,
	}
	if mfa {
		cl.MFAAuthenticated, cl.MFAAuthTime = true, now
	}
	if c.Kind == auth.KindRoot {
		cl.Kind = token.KindRootSession
		cl.PrincipalID = c.AccountID
	} else {
		cl.Kind = token.KindUserSession
		cl.PrincipalID, cl.PrincipalName, cl.Path = c.ID, c.Name, c.Path
	}
	creds, err := s.issue(&cl)
	if err != nil {
		return nil, err
	}
	audit.Durable(ctx)
	return &stsapi.GetSessionTokenOutput{Credentials: creds}, nil
}

// userDuration applies GetSessionToken's and GetFederationToken's duration
// rules: 12 hours by default, at most one hour for the root user.
func userDuration(requested *int, root bool) int {
	d := defaultUserSession
	if requested != nil {
		d = *requested
	}
	if root && d > rootMaxSession {
		d = rootMaxSession
	}
	return d
}

// GetFederationToken issues a federated user session whose permissions are
// the calling user's narrowed by the session policies; without session
// policies it can do nothing (internal/authz enforces both).
func (s *Service) GetFederationToken(ctx context.Context, c *auth.Caller, in *stsapi.GetFederationTokenInput) (*stsapi.GetFederationTokenOutput, error) {
	if c.Temporary {
		return nil, sessionCreds("GetFederationToken")
	}
	if c.Kind != auth.KindUser && c.Kind != auth.KindRoot {
		return nil, notAuthorized(c, "sts:GetFederationToken", "")
	}
	arn := "arn:aws:sts::" + c.AccountID + ":federated-user/" + in.Name
	var tags []token.Tag
	var keys []auth.Key
	if len(in.Tags) > 0 {
		tags = make([]token.Tag, len(in.Tags))
		tagKeys := make([]string, len(in.Tags))
		for i, t := range in.Tags {
			for _, u := range in.Tags[:i] {
				if strings.EqualFold(u.Key, t.Key) {
					return nil, awserr.New("InvalidParameterValue", 400,
						"Duplicate tag keys found. Please note that Tag keys are case insensitive.")
				}
			}
			tags[i] = token.Tag{Key: t.Key, Value: t.Value}
			tagKeys[i] = t.Key
			keys = append(keys, auth.Key{Name: "aws:RequestTag/" + t.Key, Values: []string{t.Value}})
		}
		keys = append(keys, auth.Key{Name: "aws:TagKeys", Values: tagKeys})
	}
	if err := s.authz.Authorize(ctx, c, "sts:GetFederationToken", arn, keys...); err != nil {
		return nil, err
	}
	if len(tags) > 0 {
		if err := s.authz.Authorize(ctx, c, "sts:TagSession", arn, keys...); err != nil {
			return nil, err
		}
	}
	arns, err := checkSessionPolicies(in.Policy, in.PolicyArns)
	if err != nil {
		return nil, err
	}
	var packed *int
	if in.Policy != "" || len(arns) > 0 || len(tags) > 0 {
		pct, err := packedSize(in.Policy, arns, tags)
		if err != nil {
			return nil, err
		}
		packed = &pct
	}
	now := s.clock()
	cl := token.Claims{
		Kind:              token.KindFederatedUser,
		AccountID:         c.AccountID,
		IssuedAt:          now,
		ExpiresAt:         now.Add(time.Duration(userDuration(in.DurationSeconds, c.Kind == auth.KindRoot)) * time.Second),
		PrincipalID:       c.ID,
		PrincipalName:     in.Name,
		SourceArn:         c.ARN,
		Tags:              tags,
		SessionPolicy:     in.Policy,
		SessionPolicyARNs: arns,
	}
	creds, err := s.issue(&cl)
	if err != nil {
		return nil, err
	}
	audit.Durable(ctx)
	return &stsapi.GetFederationTokenOutput{
		Credentials:      creds,
		FederatedUser:    &stsapi.FederatedUser{FederatedUserId: c.AccountID + ":" + in.Name, Arn: arn},
		PackedPolicySize: packed,
	}, nil
}
