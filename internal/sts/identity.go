package sts

import (
	"context"
	"errors"
	"net/http"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// GetCallerIdentity is never denied: AWS answers it even when a policy
// explicitly denies sts:GetCallerIdentity.
func (s *Service) GetCallerIdentity(ctx context.Context, c *auth.Caller, in *stsapi.GetCallerIdentityInput) (*stsapi.GetCallerIdentityOutput, error) {
	return &stsapi.GetCallerIdentityOutput{UserId: c.UserID, Account: c.AccountID, Arn: c.ARN}, nil
}

// GetAccessKeyInfo answers with the account a key belongs to: from the store
// for long-term keys mantle holds, and otherwise from the account AWS's key
// layout encodes (mantle's temporary keys use it), which is what AWS does for
// any key whatever its state.
func (s *Service) GetAccessKeyInfo(ctx context.Context, c *auth.Caller, in *stsapi.GetAccessKeyInfoInput) (*stsapi.GetAccessKeyInfoOutput, error) {
	if err := restrict(c, "GetAccessKeyInfo"); err != nil {
		return nil, err
	}
	if err := s.authz.Authorize(ctx, c, "sts:GetAccessKeyInfo", "*"); err != nil {
		return nil, err
	}
	k, err := s.store.AccessKeys().Get(ctx, in.AccessKeyId)
	switch {
	case err == nil:
		return &stsapi.GetAccessKeyInfoOutput{Account: k.AccountID}, nil
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	if acct, ok := accountFromKeyID(in.AccessKeyId); ok {
		return &stsapi.GetAccessKeyInfoOutput{Account: acct}, nil
	}
	return nil, awserr.New("InvalidParameterValue", http.StatusBadRequest,
		"The access key ID %s is not valid.", in.AccessKeyId)
}

func (s *Service) DecodeAuthorizationMessage(ctx context.Context, c *auth.Caller, in *stsapi.DecodeAuthorizationMessageInput) (*stsapi.DecodeAuthorizationMessageOutput, error) {
	if err := restrict(c, "DecodeAuthorizationMessage"); err != nil {
		return nil, err
	}
	if err := s.authz.Authorize(ctx, c, "sts:DecodeAuthorizationMessage", "*"); err != nil {
		return nil, err
	}
	if s.messages == nil {
		return nil, invalidMessage()
	}
	js, err := s.messages.Decode(in.EncodedMessage)
	if err != nil {
		return nil, invalidMessage()
	}
	return &stsapi.DecodeAuthorizationMessageOutput{DecodedMessage: string(js)}, nil
}

func invalidMessage() error {
	return awserr.New("InvalidAuthorizationMessageException", http.StatusBadRequest,
		"The error message is invalid or has expired.")
}
