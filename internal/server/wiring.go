package server

import (
	cloudtrailapi "github.com/mantle-iam/mantle/internal/api/cloudtrail"
	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	orgsapi "github.com/mantle-iam/mantle/internal/api/organizations"
	stsapi "github.com/mantle-iam/mantle/internal/api/sts"
	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/gate/authzapi"
	"github.com/mantle-iam/mantle/internal/iam"
	"github.com/mantle-iam/mantle/internal/orgs"
	"github.com/mantle-iam/mantle/internal/sts"
)

// The tables of operations mantle serves: one line per operation, so that
// a handler of the wrong shape does not compile and an operation of the
// model left out answers NotImplemented (docs/coverage.md lists them).

func iamHandlers(s *iam.Service) *iamapi.Handlers {
	h := &iamapi.Handlers{
		AddClientIDToOpenIDConnectProvider:      s.AddClientIDToOpenIDConnectProvider,
		AddRoleToInstanceProfile:                s.AddRoleToInstanceProfile,
		AddUserToGroup:                          s.AddUserToGroup,
		AttachGroupPolicy:                       s.AttachGroupPolicy,
		AttachRolePolicy:                        s.AttachRolePolicy,
		AttachUserPolicy:                        s.AttachUserPolicy,
		ChangePassword:                          s.ChangePassword,
		CreateAccessKey:                         s.CreateAccessKey,
		CreateAccountAlias:                      s.CreateAccountAlias,
		CreateGroup:                             s.CreateGroup,
		CreateInstanceProfile:                   s.CreateInstanceProfile,
		CreateLoginProfile:                      s.CreateLoginProfile,
		CreateOpenIDConnectProvider:             s.CreateOpenIDConnectProvider,
		CreatePolicy:                            s.CreatePolicy,
		CreatePolicyVersion:                     s.CreatePolicyVersion,
		CreateRole:                              s.CreateRole,
		CreateServiceLinkedRole:                 s.CreateServiceLinkedRole,
		CreateSAMLProvider:                      s.CreateSAMLProvider,
		CreateUser:                              s.CreateUser,
		CreateVirtualMFADevice:                  s.CreateVirtualMFADevice,
		DeactivateMFADevice:                     s.DeactivateMFADevice,
		DeleteAccessKey:                         s.DeleteAccessKey,
		DeleteAccountAlias:                      s.DeleteAccountAlias,
		DeleteAccountPasswordPolicy:             s.DeleteAccountPasswordPolicy,
		DeleteGroup:                             s.DeleteGroup,
		DeleteGroupPolicy:                       s.DeleteGroupPolicy,
		DeleteInstanceProfile:                   s.DeleteInstanceProfile,
		DeleteLoginProfile:                      s.DeleteLoginProfile,
		DeleteOpenIDConnectProvider:             s.DeleteOpenIDConnectProvider,
		DeletePolicy:                            s.DeletePolicy,
		DeletePolicyVersion:                     s.DeletePolicyVersion,
		DeleteRole:                              s.DeleteRole,
		DeleteServiceLinkedRole:                 s.DeleteServiceLinkedRole,
		DeleteRolePermissionsBoundary:           s.DeleteRolePermissionsBoundary,
		DeleteRolePolicy:                        s.DeleteRolePolicy,
		DeleteSAMLProvider:                      s.DeleteSAMLProvider,
		DeleteUser:                              s.DeleteUser,
		DeleteUserPermissionsBoundary:           s.DeleteUserPermissionsBoundary,
		DeleteUserPolicy:                        s.DeleteUserPolicy,
		DeleteVirtualMFADevice:                  s.DeleteVirtualMFADevice,
		DetachGroupPolicy:                       s.DetachGroupPolicy,
		DetachRolePolicy:                        s.DetachRolePolicy,
		DetachUserPolicy:                        s.DetachUserPolicy,
		EnableMFADevice:                         s.EnableMFADevice,
		GenerateCredentialReport:                s.GenerateCredentialReport,
		GetAccessKeyLastUsed:                    s.GetAccessKeyLastUsed,
		GetAccountAuthorizationDetails:          s.GetAccountAuthorizationDetails,
		GetAccountPasswordPolicy:                s.GetAccountPasswordPolicy,
		GetAccountSummary:                       s.GetAccountSummary,
		GetContextKeysForCustomPolicy:           s.GetContextKeysForCustomPolicy,
		GetContextKeysForPrincipalPolicy:        s.GetContextKeysForPrincipalPolicy,
		GetCredentialReport:                     s.GetCredentialReport,
		GetGroup:                                s.GetGroup,
		GetGroupPolicy:                          s.GetGroupPolicy,
		GetInstanceProfile:                      s.GetInstanceProfile,
		GetLoginProfile:                         s.GetLoginProfile,
		GetOpenIDConnectProvider:                s.GetOpenIDConnectProvider,
		GetPolicy:                               s.GetPolicy,
		GetPolicyVersion:                        s.GetPolicyVersion,
		GetRole:                                 s.GetRole,
		GetRolePolicy:                           s.GetRolePolicy,
		GetSAMLProvider:                         s.GetSAMLProvider,
		GetServiceLinkedRoleDeletionStatus:      s.GetServiceLinkedRoleDeletionStatus,
		GetUser:                                 s.GetUser,
		GetUserPolicy:                           s.GetUserPolicy,
		ListAccessKeys:                          s.ListAccessKeys,
		ListAccountAliases:                      s.ListAccountAliases,
		ListAttachedGroupPolicies:               s.ListAttachedGroupPolicies,
		ListAttachedRolePolicies:                s.ListAttachedRolePolicies,
		ListAttachedUserPolicies:                s.ListAttachedUserPolicies,
		ListEntitiesForPolicy:                   s.ListEntitiesForPolicy,
		ListGroupPolicies:                       s.ListGroupPolicies,
		ListGroups:                              s.ListGroups,
		ListGroupsForUser:                       s.ListGroupsForUser,
		ListInstanceProfileTags:                 s.ListInstanceProfileTags,
		ListInstanceProfiles:                    s.ListInstanceProfiles,
		ListInstanceProfilesForRole:             s.ListInstanceProfilesForRole,
		ListMFADevices:                          s.ListMFADevices,
		ListOpenIDConnectProviderTags:           s.ListOpenIDConnectProviderTags,
		ListOpenIDConnectProviders:              s.ListOpenIDConnectProviders,
		ListPolicies:                            s.ListPolicies,
		ListPolicyTags:                          s.ListPolicyTags,
		ListPolicyVersions:                      s.ListPolicyVersions,
		ListRolePolicies:                        s.ListRolePolicies,
		ListRoleTags:                            s.ListRoleTags,
		ListRoles:                               s.ListRoles,
		ListSAMLProviders:                       s.ListSAMLProviders,
		ListUserPolicies:                        s.ListUserPolicies,
		ListUserTags:                            s.ListUserTags,
		ListUsers:                               s.ListUsers,
		ListVirtualMFADevices:                   s.ListVirtualMFADevices,
		PutGroupPolicy:                          s.PutGroupPolicy,
		PutRolePermissionsBoundary:              s.PutRolePermissionsBoundary,
		PutRolePolicy:                           s.PutRolePolicy,
		PutUserPermissionsBoundary:              s.PutUserPermissionsBoundary,
		PutUserPolicy:                           s.PutUserPolicy,
		RemoveClientIDFromOpenIDConnectProvider: s.RemoveClientIDFromOpenIDConnectProvider,
		RemoveRoleFromInstanceProfile:           s.RemoveRoleFromInstanceProfile,
		RemoveUserFromGroup:                     s.RemoveUserFromGroup,
		SetDefaultPolicyVersion:                 s.SetDefaultPolicyVersion,
		SimulateCustomPolicy:                    s.SimulateCustomPolicy,
		SimulatePrincipalPolicy:                 s.SimulatePrincipalPolicy,
		TagInstanceProfile:                      s.TagInstanceProfile,
		TagOpenIDConnectProvider:                s.TagOpenIDConnectProvider,
		TagPolicy:                               s.TagPolicy,
		TagRole:                                 s.TagRole,
		TagUser:                                 s.TagUser,
		UntagInstanceProfile:                    s.UntagInstanceProfile,
		UntagOpenIDConnectProvider:              s.UntagOpenIDConnectProvider,
		UntagPolicy:                             s.UntagPolicy,
		UntagRole:                               s.UntagRole,
		UntagUser:                               s.UntagUser,
		UpdateAccessKey:                         s.UpdateAccessKey,
		UpdateAccountPasswordPolicy:             s.UpdateAccountPasswordPolicy,
		UpdateAssumeRolePolicy:                  s.UpdateAssumeRolePolicy,
		UpdateGroup:                             s.UpdateGroup,
		UpdateLoginProfile:                      s.UpdateLoginProfile,
		UpdateOpenIDConnectProviderThumbprint:   s.UpdateOpenIDConnectProviderThumbprint,
		UpdateRole:                              s.UpdateRole,
		UpdateRoleDescription:                   s.UpdateRoleDescription,
		UpdateSAMLProvider:                      s.UpdateSAMLProvider,
		UpdateUser:                              s.UpdateUser,

		// Access advisor and the Organizations access report (a group of its own: its long names would realign the rest).
		GenerateServiceLastAccessedDetails:        s.GenerateServiceLastAccessedDetails,
		GetServiceLastAccessedDetails:             s.GetServiceLastAccessedDetails,
		GetServiceLastAccessedDetailsWithEntities: s.GetServiceLastAccessedDetailsWithEntities,
		ListPoliciesGrantingServiceAccess:         s.ListPoliciesGrantingServiceAccess,
		GenerateOrganizationsAccessReport:         s.GenerateOrganizationsAccessReport,
		GetOrganizationsAccessReport:              s.GetOrganizationsAccessReport,
	}
	wireCredentials(h, s)
	return h
}

// rootAccessHandlers adds to IAM's table the operations of centralized
// root access, which Organizations serves (they are facts of the
// organization).
func rootAccessHandlers(h *iamapi.Handlers, o *orgs.Service) *iamapi.Handlers {
	h.DisableOrganizationsRootCredentialsManagement = o.DisableOrganizationsRootCredentialsManagement
	h.DisableOrganizationsRootSessions = o.DisableOrganizationsRootSessions
	h.EnableOrganizationsRootCredentialsManagement = o.EnableOrganizationsRootCredentialsManagement
	h.EnableOrganizationsRootSessions = o.EnableOrganizationsRootSessions
	h.ListOrganizationsFeatures = o.ListOrganizationsFeatures
	return h
}

func stsHandlers(s *sts.Service) *stsapi.Handlers {
	return &stsapi.Handlers{
		AssumeRole:                 s.AssumeRole,
		AssumeRoot:                 s.AssumeRoot,
		AssumeRoleWithSAML:         s.AssumeRoleWithSAML,
		AssumeRoleWithWebIdentity:  s.AssumeRoleWithWebIdentity,
		DecodeAuthorizationMessage: s.DecodeAuthorizationMessage,
		GetAccessKeyInfo:           s.GetAccessKeyInfo,
		GetCallerIdentity:          s.GetCallerIdentity,
		GetFederationToken:         s.GetFederationToken,
		GetSessionToken:            s.GetSessionToken,
		GetWebIdentityToken:        s.GetWebIdentityToken,
	}
}

func orgsHandlers(s *orgs.Service) *orgsapi.Handlers {
	return &orgsapi.Handlers{
		AcceptHandshake:                        s.AcceptHandshake,
		AttachPolicy:                           s.AttachPolicy,
		CancelHandshake:                        s.CancelHandshake,
		CloseAccount:                           s.CloseAccount,
		CreateAccount:                          s.CreateAccount,
		CreateGovCloudAccount:                  s.CreateGovCloudAccount,
		CreateOrganization:                     s.CreateOrganization,
		CreateOrganizationalUnit:               s.CreateOrganizationalUnit,
		CreatePolicy:                           s.CreatePolicy,
		DeclineHandshake:                       s.DeclineHandshake,
		DeleteOrganization:                     s.DeleteOrganization,
		DeleteOrganizationalUnit:               s.DeleteOrganizationalUnit,
		DeletePolicy:                           s.DeletePolicy,
		DeleteResourcePolicy:                   s.DeleteResourcePolicy,
		DeregisterDelegatedAdministrator:       s.DeregisterDelegatedAdministrator,
		DescribeAccount:                        s.DescribeAccount,
		DescribeCreateAccountStatus:            s.DescribeCreateAccountStatus,
		DescribeEffectivePolicy:                s.DescribeEffectivePolicy,
		DescribeHandshake:                      s.DescribeHandshake,
		DescribeOrganization:                   s.DescribeOrganization,
		DescribeOrganizationalUnit:             s.DescribeOrganizationalUnit,
		DescribePolicy:                         s.DescribePolicy,
		DescribeResourcePolicy:                 s.DescribeResourcePolicy,
		DetachPolicy:                           s.DetachPolicy,
		DisableAWSServiceAccess:                s.DisableAWSServiceAccess,
		DisablePolicyType:                      s.DisablePolicyType,
		EnableAWSServiceAccess:                 s.EnableAWSServiceAccess,
		EnableAllFeatures:                      s.EnableAllFeatures,
		EnablePolicyType:                       s.EnablePolicyType,
		InviteAccountToOrganization:            s.InviteAccountToOrganization,
		LeaveOrganization:                      s.LeaveOrganization,
		ListAWSServiceAccessForOrganization:    s.ListAWSServiceAccessForOrganization,
		ListAccounts:                           s.ListAccounts,
		ListAccountsForParent:                  s.ListAccountsForParent,
		ListAccountsWithInvalidEffectivePolicy: s.ListAccountsWithInvalidEffectivePolicy,
		ListChildren:                           s.ListChildren,
		ListCreateAccountStatus:                s.ListCreateAccountStatus,
		ListDelegatedAdministrators:            s.ListDelegatedAdministrators,
		ListDelegatedServicesForAccount:        s.ListDelegatedServicesForAccount,
		ListEffectivePolicyValidationErrors:    s.ListEffectivePolicyValidationErrors,
		ListHandshakesForAccount:               s.ListHandshakesForAccount,
		ListHandshakesForOrganization:          s.ListHandshakesForOrganization,
		ListOrganizationalUnitsForParent:       s.ListOrganizationalUnitsForParent,
		ListParents:                            s.ListParents,
		ListPolicies:                           s.ListPolicies,
		ListPoliciesForTarget:                  s.ListPoliciesForTarget,
		ListRoots:                              s.ListRoots,
		ListTagsForResource:                    s.ListTagsForResource,
		ListTargetsForPolicy:                   s.ListTargetsForPolicy,
		MoveAccount:                            s.MoveAccount,
		PutResourcePolicy:                      s.PutResourcePolicy,
		RegisterDelegatedAdministrator:         s.RegisterDelegatedAdministrator,
		RemoveAccountFromOrganization:          s.RemoveAccountFromOrganization,
		TagResource:                            s.TagResource,
		UntagResource:                          s.UntagResource,
		UpdateOrganizationalUnit:               s.UpdateOrganizationalUnit,
		UpdatePolicy:                           s.UpdatePolicy,
	}
}

func cloudtrailHandlers(s *audit.Service) *cloudtrailapi.Handlers {
	return &cloudtrailapi.Handlers{
		LookupEvents: s.LookupEvents,
	}
}

// authorizationService is mantle's own authorization API (authorize.go),
// which gateways call; it has no AWS model.
func authorizationService(ra *requestAuthorizer) *JSONService {
	return &JSONService{
		Name: authzapi.Service, TargetPrefix: authzapi.TargetPrefix,
		Operations: map[string]JSONHandler{authzapi.Operation: ra.AuthorizeRequest},
	}
}
