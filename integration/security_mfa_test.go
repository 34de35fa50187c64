package integration

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// virtualMFA creates and enables a virtual MFA device for user (as root)
// and returns its serial and a code generator.
func (e *env) virtualMFA(t *testing.T, user string) (string, func(time.Time) string) {
	t.Helper()
	c, root := ctx(t), e.iam(e.root())
	dev := must[*iam.CreateVirtualMFADeviceOutput](t)(root.CreateVirtualMFADevice(c, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(user)}))
	serial, seed := aws.ToString(dev.VirtualMFADevice.SerialNumber), string(dev.VirtualMFADevice.Base32StringSeed)
	code := func(at time.Time) string {
		s, err := totp.GenerateCodeCustom(seed, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	now := time.Now()
	must[*iam.EnableMFADeviceOutput](t)(root.EnableMFADevice(c, &iam.EnableMFADeviceInput{UserName: aws.String(user), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(code(now.Add(-30 * time.Second))), AuthenticationCode2: aws.String(code(now))}))
	return serial, code
}

// TestSecurityMFA guards MFA-protected roles: without MFA, with another
// user's device (even with a valid code from it, as a shoulder-surfer would
// have), or with a code already used, the role is not assumed; and a user
// allowed to manage only their own MFA cannot switch off an
// administrator's device or bind a device of their own to the
// administrator.
func TestSecurityMFA(t *testing.T) {
	e := start(t)
	c := ctx(t)
	e.newUser("alice", "")
	selfOnly := "arn:aws:iam::" + testAccount + ":user/${aws:username}"
	m := e.newUser("mallory", policyDoc(allowOn("sts:AssumeRole", "*"),
		allowOn(`["iam:DeactivateMFADevice","iam:EnableMFADevice"]`, selfOnly),
		allowOn("iam:CreateVirtualMFADevice", "arn:aws:iam::"+testAccount+":mfa/${aws:username}")))
	aliceSerial, aliceCode := e.virtualMFA(t, "alice")
	mallorySerial, malloryCode := e.virtualMFA(t, "mallory")
	arn := e.newRole("admin", trustFor(userARN("mallory"), `"sts:AssumeRole"`, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), adminDoc, 0)
	assume := func(serial, code string) error {
		in := &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("s1")}
		if serial != "" {
			in.SerialNumber, in.TokenCode = aws.String(serial), aws.String(code)
		}
		_, err := e.sts(m).AssumeRole(c, in)
		return err
	}
	const mfaFailed = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
	next := time.Now().Add(30 * time.Second)

	wantDenied(t, assume("", ""), deniedMsg(userARN("mallory"), "sts:AssumeRole", arn, ""))
	wantAPIError(t, assume(aliceSerial, aliceCode(next)), "AccessDenied", mfaFailed)
	// Mallory's own device, once: the role is hers to assume with MFA.
	code := malloryCode(next)
	if err := assume(mallorySerial, code); err != nil {
		t.Fatalf("with MFA: %v", err)
	}
	// The same code again is a replay.
	wantAPIError(t, assume(mallorySerial, code), "AccessDenied", mfaFailed)

	_, err := e.iam(m).DeactivateMFADevice(c, &iam.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(aliceSerial)})
	wantDenied(t, err, deniedMsg(userARN("mallory"), "iam:DeactivateMFADevice", userARN("alice"), notAllowed("identity-based policy", "iam:DeactivateMFADevice")))
	_, err = e.iam(m).EnableMFADevice(c, &iam.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(mallorySerial),
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
	wantDenied(t, err, deniedMsg(userARN("mallory"), "iam:EnableMFADevice", userARN("alice"), notAllowed("identity-based policy", "iam:EnableMFADevice")))
	_, err = e.iam(m).CreateVirtualMFADevice(c, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice-backup")})
	wantDenied(t, err, deniedMsg(userARN("mallory"), "iam:CreateVirtualMFADevice", "arn:aws:iam::"+testAccount+":mfa/alice-backup", notAllowed("identity-based policy", "iam:CreateVirtualMFADevice")))
}
