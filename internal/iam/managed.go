package iam

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"time"

	"github.com/mantle-iam/mantle/internal/store"
)

// awsManagedPolicy is an AWS managed policy mantle ships.
type awsManagedPolicy struct {
	name, path, description, document string
}

// awsManagedPolicies are the AWS managed policies users reach for most, with
// AWS's documents; ReadOnlyAccess is scoped to the read actions of the
// services mantle serves.
var awsManagedPolicies = []awsManagedPolicy{
	{"AdministratorAccess", "/", "Provides full access to AWS services and resources.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
	{"PowerUserAccess", "/", "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},` +
			`{"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeOrganization","account:ListRegions","account:GetAccountInformation"],"Resource":"*"}]}`},
	{"ReadOnlyAccess", "/", "Provides read-only access to AWS services and resources.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*","iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy","organizations:Describe*","organizations:List*","sts:GetCallerIdentity","sts:GetAccessKeyInfo"],"Resource":"*"}]}`},
	{"IAMFullAccess", "/", "Provides full access to IAM via the AWS Management Console.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}`},
	{"IAMReadOnlyAccess", "/", "Provides read only access to IAM via the AWS Management Console.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`},
	{"IAMUserChangePassword", "/", "Provides the ability for an IAM user to change their own password.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ChangePassword"],"Resource":["arn:aws:iam::*:user/${aws:username}"]},{"Effect":"Allow","Action":["iam:GetAccountPasswordPolicy"],"Resource":"*"}]}`},
	{"IAMSelfManageServiceSpecificCredentials", "/", "Allows an IAM user to manage their own Service Specific Credentials",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateServiceSpecificCredential","iam:ListServiceSpecificCredentials","iam:UpdateServiceSpecificCredential","iam:DeleteServiceSpecificCredential","iam:ResetServiceSpecificCredential"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`},
	{"AWSOrganizationsFullAccess", "/", "Provides full access to AWS Organizations.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:*","Resource":"*"},{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*","Condition":{"StringEquals":{"iam:AWSServiceName":"organizations.amazonaws.com"}}}]}`},
	{"AWSOrganizationsReadOnlyAccess", "/", "Provides read-only access to AWS Organizations.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["organizations:Describe*","organizations:List*"],"Resource":"*"}]}`},
	{"ViewOnlyAccess", "/job-function/", "This policy grants permissions to view resources and basic metadata across all AWS services.",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetAccountSummary","iam:GetLoginProfile","iam:List*","organizations:Describe*","organizations:List*"],"Resource":"*"}]}`},
}

// awsManagedCreated is when the shipped AWS managed policies report being
// created; a fixed date keeps every mantle instance's listing identical.
var awsManagedCreated = time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)

// awsManagedID derives a stable ANPA… ID from the policy name, so the same
// policy has the same ID on every instance and after every restart.
func awsManagedID(name string) string {
	sum := sha256.Sum256([]byte("aws-managed-policy:" + name))
	return prefixPolicy + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// EnsureAWSManagedPolicies creates the shipped AWS managed policies that do
// not exist yet. Existing ones are left as they are: they are immutable, so
// any difference would be from an older mantle and is kept rather than
// silently rewriting what principals are granted.
func (s *Service) EnsureAWSManagedPolicies(ctx context.Context) error {
	for _, mp := range awsManagedPolicies {
		if _, err := s.store.Policies().Get(ctx, store.AWSAccount, mp.name); err == nil {
			continue
		} else if !isNotFound(err) {
			return err
		}
		if err := validateDocument(mp.document, policyKindIdentity); err != nil {
			return err
		}
		id := awsManagedID(mp.name)
		p := &store.ManagedPolicy{AccountID: store.AWSAccount, ID: id, Name: mp.name, Path: mp.path, Description: mp.description,
			DefaultVersionID: "v1", NextVersion: 2, CreatedAt: awsManagedCreated, UpdatedAt: awsManagedCreated}
		v := &store.PolicyVersion{PolicyID: id, VersionID: "v1", Document: mp.document, CreatedAt: awsManagedCreated}
		err := s.write(ctx, func(ctx context.Context, tx store.Repos) error {
			return tx.Policies().Create(ctx, p, v)
		})
		if err != nil && !isExists(err) {
			return err
		}
	}
	return nil
}
