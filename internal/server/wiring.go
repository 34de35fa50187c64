package server

import (
	cloudtrailapi "github.com/mantle-iam/mantle/internal/api/cloudtrail"
	orgsapi "github.com/mantle-iam/mantle/internal/api/organizations"
	stsapi "github.com/mantle-iam/mantle/internal/api/sts"
	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/orgs"
	"github.com/mantle-iam/mantle/internal/sts"
)

// The tables of operations mantle serves: one line per operation, so that
// a handler of the wrong shape does not compile and an operation of the
// model left out answers NotImplemented (docs/coverage.md lists them).

func stsHandlers(s *sts.Service) *stsapi.Handlers {
	return &stsapi.Handlers{
		AssumeRole:                 s.AssumeRole,
		AssumeRoleWithSAML:         s.AssumeRoleWithSAML,
		AssumeRoleWithWebIdentity:  s.AssumeRoleWithWebIdentity,
		DecodeAuthorizationMessage: s.DecodeAuthorizationMessage,
		GetAccessKeyInfo:           s.GetAccessKeyInfo,
		GetCallerIdentity:          s.GetCallerIdentity,
		GetFederationToken:         s.GetFederationToken,
		GetSessionToken:            s.GetSessionToken,
	}
}

func orgsHandlers(s *orgs.Service) *orgsapi.Handlers {
	return &orgsapi.Handlers{
		CreateAccount:               s.CreateAccount,
		CreateOrganization:          s.CreateOrganization,
		DescribeAccount:             s.DescribeAccount,
		DescribeCreateAccountStatus: s.DescribeCreateAccountStatus,
		DescribeOrganization:        s.DescribeOrganization,
		ListAccounts:                s.ListAccounts,
	}
}

func cloudtrailHandlers(s *audit.Service) *cloudtrailapi.Handlers {
	return &cloudtrailapi.Handlers{
		LookupEvents: s.LookupEvents,
	}
}
