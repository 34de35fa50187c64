package iam

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

// The credential report: GenerateCredentialReport builds it, one row per
// user and one for the root user, with the columns, values and placeholders
// of "Getting credential reports" (IAM User Guide) as AWS writes them
// (reports recorded in public projects' tests, e.g. the root row
// "<root_account>,arn:aws:iam::…:root,…,not_supported,…,not_supported,
// not_supported,true,false,N/A,…").
//
// mantle builds the report within the call (an account's users are a few
// reads each), so it is COMPLETE as soon as GenerateCredentialReport has
// answered STARTED; a report is current for four hours, as AWS's, after
// which GenerateCredentialReport builds a new one and GetCredentialReport
// answers ReportExpired.

const (
	jobCredentialReport  = "credential-report"
	credentialReportLife = 4 * time.Hour
)

var credentialReportColumns = []string{"user", "arn", "user_creation_time", "password_enabled", "password_last_used",
	"password_last_changed", "password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"}

// The report's placeholders: N/A where the thing does not exist (no
// password, no key, a key never used), not_supported where the root user
// has no such thing, no_information where it exists but its use is unknown.
const (
	notApplicable = "N/A"
	notSupported  = "not_supported"
	noInformation = "no_information"
)

// reportTime is the report's date format, ISO 8601 with an offset.
func reportTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05+00:00") }

func reportTimeOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return reportTime(*t)
}

// Errors of GetCredentialReport. AWS sends them without a message (the CLI
// prints "Unknown": prowler-cloud/prowler#272, turbot/steampipe-plugin-aws#509).
func reportNotPresent() error { return awserr.New("ReportNotPresent", http.StatusGone, "") }
func reportExpired() error    { return awserr.New("ReportExpired", http.StatusGone, "") }

func (s *Service) GenerateCredentialReport(ctx context.Context, c *auth.Caller, _ *iamapi.GenerateCredentialReportInput) (*iamapi.GenerateCredentialReportOutput, error) {
	if err := s.authorize(ctx, c, "GenerateCredentialReport", "*"); err != nil {
		return nil, err
	}
	now := s.clock()
	j, err := s.store.Jobs().Get(ctx, c.AccountID, jobCredentialReport)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if err == nil && j.CompletedAt != nil && now.Sub(*j.CompletedAt) < credentialReportLife {
		return &iamapi.GenerateCredentialReportOutput{State: "COMPLETE"}, nil
	}
	content, err := s.credentialReport(ctx, c.AccountID)
	if err != nil {
		return nil, err
	}
	err = s.store.Tx(ctx, func(ctx context.Context, tx store.Repos) error {
		return tx.Jobs().Put(ctx, &store.Job{AccountID: c.AccountID, ID: jobCredentialReport, Kind: jobCredentialReport,
			Status: "COMPLETE", Result: content, CreatedAt: now, CompletedAt: &now})
	})
	if err != nil {
		return nil, err
	}
	// AWS's answer to the first request (prowler-cloud/prowler#272).
	return &iamapi.GenerateCredentialReportOutput{State: "STARTED", Description: "No report exists. Starting a new report generation task"}, nil
}

func (s *Service) GetCredentialReport(ctx context.Context, c *auth.Caller, _ *iamapi.GetCredentialReportInput) (*iamapi.GetCredentialReportOutput, error) {
	if err := s.authorize(ctx, c, "GetCredentialReport", "*"); err != nil {
		return nil, err
	}
	j, err := s.store.Jobs().Get(ctx, c.AccountID, jobCredentialReport)
	if isNotFound(err) {
		return nil, reportNotPresent()
	} else if err != nil {
		return nil, err
	}
	if j.CompletedAt == nil {
		return nil, awserr.New("ReportInProgress", http.StatusNotFound, "")
	}
	if s.clock().Sub(*j.CompletedAt) >= credentialReportLife {
		return nil, reportExpired()
	}
	return &iamapi.GetCredentialReportOutput{Content: []byte(j.Result), ReportFormat: "text/csv", GeneratedTime: *j.CompletedAt}, nil
}

// credentialReport builds the account's report: the root user first, then
// the users in name order.
func (s *Service) credentialReport(ctx context.Context, account string) (string, error) {
	a, err := s.account(ctx, s.store, account)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(credentialReportColumns); err != nil {
		return "", err
	}
	keys, err := s.store.AccessKeys().ListForUser(ctx, account, "")
	if err != nil {
		return "", err
	}
	mfa, err := s.store.MFADevices().ListForUser(ctx, account)
	if err != nil {
		return "", err
	}
	// The root user always has a password, and mantle does not record its
	// use (it signs in with keys only).
	row := append([]string{"<root_account>", rootARN(account), reportTime(a.CreatedAt), notSupported, noInformation,
		notSupported, notSupported, strconv.FormatBool(len(mfa) > 0)}, keyColumns(keys)...)
	if err := w.Write(append(row, certColumns...)); err != nil {
		return "", err
	}
	users, err := s.store.Users().List(ctx, account, store.ListOptions{})
	if err != nil {
		return "", err
	}
	for _, u := range users {
		row, err := s.userReportRow(ctx, a, u)
		if err != nil {
			return "", err
		}
		if err := w.Write(row); err != nil {
			return "", err
		}
	}
	w.Flush()
	return buf.String(), w.Error()
}

// certColumns are the signing-certificate columns: mantle's users have no
// signing certificates.
var certColumns = []string{"false", notApplicable, "false", notApplicable}

func (s *Service) userReportRow(ctx context.Context, a *store.Account, u *store.User) ([]string, error) {
	password, lastUsed, changed, next := "false", notApplicable, notApplicable, notApplicable
	lp, err := s.store.LoginProfiles().Get(ctx, u.ID)
	switch {
	case err == nil:
		password, lastUsed, changed = "true", reportTimeOr(u.PasswordLastUsed, noInformation), reportTime(lp.CreatedAt)
		if pp := a.PasswordPolicy; pp != nil && pp.MaxPasswordAge > 0 {
			next = reportTime(lp.CreatedAt.AddDate(0, 0, pp.MaxPasswordAge))
		}
	case !isNotFound(err):
		return nil, err
	}
	mfa, err := s.store.MFADevices().ListForUser(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	keys, err := s.store.AccessKeys().ListForUser(ctx, u.AccountID, u.ID)
	if err != nil {
		return nil, err
	}
	row := []string{u.Name, userARNOf(u), reportTime(u.CreatedAt), password, lastUsed, changed, next, strconv.FormatBool(len(mfa) > 0)}
	row = append(row, keyColumns(keys)...)
	return append(row, certColumns...), nil
}

// keyColumns are the access_key_1_… and access_key_2_… columns of the
// first two keys, oldest first (a user has at most two).
func keyColumns(keys []*store.AccessKey) []string {
	var out []string
	for i := range 2 {
		if i >= len(keys) {
			out = append(out, "false", notApplicable, notApplicable, notApplicable, notApplicable)
			continue
		}
		k := keys[i]
		date, region, service := notApplicable, notApplicable, notApplicable
		if k.LastUsedAt != nil {
			date = reportTime(*k.LastUsedAt)
			if k.LastUsedRegion != "" {
				region = k.LastUsedRegion
			}
			if k.LastUsedService != "" {
				service = k.LastUsedService
			}
		}
		out = append(out, strconv.FormatBool(k.Status == "Active"), reportTime(k.CreatedAt), date, region, service)
	}
	return out
}
