package server

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
)

// An operation of the model without a handler answers 501 NotImplemented
// naming the service and the operation, before its input is even read;
// served ones decode, validate and call their handler.
func TestOperationsNotImplemented(t *testing.T) {
	called := false
	actions := Operations((&stsapi.Handlers{
		GetCallerIdentity: func(ctx context.Context, c *auth.Caller, in *stsapi.GetCallerIdentityInput) (*stsapi.GetCallerIdentityOutput, error) {
			called = true
			return &stsapi.GetCallerIdentityOutput{Account: c.AccountID}, nil
		},
	}).Operations())
	ctx, c := context.Background(), &auth.Caller{AccountID: "111122223333"}

	_, err := actions["GetSessionToken"](ctx, c, url.Values{"DurationSeconds": {"1"}})
	e := awserr.As(err)
	if e == nil || e.Code != "NotImplemented" || e.Status != http.StatusNotImplemented ||
		e.Message != "STS operation GetSessionToken is not implemented by mantle." {
		t.Fatalf("unserved operation: %v", err)
	}
	res, err := actions["GetCallerIdentity"](ctx, c, url.Values{})
	if err != nil || !called || res.(*stsapi.GetCallerIdentityOutput).Account != c.AccountID {
		t.Fatalf("served operation: %v, %v", res, err)
	}
	if _, ok := actions["AssumeRole"]; !ok {
		t.Error("every operation of the model is in the table")
	}
}
