package integration

import (
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/crypto/ssh"
)

// The users' other credentials through the SDK: an SSH key with its
// fingerprint, a service-specific credential whose password never comes
// back after creation, MFA and SAML-provider tags (the wire shapes of the
// new operations, and their audit events carrying no secret).
func TestUserCredentialsSDK(t *testing.T) {
	e := start(t)
	c := ctx(t)
	root := e.iam(e.root())
	must[*iam.CreateUserOutput](t)(root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("dev")}))

	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := ssh.NewPublicKey(&k.PublicKey)
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	up := must[*iam.UploadSSHPublicKeyOutput](t)(root.UploadSSHPublicKey(c, &iam.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String(line)}))
	if got := aws.ToString(up.SSHPublicKey.Fingerprint); got != ssh.FingerprintLegacyMD5(pub) {
		t.Errorf("fingerprint %s", got)
	}
	list := must[*iam.ListSSHPublicKeysOutput](t)(root.ListSSHPublicKeys(c, &iam.ListSSHPublicKeysInput{UserName: aws.String("dev")}))
	if len(list.SSHPublicKeys) != 1 || list.SSHPublicKeys[0].Status != types.StatusTypeActive {
		t.Errorf("ListSSHPublicKeys %+v", list.SSHPublicKeys)
	}
	_, err = root.UploadSSHPublicKey(c, &iam.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String(line)})
	wantCode(t, err, "DuplicateSSHPublicKey", "")

	cred := must[*iam.CreateServiceSpecificCredentialOutput](t)(root.CreateServiceSpecificCredential(c, &iam.CreateServiceSpecificCredentialInput{
		UserName: aws.String("dev"), ServiceName: aws.String("codecommit.amazonaws.com")}))
	if aws.ToString(cred.ServiceSpecificCredential.ServiceUserName) != "dev-at-"+testAccount || aws.ToString(cred.ServiceSpecificCredential.ServicePassword) == "" {
		t.Errorf("credential %+v", cred.ServiceSpecificCredential)
	}
	creds := must[*iam.ListServiceSpecificCredentialsOutput](t)(root.ListServiceSpecificCredentials(c, &iam.ListServiceSpecificCredentialsInput{UserName: aws.String("dev")}))
	if len(creds.ServiceSpecificCredentials) != 1 {
		t.Errorf("ListServiceSpecificCredentials %+v", creds)
	}
	_, err = root.CreateServiceSpecificCredential(c, &iam.CreateServiceSpecificCredentialInput{UserName: aws.String("dev"), ServiceName: aws.String("s3.amazonaws.com")})
	wantCode(t, err, "NotSupportedService", "")

	mfa := must[*iam.CreateVirtualMFADeviceOutput](t)(root.CreateVirtualMFADevice(c, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("dev")}))
	serial := mfa.VirtualMFADevice.SerialNumber
	must[*iam.TagMFADeviceOutput](t)(root.TagMFADevice(c, &iam.TagMFADeviceInput{SerialNumber: serial, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}))
	tags := must[*iam.ListMFADeviceTagsOutput](t)(root.ListMFADeviceTags(c, &iam.ListMFADeviceTagsInput{SerialNumber: serial}))
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "a" {
		t.Errorf("MFA tags %+v", tags.Tags)
	}
	_, err = root.DeleteUser(c, &iam.DeleteUserInput{UserName: aws.String("dev")})
	wantCode(t, err, "DeleteConflict", "")
}
