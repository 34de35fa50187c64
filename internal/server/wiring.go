package server

import (
	stsapi "github.com/mantle-iam/mantle/internal/api/sts"
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
