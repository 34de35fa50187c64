package orgs

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	orgsapi "github.com/mantle-iam/mantle/internal/api/organizations"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// Invitations between organizations on one mantle: the management account
// invites an account (by ID or by the email it was created with); a
// principal of that account accepts or declines; the inviter may cancel.
// An open invitation expires after 15 days ("InviteAccountToOrganization").

const handshakeLifetime = 15 * 24 * time.Hour

func handshakeNotFound() error {
	return awserr.New("HandshakeNotFoundException", http.StatusBadRequest,
		"We can't find a handshake with the HandshakeId that you specified.")
}

func invalidTransition() error {
	return awserr.New("InvalidHandshakeTransitionException", http.StatusBadRequest,
		"You can't perform the operation on the handshake in its current state.")
}

func handshakeViolation(reason, msg string) error {
	e := awserr.New("HandshakeConstraintViolationException", http.StatusBadRequest, "%s", msg)
	e.Reason = reason
	return e
}

// state is the handshake's state as of now: an open one past its
// expiry has expired.
func (s *Service) state(h *store.Handshake) string {
	if h.State == "OPEN" && !s.now().Before(h.ExpiresAt) {
		return "EXPIRED"
	}
	return h.State
}

func (s *Service) handshakeOut(ctx context.Context, r store.Repos, h *store.Handshake) (orgsapi.Handshake, error) {
	o, err := r.Organizations().Get(ctx, h.OrganizationID)
	if err != nil {
		return orgsapi.Handshake{}, err
	}
	mgmt, err := r.Accounts().Get(ctx, o.ManagementAccountID)
	if err != nil {
		return orgsapi.Handshake{}, err
	}
	org := []orgsapi.HandshakeResource{
		{Type: "MASTER_EMAIL", Value: mgmt.Email},
		{Type: "MASTER_NAME", Value: mgmt.Name},
		{Type: "ORGANIZATION_FEATURE_SET", Value: o.FeatureSet},
	}
	res := []orgsapi.HandshakeResource{{Type: "ORGANIZATION", Value: o.ID, Resources: org}, {Type: h.TargetType, Value: h.TargetValue}}
	if h.Notes != "" {
		res = append(res, orgsapi.HandshakeResource{Type: "NOTES", Value: h.Notes})
	}
	return orgsapi.Handshake{
		Id: h.ID, Arn: "arn:aws:organizations::" + o.ManagementAccountID + ":handshake/" + o.ID + "/" + strings.ToLower(h.Action) + "/" + h.ID,
		Action: h.Action, State: s.state(h), RequestedTimestamp: h.RequestedAt, ExpirationTimestamp: h.ExpiresAt,
		Parties:   []orgsapi.HandshakeParty{{Id: o.ID, Type: "ORGANIZATION"}, {Id: h.TargetValue, Type: h.TargetType}},
		Resources: res,
	}, nil
}

// findAccount resolves an invitation's target: an account ID or the email
// of an account mantle holds.
func findAccount(ctx context.Context, r store.Repos, typ, id string) (*store.Account, error) {
	all, err := r.Accounts().List(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range all {
		if (typ == "ACCOUNT" && a.ID == id) || (typ == "EMAIL" && a.Email != "" && strings.EqualFold(a.Email, id)) {
			return a, nil
		}
	}
	return nil, accountNotFound()
}

func (s *Service) InviteAccountToOrganization(ctx context.Context, c *auth.Caller, in *orgsapi.InviteAccountToOrganizationInput) (*orgsapi.InviteAccountToOrganizationOutput, error) {
	o, err := s.managed(ctx, c, "InviteAccountToOrganization", anyResource)
	if err != nil {
		return nil, err
	}
	if in.Target == nil || (in.Target.Type != "ACCOUNT" && in.Target.Type != "EMAIL") {
		return nil, awserr.New("InvalidInputException", http.StatusBadRequest, "You can invite an account only by its account ID or email address.")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	h := &store.Handshake{ID: "h-" + randomLower(10), OrganizationID: o.ID, Action: "INVITE", TargetType: in.Target.Type,
		TargetValue: in.Target.Id, State: "OPEN", Notes: in.Notes, RequestedAt: now, ExpiresAt: now.Add(handshakeLifetime)}
	var out orgsapi.Handshake
	err = s.store.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		a, err := findAccount(ctx, tx, in.Target.Type, in.Target.Id)
		if err != nil {
			return err
		}
		if a.OrganizationID == o.ID {
			return awserr.New("DuplicateAccountException", http.StatusBadRequest, "That account is already present in the specified destination.")
		}
		open, err := tx.Organizations().ListHandshakes(ctx, o.ID, "")
		if err != nil {
			return err
		}
		for _, x := range open {
			if x.TargetAccountID == a.ID && s.state(x) == "OPEN" {
				return awserr.New("DuplicateHandshakeException", http.StatusBadRequest,
					"A handshake with the same action and target already exists.")
			}
		}
		h.TargetAccountID = a.ID
		if err := tx.Organizations().PutHandshake(ctx, h); err != nil {
			return err
		}
		if err := tx.Organizations().PutTags(ctx, o.ID, h.ID, storeTags(in.Tags)); err != nil {
			return err
		}
		out, err = s.handshakeOut(ctx, tx, h)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &orgsapi.InviteAccountToOrganizationOutput{Handshake: &out}, nil
}

// respond moves a handshake the caller's account received (or, to cancel,
// one its organization sent) from OPEN to state; accepting also joins.
func (s *Service) respond(ctx context.Context, c *auth.Caller, action, id, state string) (*orgsapi.Handshake, error) {
	if err := s.authorize(ctx, c, action, "*"); err != nil {
		return nil, err
	}
	var out orgsapi.Handshake
	err := s.store.Change(ctx, func(ctx context.Context, tx store.Repos) error {
		h, err := tx.Organizations().GetHandshake(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return handshakeNotFound()
		}
		if err != nil {
			return err
		}
		if state == "CANCELED" {
			o, err := tx.Organizations().Get(ctx, h.OrganizationID)
			if err != nil {
				return err
			}
			if o.ManagementAccountID != c.AccountID {
				return handshakeNotFound()
			}
		} else if h.TargetAccountID != c.AccountID {
			return handshakeNotFound()
		}
		if s.state(h) != "OPEN" {
			return invalidTransition()
		}
		if state == "ACCEPTED" {
			if err := s.join(ctx, tx, h); err != nil {
				return err
			}
		}
		h.State = state
		if err := tx.Organizations().PutHandshake(ctx, h); err != nil {
			return err
		}
		out, err = s.handshakeOut(ctx, tx, h)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// join makes the invited account a member, under the root, with the
// default policy of every enabled type.
func (s *Service) join(ctx context.Context, tx store.Repos, h *store.Handshake) error {
	a, err := tx.Accounts().Get(ctx, h.TargetAccountID)
	if err != nil {
		return err
	}
	if a.OrganizationID != "" {
		return handshakeViolation("ALREADY_IN_AN_ORGANIZATION", "The account is already a member of an organization.")
	}
	o, err := tx.Organizations().Get(ctx, h.OrganizationID)
	if err != nil {
		return err
	}
	a.OrganizationID, a.JoinedMethod, a.Status = o.ID, "INVITED", "ACTIVE"
	a.CreatedAt = s.now().UTC().Truncate(time.Second)
	if err := tx.Accounts().Update(ctx, a); err != nil {
		return err
	}
	return attachDefaults(ctx, tx, o, a.ID)
}

func (s *Service) AcceptHandshake(ctx context.Context, c *auth.Caller, in *orgsapi.AcceptHandshakeInput) (*orgsapi.AcceptHandshakeOutput, error) {
	h, err := s.respond(ctx, c, "AcceptHandshake", in.HandshakeId, "ACCEPTED")
	if err != nil {
		return nil, err
	}
	return &orgsapi.AcceptHandshakeOutput{Handshake: h}, nil
}

func (s *Service) DeclineHandshake(ctx context.Context, c *auth.Caller, in *orgsapi.DeclineHandshakeInput) (*orgsapi.DeclineHandshakeOutput, error) {
	h, err := s.respond(ctx, c, "DeclineHandshake", in.HandshakeId, "DECLINED")
	if err != nil {
		return nil, err
	}
	return &orgsapi.DeclineHandshakeOutput{Handshake: h}, nil
}

func (s *Service) CancelHandshake(ctx context.Context, c *auth.Caller, in *orgsapi.CancelHandshakeInput) (*orgsapi.CancelHandshakeOutput, error) {
	h, err := s.respond(ctx, c, "CancelHandshake", in.HandshakeId, "CANCELED")
	if err != nil {
		return nil, err
	}
	return &orgsapi.CancelHandshakeOutput{Handshake: h}, nil
}

func (s *Service) DescribeHandshake(ctx context.Context, c *auth.Caller, in *orgsapi.DescribeHandshakeInput) (*orgsapi.DescribeHandshakeOutput, error) {
	if err := s.authorize(ctx, c, "DescribeHandshake", "*"); err != nil {
		return nil, err
	}
	h, err := s.store.Organizations().GetHandshake(ctx, in.HandshakeId)
	if errors.Is(err, store.ErrNotFound) {
		return nil, handshakeNotFound()
	}
	if err != nil {
		return nil, err
	}
	// Either party may read it.
	if h.TargetAccountID != c.AccountID {
		o, err := s.store.Organizations().Get(ctx, h.OrganizationID)
		if err != nil {
			return nil, err
		}
		if o.ManagementAccountID != c.AccountID {
			return nil, handshakeNotFound()
		}
	}
	out, err := s.handshakeOut(ctx, s.store, h)
	if err != nil {
		return nil, err
	}
	return &orgsapi.DescribeHandshakeOutput{Handshake: &out}, nil
}

func (s *Service) listHandshakes(ctx context.Context, list []*store.Handshake, f *orgsapi.HandshakeFilter, token string, max *int) ([]orgsapi.Handshake, string, error) {
	var picked []*store.Handshake
	for _, h := range list {
		if f != nil && f.ActionType != "" && f.ActionType != h.Action {
			continue
		}
		if f != nil && f.ParentHandshakeId != "" {
			continue // mantle's invitations have no parent handshake
		}
		picked = append(picked, h)
	}
	page, next, err := pageOf(picked, func(h *store.Handshake) string { return h.ID }, token, max)
	if err != nil {
		return nil, "", err
	}
	out := make([]orgsapi.Handshake, 0, len(page))
	for _, h := range page {
		hs, err := s.handshakeOut(ctx, s.store, h)
		if err != nil {
			return nil, "", err
		}
		out = append(out, hs)
	}
	return out, next, nil
}

func (s *Service) ListHandshakesForAccount(ctx context.Context, c *auth.Caller, in *orgsapi.ListHandshakesForAccountInput) (*orgsapi.ListHandshakesForAccountOutput, error) {
	if err := s.authorize(ctx, c, "ListHandshakesForAccount", "*"); err != nil {
		return nil, err
	}
	list, err := s.store.Organizations().ListHandshakes(ctx, "", c.AccountID)
	if err != nil {
		return nil, err
	}
	hs, next, err := s.listHandshakes(ctx, list, in.Filter, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return &orgsapi.ListHandshakesForAccountOutput{Handshakes: hs, NextToken: next}, nil
}

func (s *Service) ListHandshakesForOrganization(ctx context.Context, c *auth.Caller, in *orgsapi.ListHandshakesForOrganizationInput) (*orgsapi.ListHandshakesForOrganizationOutput, error) {
	o, err := s.managed(ctx, c, "ListHandshakesForOrganization", anyResource)
	if err != nil {
		return nil, err
	}
	list, err := s.store.Organizations().ListHandshakes(ctx, o.ID, "")
	if err != nil {
		return nil, err
	}
	hs, next, err := s.listHandshakes(ctx, list, in.Filter, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	return &orgsapi.ListHandshakesForOrganizationOutput{Handshakes: hs, NextToken: next}, nil
}
