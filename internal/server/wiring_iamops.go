package server

import (
	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	"github.com/mantle-iam/mantle/internal/iam"
)

// wireCredentials adds the IAM operations on users' other credentials
// (MFA, SSH keys, certificates, service-specific credentials) and on
// provider tags: one line per operation, as in iamHandlers.
func wireCredentials(h *iamapi.Handlers, s *iam.Service) {
	h.GetMFADevice = s.GetMFADevice
	h.ResyncMFADevice = s.ResyncMFADevice
	h.TagMFADevice = s.TagMFADevice
	h.UntagMFADevice = s.UntagMFADevice
	h.ListMFADeviceTags = s.ListMFADeviceTags
	h.TagSAMLProvider = s.TagSAMLProvider
	h.UntagSAMLProvider = s.UntagSAMLProvider
	h.ListSAMLProviderTags = s.ListSAMLProviderTags
}
