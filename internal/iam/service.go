// Package iam is mantle's IAM domain service: every IAM action as a method
// on Service, taking the verified caller and an input whose field names are
// AWS's request parameters, and returning an output that marshals to AWS's
// XML result. It authorizes each call, enforces AWS's business rules and
// quotas, and keeps the store consistent inside transactions.
package iam

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/secrets"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/webtoken"
)

// Config is what New needs. Store, Authorizer and Sealer are required.
type Config struct {
	Store      store.Store
	Authorizer auth.Authorizer
	Sealer     *secrets.Sealer
	// Now defaults to time.Now.
	Now func() time.Time
	// Rand is the source of IDs and secrets; crypto/rand by default.
	Rand io.Reader
	// Issuer is the accounts' outbound web identity issuer; without it
	// the outbound federation actions answer FeatureDisabled.
	Issuer *webtoken.Issuer
}

// Service implements the IAM actions. Safe for concurrent use.
type Service struct {
	store  store.Store
	authz  auth.Authorizer
	sealer *secrets.Sealer
	now    func() time.Time
	rand   io.Reader
	issuer *webtoken.Issuer
}

// New returns a Service for cfg.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, authz: cfg.Authorizer, sealer: cfg.Sealer, now: cfg.Now, rand: cfg.Rand, issuer: cfg.Issuer}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	return s
}

// Generation is the store's: it advances after every committed change, on
// this node or another, so caches keyed on it (store.Cache) drop what a
// write changed.
func (s *Service) Generation() uint64 { return s.store.Generation() }

// clock returns the current time as IAM stores it: UTC, whole seconds.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Second) }

// write runs fn as a store change: the store stages the request's audit
// event in the transaction, tells the other nodes, and advances the
// generation (store.Change), so no IAM write can skip any of it.
//
// A write that keeps losing to concurrent writers (the store gives up with
// ErrConflict) is AWS's ConcurrentModification, which tells the caller to
// retry, rather than an InternalFailure.
func (s *Service) write(ctx context.Context, fn func(ctx context.Context, tx store.Repos) error) error {
	err := s.store.Change(ctx, fn)
	if errors.Is(err, store.ErrConflict) && awserr.As(err) == nil {
		return awserr.New("ConcurrentModification", http.StatusConflict,
			"The request was rejected because multiple requests to change this object were submitted simultaneously. Wait a few minutes and submit your request again.")
	}
	return err
}

// authorize asks the authorizer whether c may perform action on resource.
func (s *Service) authorize(ctx context.Context, c *auth.Caller, action, resource string, keys ...auth.Key) error {
	return s.authz.Authorize(ctx, c, "iam:"+action, resource, keys...)
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
func isExists(err error) bool   { return errors.Is(err, store.ErrAlreadyExists) }

// notFoundAs turns the store's ErrNotFound into the AWS error the caller
// should see, and passes any other error through.
func notFoundAs(err error, aerr *awserr.Error) error {
	if isNotFound(err) {
		return aerr
	}
	return err
}

// result returns an empty output for actions without result elements, or
// nil and err.
func result[T any](err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return new(T), nil
}
