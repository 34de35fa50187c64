package iam

import (
	"bytes"
	"context"
	"encoding/base32"
	"image/png"
	"net/http"
	"net/url"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

const (
	totpPeriod   = 30
	mfaSeedBytes = 40 // AWS's Base32StringSeed is 64 base32 characters
	// mfaEnableWindow is how many time steps back EnableMFADevice looks for
	// the first code: people read codes off a phone and type slowly.
	mfaEnableWindow = 10
)

func invalidCode() *awserr.Error {
	return awserr.New("InvalidAuthenticationCode", http.StatusForbidden, "Authentication code for device is not valid.")
}

// noSuchDevice is AWS's NoSuchEntity for a serial number the account has
// no device under (or, for the actions about a user's devices, not
// assigned to that user), as recorded by localstack's AWS snapshots
// (test_iam_mfa.snapshot.json: DeleteVirtualMFADevice, DeactivateMFADevice).
func noSuchDevice(serial string) *awserr.Error {
	return awserr.NoSuchEntity("MFA Device with serial number %s does not exist.", serial)
}

// totpCode is the 6-digit RFC 6238 code of seed for time step counter.
func totpCode(seed []byte, counter int64) string {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(seed)
	code, _ := hotp.GenerateCodeCustom(secret, uint64(counter), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	return code
}

func (s *Service) step() int64 { return s.now().Unix() / totpPeriod }

func (s *Service) CreateVirtualMFADevice(ctx context.Context, c *auth.Caller, in *iamapi.CreateVirtualMFADeviceInput) (*iamapi.CreateVirtualMFADeviceOutput, error) {
	if err := checkPath(in.Path); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	path := pathOr(in.Path)
	serial := iamARN(c.AccountID, "mfa", path, in.VirtualMFADeviceName)
	if err := s.authorize(ctx, c, "CreateVirtualMFADevice", serial, requestTagKeys(in.Tags)...); err != nil {
		return nil, err
	}
	seed := make([]byte, mfaSeedBytes)
	if _, err := s.rand.Read(seed); err != nil {
		return nil, err
	}
	sealed, err := s.sealer.Seal(seed)
	if err != nil {
		return nil, err
	}
	secret := base32.StdEncoding.EncodeToString(seed)
	q := url.Values{"secret": {secret}, "issuer": {"Amazon Web Services"}}
	key, err := otp.NewKeyFromURL("otpauth://totp/" + url.PathEscape("Amazon Web Services:"+in.VirtualMFADeviceName+"@"+c.AccountID) + "?" + q.Encode())
	if err != nil {
		return nil, err
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	d := &store.MFADevice{AccountID: c.AccountID, SerialNumber: serial, Name: in.VirtualMFADeviceName, Path: path, Seed: sealed,
		Tags: storeTags(in.Tags), CreatedAt: s.clock()}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		if err := tx.MFADevices().Create(ctx, d); err != nil {
			if isExists(err) {
				return awserr.EntityAlreadyExists("MFA device already exists.")
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateVirtualMFADeviceOutput{VirtualMFADevice: &iamapi.VirtualMFADevice{SerialNumber: serial,
		Base32StringSeed: []byte(secret),
		QRCodePNG:        buf.Bytes(), Tags: tagsOut(d.Tags)}}, nil
}

// mfaOwner resolves the UserName of the MFA actions: an IAM user, or the
// root user (owner ID = account ID) when the root calls without one.
func (s *Service) mfaOwner(ctx context.Context, c *auth.Caller, action, userName string) (id, name string, err error) {
	n, err := selfUserName(c, userName)
	if err != nil {
		return "", "", err
	}
	if n == "" {
		return c.AccountID, "", s.authorize(ctx, c, action, rootARN(c.AccountID))
	}
	u, err := s.userTarget(ctx, c, action, n)
	if err != nil {
		return "", "", err
	}
	return u.ID, u.Name, nil
}

// EnableMFADevice assigns a virtual device to a user once the user proves
// possession with two consecutive codes.
func (s *Service) EnableMFADevice(ctx context.Context, c *auth.Caller, in *iamapi.EnableMFADeviceInput) (*iamapi.EnableMFADeviceOutput, error) {
	ownerID, _, err := s.mfaOwner(ctx, c, "EnableMFADevice", in.UserName)
	if err != nil {
		return nil, err
	}
	now := s.step()
	return result[iamapi.EnableMFADeviceOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		d, err := tx.MFADevices().Get(ctx, in.SerialNumber)
		if err != nil || d.AccountID != c.AccountID {
			return notFoundAs(orNotFound(err), noSuchDevice(in.SerialNumber))
		}
		if d.UserID != "" {
			return awserr.EntityAlreadyExists("MFA Device is already in use.")
		}
		if ownerID != c.AccountID {
			if devs, err := tx.MFADevices().ListForUser(ctx, ownerID); err != nil {
				return err
			} else if len(devs) >= quotaMFADevicesPerUser {
				return awserr.LimitExceeded("Cannot exceed quota for MFADevicesPerUser: %d", quotaMFADevicesPerUser)
			}
		}
		seed, err := s.sealer.Open(d.Seed)
		if err != nil {
			return err
		}
		matched := int64(-1)
		for k := now + 1; k >= now-mfaEnableWindow; k-- {
			if totpCode(seed, k-1) == in.AuthenticationCode1 && totpCode(seed, k) == in.AuthenticationCode2 {
				matched = k
				break
			}
		}
		if matched < 0 {
			return invalidCode()
		}
		t := s.clock()
		d.UserID, d.EnabledAt, d.LastCounter = ownerID, &t, matched
		return tx.MFADevices().Update(ctx, d)
	}))
}

func (s *Service) DeactivateMFADevice(ctx context.Context, c *auth.Caller, in *iamapi.DeactivateMFADeviceInput) (*iamapi.DeactivateMFADeviceOutput, error) {
	ownerID, _, err := s.mfaOwner(ctx, c, "DeactivateMFADevice", in.UserName)
	if err != nil {
		return nil, err
	}
	return result[iamapi.DeactivateMFADeviceOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		d, err := tx.MFADevices().Get(ctx, in.SerialNumber)
		if err != nil || d.AccountID != c.AccountID || d.UserID != ownerID {
			return notFoundAs(orNotFound(err), noSuchDevice(in.SerialNumber))
		}
		d.UserID, d.EnabledAt = "", nil
		return tx.MFADevices().Update(ctx, d)
	}))
}

func (s *Service) DeleteVirtualMFADevice(ctx context.Context, c *auth.Caller, in *iamapi.DeleteVirtualMFADeviceInput) (*iamapi.DeleteVirtualMFADeviceOutput, error) {
	if err := s.authorize(ctx, c, "DeleteVirtualMFADevice", in.SerialNumber); err != nil {
		return nil, err
	}
	return result[iamapi.DeleteVirtualMFADeviceOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		d, err := tx.MFADevices().Get(ctx, in.SerialNumber)
		if err != nil || d.AccountID != c.AccountID {
			return notFoundAs(orNotFound(err), noSuchDevice(in.SerialNumber))
		}
		if d.UserID != "" {
			return awserr.DeleteConflict("MFA device is still in use.")
		}
		return tx.MFADevices().Delete(ctx, d.SerialNumber)
	}))
}

func (s *Service) ListMFADevices(ctx context.Context, c *auth.Caller, in *iamapi.ListMFADevicesInput) (*iamapi.ListMFADevicesOutput, error) {
	ownerID, name, err := s.mfaOwner(ctx, c, "ListMFADevices", in.UserName)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	devs, err := s.store.MFADevices().ListForUser(ctx, ownerID)
	if err != nil {
		return nil, err
	}
	sortBy(devs, func(d *store.MFADevice) string { return d.SerialNumber })
	devs, trunc, m, _ := cutSlice(pg, devs, func(d *store.MFADevice) string { return d.SerialNumber })
	out := &iamapi.ListMFADevicesOutput{MFADevices: []iamapi.MFADevice{}, IsTruncated: ptr(trunc), Marker: m}
	for _, d := range devs {
		md := iamapi.MFADevice{UserName: name, SerialNumber: d.SerialNumber}
		if d.EnabledAt != nil {
			md.EnableDate = *d.EnabledAt
		}
		out.MFADevices = append(out.MFADevices, md)
	}
	return out, nil
}

func (s *Service) ListVirtualMFADevices(ctx context.Context, c *auth.Caller, in *iamapi.ListVirtualMFADevicesInput) (*iamapi.ListVirtualMFADevicesOutput, error) {
	if err := s.authorize(ctx, c, "ListVirtualMFADevices", listARN(c.AccountID, "mfa")); err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	serial := func(d *store.MFADevice) string { return d.SerialNumber }
	devs, err := fill(pg, func(after string, limit int) ([]*store.MFADevice, error) {
		return s.store.MFADevices().List(ctx, c.AccountID, store.ListOptions{After: after, Limit: limit})
	}, func(d *store.MFADevice) bool {
		switch in.AssignmentStatus {
		case "Assigned":
			return d.UserID != ""
		case "Unassigned":
			return d.UserID == ""
		}
		return true
	}, serial)
	if err != nil {
		return nil, err
	}
	devs, trunc, m := cut(pg, devs, serial)
	out := &iamapi.ListVirtualMFADevicesOutput{VirtualMFADevices: []iamapi.VirtualMFADevice{}, IsTruncated: ptr(trunc), Marker: m}
	for _, d := range devs {
		v := iamapi.VirtualMFADevice{SerialNumber: d.SerialNumber, EnableDate: timeOf(d.EnabledAt), Tags: tagsOut(d.Tags)}
		switch {
		case d.UserID == c.AccountID:
			v.User = &iamapi.User{UserId: c.AccountID, Arn: rootARN(c.AccountID)}
		case d.UserID != "":
			if u, err := s.store.Users().GetByID(ctx, d.UserID); err == nil {
				uo := userOut(u, false)
				v.User = &uo
			}
		}
		out.VirtualMFADevices = append(out.VirtualMFADevices, v)
	}
	return out, nil
}

// VerifyMFA checks a one-time code from the device serialNumber, which must
// be enabled for userID (the account ID for the root user), for STS. A code
// is accepted for the current time step or the one either side, and never
// for a step at or before the last one accepted, so a code cannot be
// replayed.
func (s *Service) VerifyMFA(ctx context.Context, accountID, serialNumber, userID, code string) error {
	denied := awserr.AccessDenied("MultiFactorAuthentication failed with invalid MFA one time pass code. ")
	now := s.step()
	return s.store.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		d, err := tx.MFADevices().Get(ctx, serialNumber)
		if isNotFound(err) {
			return denied
		}
		if err != nil {
			return err
		}
		if d.AccountID != accountID || d.UserID == "" || d.UserID != userID {
			return denied
		}
		seed, err := s.sealer.Open(d.Seed)
		if err != nil {
			return err
		}
		for k := now - 1; k <= now+1; k++ {
			if k > d.LastCounter && totpCode(seed, k) == code {
				d.LastCounter = k
				return tx.MFADevices().Update(ctx, d)
			}
		}
		return denied
	})
}
