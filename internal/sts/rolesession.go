package sts

import (
	"context"
	"time"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/token"
)

// roleSession is what a new role session is made of, whichever of
// AssumeRole, AssumeRoleWithWebIdentity and AssumeRoleWithSAML grants it.
type roleSession struct {
	entry *roleEntry
	name  string
	// duration is the requested DurationSeconds (nil: the default); chained
	// caps it at an hour.
	duration *int
	chained  bool
	// notAfter, when set, ends the session no later than this (a SAML
	// assertion's SessionNotOnOrAfter).
	notAfter          time.Time
	region            string
	sourceArn         string
	sourceIdentity    string
	mfa               bool
	mfaTime           time.Time
	tags              []token.Tag
	transitive        []string
	policy            string
	policyARNs        []string
	chainDepth        int
	federatedProvider string
}

// issuedSession is a role session's part of every AssumeRole* result.
type issuedSession struct {
	creds  *stsapi.Credentials
	user   *stsapi.AssumedRoleUser
	packed *int
}

// issueRoleSession applies the duration rules and the packed-size limit,
// then seals the session. The caller has already evaluated the trust policy.
func (s *Service) issueRoleSession(now time.Time, rs *roleSession) (*issuedSession, error) {
	r := rs.entry.role
	duration, err := roleDuration(rs.duration, r.MaxSessionDuration, rs.chained)
	if err != nil {
		return nil, err
	}
	expires := now.Add(time.Duration(duration) * time.Second)
	if !rs.notAfter.IsZero() && rs.notAfter.Before(expires) {
		expires = rs.notAfter.UTC().Truncate(time.Second)
	}

	var packed *int
	if rs.policy != "" || len(rs.policyARNs) > 0 || len(rs.tags) > 0 {
		pct, err := packedSize(rs.policy, rs.policyARNs, rs.tags)
		if err != nil {
			return nil, err
		}
		packed = &pct
	}

	cl := token.Claims{
		Kind:              token.KindAssumedRole,
		AccountID:         r.AccountID,
		IssuedAt:          now,
		ExpiresAt:         expires,
		PrincipalID:       r.ID,
		PrincipalName:     r.Name,
		Path:              r.Path,
		SessionName:       rs.name,
		SourceArn:         rs.sourceArn,
		SourceIdentity:    rs.sourceIdentity,
		FederatedProvider: rs.federatedProvider,
		MFAAuthenticated:  rs.mfa,
		MFAAuthTime:       rs.mfaTime,
		Tags:              rs.tags,
		TransitiveTagKeys: rs.transitive,
		SessionPolicy:     rs.policy,
		SessionPolicyARNs: rs.policyARNs,
		ChainDepth:        rs.chainDepth,
	}
	creds, err := s.issue(&cl)
	if err != nil {
		return nil, err
	}
	s.uses.note(r.ID, rs.region, now)
	return &issuedSession{
		creds: creds,
		user: &stsapi.AssumedRoleUser{
			AssumedRoleId: r.ID + ":" + rs.name,
			Arn:           "arn:aws:sts::" + r.AccountID + ":assumed-role/" + r.Name + "/" + rs.name,
		},
		packed: packed,
	}, nil
}

// appendSessionKeys adds the request-context keys every AssumeRole* action
// sets from the session it would create.
func appendSessionKeys(keys []auth.Key, name, sourceIdentity string, tags []token.Tag, transitive []string) []auth.Key {
	keys = append(keys, auth.Key{Name: "sts:RoleSessionName", Values: []string{name}})
	if sourceIdentity != "" {
		keys = append(keys, auth.Key{Name: "sts:SourceIdentity", Values: []string{sourceIdentity}})
	}
	if len(tags) > 0 {
		tagKeys := make([]string, len(tags))
		for i, t := range tags {
			tagKeys[i] = t.Key
			keys = append(keys, auth.Key{Name: "aws:RequestTag/" + t.Key, Values: []string{t.Value}})
		}
		keys = append(keys, auth.Key{Name: "aws:TagKeys", Values: tagKeys})
		if len(transitive) > 0 {
			keys = append(keys, auth.Key{Name: "sts:TransitiveTagKeys", Values: transitive})
		}
	}
	return keys
}

// trustSession evaluates the trust policy for the action and for what the
// session adds: sts:TagSession when it has tags, sts:SetSourceIdentity when
// it sets a source identity.
func (s *Service) trustSession(ctx context.Context, c *auth.Caller, action string, e *roleEntry, keys []auth.Key, tagged, setsSourceIdentity bool) error {
	if err := s.trust(ctx, c, action, e, keys); err != nil {
		return err
	}
	if tagged {
		if err := s.trust(ctx, c, "sts:TagSession", e, keys); err != nil {
			return err
		}
	}
	if setsSourceIdentity {
		return s.trust(ctx, c, "sts:SetSourceIdentity", e, keys)
	}
	return nil
}
