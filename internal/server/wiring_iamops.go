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

	h.UploadSSHPublicKey = s.UploadSSHPublicKey
	h.GetSSHPublicKey = s.GetSSHPublicKey
	h.ListSSHPublicKeys = s.ListSSHPublicKeys
	h.UpdateSSHPublicKey = s.UpdateSSHPublicKey
	h.DeleteSSHPublicKey = s.DeleteSSHPublicKey

	h.UploadSigningCertificate = s.UploadSigningCertificate
	h.ListSigningCertificates = s.ListSigningCertificates
	h.UpdateSigningCertificate = s.UpdateSigningCertificate
	h.DeleteSigningCertificate = s.DeleteSigningCertificate

	h.UploadServerCertificate = s.UploadServerCertificate
	h.GetServerCertificate = s.GetServerCertificate
	h.ListServerCertificates = s.ListServerCertificates
	h.UpdateServerCertificate = s.UpdateServerCertificate
	h.DeleteServerCertificate = s.DeleteServerCertificate
	h.TagServerCertificate = s.TagServerCertificate
	h.UntagServerCertificate = s.UntagServerCertificate
	h.ListServerCertificateTags = s.ListServerCertificateTags

	h.CreateServiceSpecificCredential = s.CreateServiceSpecificCredential
	h.ListServiceSpecificCredentials = s.ListServiceSpecificCredentials
	h.ResetServiceSpecificCredential = s.ResetServiceSpecificCredential
	h.UpdateServiceSpecificCredential = s.UpdateServiceSpecificCredential
	h.DeleteServiceSpecificCredential = s.DeleteServiceSpecificCredential

	h.SetSecurityTokenServicePreferences = s.SetSecurityTokenServicePreferences

	h.EnableOutboundWebIdentityFederation = s.EnableOutboundWebIdentityFederation
	h.DisableOutboundWebIdentityFederation = s.DisableOutboundWebIdentityFederation
	h.GetOutboundWebIdentityFederationInfo = s.GetOutboundWebIdentityFederationInfo

	h.GetHumanReadableSummary = s.GetHumanReadableSummary
}
