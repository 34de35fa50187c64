package iam

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/base64"
	"github.com/mantle-iam/mantle/internal/awsproto"
	"image/png"
	"net/http"
	"net/url"
	"time"

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

// VirtualMFADevice is AWS's VirtualMFADevice shape. Base32StringSeed and
// QRCodePNG are blobs, which the Query protocol sends base64-encoded.
type VirtualMFADevice struct {
	SerialNumber     string             `xml:"SerialNumber"`
	Base32StringSeed string             `xml:"Base32StringSeed,omitempty"`
	QRCodePNG        string             `xml:"QRCodePNG,omitempty"`
	User             *User              `xml:"User,omitempty"`
	EnableDate       *time.Time         `xml:"EnableDate,omitempty"`
	Tags             awsproto.List[Tag] `xml:"Tags,omitempty"`
}

// MFADevice is how ListMFADevices reports an enabled device.
type MFADevice struct {
	UserName     string    `xml:"UserName"`
	SerialNumber string    `xml:"SerialNumber"`
	EnableDate   time.Time `xml:"EnableDate"`
}

func invalidCode() *awserr.Error {
	return awserr.New("InvalidAuthenticationCode", http.StatusForbidden, "Authentication code for device is not valid.")
}

func noSuchDevice(serial string) *awserr.Error {
	return awserr.NoSuchEntity("VirtualMFADevice with serial number %s doesn't exist.", serial)
}

// totpCode is the 6-digit RFC 6238 code of seed for time step counter.
func totpCode(seed []byte, counter int64) string {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(seed)
	code, _ := hotp.GenerateCodeCustom(secret, uint64(counter), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	return code
}

func (s *Service) step() int64 { return s.now().Unix() / totpPeriod }

type CreateVirtualMFADeviceInput struct {
	Path                 string `aws:"min=1,max=512" pattern:"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"`
	VirtualMFADeviceName string `aws:"required,min=1,max=226" pattern:"[\\w+=,.@-]+"`
	Tags                 []Tag  `aws:"max=50"`
}

type CreateVirtualMFADeviceOutput struct {
	VirtualMFADevice VirtualMFADevice `xml:"VirtualMFADevice"`
}

func (s *Service) CreateVirtualMFADevice(ctx context.Context, c *auth.Caller, in *CreateVirtualMFADeviceInput) (*CreateVirtualMFADeviceOutput, error) {
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
				return awserr.EntityAlreadyExists("MFADevice entity at the same path and name already exists.")
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &CreateVirtualMFADeviceOutput{VirtualMFADevice: VirtualMFADevice{SerialNumber: serial,
		Base32StringSeed: base64.StdEncoding.EncodeToString([]byte(secret)),
		QRCodePNG:        base64.StdEncoding.EncodeToString(buf.Bytes()), Tags: tagsOut(d.Tags)}}, nil
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

type EnableMFADeviceInput struct {
	UserName            string `aws:"min=1,max=128" pattern:"[\\w+=,.@-]+"`
	SerialNumber        string `aws:"required,min=9,max=256" pattern:"[\\w+=/:,.@-]+"`
	AuthenticationCode1 string `aws:"required,min=6,max=6" pattern:"[\\d]+"`
	AuthenticationCode2 string `aws:"required,min=6,max=6" pattern:"[\\d]+"`
}

type EnableMFADeviceOutput struct{}

// EnableMFADevice assigns a virtual device to a user once the user proves
// possession with two consecutive codes.
func (s *Service) EnableMFADevice(ctx context.Context, c *auth.Caller, in *EnableMFADeviceInput) (*EnableMFADeviceOutput, error) {
	ownerID, _, err := s.mfaOwner(ctx, c, "EnableMFADevice", in.UserName)
	if err != nil {
		return nil, err
	}
	now := s.step()
	return result[EnableMFADeviceOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
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

type DeactivateMFADeviceInput struct {
	UserName     string `aws:"min=1,max=128" pattern:"[\\w+=,.@-]+"`
	SerialNumber string `aws:"required,min=9,max=256" pattern:"[\\w+=/:,.@-]+"`
}

type DeactivateMFADeviceOutput struct{}

func (s *Service) DeactivateMFADevice(ctx context.Context, c *auth.Caller, in *DeactivateMFADeviceInput) (*DeactivateMFADeviceOutput, error) {
	ownerID, _, err := s.mfaOwner(ctx, c, "DeactivateMFADevice", in.UserName)
	if err != nil {
		return nil, err
	}
	return result[DeactivateMFADeviceOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		d, err := tx.MFADevices().Get(ctx, in.SerialNumber)
		if err != nil || d.AccountID != c.AccountID || d.UserID != ownerID {
			return notFoundAs(orNotFound(err), awserr.NoSuchEntity("MFA Device with serial number %s does not exist.", in.SerialNumber))
		}
		d.UserID, d.EnabledAt = "", nil
		return tx.MFADevices().Update(ctx, d)
	}))
}

type DeleteVirtualMFADeviceInput struct {
	SerialNumber string `aws:"required,min=9,max=256" pattern:"[\\w+=/:,.@-]+"`
}

type DeleteVirtualMFADeviceOutput struct{}

func (s *Service) DeleteVirtualMFADevice(ctx context.Context, c *auth.Caller, in *DeleteVirtualMFADeviceInput) (*DeleteVirtualMFADeviceOutput, error) {
	if err := s.authorize(ctx, c, "DeleteVirtualMFADevice", in.SerialNumber); err != nil {
		return nil, err
	}
	return result[DeleteVirtualMFADeviceOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
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

type ListMFADevicesInput struct {
	UserName string `aws:"min=1,max=128" pattern:"[\\w+=,.@-]+"`
	Marker   string `aws:"min=1,max=320" pattern:"[\u0020-\u00FF]+"`
	MaxItems *int   `aws:"min=1,max=1000"`
}

type ListMFADevicesOutput struct {
	MFADevices  []MFADevice `xml:"MFADevices>member"`
	IsTruncated bool        `xml:"IsTruncated"`
	Marker      string      `xml:"Marker,omitempty"`
}

func (s *Service) ListMFADevices(ctx context.Context, c *auth.Caller, in *ListMFADevicesInput) (*ListMFADevicesOutput, error) {
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
	out := &ListMFADevicesOutput{MFADevices: []MFADevice{}, IsTruncated: trunc, Marker: m}
	for _, d := range devs {
		md := MFADevice{UserName: name, SerialNumber: d.SerialNumber}
		if d.EnabledAt != nil {
			md.EnableDate = *d.EnabledAt
		}
		out.MFADevices = append(out.MFADevices, md)
	}
	return out, nil
}

type ListVirtualMFADevicesInput struct {
	AssignmentStatus string `enum:"Assigned|Unassigned|Any"`
	Marker           string `aws:"min=1,max=320" pattern:"[\u0020-\u00FF]+"`
	MaxItems         *int   `aws:"min=1,max=1000"`
}

type ListVirtualMFADevicesOutput struct {
	VirtualMFADevices []VirtualMFADevice `xml:"VirtualMFADevices>member"`
	IsTruncated       bool               `xml:"IsTruncated"`
	Marker            string             `xml:"Marker,omitempty"`
}

func (s *Service) ListVirtualMFADevices(ctx context.Context, c *auth.Caller, in *ListVirtualMFADevicesInput) (*ListVirtualMFADevicesOutput, error) {
	if err := s.authorize(ctx, c, "ListVirtualMFADevices", listARN(c.AccountID, "mfa")); err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	all, err := s.store.MFADevices().List(ctx, c.AccountID, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	var devs []*store.MFADevice
	for _, d := range all {
		switch {
		case in.AssignmentStatus == "Assigned" && d.UserID == "":
		case in.AssignmentStatus == "Unassigned" && d.UserID != "":
		default:
			devs = append(devs, d)
		}
	}
	devs, trunc, m, _ := cutSlice(pg, devs, func(d *store.MFADevice) string { return d.SerialNumber })
	out := &ListVirtualMFADevicesOutput{VirtualMFADevices: []VirtualMFADevice{}, IsTruncated: trunc, Marker: m}
	for _, d := range devs {
		v := VirtualMFADevice{SerialNumber: d.SerialNumber, EnableDate: d.EnabledAt, Tags: tagsOut(d.Tags)}
		switch {
		case d.UserID == c.AccountID:
			v.User = &User{UserId: c.AccountID, Arn: rootARN(c.AccountID)}
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
