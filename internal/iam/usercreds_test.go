package iam

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
)

func rsaAuthorizedKey(t *testing.T, bits int) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " alice@laptop"
}

// md5Fingerprint is the fingerprint as AWS shows it, computed here without
// the ssh package: MD5 of the base64-decoded key, colon-separated hex
// ("ssh-keygen -l -E md5 -f key.pub" without its "MD5:" prefix).
func md5Fingerprint(t *testing.T, line string) string {
	t.Helper()
	blob, err := base64.StdEncoding.DecodeString(strings.Fields(line)[1])
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(blob)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02x", b)
	}
	return strings.Join(parts, ":")
}

// UploadSSHPublicKey and the other SSH key actions ("IAM API Reference":
// ssh-rsa or PEM, at least 2048 bits, 5 per user, DuplicateSSHPublicKey,
// UnrecognizedPublicKeyEncoding, InvalidPublicKey; GetSSHPublicKey in SSH
// or PEM encoding).
func TestSSHPublicKeys(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice")
	key := rsaAuthorizedKey(t, 2048)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	edKey, _ := ssh.NewPublicKey(edPub)
	upload := func(body string) (*iamapi.UploadSSHPublicKeyOutput, error) {
		return e.s.UploadSSHPublicKey(e.ctx, e.root, &iamapi.UploadSSHPublicKeyInput{UserName: "alice", SSHPublicKeyBody: body})
	}
	rsaPub, _, _, _, _ := ssh.ParseAuthorizedKey([]byte(key))
	der, _ := x509.MarshalPKIXPublicKey(rsaPub.(ssh.CryptoPublicKey).CryptoPublicKey())
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	tests := []struct {
		name, body, code string
	}{
		{"not a key", "hello", "UnrecognizedPublicKeyEncoding"},
		{"bad base64", "ssh-rsa !!!!", "UnrecognizedPublicKeyEncoding"},
		{"ed25519", string(ssh.MarshalAuthorizedKey(edKey)), "InvalidPublicKey"},
		{"rsa 1024", rsaAuthorizedKey(t, 1024), "InvalidPublicKey"},
		{"rsa 2048", key, ""},
		{"same key again", key, "DuplicateSSHPublicKey"},
		{"same key as PEM", pemKey, "DuplicateSSHPublicKey"},
	}
	var id string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := upload(tt.body)
			wantErr(t, err, tt.code, "")
			if err == nil {
				k := out.SSHPublicKey
				if want := md5Fingerprint(t, key); k.Fingerprint != want {
					t.Errorf("fingerprint %s, want %s", k.Fingerprint, want)
				}
				if !strings.HasPrefix(k.SSHPublicKeyId, "APKA") || len(k.SSHPublicKeyId) != 20 || k.Status != "Active" || k.UserName != "alice" {
					t.Errorf("key %+v", k)
				}
				id = k.SSHPublicKeyId
			}
		})
	}
	got := must[*iamapi.GetSSHPublicKeyOutput](t)(e.s.GetSSHPublicKey(e.ctx, e.root, &iamapi.GetSSHPublicKeyInput{UserName: "alice", SSHPublicKeyId: id, Encoding: "PEM"}))
	if got.SSHPublicKey.SSHPublicKeyBody != pemKey {
		t.Errorf("PEM body %q", got.SSHPublicKey.SSHPublicKeyBody)
	}
	got = must[*iamapi.GetSSHPublicKeyOutput](t)(e.s.GetSSHPublicKey(e.ctx, e.root, &iamapi.GetSSHPublicKeyInput{UserName: "alice", SSHPublicKeyId: id, Encoding: "SSH"}))
	if !strings.HasPrefix(key, got.SSHPublicKey.SSHPublicKeyBody) {
		t.Errorf("SSH body %q", got.SSHPublicKey.SSHPublicKeyBody)
	}
	for i := 0; i < 4; i++ {
		if _, err := upload(rsaAuthorizedKey(t, 2048)); err != nil {
			t.Fatal(err)
		}
	}
	_, err := upload(rsaAuthorizedKey(t, 2048))
	wantErr(t, err, "LimitExceeded", "Cannot exceed quota for SSHPublicKeysPerUser: 5")

	must[*iamapi.UpdateSSHPublicKeyOutput](t)(e.s.UpdateSSHPublicKey(e.ctx, e.root, &iamapi.UpdateSSHPublicKeyInput{UserName: "alice", SSHPublicKeyId: id, Status: "Inactive"}))
	list := must[*iamapi.ListSSHPublicKeysOutput](t)(e.s.ListSSHPublicKeys(e.ctx, e.root, &iamapi.ListSSHPublicKeysInput{UserName: "alice", MaxItems: ptr(3)}))
	if len(list.SSHPublicKeys) != 3 || !*list.IsTruncated {
		t.Errorf("page %+v", list)
	}
	_, err = e.s.DeleteUser(e.ctx, e.root, &iamapi.DeleteUserInput{UserName: "alice"})
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must delete SSH public keys first.")
	e.user(t, "bob")
	_, err = e.s.GetSSHPublicKey(e.ctx, e.root, &iamapi.GetSSHPublicKeyInput{UserName: "bob", SSHPublicKeyId: id, Encoding: "SSH"})
	wantErr(t, err, "NoSuchEntity", "The Public Key with id "+id+" cannot be found.")
	must[*iamapi.DeleteSSHPublicKeyOutput](t)(e.s.DeleteSSHPublicKey(e.ctx, e.root, &iamapi.DeleteSSHPublicKeyInput{UserName: "alice", SSHPublicKeyId: id}))
	_, err = e.s.DeleteSSHPublicKey(e.ctx, e.root, &iamapi.DeleteSSHPublicKeyInput{UserName: "alice", SSHPublicKeyId: id})
	wantErr(t, err, "NoSuchEntity", "")
}

// testCert makes a certificate for key, signed by parent (self-signed when
// parent is nil), PEM encoded.
func testCert(t *testing.T, cn string, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, string) {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func ecKey(t *testing.T) (*ecdsa.PrivateKey, string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	return k, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// UploadSigningCertificate: an X.509 certificate in PEM, 2 per user, the
// same certificate once per account (DuplicateCertificate). Messages as
// AWS returns them (localstack's recorded snapshots,
// tests/aws/services/iam/test_iam_signing_certificates.snapshot.json:
// "Certificate invalid-certificate-body is malformed.", "Cannot exceed
// quota for CertificatesPerUser: 2", "The Certificate with id … cannot be
// found.").
func TestSigningCertificates(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice")
	e.user(t, "bob")
	k, _ := ecKey(t)
	_, body := testCert(t, "alice", k, nil, nil)
	up := func(user, body string) (*iamapi.UploadSigningCertificateOutput, error) {
		return e.s.UploadSigningCertificate(e.ctx, e.root, &iamapi.UploadSigningCertificateInput{UserName: user, CertificateBody: body})
	}
	_, err := up("alice", "invalid-certificate-body")
	wantErr(t, err, "MalformedCertificate", "Certificate invalid-certificate-body is malformed.")
	out := must[*iamapi.UploadSigningCertificateOutput](t)(up("alice", body))
	if out.Certificate.Status != "Active" || len(out.Certificate.CertificateId) != 32 || out.Certificate.CertificateBody != body {
		t.Errorf("certificate %+v", out.Certificate)
	}
	_, err = up("bob", body)
	wantErr(t, err, "DuplicateCertificate", "")
	_, b2 := testCert(t, "a2", k, nil, nil)
	_, b3 := testCert(t, "a3", k, nil, nil)
	must[*iamapi.UploadSigningCertificateOutput](t)(up("alice", b2))
	_, err = up("alice", b3)
	wantErr(t, err, "LimitExceeded", "Cannot exceed quota for CertificatesPerUser: 2")
	// The root user has its own (no UserName, root credentials).
	must[*iamapi.UploadSigningCertificateOutput](t)(up("", b3))
	list := must[*iamapi.ListSigningCertificatesOutput](t)(e.s.ListSigningCertificates(e.ctx, e.root, &iamapi.ListSigningCertificatesInput{}))
	if len(list.Certificates) != 1 || list.Certificates[0].UserName != "" {
		t.Errorf("root's certificates %+v", list.Certificates)
	}
	id := out.Certificate.CertificateId
	must[*iamapi.UpdateSigningCertificateOutput](t)(e.s.UpdateSigningCertificate(e.ctx, e.root, &iamapi.UpdateSigningCertificateInput{UserName: "alice", CertificateId: id, Status: "Inactive"}))
	list = must[*iamapi.ListSigningCertificatesOutput](t)(e.s.ListSigningCertificates(e.ctx, e.root, &iamapi.ListSigningCertificatesInput{UserName: "alice"}))
	if len(list.Certificates) != 2 {
		t.Fatalf("alice's certificates %+v", list.Certificates)
	}
	_, err = e.s.DeleteSigningCertificate(e.ctx, e.root, &iamapi.DeleteSigningCertificateInput{UserName: "bob", CertificateId: id})
	wantErr(t, err, "NoSuchEntity", "The Certificate with id "+id+" cannot be found.")
	_, err = e.s.DeleteUser(e.ctx, e.root, &iamapi.DeleteUserInput{UserName: "alice"})
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must delete signing certificates first.")
}

// GetServerCertificate sends Tags even when empty, and the not-found and
// duplicate messages are AWS's (localstack's recorded snapshots,
// test_iam_server_certificates.snapshot.json).
// UploadServerCertificate checks the certificate, that the private key is
// its own (KeyPairMismatch) and the chain's order (MalformedCertificate
// with the index, as AWS words it: "Unable to validate certificate chain.
// … The index within the chain of the invalid certificate is: -1",
// reported by users of Let's Encrypt chains).
func TestServerCertificates(t *testing.T) {
	const chainMsg = "Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: "
	e := newEnv(t)
	rootK, _ := ecKey(t)
	rootCert, rootPEM := testCert(t, "root", rootK, nil, nil)
	midK, _ := ecKey(t)
	midCert, midPEM := testCert(t, "intermediate", midK, rootCert, rootK)
	leafK, leafKeyPEM := ecKey(t)
	_, leafPEM := testCert(t, "www.example.com", leafK, midCert, midK)
	_, otherKeyPEM := ecKey(t)
	upload := func(name, body, key, chain string) (*iamapi.UploadServerCertificateOutput, error) {
		return e.s.UploadServerCertificate(e.ctx, e.root, &iamapi.UploadServerCertificateInput{ServerCertificateName: name, Path: "/cloudfront/",
			CertificateBody: body, PrivateKey: key, CertificateChain: chain})
	}
	tests := []struct {
		name, body, key, chain, code, msg string
	}{
		{"garbage body", "x", leafKeyPEM, "", "MalformedCertificate", "Unable to parse certificate. Please ensure the certificate is in PEM format."},
		{"garbage key", leafPEM, "x", "", "MalformedCertificate", "Unable to parse private key."},
		{"another key", leafPEM, otherKeyPEM, "", "KeyPairMismatch", ""},
		{"chain skips the issuer", leafPEM, leafKeyPEM, rootPEM, "MalformedCertificate", chainMsg + "-1"},
		{"chain out of order", leafPEM, leafKeyPEM, midPEM + rootPEM + midPEM, "MalformedCertificate", chainMsg + "2"},
		{"valid with chain", leafPEM, leafKeyPEM, midPEM + rootPEM, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := upload("web", tt.body, tt.key, tt.chain)
			wantErr(t, err, tt.code, tt.msg)
			if err == nil {
				m := out.ServerCertificateMetadata
				if m.Arn != "arn:aws:iam::123456789012:server-certificate/cloudfront/web" || !strings.HasPrefix(m.ServerCertificateId, "ASCA") ||
					!m.Expiration.Equal(time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)) {
					t.Errorf("metadata %+v", m)
				}
			}
		})
	}
	_, err := upload("WEB", leafPEM, leafKeyPEM, "")
	wantErr(t, err, "EntityAlreadyExists", "The Server Certificate with name WEB already exists.")
	got := must[*iamapi.GetServerCertificateOutput](t)(e.s.GetServerCertificate(e.ctx, e.root, &iamapi.GetServerCertificateInput{ServerCertificateName: "web"}))
	if got.ServerCertificate.CertificateBody != leafPEM || got.ServerCertificate.CertificateChain != midPEM+rootPEM || got.ServerCertificate.Tags == nil {
		t.Error("GetServerCertificate body, chain or empty Tags differ")
	}
	must[*iamapi.UpdateServerCertificateOutput](t)(e.s.UpdateServerCertificate(e.ctx, e.root, &iamapi.UpdateServerCertificateInput{ServerCertificateName: "web", NewServerCertificateName: "www", NewPath: "/"}))
	must[*iamapi.TagServerCertificateOutput](t)(e.s.TagServerCertificate(e.ctx, e.root, &iamapi.TagServerCertificateInput{ServerCertificateName: "www", Tags: []iamapi.Tag{{Key: "env", Value: "prod"}}}))
	tags := must[*iamapi.ListServerCertificateTagsOutput](t)(e.s.ListServerCertificateTags(e.ctx, e.root, &iamapi.ListServerCertificateTagsInput{ServerCertificateName: "www"}))
	if len(tags.Tags) != 1 {
		t.Errorf("tags %+v", tags.Tags)
	}
	list := must[*iamapi.ListServerCertificatesOutput](t)(e.s.ListServerCertificates(e.ctx, e.root, &iamapi.ListServerCertificatesInput{}))
	if len(list.ServerCertificateMetadataList) != 1 || list.ServerCertificateMetadataList[0].Arn != "arn:aws:iam::123456789012:server-certificate/www" {
		t.Errorf("list %+v", list.ServerCertificateMetadataList)
	}
	_, err = e.s.GetServerCertificate(e.ctx, e.root, &iamapi.GetServerCertificateInput{ServerCertificateName: "web"})
	wantErr(t, err, "NoSuchEntity", "The Server Certificate with name web cannot be found.")
	// The private key is kept sealed under the master key, never in the clear.
	if sc, err := e.s.store.ServerCertificates().Get(e.ctx, "123456789012", "www"); err != nil || strings.Contains(string(sc.PrivateKey), "PRIVATE KEY") {
		t.Errorf("stored private key: %v", err)
	}
	must[*iamapi.DeleteServerCertificateOutput](t)(e.s.DeleteServerCertificate(e.ctx, e.root, &iamapi.DeleteServerCertificateInput{ServerCertificateName: "www"}))
}

// CreateServiceSpecificCredential: CodeCommit and Keyspaces get
// USER-at-ACCOUNT and a password, Bedrock an API key with an expiry; two
// per user and service; other services NotSupportedService.
func TestServiceSpecificCredentials(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice")
	create := func(svc string, days *int) (*iamapi.CreateServiceSpecificCredentialOutput, error) {
		return e.s.CreateServiceSpecificCredential(e.ctx, e.root, &iamapi.CreateServiceSpecificCredentialInput{UserName: "alice", ServiceName: svc, CredentialAgeDays: days})
	}
	_, err := create("s3.amazonaws.com", nil)
	wantErr(t, err, "NotSupportedService", "")
	cc := must[*iamapi.CreateServiceSpecificCredentialOutput](t)(create("codecommit.amazonaws.com", nil)).ServiceSpecificCredential
	if cc.ServiceUserName != "alice-at-123456789012" || len(cc.ServicePassword) != 44 || cc.ServiceCredentialSecret != "" ||
		!strings.HasPrefix(cc.ServiceSpecificCredentialId, "ACCA") || cc.Status != "Active" || !cc.ExpirationDate.IsZero() {
		t.Errorf("CodeCommit credential %+v", cc)
	}
	br := must[*iamapi.CreateServiceSpecificCredentialOutput](t)(create("bedrock.amazonaws.com", ptr(30))).ServiceSpecificCredential
	if !strings.HasPrefix(br.ServiceCredentialSecret, "ABSK") || br.ServicePassword != "" || !strings.HasPrefix(br.ServiceCredentialAlias, "BedrockAPIKey-") ||
		!br.ExpirationDate.Equal(br.CreateDate.Add(30*24*time.Hour)) {
		t.Errorf("Bedrock credential %+v", br)
	}
	must[*iamapi.CreateServiceSpecificCredentialOutput](t)(create("codecommit.amazonaws.com", nil))
	_, err = create("codecommit.amazonaws.com", nil)
	wantErr(t, err, "LimitExceeded", "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2")

	reset := must[*iamapi.ResetServiceSpecificCredentialOutput](t)(e.s.ResetServiceSpecificCredential(e.ctx, e.root, &iamapi.ResetServiceSpecificCredentialInput{UserName: "alice", ServiceSpecificCredentialId: cc.ServiceSpecificCredentialId}))
	if reset.ServiceSpecificCredential.ServicePassword == cc.ServicePassword || reset.ServiceSpecificCredential.ServiceUserName != cc.ServiceUserName {
		t.Errorf("reset %+v", reset.ServiceSpecificCredential)
	}
	must[*iamapi.UpdateServiceSpecificCredentialOutput](t)(e.s.UpdateServiceSpecificCredential(e.ctx, e.root, &iamapi.UpdateServiceSpecificCredentialInput{UserName: "alice", ServiceSpecificCredentialId: cc.ServiceSpecificCredentialId, Status: "Inactive"}))
	list := must[*iamapi.ListServiceSpecificCredentialsOutput](t)(e.s.ListServiceSpecificCredentials(e.ctx, e.root, &iamapi.ListServiceSpecificCredentialsInput{UserName: "alice", ServiceName: "codecommit.amazonaws.com"}))
	if len(list.ServiceSpecificCredentials) != 2 {
		t.Fatalf("list %+v", list)
	}
	all := must[*iamapi.ListServiceSpecificCredentialsOutput](t)(e.s.ListServiceSpecificCredentials(e.ctx, e.root, &iamapi.ListServiceSpecificCredentialsInput{AllUsers: ptr(true)}))
	if len(all.ServiceSpecificCredentials) != 3 {
		t.Errorf("all users %+v", all)
	}
	_, err = e.s.DeleteUser(e.ctx, e.root, &iamapi.DeleteUserInput{UserName: "alice"})
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must delete service specific credentials first.")
	must[*iamapi.DeleteServiceSpecificCredentialOutput](t)(e.s.DeleteServiceSpecificCredential(e.ctx, e.root, &iamapi.DeleteServiceSpecificCredentialInput{UserName: "alice", ServiceSpecificCredentialId: br.ServiceSpecificCredentialId}))
	_, err = e.s.DeleteServiceSpecificCredential(e.ctx, e.root, &iamapi.DeleteServiceSpecificCredentialInput{UserName: "alice", ServiceSpecificCredentialId: br.ServiceSpecificCredentialId})
	wantErr(t, err, "NoSuchEntity", "")
}
