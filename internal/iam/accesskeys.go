package iam

import (
	"context"
	"errors"
	"fmt"
	"time"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	"github.com/mantle-iam/mantle/internal/audit"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

func noSuchKey(id string) *awserr.Error {
	return awserr.NoSuchEntity("The Access Key with id %s cannot be found.", id)
}

// keyOwner is whose keys an access-key action is about: an IAM user, or the
// root user when user is nil.
type keyOwner struct {
	user *store.User
}

func (o keyOwner) userID() string {
	if o.user == nil {
		return ""
	}
	return o.user.ID
}

func (o keyOwner) userName() string {
	if o.user == nil {
		return ""
	}
	return o.user.Name
}

// keyOwnerTarget resolves the optional UserName of the access-key actions
// and authorizes the caller against the owner.
func (s *Service) keyOwnerTarget(ctx context.Context, c *auth.Caller, action, userName string) (keyOwner, error) {
	name, err := selfUserName(c, userName)
	if err != nil {
		return keyOwner{}, err
	}
	if name == "" {
		return keyOwner{}, s.authorize(ctx, c, action, rootARN(c.AccountID))
	}
	u, err := s.userTarget(ctx, c, action, name)
	if err != nil {
		return keyOwner{}, err
	}
	return keyOwner{user: u}, nil
}

func (s *Service) CreateAccessKey(ctx context.Context, c *auth.Caller, in *iamapi.CreateAccessKeyInput) (*iamapi.CreateAccessKeyOutput, error) {
	o, err := s.keyOwnerTarget(ctx, c, "CreateAccessKey", in.UserName)
	if err != nil {
		return nil, err
	}
	k, secret, err := s.createKey(ctx, c.AccountID, o.userID(), "", "")
	if err != nil {
		return nil, err
	}
	// A new long-term key issues credentials like an STS call: its complete
	// event (the key's ID in responseElements) is stored before the answer,
	// so a key that survives a crash can always be traced to who created it;
	// the provisional event staged with the write has no key ID yet.
	audit.Durable(ctx)
	return &iamapi.CreateAccessKeyOutput{AccessKey: &iamapi.AccessKey{UserName: o.userName(), AccessKeyId: k.ID, Status: k.Status,
		SecretAccessKey: secret, CreateDate: k.CreatedAt}}, nil
}

// createKey stores a key for userID ("" for root), generating the ID and
// secret unless given, within the two-keys quota.
func (s *Service) createKey(ctx context.Context, accountID, userID, id, secret string) (*store.AccessKey, string, error) {
	if id == "" {
		var err error
		if id, secret, err = s.newAccessKey(); err != nil {
			return nil, "", err
		}
	}
	sealed, err := s.sealer.Seal([]byte(secret))
	if err != nil {
		return nil, "", err
	}
	k := &store.AccessKey{ID: id, AccountID: accountID, UserID: userID, Secret: sealed, Status: "Active", CreatedAt: s.clock()}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if userID != "" {
			if _, err := tx.Users().GetByID(ctx, userID); err != nil {
				return notFoundAs(err, awserr.NoSuchEntity("The user with id %s cannot be found.", userID))
			}
		}
		keys, err := tx.AccessKeys().ListForUser(ctx, accountID, userID)
		if err != nil {
			return err
		}
		if len(keys) >= quotaAccessKeysPerUser {
			return awserr.LimitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", quotaAccessKeysPerUser)
		}
		if err := tx.AccessKeys().Create(ctx, k); err != nil {
			if isExists(err) {
				return awserr.EntityAlreadyExists("Access key %s already exists.", id)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// ownedKey loads a key and checks it belongs to the owner; a key of anyone
// else is reported as not found, as AWS does.
func ownedKey(ctx context.Context, r store.Repos, accountID string, o keyOwner, id string) (*store.AccessKey, error) {
	k, err := r.AccessKeys().Get(ctx, id)
	if err != nil {
		return nil, notFoundAs(err, noSuchKey(id))
	}
	if k.AccountID != accountID || k.UserID != o.userID() {
		return nil, noSuchKey(id)
	}
	return k, nil
}

func (s *Service) UpdateAccessKey(ctx context.Context, c *auth.Caller, in *iamapi.UpdateAccessKeyInput) (*iamapi.UpdateAccessKeyOutput, error) {
	if in.Status != "Active" && in.Status != "Inactive" {
		return nil, awserr.ValidationError("1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", in.Status)
	}
	o, err := s.keyOwnerTarget(ctx, c, "UpdateAccessKey", in.UserName)
	if err != nil {
		return nil, err
	}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		k, err := ownedKey(ctx, tx, c.AccountID, o, in.AccessKeyId)
		if err != nil {
			return err
		}
		k.Status = in.Status
		return tx.AccessKeys().Update(ctx, k)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateAccessKeyOutput{}, nil
}

func (s *Service) DeleteAccessKey(ctx context.Context, c *auth.Caller, in *iamapi.DeleteAccessKeyInput) (*iamapi.DeleteAccessKeyOutput, error) {
	o, err := s.keyOwnerTarget(ctx, c, "DeleteAccessKey", in.UserName)
	if err != nil {
		return nil, err
	}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if _, err := ownedKey(ctx, tx, c.AccountID, o, in.AccessKeyId); err != nil {
			return err
		}
		return tx.AccessKeys().Delete(ctx, in.AccessKeyId)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteAccessKeyOutput{}, nil
}

func (s *Service) ListAccessKeys(ctx context.Context, c *auth.Caller, in *iamapi.ListAccessKeysInput) (*iamapi.ListAccessKeysOutput, error) {
	o, err := s.keyOwnerTarget(ctx, c, "ListAccessKeys", in.UserName)
	if err != nil {
		return nil, err
	}
	p, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	keys, err := s.store.AccessKeys().ListForUser(ctx, c.AccountID, o.userID())
	if err != nil {
		return nil, err
	}
	keys, trunc, m, _ := cutSlice(p, keys, func(k *store.AccessKey) string { return k.CreatedAt.Format(time.RFC3339) + k.ID })
	out := &iamapi.ListAccessKeysOutput{AccessKeyMetadata: []iamapi.AccessKeyMetadata{}, IsTruncated: ptr(trunc), Marker: m}
	for _, k := range keys {
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, iamapi.AccessKeyMetadata{UserName: o.userName(),
			AccessKeyId: k.ID, Status: k.Status, CreateDate: k.CreatedAt})
	}
	return out, nil
}

// GetAccessKeyLastUsed is authorized against the key's owner.
func (s *Service) GetAccessKeyLastUsed(ctx context.Context, c *auth.Caller, in *iamapi.GetAccessKeyLastUsedInput) (*iamapi.GetAccessKeyLastUsedOutput, error) {
	k, err := s.store.AccessKeys().Get(ctx, in.AccessKeyId)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if k != nil && k.AccountID != c.AccountID {
		k = nil
	}
	var u *store.User
	resource := listARN(c.AccountID, "user")
	if k != nil {
		if k.UserID == "" {
			resource = rootARN(c.AccountID)
		} else if u, err = s.store.Users().GetByID(ctx, k.UserID); err != nil {
			return nil, err
		} else {
			resource = userARNOf(u)
		}
	}
	if err := s.authorize(ctx, c, "GetAccessKeyLastUsed", resource); err != nil {
		return nil, err
	}
	if k == nil {
		return nil, noSuchKey(in.AccessKeyId)
	}
	out := &iamapi.GetAccessKeyLastUsedOutput{AccessKeyLastUsed: &iamapi.AccessKeyLastUsed{ServiceName: "N/A", Region: "N/A"}}
	if u != nil {
		out.UserName = u.Name
	}
	if k.LastUsedAt != nil {
		t := k.LastUsedAt.UTC()
		out.AccessKeyLastUsed = &iamapi.AccessKeyLastUsed{LastUsedDate: t, ServiceName: k.LastUsedService, Region: k.LastUsedRegion}
	}
	return out, nil
}

// ErrUnknownAccessKey is what LookupAccessKey returns (wrapped) for a key
// that does not exist or is inactive; the server answers
// InvalidClientTokenId for it.
var ErrUnknownAccessKey = errors.New("iam: unknown or inactive access key")

// LookupAccessKey returns an active key with its secret opened, and the user
// who owns it (nil for a root key), for signature verification.
func (s *Service) LookupAccessKey(ctx context.Context, id string) (*store.AccessKey, string, *store.User, error) {
	k, err := s.store.AccessKeys().Get(ctx, id)
	if isNotFound(err) {
		return nil, "", nil, fmt.Errorf("%w: %s", ErrUnknownAccessKey, id)
	}
	if err != nil {
		return nil, "", nil, err
	}
	if k.Status != "Active" {
		return nil, "", nil, fmt.Errorf("%w: %s is %s", ErrUnknownAccessKey, id, k.Status)
	}
	secret, err := s.sealer.Open(k.Secret)
	if err != nil {
		return nil, "", nil, fmt.Errorf("iam: open secret of %s: %w", id, err)
	}
	var u *store.User
	if k.UserID != "" {
		if u, err = s.store.Users().GetByID(ctx, k.UserID); err != nil {
			if isNotFound(err) {
				return nil, "", nil, fmt.Errorf("%w: %s has no user", ErrUnknownAccessKey, id)
			}
			return nil, "", nil, err
		}
	}
	return k, string(secret), u, nil
}

// lastUsedGranularity bounds how often RecordAccessKeyUse writes: a signed
// request per write would serialize every call on the store, and AWS itself
// reports last use with coarse precision.
const lastUsedGranularity = time.Minute

// RecordAccessKeyUse notes that key id signed a request to service (e.g.
// "iam", "sts") in region. It does not change any principal's policies, so
// it is bookkeeping (store.Tx), not a change.
func (s *Service) RecordAccessKeyUse(ctx context.Context, id, service, region string) error {
	now := s.clock()
	return s.store.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		k, err := tx.AccessKeys().Get(ctx, id)
		if err != nil {
			return err
		}
		if k.LastUsedAt != nil && now.Sub(*k.LastUsedAt) < lastUsedGranularity &&
			k.LastUsedService == service && k.LastUsedRegion == region {
			return nil
		}
		k.LastUsedAt, k.LastUsedService, k.LastUsedRegion = &now, service, region
		return tx.AccessKeys().Update(ctx, k)
	})
}

// CreateRootAccessKey imports a root access key (e.g. from the environment)
// for accountID. Importing a key that already exists for that account with
// the same secret succeeds, so a restart with the same environment is a
// no-op.
func (s *Service) CreateRootAccessKey(ctx context.Context, accountID, id, secret string) error {
	if err := CheckRootKey(id, secret); err != nil {
		return awserr.ValidationError("%v", err)
	}
	if k, err := s.store.AccessKeys().Get(ctx, id); err == nil {
		old, err := s.sealer.Open(k.Secret)
		if err == nil && string(old) == secret && k.AccountID == accountID && k.UserID == "" {
			return nil
		}
		return awserr.EntityAlreadyExists("Access key %s already exists.", id)
	} else if !isNotFound(err) {
		return err
	}
	_, _, err := s.createKey(ctx, accountID, "", id, secret)
	return err
}

// GenerateRootAccessKey creates a fresh root access key for accountID and
// returns it with its secret.
func (s *Service) GenerateRootAccessKey(ctx context.Context, accountID string) (id, secret string, err error) {
	k, secret, err := s.createKey(ctx, accountID, "", "", "")
	if err != nil {
		return "", "", err
	}
	return k.ID, secret, nil
}
