package iam

import (
	"context"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// credKind is one kind of a user's other credentials (SSH public keys,
// signing certificates, service-specific credentials) as its actions see
// it: the same owner rules (a user, or the root user where AWS allows
// it), one store, different words.
type credKind struct {
	kind  store.CredentialKind
	quota int
	// notFound is the NoSuchEntity of an ID the owner does not have.
	notFound func(id string) *awserr.Error
	// limit is the LimitExceeded of a full quota.
	limit string
}

// credOwner authorizes action on the owner named by userName (the caller
// when empty) and returns it.
func (s *Service) credOwner(ctx context.Context, c *auth.Caller, action, userName string) (keyOwner, error) {
	return s.keyOwnerTarget(ctx, c, action, userName)
}

// load returns the owner's credential id, refusing another owner's.
func (k credKind) load(ctx context.Context, tx store.Repos, accountID string, o keyOwner, id string) (*store.UserCredential, error) {
	cr, err := tx.UserCredentials().Get(ctx, k.kind, id)
	if err != nil || cr.AccountID != accountID || cr.UserID != o.userID() {
		return nil, notFoundAs(orNotFound(err), k.notFound(id))
	}
	return cr, nil
}

// create stores cr within the owner's quota; exists is what a duplicate ID
// means for this kind.
func (k credKind) create(ctx context.Context, s *Service, cr *store.UserCredential, exists func() *awserr.Error, same func(*store.UserCredential) bool) error {
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		have, err := tx.UserCredentials().ListForUser(ctx, k.kind, cr.AccountID, cr.UserID)
		if err != nil {
			return err
		}
		for _, h := range have {
			if same != nil && same(h) {
				return exists()
			}
		}
		if k.quota > 0 && len(have) >= k.quota {
			return awserr.LimitExceeded("%s", k.limit)
		}
		if err := tx.UserCredentials().Create(ctx, cr); err != nil {
			if isExists(err) {
				return exists()
			}
			return err
		}
		return nil
	})
}

// update applies f to the owner's credential id.
func (k credKind) update(ctx context.Context, s *Service, accountID string, o keyOwner, id string, f func(*store.UserCredential) error) error {
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		cr, err := k.load(ctx, tx, accountID, o, id)
		if err != nil {
			return err
		}
		if err := f(cr); err != nil {
			return err
		}
		return tx.UserCredentials().Update(ctx, cr)
	})
}

func (k credKind) delete(ctx context.Context, s *Service, accountID string, o keyOwner, id string) error {
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if _, err := k.load(ctx, tx, accountID, o, id); err != nil {
			return err
		}
		return tx.UserCredentials().Delete(ctx, k.kind, id)
	})
}

// setStatus answers Update{SSHPublicKey,SigningCertificate,
// ServiceSpecificCredential}: authorize on the owner, then set the status.
func (k credKind) setStatus(ctx context.Context, s *Service, c *auth.Caller, action, userName, id, status string) error {
	o, err := s.credOwner(ctx, c, action, userName)
	if err != nil {
		return err
	}
	return k.update(ctx, s, c.AccountID, o, id, func(cr *store.UserCredential) error {
		cr.Status = status
		return nil
	})
}

// remove answers the Delete actions of the kind.
func (k credKind) remove(ctx context.Context, s *Service, c *auth.Caller, action, userName, id string) error {
	o, err := s.credOwner(ctx, c, action, userName)
	if err != nil {
		return err
	}
	return k.delete(ctx, s, c.AccountID, o, id)
}

// list returns the owner's credentials sorted by ID for paging.
func (k credKind) list(ctx context.Context, s *Service, accountID string, o keyOwner) ([]*store.UserCredential, error) {
	all, err := s.store.UserCredentials().ListForUser(ctx, k.kind, accountID, o.userID())
	if err != nil {
		return nil, err
	}
	sortBy(all, func(c *store.UserCredential) string { return c.ID })
	return all, nil
}

func credID(c *store.UserCredential) string { return c.ID }

// userCredentialConflict is DeleteUser's check that the user has none of
// these credentials left, in the order IAM names them.
func userCredentialConflict(ctx context.Context, tx store.Repos, u *store.User) error {
	for _, k := range []struct {
		kind store.CredentialKind
		msg  string
	}{
		{store.CredentialSigningCert, "Cannot delete entity, must delete signing certificates first."},
		{store.CredentialSSHKey, "Cannot delete entity, must delete SSH public keys first."},
		{store.CredentialService, "Cannot delete entity, must delete service specific credentials first."},
	} {
		have, err := tx.UserCredentials().ListForUser(ctx, k.kind, u.AccountID, u.ID)
		if err != nil {
			return err
		}
		if len(have) > 0 {
			return awserr.DeleteConflict("%s", k.msg)
		}
	}
	return nil
}
