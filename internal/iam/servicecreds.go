package iam

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// Service-specific credentials ("IAM API Reference":
// CreateServiceSpecificCredential): a user name and password for
// CodeCommit and Amazon Keyspaces, an API key for Amazon Bedrock; at most
// two per user and service ("IAM and AWS STS quotas").
const (
	prefixServiceCred       = "ACCA"
	quotaServiceCredentials = 2
	serviceBedrock          = "bedrock.amazonaws.com"
)

// credentialServices are the services that take service-specific
// credentials.
var credentialServices = map[string]bool{
	"codecommit.amazonaws.com": true,
	"cassandra.amazonaws.com":  true,
	serviceBedrock:             true,
}

var serviceCreds = credKind{
	kind: store.CredentialService,
	notFound: func(id string) *awserr.Error {
		return awserr.NoSuchEntity("No such credential %s exists", id)
	},
}

func serviceCredMeta(name string, k *store.UserCredential) iamapi.ServiceSpecificCredentialMetadata {
	m := iamapi.ServiceSpecificCredentialMetadata{UserName: name, Status: k.Status, ServiceName: k.ServiceName,
		ServiceSpecificCredentialId: k.ID, CreateDate: k.CreatedAt, ExpirationDate: timeOf(k.ExpiresAt)}
	if k.ServiceName == serviceBedrock {
		m.ServiceCredentialAlias = k.ServiceUserName
	} else {
		m.ServiceUserName = k.ServiceUserName
	}
	return m
}

// serviceCredOut is the full credential with its secret, which IAM shows
// only when it is created or reset.
func serviceCredOut(name string, k *store.UserCredential, secret string) *iamapi.ServiceSpecificCredential {
	m := serviceCredMeta(name, k)
	out := &iamapi.ServiceSpecificCredential{UserName: m.UserName, Status: m.Status, ServiceName: m.ServiceName,
		ServiceSpecificCredentialId: m.ServiceSpecificCredentialId, CreateDate: m.CreateDate, ExpirationDate: m.ExpirationDate,
		ServiceUserName: m.ServiceUserName, ServiceCredentialAlias: m.ServiceCredentialAlias}
	if k.ServiceName == serviceBedrock {
		out.ServiceCredentialSecret = secret
	} else {
		out.ServicePassword = secret
	}
	return out
}

// newServiceSecret makes a credential's secret: a 44-character password
// (32 random bytes in base64, as CodeCommit's look), or for Bedrock an API
// key, "ABSK" and the base64 of alias:secret.
func (s *Service) newServiceSecret(service, alias string) (string, error) {
	b := make([]byte, 32)
	if _, err := s.rand.Read(b); err != nil {
		return "", err
	}
	pw := base64.StdEncoding.EncodeToString(b)
	if service == serviceBedrock {
		return "ABSK" + base64.StdEncoding.EncodeToString([]byte(alias+":"+pw)), nil
	}
	return pw, nil
}

func (s *Service) CreateServiceSpecificCredential(ctx context.Context, c *auth.Caller, in *iamapi.CreateServiceSpecificCredentialInput) (*iamapi.CreateServiceSpecificCredentialOutput, error) {
	o, err := s.credOwner(ctx, c, "CreateServiceSpecificCredential", in.UserName)
	if err != nil {
		return nil, err
	}
	if !credentialServices[in.ServiceName] {
		return nil, awserr.New("NotSupportedService", http.StatusNotFound, "No such service %s is supported for Service Specific Credentials", in.ServiceName)
	}
	id, err := s.newID(prefixServiceCred)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	// CodeCommit and Keyspaces sign in as USER-at-ACCOUNT; a Bedrock key
	// has an alias of the same form with a random part, since a user may
	// hold two.
	userName := o.userName() + "-at-" + c.AccountID
	if in.ServiceName == serviceBedrock {
		r, err := s.randomString("abcdefghijklmnopqrstuvwxyz0123456789", 4)
		if err != nil {
			return nil, err
		}
		userName = "BedrockAPIKey-" + r + "-at-" + c.AccountID
	}
	secret, err := s.newServiceSecret(in.ServiceName, userName)
	if err != nil {
		return nil, err
	}
	sealed, err := s.sealer.Seal([]byte(secret))
	if err != nil {
		return nil, err
	}
	k := &store.UserCredential{Kind: store.CredentialService, ID: id, AccountID: c.AccountID, UserID: o.userID(),
		ServiceName: in.ServiceName, ServiceUserName: userName, Secret: sealed, Status: "Active", CreatedAt: now}
	if in.CredentialAgeDays != nil {
		exp := now.Add(time.Duration(*in.CredentialAgeDays) * 24 * time.Hour)
		k.ExpiresAt = &exp
	}
	err = s.write(ctx, func(ctx context.Context, tx store.Repos) error {
		have, err := tx.UserCredentials().ListForUser(ctx, store.CredentialService, c.AccountID, o.userID())
		if err != nil {
			return err
		}
		n := 0
		for _, h := range have {
			if h.ServiceName == in.ServiceName {
				n++
			}
		}
		if n >= quotaServiceCredentials {
			return awserr.LimitExceeded("%s", fmt.Sprintf("Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: %d", quotaServiceCredentials))
		}
		return tx.UserCredentials().Create(ctx, k)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateServiceSpecificCredentialOutput{ServiceSpecificCredential: serviceCredOut(o.userName(), k, secret)}, nil
}

// ListServiceSpecificCredentials lists a user's credentials, or with
// AllUsers every user's in the account, optionally for one service.
func (s *Service) ListServiceSpecificCredentials(ctx context.Context, c *auth.Caller, in *iamapi.ListServiceSpecificCredentialsInput) (*iamapi.ListServiceSpecificCredentialsOutput, error) {
	var all []iamapi.ServiceSpecificCredentialMetadata
	add := func(name string, ks []*store.UserCredential) {
		for _, k := range ks {
			if in.ServiceName == "" || k.ServiceName == in.ServiceName {
				all = append(all, serviceCredMeta(name, k))
			}
		}
	}
	if in.AllUsers != nil && *in.AllUsers && in.UserName == "" {
		if err := s.authorize(ctx, c, "ListServiceSpecificCredentials", listARN(c.AccountID, "user")); err != nil {
			return nil, err
		}
		users, err := s.store.Users().List(ctx, c.AccountID, store.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			ks, err := serviceCreds.list(ctx, s, c.AccountID, keyOwner{user: u})
			if err != nil {
				return nil, err
			}
			add(u.Name, ks)
		}
	} else {
		o, err := s.credOwner(ctx, c, "ListServiceSpecificCredentials", in.UserName)
		if err != nil {
			return nil, err
		}
		ks, err := serviceCreds.list(ctx, s, c.AccountID, o)
		if err != nil {
			return nil, err
		}
		add(o.userName(), ks)
	}
	pg, err := pageOf(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	page, trunc, m, _ := cutSlice(pg, all, func(x iamapi.ServiceSpecificCredentialMetadata) string {
		return x.UserName + "\x00" + x.ServiceSpecificCredentialId
	})
	if page == nil {
		page = []iamapi.ServiceSpecificCredentialMetadata{}
	}
	out := &iamapi.ListServiceSpecificCredentialsOutput{ServiceSpecificCredentials: page}
	if in.MaxItems != nil || in.Marker != "" {
		out.IsTruncated, out.Marker = ptr(trunc), m
	}
	return out, nil
}

func (s *Service) ResetServiceSpecificCredential(ctx context.Context, c *auth.Caller, in *iamapi.ResetServiceSpecificCredentialInput) (*iamapi.ResetServiceSpecificCredentialOutput, error) {
	o, err := s.credOwner(ctx, c, "ResetServiceSpecificCredential", in.UserName)
	if err != nil {
		return nil, err
	}
	var k *store.UserCredential
	var secret string
	err = serviceCreds.update(ctx, s, c.AccountID, o, in.ServiceSpecificCredentialId, func(cr *store.UserCredential) error {
		var err error
		if secret, err = s.newServiceSecret(cr.ServiceName, cr.ServiceUserName); err != nil {
			return err
		}
		if cr.Secret, err = s.sealer.Seal([]byte(secret)); err != nil {
			return err
		}
		k = cr
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.ResetServiceSpecificCredentialOutput{ServiceSpecificCredential: serviceCredOut(o.userName(), k, secret)}, nil
}

func (s *Service) UpdateServiceSpecificCredential(ctx context.Context, c *auth.Caller, in *iamapi.UpdateServiceSpecificCredentialInput) (*iamapi.UpdateServiceSpecificCredentialOutput, error) {
	return result[iamapi.UpdateServiceSpecificCredentialOutput](serviceCreds.setStatus(ctx, s, c, "UpdateServiceSpecificCredential", in.UserName, in.ServiceSpecificCredentialId, in.Status))
}

func (s *Service) DeleteServiceSpecificCredential(ctx context.Context, c *auth.Caller, in *iamapi.DeleteServiceSpecificCredentialInput) (*iamapi.DeleteServiceSpecificCredentialOutput, error) {
	return result[iamapi.DeleteServiceSpecificCredentialOutput](serviceCreds.remove(ctx, s, c, "DeleteServiceSpecificCredential", in.UserName, in.ServiceSpecificCredentialId))
}
