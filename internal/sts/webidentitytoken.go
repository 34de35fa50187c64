package sts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/webtoken"
)

// GetWebIdentityToken's rules ("Outbound identity federation"): a lifetime
// of 60 to 3,600 seconds, 300 by default, never beyond the caller's own
// session; RS256 or ES384; request tags carried as claims; a token of at
// most maxJWTSize bytes.
const (
	defaultWebTokenSeconds = 300
	maxJWTSize             = 16384
)

func outboundDisabled() *awserr.Error {
	return awserr.New("OutboundWebIdentityFederationDisabledException", http.StatusForbidden,
		"Outbound web identity federation is disabled for this account.")
}

// GetWebIdentityToken signs a JWT about the caller with its account's
// outbound issuer: sub is the caller's ARN (for a role session, the role's,
// which is what relying parties trust), aud the audiences asked for, and
// "https://sts.amazonaws.com/" the account, the session's principal ID,
// source identity and the request's tags.
func (s *Service) GetWebIdentityToken(ctx context.Context, c *auth.Caller, in *stsapi.GetWebIdentityTokenInput) (*stsapi.GetWebIdentityTokenOutput, error) {
	if err := restrict(c, "GetWebIdentityToken"); err != nil {
		return nil, err
	}
	keys := make([]auth.Key, 0, 1+len(in.Tags))
	tagKeys := make([]string, 0, len(in.Tags))
	requestTags := map[string]string{}
	for _, t := range in.Tags {
		keys = append(keys, auth.Key{Name: "aws:RequestTag/" + t.Key, Values: []string{t.Value}})
		tagKeys = append(tagKeys, t.Key)
		requestTags[t.Key] = t.Value
	}
	if len(tagKeys) > 0 {
		keys = append(keys, auth.Key{Name: "aws:TagKeys", Values: tagKeys})
	}
	if err := s.authz.Authorize(ctx, c, "sts:GetWebIdentityToken", "*", keys...); err != nil {
		return nil, err
	}
	alg := in.SigningAlgorithm
	if alg != webtoken.RS256 && alg != webtoken.ES384 {
		return nil, awserr.ValidationError("1 validation error detected: Value '%s' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RS256, ES384]", alg)
	}
	if s.issuer == nil {
		return nil, outboundDisabled()
	}
	secs := defaultWebTokenSeconds
	if in.DurationSeconds != nil {
		secs = *in.DurationSeconds
	}
	now := s.clock()
	exp := now.Add(time.Duration(secs) * time.Second)
	if !c.Expiration.IsZero() && exp.After(c.Expiration) {
		return nil, awserr.New("SessionDurationEscalationException", http.StatusForbidden,
			"The requested token duration exceeds the remaining lifetime of the caller's session.")
	}
	subject := c.ARN
	if c.Kind == auth.KindAssumedRole {
		subject = "arn:aws:iam::" + c.AccountID + ":role" + c.Path + c.Name
	}
	claims := map[string]any{"aws_account": c.AccountID, "principal_id": c.UserID}
	if c.SourceIdentity != "" {
		claims["source_identity"] = c.SourceIdentity
	}
	if len(requestTags) > 0 {
		claims["request_tags"] = requestTags
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return nil, err
	}
	tok, err := s.issuer.Sign(ctx, s.store, &webtoken.Token{AccountID: c.AccountID, Subject: subject, Audience: in.Audience,
		Algorithm: alg, IssuedAt: now, Expires: exp, ID: hex.EncodeToString(jti), Claims: claims})
	if errors.Is(err, webtoken.ErrDisabled) {
		return nil, outboundDisabled()
	}
	if err != nil {
		return nil, err
	}
	if len(tok) > maxJWTSize {
		return nil, awserr.New("JWTPayloadSizeExceededException", http.StatusBadRequest, "The JWT payload size exceeds the maximum allowed size.")
	}
	return &stsapi.GetWebIdentityTokenOutput{WebIdentityToken: tok, Expiration: exp}, nil
}
