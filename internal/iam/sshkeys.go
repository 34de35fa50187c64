package iam

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"

	"golang.org/x/crypto/ssh"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// SSH public keys authenticate IAM users to CodeCommit. "UploadSSHPublicKey":
// the key is ssh-rsa (OpenSSH) or PEM encoded, at least 2048 bits; a user
// has at most 5 ("IAM and AWS STS quotas": SSH public keys per user).
const (
	prefixSSHKey     = "APKA"
	quotaSSHKeys     = 5
	minSSHKeyRSABits = 2048
)

var sshKeys = credKind{
	kind:  store.CredentialSSHKey,
	quota: quotaSSHKeys,
	notFound: func(id string) *awserr.Error {
		return awserr.NoSuchEntity("The Public Key with id %s cannot be found.", id)
	},
	limit: "Cannot exceed quota for SSHPublicKeysPerUser: 5",
}

func unrecognizedKey() *awserr.Error {
	return awserr.New("UnrecognizedPublicKeyEncoding", http.StatusBadRequest,
		"The public key encoding format is unsupported or unrecognized.")
}

// parseSSHKey reads an OpenSSH authorized_keys line or a PEM public key and
// returns it with its fingerprint as IAM shows it: the MD5 of the key in
// SSH wire format, as colon-separated hex ("ssh-keygen -E md5 -l").
func parseSSHKey(body string) (ssh.PublicKey, error) {
	body = strings.TrimSpace(body)
	var pub ssh.PublicKey
	if strings.HasPrefix(body, "-----BEGIN") {
		block, rest := pem.Decode([]byte(body))
		if block == nil || len(strings.TrimSpace(string(rest))) > 0 {
			return nil, unrecognizedKey()
		}
		var key any
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			key, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			key, err = x509.ParsePKCS1PublicKey(block.Bytes)
		default:
			return nil, unrecognizedKey()
		}
		if err != nil {
			return nil, unrecognizedKey()
		}
		if pub, err = ssh.NewPublicKey(key); err != nil {
			return nil, unrecognizedKey()
		}
	} else {
		var err error
		if pub, _, _, _, err = ssh.ParseAuthorizedKey([]byte(body)); err != nil {
			return nil, unrecognizedKey()
		}
	}
	ck, ok := pub.(ssh.CryptoPublicKey)
	if !ok {
		return nil, unrecognizedKey()
	}
	rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey)
	if !ok || rk.N.BitLen() < minSSHKeyRSABits {
		return nil, awserr.New("InvalidPublicKey", http.StatusBadRequest, "The public key is malformed or otherwise invalid.")
	}
	return pub, nil
}

func sshKeyOut(name string, k *store.UserCredential) *iamapi.SSHPublicKey {
	return &iamapi.SSHPublicKey{UserName: name, SSHPublicKeyId: k.ID, Fingerprint: k.Fingerprint,
		SSHPublicKeyBody: k.Body, Status: k.Status, UploadDate: k.CreatedAt}
}

func (s *Service) UploadSSHPublicKey(ctx context.Context, c *auth.Caller, in *iamapi.UploadSSHPublicKeyInput) (*iamapi.UploadSSHPublicKeyOutput, error) {
	o, err := s.credOwner(ctx, c, "UploadSSHPublicKey", in.UserName)
	if err != nil {
		return nil, err
	}
	pub, err := parseSSHKey(in.SSHPublicKeyBody)
	if err != nil {
		return nil, err
	}
	// SSH key IDs are 20 characters (APKAEIBAERJR2EXAMPLE in the API
	// reference), one shorter than other unique IDs.
	r, err := s.randomString(uniqueIDAlphabet, 16)
	if err != nil {
		return nil, err
	}
	id := prefixSSHKey + r
	k := &store.UserCredential{Kind: store.CredentialSSHKey, ID: id, AccountID: c.AccountID, UserID: o.userID(),
		Body: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))), Fingerprint: ssh.FingerprintLegacyMD5(pub),
		Status: "Active", CreatedAt: s.clock()}
	err = sshKeys.create(ctx, s, k, func() *awserr.Error {
		return awserr.New("DuplicateSSHPublicKey", http.StatusBadRequest, "The SSH public key is already associated with the specified IAM user.")
	}, func(h *store.UserCredential) bool { return h.Fingerprint == k.Fingerprint })
	if err != nil {
		return nil, err
	}
	return &iamapi.UploadSSHPublicKeyOutput{SSHPublicKey: sshKeyOut(o.userName(), k)}, nil
}

// GetSSHPublicKey returns the key in the encoding asked for: SSH (the
// OpenSSH line) or PEM (an X.509 SubjectPublicKeyInfo).
func (s *Service) GetSSHPublicKey(ctx context.Context, c *auth.Caller, in *iamapi.GetSSHPublicKeyInput) (*iamapi.GetSSHPublicKeyOutput, error) {
	o, err := s.credOwner(ctx, c, "GetSSHPublicKey", in.UserName)
	if err != nil {
		return nil, err
	}
	k, err := sshKeys.load(ctx, s.store, c.AccountID, o, in.SSHPublicKeyId)
	if err != nil {
		return nil, err
	}
	out := sshKeyOut(o.userName(), k)
	if in.Encoding == "PEM" {
		pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(k.Body))
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKIXPublicKey(pub.(ssh.CryptoPublicKey).CryptoPublicKey())
		if err != nil {
			return nil, err
		}
		out.SSHPublicKeyBody = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	return &iamapi.GetSSHPublicKeyOutput{SSHPublicKey: out}, nil
}

func (s *Service) ListSSHPublicKeys(ctx context.Context, c *auth.Caller, in *iamapi.ListSSHPublicKeysInput) (*iamapi.ListSSHPublicKeysOutput, error) {
	o, err := s.credOwner(ctx, c, "ListSSHPublicKeys", in.UserName)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	all, err := sshKeys.list(ctx, s, c.AccountID, o)
	if err != nil {
		return nil, err
	}
	keys, trunc, m, _ := cutSlice(pg, all, credID)
	out := &iamapi.ListSSHPublicKeysOutput{SSHPublicKeys: []iamapi.SSHPublicKeyMetadata{}, IsTruncated: ptr(trunc), Marker: m}
	for _, k := range keys {
		out.SSHPublicKeys = append(out.SSHPublicKeys, iamapi.SSHPublicKeyMetadata{UserName: o.userName(), SSHPublicKeyId: k.ID, Status: k.Status, UploadDate: k.CreatedAt})
	}
	return out, nil
}

func (s *Service) UpdateSSHPublicKey(ctx context.Context, c *auth.Caller, in *iamapi.UpdateSSHPublicKeyInput) (*iamapi.UpdateSSHPublicKeyOutput, error) {
	return result[iamapi.UpdateSSHPublicKeyOutput](sshKeys.setStatus(ctx, s, c, "UpdateSSHPublicKey", in.UserName, in.SSHPublicKeyId, in.Status))
}

func (s *Service) DeleteSSHPublicKey(ctx context.Context, c *auth.Caller, in *iamapi.DeleteSSHPublicKeyInput) (*iamapi.DeleteSSHPublicKeyOutput, error) {
	return result[iamapi.DeleteSSHPublicKeyOutput](sshKeys.remove(ctx, s, c, "DeleteSSHPublicKey", in.UserName, in.SSHPublicKeyId))
}
