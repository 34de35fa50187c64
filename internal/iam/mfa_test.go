package iam

import (
	"bytes"
	"encoding/base32"
	"image/png"
	"testing"
	"time"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
)

func TestVirtualMFA(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice")
	out := must[*iamapi.CreateVirtualMFADeviceOutput](t)(e.s.CreateVirtualMFADevice(e.ctx, e.root, &iamapi.CreateVirtualMFADeviceInput{VirtualMFADeviceName: "alice-phone"}))
	d := out.VirtualMFADevice
	if d.SerialNumber != "arn:aws:iam::123456789012:mfa/alice-phone" {
		t.Errorf("serial %s", d.SerialNumber)
	}
	if _, err := png.Decode(bytes.NewReader(d.QRCodePNG)); err != nil {
		t.Errorf("QRCodePNG is not a PNG: %v", err)
	}
	b32 := d.Base32StringSeed
	if len(b32) != 64 {
		t.Errorf("seed has %d base32 characters", len(b32))
	}
	seed, err := base32.StdEncoding.DecodeString(string(b32))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.s.CreateVirtualMFADevice(e.ctx, e.root, &iamapi.CreateVirtualMFADeviceInput{VirtualMFADeviceName: "alice-phone"})
	// AWS's wording (localstack's recorded snapshot, test_iam_mfa.snapshot.json).
	wantErr(t, err, "EntityAlreadyExists", "MFA device already exists.")

	step := e.now.Unix() / 30
	enable := func(c1, c2 string) error {
		_, err := e.s.EnableMFADevice(e.ctx, e.root, &iamapi.EnableMFADeviceInput{UserName: "alice", SerialNumber: d.SerialNumber, AuthenticationCode1: c1, AuthenticationCode2: c2})
		return err
	}
	wantErr(t, enable(totpCode(seed, step), totpCode(seed, step-1)), "InvalidAuthenticationCode", "Authentication code for device is not valid.")
	wantErr(t, enable("000000", "000000"), "InvalidAuthenticationCode", "")
	wantErr(t, enable(totpCode(seed, step-3), totpCode(seed, step-2)), "", "")
	wantErr(t, enable(totpCode(seed, step-1), totpCode(seed, step)), "EntityAlreadyExists", "")

	list := must[*iamapi.ListMFADevicesOutput](t)(e.s.ListMFADevices(e.ctx, e.root, &iamapi.ListMFADevicesInput{UserName: "alice"}))
	if len(list.MFADevices) != 1 || list.MFADevices[0].UserName != "alice" {
		t.Errorf("ListMFADevices %+v", list)
	}
	assigned := must[*iamapi.ListVirtualMFADevicesOutput](t)(e.s.ListVirtualMFADevices(e.ctx, e.root, &iamapi.ListVirtualMFADevicesInput{AssignmentStatus: "Assigned"}))
	if len(assigned.VirtualMFADevices) != 1 || assigned.VirtualMFADevices[0].User.UserName != "alice" {
		t.Errorf("assigned %+v", assigned)
	}
	un := must[*iamapi.ListVirtualMFADevicesOutput](t)(e.s.ListVirtualMFADevices(e.ctx, e.root, &iamapi.ListVirtualMFADevicesInput{AssignmentStatus: "Unassigned"}))
	if len(un.VirtualMFADevices) != 0 {
		t.Errorf("unassigned %+v", un)
	}

	// VerifyMFA accepts a fresh code once, and never a reused or older step.
	e.now = e.now.Add(30 * time.Second)
	code := totpCode(seed, step+1)
	wantErr(t, e.s.VerifyMFA(e.ctx, acct, d.SerialNumber, u.UserId, "123456"), "AccessDenied", "")
	wantErr(t, e.s.VerifyMFA(e.ctx, acct, d.SerialNumber, u.UserId, code), "", "")
	wantErr(t, e.s.VerifyMFA(e.ctx, acct, d.SerialNumber, u.UserId, code), "AccessDenied", "")
	wantErr(t, e.s.VerifyMFA(e.ctx, acct, d.SerialNumber, u.UserId, totpCode(seed, step)), "AccessDenied", "")
	wantErr(t, e.s.VerifyMFA(e.ctx, acct, d.SerialNumber, "AIDAOTHER", totpCode(seed, step+2)), "AccessDenied", "")

	_, err = e.s.DeleteUser(e.ctx, e.root, &iamapi.DeleteUserInput{UserName: "alice"})
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must delete MFA device first.")
	_, err = e.s.DeleteVirtualMFADevice(e.ctx, e.root, &iamapi.DeleteVirtualMFADeviceInput{SerialNumber: d.SerialNumber})
	wantErr(t, err, "DeleteConflict", "MFA device is still in use.")
	must[*iamapi.DeactivateMFADeviceOutput](t)(e.s.DeactivateMFADevice(e.ctx, e.root, &iamapi.DeactivateMFADeviceInput{UserName: "alice", SerialNumber: d.SerialNumber}))
	_, err = e.s.DeactivateMFADevice(e.ctx, e.root, &iamapi.DeactivateMFADeviceInput{UserName: "alice", SerialNumber: d.SerialNumber})
	wantErr(t, err, "NoSuchEntity", "")
	must[*iamapi.DeleteVirtualMFADeviceOutput](t)(e.s.DeleteVirtualMFADevice(e.ctx, e.root, &iamapi.DeleteVirtualMFADeviceInput{SerialNumber: d.SerialNumber}))
	must[*iamapi.DeleteUserOutput](t)(e.s.DeleteUser(e.ctx, e.root, &iamapi.DeleteUserInput{UserName: "alice"}))
}
