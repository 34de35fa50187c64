package iam

import (
	"context"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/store"
)

// mfaResyncWindow is how far either side of now ResyncMFADevice looks for
// the two codes: resynchronizing is for a device whose clock drifted, so
// the search is wider than sign-in's one step (an hour either way).
const mfaResyncWindow = 120

// assignedDevice loads the device serial assigned to ownerID.
func assignedDevice(ctx context.Context, tx store.Repos, accountID, ownerID, serial string) (*store.MFADevice, error) {
	d, err := tx.MFADevices().Get(ctx, serial)
	if err != nil || d.AccountID != accountID || d.UserID != ownerID {
		return nil, notFoundAs(orNotFound(err), noSuchDevice(serial))
	}
	return d, nil
}

// GetMFADevice describes a device assigned to the user (or to the root
// user). Certifications are FIDO security keys' only; a virtual device has
// none.
func (s *Service) GetMFADevice(ctx context.Context, c *auth.Caller, in *iamapi.GetMFADeviceInput) (*iamapi.GetMFADeviceOutput, error) {
	ownerID, name, err := s.mfaOwner(ctx, c, "GetMFADevice", in.UserName)
	if err != nil {
		return nil, err
	}
	d, err := assignedDevice(ctx, s.store, c.AccountID, ownerID, in.SerialNumber)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetMFADeviceOutput{UserName: name, SerialNumber: d.SerialNumber, EnableDate: timeOf(d.EnabledAt)}, nil
}

// ResyncMFADevice realigns a device whose clock drifted: two consecutive
// codes found within the window move the device's last accepted step to
// the second one, so neither code (nor an older one) is accepted again.
func (s *Service) ResyncMFADevice(ctx context.Context, c *auth.Caller, in *iamapi.ResyncMFADeviceInput) (*iamapi.ResyncMFADeviceOutput, error) {
	ownerID, _, err := s.mfaOwner(ctx, c, "ResyncMFADevice", in.UserName)
	if err != nil {
		return nil, err
	}
	now := s.step()
	return result[iamapi.ResyncMFADeviceOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		d, err := assignedDevice(ctx, tx, c.AccountID, ownerID, in.SerialNumber)
		if err != nil {
			return err
		}
		seed, err := s.sealer.Open(d.Seed)
		if err != nil {
			return err
		}
		for k := now - mfaResyncWindow; k <= now+mfaResyncWindow; k++ {
			if k-1 > d.LastCounter && totpCode(seed, k-1) == in.AuthenticationCode1 && totpCode(seed, k) == in.AuthenticationCode2 {
				d.LastCounter = k
				return tx.MFADevices().Update(ctx, d)
			}
		}
		return invalidCode()
	}))
}

func (s *Service) mfaTarget(ctx context.Context, c *auth.Caller, action, serial string, keys ...auth.Key) (*store.MFADevice, error) {
	d, err := s.store.MFADevices().Get(ctx, serial)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if err := s.authorize(ctx, c, action, serial, keys...); err != nil {
		return nil, err
	}
	if d == nil || d.AccountID != c.AccountID {
		return nil, noSuchDevice(serial)
	}
	return d, nil
}

func (s *Service) updateMFA(ctx context.Context, c *auth.Caller, action, serial string, f func(*store.MFADevice) error, keys ...auth.Key) error {
	if _, err := s.mfaTarget(ctx, c, action, serial, keys...); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		d, err := tx.MFADevices().Get(ctx, serial)
		if err != nil {
			return notFoundAs(err, noSuchDevice(serial))
		}
		if err := f(d); err != nil {
			return err
		}
		return tx.MFADevices().Update(ctx, d)
	})
}

func (s *Service) mfaTags() tagged[store.MFADevice] {
	return tagged[store.MFADevice]{s.mfaTarget, s.updateMFA, func(d *store.MFADevice) *[]store.Tag { return &d.Tags }}
}

func (s *Service) TagMFADevice(ctx context.Context, c *auth.Caller, in *iamapi.TagMFADeviceInput) (*iamapi.TagMFADeviceOutput, error) {
	return result[iamapi.TagMFADeviceOutput](s.mfaTags().tag(ctx, c, "TagMFADevice", in.SerialNumber, in.Tags))
}

func (s *Service) UntagMFADevice(ctx context.Context, c *auth.Caller, in *iamapi.UntagMFADeviceInput) (*iamapi.UntagMFADeviceOutput, error) {
	return result[iamapi.UntagMFADeviceOutput](s.mfaTags().untag(ctx, c, "UntagMFADevice", in.SerialNumber, in.TagKeys))
}

func (s *Service) ListMFADeviceTags(ctx context.Context, c *auth.Caller, in *iamapi.ListMFADeviceTagsInput) (*iamapi.ListMFADeviceTagsOutput, error) {
	out, err := s.mfaTags().list(ctx, c, "ListMFADeviceTags", in.SerialNumber, in.Marker, in.MaxItems)
	return (*iamapi.ListMFADeviceTagsOutput)(out), err
}

func (s *Service) updateSAML(ctx context.Context, c *auth.Caller, action, arn string, f func(*store.SAMLProvider) error, keys ...auth.Key) error {
	if _, err := s.samlTarget(ctx, c, action, arn, keys...); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		p, err := tx.SAMLProviders().Get(ctx, arn)
		if err != nil {
			return notFoundAs(err, noSuchSAML(arn))
		}
		if err := f(p); err != nil {
			return err
		}
		return tx.SAMLProviders().Update(ctx, p)
	})
}

func (s *Service) samlTags() tagged[store.SAMLProvider] {
	return tagged[store.SAMLProvider]{s.samlTarget, s.updateSAML, func(p *store.SAMLProvider) *[]store.Tag { return &p.Tags }}
}

func (s *Service) TagSAMLProvider(ctx context.Context, c *auth.Caller, in *iamapi.TagSAMLProviderInput) (*iamapi.TagSAMLProviderOutput, error) {
	return result[iamapi.TagSAMLProviderOutput](s.samlTags().tag(ctx, c, "TagSAMLProvider", in.SAMLProviderArn, in.Tags))
}

func (s *Service) UntagSAMLProvider(ctx context.Context, c *auth.Caller, in *iamapi.UntagSAMLProviderInput) (*iamapi.UntagSAMLProviderOutput, error) {
	return result[iamapi.UntagSAMLProviderOutput](s.samlTags().untag(ctx, c, "UntagSAMLProvider", in.SAMLProviderArn, in.TagKeys))
}

func (s *Service) ListSAMLProviderTags(ctx context.Context, c *auth.Caller, in *iamapi.ListSAMLProviderTagsInput) (*iamapi.ListSAMLProviderTagsOutput, error) {
	out, err := s.samlTags().list(ctx, c, "ListSAMLProviderTags", in.SAMLProviderArn, in.Marker, in.MaxItems)
	return (*iamapi.ListSAMLProviderTagsOutput)(out), err
}
