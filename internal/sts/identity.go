package sts

import (
	"context"
	"errors"
	"net/http"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

type GetCallerIdentityInput struct{}

type GetCallerIdentityOutput struct {
	UserId  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

// GetCallerIdentity is never denied: AWS answers it even when a policy
// explicitly denies sts:GetCallerIdentity.
func (s *Service) GetCallerIdentity(ctx context.Context, c *auth.Caller, in *GetCallerIdentityInput) (*GetCallerIdentityOutput, error) {
	return &GetCallerIdentityOutput{UserId: c.UserID, Account: c.AccountID, Arn: c.ARN}, nil
}

type GetAccessKeyInfoInput struct {
	AccessKeyId string `aws:"required,min=16,max=128" pattern:"[\\w]*"`
}

type GetAccessKeyInfoOutput struct {
	Account string `xml:"Account"`
}

// GetAccessKeyInfo answers with the account a key belongs to: from the store
// for long-term keys mantle holds, and otherwise from the account AWS's key
// layout encodes (mantle's temporary keys use it), which is what AWS does for
// any key whatever its state.
func (s *Service) GetAccessKeyInfo(ctx context.Context, c *auth.Caller, in *GetAccessKeyInfoInput) (*GetAccessKeyInfoOutput, error) {
	if err := restrict(c, "GetAccessKeyInfo"); err != nil {
		return nil, err
	}
	if err := s.authz.Authorize(ctx, c, "sts:GetAccessKeyInfo", "*"); err != nil {
		return nil, err
	}
	k, err := s.store.AccessKeys().Get(ctx, in.AccessKeyId)
	switch {
	case err == nil:
		return &GetAccessKeyInfoOutput{Account: k.AccountID}, nil
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	if acct, ok := accountFromKeyID(in.AccessKeyId); ok {
		return &GetAccessKeyInfoOutput{Account: acct}, nil
	}
	return nil, awserr.New("InvalidParameterValue", http.StatusBadRequest,
		"The access key ID %s is not valid.", in.AccessKeyId)
}

type DecodeAuthorizationMessageInput struct {
	EncodedMessage string `aws:"required,min=1,max=10240"`
}

type DecodeAuthorizationMessageOutput struct {
	DecodedMessage string `xml:"DecodedMessage"`
}

func (s *Service) DecodeAuthorizationMessage(ctx context.Context, c *auth.Caller, in *DecodeAuthorizationMessageInput) (*DecodeAuthorizationMessageOutput, error) {
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
	return &DecodeAuthorizationMessageOutput{DecodedMessage: string(js)}, nil
}

func invalidMessage() error {
	return awserr.New("InvalidAuthorizationMessageException", http.StatusBadRequest,
		"The error message is invalid or has expired.")
}
