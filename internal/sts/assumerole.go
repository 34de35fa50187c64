package sts

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"

	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/token"
	"github.com/mantle-iam/mantle/policy"
)

// Session durations from the AssumeRole reference.
const (
	defaultRoleSession = 3600
	// chainedMax caps a session obtained with temporary credentials.
	chainedMax = 3600
	// defaultMaxSession is MaxSessionDuration for roles stored without one.
	defaultMaxSession = 3600
)

func (s *Service) AssumeRole(ctx context.Context, c *auth.Caller, in *stsapi.AssumeRoleInput) (*stsapi.AssumeRoleOutput, error) {
	const action = "sts:AssumeRole"
	switch {
	case c.Kind == auth.KindRoot:
		return nil, awserr.AccessDenied("Roles may not be assumed by root accounts.")
	case c.Kind == auth.KindFederatedUser:
		return nil, notAuthorized(c, action, in.RoleArn)
	}
	if len(in.ProvidedContexts) > 0 {
		// mantle trusts no context provider (IAM Identity Center trusted
		// identity propagation), so every assertion is untrusted.
		return nil, awserr.New("InvalidParameterValue", http.StatusBadRequest,
			"The ProviderArn %s in ProvidedContexts is not a supported context provider.", in.ProvidedContexts[0].ProviderArn)
	}
	if err := checkRoleARN(in.RoleArn); err != nil {
		return nil, err
	}
	if _, _, _, ok := parseRoleARN(in.RoleArn); !ok {
		// A well-formed ARN that names no role is a role AWS cannot find.
		return nil, notAuthorized(c, action, in.RoleArn)
	}
	now := s.clock()

	// What the new session carries over from the caller's: AWS passes the
	// source identity and the transitive tags down a chain, and neither can
	// be changed on the way.
	sourceIdentity := in.SourceIdentity
	if c.SourceIdentity != "" {
		if sourceIdentity != "" && sourceIdentity != c.SourceIdentity {
			return nil, awserr.AccessDenied("Source identity cannot be changed once set: the caller's session has source identity %s.", c.SourceIdentity)
		}
		sourceIdentity = c.SourceIdentity
	}
	tags, transitive, err := sessionTags(c, in.Tags, in.TransitiveTagKeys)
	if err != nil {
		return nil, err
	}
	arns, err := checkSessionPolicies(in.Policy, in.PolicyArns)
	if err != nil {
		return nil, err
	}

	// MFA presented now, or carried by the caller's own session.
	mfa, mfaTime := c.MFA, c.MFAAuthTime
	if in.SerialNumber != "" || in.TokenCode != "" {
		if err := s.verifyMFA(ctx, c, in.SerialNumber, in.TokenCode); err != nil {
			return nil, err
		}
		mfa, mfaTime = true, now
	}

	e, err := s.role(ctx, in.RoleArn)
	if err != nil {
		return nil, err
	}
	if e.role == nil || e.trust == nil {
		// AWS does not tell a missing role from a refusal.
		return nil, notAuthorized(c, action, in.RoleArn)
	}

	// The request context the trust policy sees.
	ec := c
	keys := make([]auth.Key, 0, 8+len(tags))
	if in.ExternalId != "" {
		keys = append(keys, auth.Key{Name: "sts:ExternalId", Values: []string{in.ExternalId}})
	}
	if mfa && !c.MFA {
		if c.Temporary {
			cc := *c
			cc.MFA, cc.MFAAuthTime = true, mfaTime
			ec = &cc
		} else {
			// Long-term credentials carry no MFA keys of their own.
			keys = append(keys,
				auth.Key{Name: "aws:MultiFactorAuthPresent", Values: []string{"true"}},
				auth.Key{Name: "aws:MultiFactorAuthAge", Values: []string{"0"}})
		}
	}
	keys = appendSessionKeys(keys, in.RoleSessionName, sourceIdentity, tags, in.TransitiveTagKeys)
	if err := s.trustSession(ctx, ec, action, e, keys, len(tags) > 0, in.SourceIdentity != ""); err != nil {
		return nil, err
	}

	out, err := s.issueRoleSession(now, &roleSession{
		entry:          e,
		name:           in.RoleSessionName,
		duration:       in.DurationSeconds,
		chained:        c.Temporary,
		region:         c.Region,
		sourceArn:      c.ARN,
		sourceIdentity: sourceIdentity,
		mfa:            mfa,
		mfaTime:        mfaTime,
		tags:           tags,
		transitive:     transitive,
		policy:         in.Policy,
		policyARNs:     arns,
		chainDepth:     c.ChainDepth,
	})
	if err != nil {
		return nil, err
	}
	audit.Durable(ctx)
	return &stsapi.AssumeRoleOutput{
		Credentials:      out.creds,
		AssumedRoleUser:  out.user,
		PackedPolicySize: out.packed,
		SourceIdentity:   sourceIdentity,
	}, nil
}

// trust evaluates one STS action against the role's trust policy as its
// resource policy, with AWS's same- and cross-account rules.
func (s *Service) trust(ctx context.Context, c *auth.Caller, action string, e *roleEntry, keys []auth.Key) error {
	res, err := s.authz.Evaluate(ctx, c, action, e.arn, e.trust, keys...)
	if err != nil {
		return err
	}
	// AWS words a refused role assumption without the policy reason its
	// other denials carry: "User: … is not authorized to perform:
	// sts:AssumeRole on resource: …", whichever side refused.
	if !res.Allowed() {
		return notAuthorized(c, action, e.arn)
	}
	// Unlike other resource policies, a trust policy is not optional: the
	// caller's identity policies alone never let it assume a role.
	for _, ref := range res.Matched() {
		if ref.Set == policy.SetResource {
			return nil
		}
	}
	return notAuthorized(c, action, e.arn)
}

// roleDuration applies AWS's DurationSeconds rules: at most the role's
// MaxSessionDuration, and at most one hour when chained (AWS counts any
// session obtained with temporary credentials as chained).
func roleDuration(requested *int, roleMax int, chained bool) (int, error) {
	if roleMax <= 0 {
		roleMax = defaultMaxSession
	}
	if requested == nil {
		return min(defaultRoleSession, roleMax), nil
	}
	d := *requested
	if chained && d > chainedMax {
		return 0, awserr.ValidationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if d > roleMax {
		return 0, awserr.ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	return d, nil
}

// sessionTags merges the caller's transitive tags with the requested ones.
// Inherited transitive tags stay transitive and cannot be overridden; a
// requested transitive key must name a requested tag.
func sessionTags(c *auth.Caller, reqTags []stsapi.Tag, reqTransitive []string) ([]token.Tag, []string, error) {
	var inherited []token.Tag
	var transitive []string
	for _, k := range c.TransitiveTagKeys {
		for _, t := range c.SessionTags {
			if strings.EqualFold(t.Key, k) {
				inherited = append(inherited, token.Tag{Key: t.Key, Value: t.Value})
				transitive = append(transitive, t.Key)
				break
			}
		}
	}
	if len(inherited) == 0 && len(reqTags) == 0 {
		if len(reqTransitive) > 0 {
			return nil, nil, transitiveNotTagged(reqTransitive[0])
		}
		return nil, nil, nil
	}
	tags := make([]token.Tag, 0, len(inherited)+len(reqTags))
	tags = append(tags, inherited...)
	for i, t := range reqTags {
		for _, u := range reqTags[:i] {
			if strings.EqualFold(u.Key, t.Key) {
				return nil, nil, awserr.New("InvalidParameterValue", http.StatusBadRequest,
					"Duplicate tag keys found. Please note that Tag keys are case insensitive.")
			}
		}
		for _, u := range inherited {
			if strings.EqualFold(u.Key, t.Key) {
				return nil, nil, awserr.New("InvalidParameterValue", http.StatusBadRequest,
					"One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the calling session.")
			}
		}
		tags = append(tags, token.Tag{Key: t.Key, Value: t.Value})
	}
	if len(tags) > 50 {
		return nil, nil, awserr.New("InvalidParameterValue", http.StatusBadRequest,
			"Session tags, including transitive tags from the calling session, cannot exceed 50; the request has %s.", strconv.Itoa(len(tags)))
	}
	for _, k := range reqTransitive {
		found := false
		for _, t := range reqTags {
			if strings.EqualFold(t.Key, k) {
				found = true
				break
			}
		}
		if !found {
			return nil, nil, transitiveNotTagged(k)
		}
		dup := false
		for _, x := range transitive {
			if strings.EqualFold(x, k) {
				dup = true
				break
			}
		}
		if !dup {
			transitive = append(transitive, k)
		}
	}
	return tags, transitive, nil
}

// transitiveNotTagged and the messages above are AWS's (localstack's
// recorded AWS answers, tests/aws/services/sts/test_sts.snapshot.json).
func transitiveNotTagged(string) error {
	return awserr.New("InvalidParameterValue", http.StatusBadRequest,
		"The specified transitive tag key must be included in the requested tags.")
}
