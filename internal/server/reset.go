package server

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// errResetOff refuses a reset mantle was not started to allow.
var errResetOff = errors.New("reset refused: this mantle was not started with --allow-reset (reset wipes every user, role, policy, organization and event)")

// Reset wipes the store back to its first-start state: the account with
// its ID and root keys, the AWS managed policies and the token keys stay;
// every user, group, role, customer policy, provider, MFA device, member
// account, organization and event goes, in one change. Events of calls
// made before are stored first, so none lands after the wipe.
func (s *Server) Reset(ctx context.Context) error {
	if !s.cfg.AllowReset {
		return errResetOff
	}
	r, ok := s.backend.(interface {
		Reset(ctx context.Context, keep string) error
	})
	if !ok {
		return errors.New("reset: this store cannot be reset")
	}
	if err := s.Audit.Flush(ctx); err != nil {
		return err
	}
	if err := r.Reset(ctx, s.AccountID); err != nil {
		return err
	}
	s.cfg.Log.Warn("reset: the store is back to its first-start state", "account", s.AccountID)
	return nil
}

func (s *Server) serveReset(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if err := s.Reset(r.Context()); err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, errResetOff) {
			status = http.StatusForbidden
		}
		adminError(w, status, err)
		return
	}
	adminJSON(w, map[string]any{"status": "reset", "account": s.AccountID, "seconds": time.Since(start).Seconds()})
}
