package iam

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// Quotas from "IAM and AWS STS quotas": signing certificates per user 2,
// server certificates per account 20.
const (
	quotaSigningCerts = 2
	quotaServerCerts  = 20
	prefixServerCert  = "ASCA"
)

func malformedCert(msg string) *awserr.Error {
	return awserr.New("MalformedCertificate", http.StatusBadRequest, "%s", msg)
}

const msgUnparsableCert = "Unable to parse certificate. Please ensure the certificate is in PEM format."

// parsePEMCert reads exactly one PEM certificate (surrounding white space
// allowed), as IAM's CertificateBody.
func parsePEMCert(body string) (*x509.Certificate, error) {
	block, rest := pem.Decode([]byte(strings.TrimSpace(body)))
	if block == nil || block.Type != "CERTIFICATE" || len(bytes.TrimSpace(rest)) > 0 {
		return nil, malformedCert(msgUnparsableCert)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, malformedCert(msgUnparsableCert)
	}
	return cert, nil
}

var signingCerts = credKind{
	kind:  store.CredentialSigningCert,
	quota: quotaSigningCerts,
	notFound: func(id string) *awserr.Error {
		return awserr.NoSuchEntity("The Certificate with id %s cannot be found.", id)
	},
	limit: fmt.Sprintf("Cannot exceed quota for CertificatesPerUser: %d", quotaSigningCerts),
}

// signingCertID derives the certificate's ID from the account and the
// certificate itself, so the same certificate uploaded twice in an account
// collides on the store's key: IAM refuses a certificate any user of the
// account already has (DuplicateCertificate).
func signingCertID(accountID string, der []byte) string {
	h := sha256.Sum256(append([]byte(accountID+"\x00"), der...))
	return base32.StdEncoding.EncodeToString(h[:])[:32]
}

func signingCertOut(name string, k *store.UserCredential) iamapi.SigningCertificate {
	return iamapi.SigningCertificate{UserName: name, CertificateId: k.ID, CertificateBody: k.Body, Status: k.Status, UploadDate: k.CreatedAt}
}

func (s *Service) UploadSigningCertificate(ctx context.Context, c *auth.Caller, in *iamapi.UploadSigningCertificateInput) (*iamapi.UploadSigningCertificateOutput, error) {
	o, err := s.credOwner(ctx, c, "UploadSigningCertificate", in.UserName)
	if err != nil {
		return nil, err
	}
	cert, err := parsePEMCert(in.CertificateBody)
	if err != nil {
		// Signing certificates word it their own way, the body echoed.
		return nil, malformedCert(fmt.Sprintf("Certificate %s is malformed.", in.CertificateBody))
	}
	k := &store.UserCredential{Kind: store.CredentialSigningCert, ID: signingCertID(c.AccountID, cert.Raw), AccountID: c.AccountID,
		UserID: o.userID(), Body: in.CertificateBody, Status: "Active", CreatedAt: s.clock()}
	err = signingCerts.create(ctx, s, k, func() *awserr.Error {
		return awserr.New("DuplicateCertificate", http.StatusConflict, "The same certificate is already associated with an IAM user in the account.")
	}, nil)
	if err != nil {
		return nil, err
	}
	out := signingCertOut(o.userName(), k)
	return &iamapi.UploadSigningCertificateOutput{Certificate: &out}, nil
}

func (s *Service) ListSigningCertificates(ctx context.Context, c *auth.Caller, in *iamapi.ListSigningCertificatesInput) (*iamapi.ListSigningCertificatesOutput, error) {
	o, err := s.credOwner(ctx, c, "ListSigningCertificates", in.UserName)
	if err != nil {
		return nil, err
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	all, err := signingCerts.list(ctx, s, c.AccountID, o)
	if err != nil {
		return nil, err
	}
	certs, trunc, m, _ := cutSlice(pg, all, credID)
	out := &iamapi.ListSigningCertificatesOutput{Certificates: []iamapi.SigningCertificate{}, IsTruncated: ptr(trunc), Marker: m}
	for _, k := range certs {
		out.Certificates = append(out.Certificates, signingCertOut(o.userName(), k))
	}
	return out, nil
}

func (s *Service) UpdateSigningCertificate(ctx context.Context, c *auth.Caller, in *iamapi.UpdateSigningCertificateInput) (*iamapi.UpdateSigningCertificateOutput, error) {
	return result[iamapi.UpdateSigningCertificateOutput](signingCerts.setStatus(ctx, s, c, "UpdateSigningCertificate", in.UserName, in.CertificateId, in.Status))
}

func (s *Service) DeleteSigningCertificate(ctx context.Context, c *auth.Caller, in *iamapi.DeleteSigningCertificateInput) (*iamapi.DeleteSigningCertificateOutput, error) {
	return result[iamapi.DeleteSigningCertificateOutput](signingCerts.remove(ctx, s, c, "DeleteSigningCertificate", in.UserName, in.CertificateId))
}

// checkServerCertificate parses what UploadServerCertificate takes: the
// certificate, its private key (PKCS #1, PKCS #8 or SEC 1, unencrypted),
// which must be the certificate's, and the chain, which must start with the
// certificate's issuer and go up in order. It returns the certificate.
func checkServerCertificate(body, key, chain string) (*x509.Certificate, error) {
	cert, err := parsePEMCert(body)
	if err != nil {
		return nil, err
	}
	priv, err := parsePrivateKey(key)
	if err != nil {
		return nil, err
	}
	if !publicKeyOf(priv).Equal(cert.PublicKey) {
		return nil, awserr.New("KeyPairMismatch", http.StatusBadRequest, "The public key certificate and the private key do not match.")
	}
	prev := cert
	rest := []byte(strings.TrimSpace(chain))
	for i := 0; len(bytes.TrimSpace(rest)) > 0; i++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		var next *x509.Certificate
		if block != nil && block.Type == "CERTIFICATE" {
			next, _ = x509.ParseCertificate(block.Bytes)
		}
		if next == nil || prev.CheckSignatureFrom(next) != nil {
			idx := i
			if i == 0 {
				idx = -1
			}
			return nil, malformedCert(fmt.Sprintf("Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: %d", idx))
		}
		prev = next
	}
	return cert, nil
}

func publicKeyOf(k crypto.Signer) interface{ Equal(crypto.PublicKey) bool } {
	switch p := k.Public().(type) {
	case *rsa.PublicKey:
		return p
	case *ecdsa.PublicKey:
		return p
	case ed25519.PublicKey:
		return p
	}
	return noKey{}
}

type noKey struct{}

func (noKey) Equal(crypto.PublicKey) bool { return false }

func parsePrivateKey(key string) (crypto.Signer, error) {
	bad := malformedCert("Unable to parse private key.")
	block, rest := pem.Decode([]byte(strings.TrimSpace(key)))
	if block == nil || len(bytes.TrimSpace(rest)) > 0 {
		return nil, bad
	}
	var k any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, bad
	}
	if err != nil {
		return nil, bad
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, bad
	}
	return signer, nil
}

func noSuchServerCert(name string) *awserr.Error {
	return awserr.NoSuchEntity("The Server Certificate with name %s cannot be found.", name)
}

func serverCertARN(c *store.ServerCertificate) string {
	return iamARN(c.AccountID, "server-certificate", c.Path, c.Name)
}

func serverCertMeta(c *store.ServerCertificate) *iamapi.ServerCertificateMetadata {
	return &iamapi.ServerCertificateMetadata{Path: c.Path, ServerCertificateName: c.Name, ServerCertificateId: c.ID,
		Arn: serverCertARN(c), UploadDate: c.UploadedAt, Expiration: c.Expiration}
}

func (s *Service) UploadServerCertificate(ctx context.Context, c *auth.Caller, in *iamapi.UploadServerCertificateInput) (*iamapi.UploadServerCertificateOutput, error) {
	if err := checkPath(in.Path); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	path := pathOr(in.Path)
	arn := iamARN(c.AccountID, "server-certificate", path, in.ServerCertificateName)
	if err := s.authorize(ctx, c, "UploadServerCertificate", arn, requestTagKeys(in.Tags)...); err != nil {
		return nil, err
	}
	cert, err := checkServerCertificate(in.CertificateBody, in.PrivateKey, in.CertificateChain)
	if err != nil {
		return nil, err
	}
	sealed, err := s.sealer.Seal([]byte(in.PrivateKey))
	if err != nil {
		return nil, err
	}
	id, err := s.newID(prefixServerCert)
	if err != nil {
		return nil, err
	}
	sc := &store.ServerCertificate{AccountID: c.AccountID, ID: id, Name: in.ServerCertificateName, Path: path,
		Body: in.CertificateBody, Chain: in.CertificateChain, PrivateKey: sealed,
		Expiration: cert.NotAfter.UTC().Truncate(time.Second), UploadedAt: s.clock(), Tags: storeTags(in.Tags)}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		have, err := tx.ServerCertificates().List(ctx, c.AccountID, store.ListOptions{Limit: quotaServerCerts})
		if err != nil {
			return err
		}
		for _, h := range have {
			if strings.EqualFold(h.Name, sc.Name) {
				return serverCertExists(sc.Name)
			}
		}
		if len(have) >= quotaServerCerts {
			return awserr.LimitExceeded("Cannot exceed quota for ServerCertificatesPerAccount: %d", quotaServerCerts)
		}
		if err := tx.ServerCertificates().Create(ctx, sc); err != nil {
			if isExists(err) {
				return serverCertExists(sc.Name)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UploadServerCertificateOutput{ServerCertificateMetadata: serverCertMeta(sc), Tags: tagsOut(sc.Tags)}, nil
}

func serverCertExists(name string) *awserr.Error {
	return awserr.EntityAlreadyExists("The Server Certificate with name %s already exists.", name)
}

// serverCertTarget loads the certificate and authorizes action on its ARN
// before saying whether it exists (an unknown name is authorized as if at
// path /).
func (s *Service) serverCertTarget(ctx context.Context, c *auth.Caller, action, name string, keys ...auth.Key) (*store.ServerCertificate, error) {
	sc, err := s.store.ServerCertificates().Get(ctx, c.AccountID, name)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	arn := iamARN(c.AccountID, "server-certificate", "/", name)
	if sc != nil {
		arn = serverCertARN(sc)
	}
	if err := s.authorize(ctx, c, action, arn, keys...); err != nil {
		return nil, err
	}
	if sc == nil {
		return nil, noSuchServerCert(name)
	}
	return sc, nil
}

func (s *Service) updateServerCert(ctx context.Context, c *auth.Caller, action, name string, f func(*store.ServerCertificate) error, keys ...auth.Key) error {
	if _, err := s.serverCertTarget(ctx, c, action, name, keys...); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		sc, err := tx.ServerCertificates().Get(ctx, c.AccountID, name)
		if err != nil {
			return notFoundAs(err, noSuchServerCert(name))
		}
		if err := f(sc); err != nil {
			return err
		}
		if err := tx.ServerCertificates().Update(ctx, sc); err != nil {
			if isExists(err) {
				return serverCertExists(sc.Name)
			}
			return err
		}
		return nil
	})
}

func (s *Service) GetServerCertificate(ctx context.Context, c *auth.Caller, in *iamapi.GetServerCertificateInput) (*iamapi.GetServerCertificateOutput, error) {
	sc, err := s.serverCertTarget(ctx, c, "GetServerCertificate", in.ServerCertificateName)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetServerCertificateOutput{ServerCertificate: &iamapi.ServerCertificate{ServerCertificateMetadata: serverCertMeta(sc),
		CertificateBody: sc.Body, CertificateChain: sc.Chain, Tags: append([]iamapi.Tag{}, tagsOut(sc.Tags)...)}}, nil
}

func (s *Service) ListServerCertificates(ctx context.Context, c *auth.Caller, in *iamapi.ListServerCertificatesInput) (*iamapi.ListServerCertificatesOutput, error) {
	if err := s.authorize(ctx, c, "ListServerCertificates", listARN(c.AccountID, "server-certificate")); err != nil {
		return nil, err
	}
	certs, trunc, m, err := listPage(in.Marker, in.MaxItems, in.PathPrefix,
		func(o store.ListOptions) ([]*store.ServerCertificate, error) {
			return s.store.ServerCertificates().List(ctx, c.AccountID, o)
		},
		func(sc *store.ServerCertificate) string { return strings.ToLower(sc.Name) },
		func(sc *store.ServerCertificate) iamapi.ServerCertificateMetadata { return *serverCertMeta(sc) })
	if err != nil {
		return nil, err
	}
	return &iamapi.ListServerCertificatesOutput{ServerCertificateMetadataList: certs, IsTruncated: ptr(trunc), Marker: m}, nil
}

// UpdateServerCertificate renames or moves a certificate; the caller needs
// the action on both the old and the new ARN, as IAM documents.
func (s *Service) UpdateServerCertificate(ctx context.Context, c *auth.Caller, in *iamapi.UpdateServerCertificateInput) (*iamapi.UpdateServerCertificateOutput, error) {
	if err := checkPath(in.NewPath); err != nil {
		return nil, err
	}
	return result[iamapi.UpdateServerCertificateOutput](s.updateServerCert(ctx, c, "UpdateServerCertificate", in.ServerCertificateName, func(sc *store.ServerCertificate) error {
		if in.NewServerCertificateName != "" {
			sc.Name = in.NewServerCertificateName
		}
		if in.NewPath != "" {
			sc.Path = in.NewPath
		}
		return s.authorize(ctx, c, "UpdateServerCertificate", serverCertARN(sc))
	}))
}

func (s *Service) DeleteServerCertificate(ctx context.Context, c *auth.Caller, in *iamapi.DeleteServerCertificateInput) (*iamapi.DeleteServerCertificateOutput, error) {
	sc, err := s.serverCertTarget(ctx, c, "DeleteServerCertificate", in.ServerCertificateName)
	if err != nil {
		return nil, err
	}
	return result[iamapi.DeleteServerCertificateOutput](s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		return notFoundAs(tx.ServerCertificates().Delete(ctx, sc.ID), noSuchServerCert(in.ServerCertificateName))
	}))
}

func (s *Service) serverCertTags() tagged[store.ServerCertificate] {
	return tagged[store.ServerCertificate]{s.serverCertTarget, s.updateServerCert, func(sc *store.ServerCertificate) *[]store.Tag { return &sc.Tags }}
}

func (s *Service) TagServerCertificate(ctx context.Context, c *auth.Caller, in *iamapi.TagServerCertificateInput) (*iamapi.TagServerCertificateOutput, error) {
	return result[iamapi.TagServerCertificateOutput](s.serverCertTags().tag(ctx, c, "TagServerCertificate", in.ServerCertificateName, in.Tags))
}

func (s *Service) UntagServerCertificate(ctx context.Context, c *auth.Caller, in *iamapi.UntagServerCertificateInput) (*iamapi.UntagServerCertificateOutput, error) {
	return result[iamapi.UntagServerCertificateOutput](s.serverCertTags().untag(ctx, c, "UntagServerCertificate", in.ServerCertificateName, in.TagKeys))
}

func (s *Service) ListServerCertificateTags(ctx context.Context, c *auth.Caller, in *iamapi.ListServerCertificateTagsInput) (*iamapi.ListServerCertificateTagsOutput, error) {
	out, err := s.serverCertTags().list(ctx, c, "ListServerCertificateTags", in.ServerCertificateName, in.Marker, in.MaxItems)
	return (*iamapi.ListServerCertificateTagsOutput)(out), err
}
