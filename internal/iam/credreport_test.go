package iam

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
)

// The report's columns and values as AWS writes them ("Getting credential
// reports", IAM User Guide; the recorded reports cited in credreport.go).
func TestCredentialReport(t *testing.T) {
	e := newEnv(t)
	_, err := e.s.GetCredentialReport(e.ctx, e.root, &iamapi.GetCredentialReportInput{})
	wantErr(t, err, "ReportNotPresent", "")

	e.user(t, "bob")
	e.user(t, "alice")
	must[*iamapi.CreateLoginProfileOutput](t)(e.s.CreateLoginProfile(e.ctx, e.root, &iamapi.CreateLoginProfileInput{UserName: "alice", Password: "Correct-Horse-7"}))
	k := must[*iamapi.CreateAccessKeyOutput](t)(e.s.CreateAccessKey(e.ctx, e.root, &iamapi.CreateAccessKeyInput{UserName: "alice"})).AccessKey
	// The second key a second later: keys created in the same second are
	// ordered by their random IDs, which made the columns flip at random.
	first := e.now
	e.now = e.now.Add(time.Second)
	must[*iamapi.CreateAccessKeyOutput](t)(e.s.CreateAccessKey(e.ctx, e.root, &iamapi.CreateAccessKeyInput{UserName: "alice"}))
	e.now = first
	must[*iamapi.UpdateAccessKeyOutput](t)(e.s.UpdateAccessKey(e.ctx, e.root, &iamapi.UpdateAccessKeyInput{UserName: "alice", AccessKeyId: k.AccessKeyId, Status: "Inactive"}))

	gen := must[*iamapi.GenerateCredentialReportOutput](t)(e.s.GenerateCredentialReport(e.ctx, e.root, &iamapi.GenerateCredentialReportInput{}))
	if gen.State != "STARTED" || gen.Description != "No report exists. Starting a new report generation task" {
		t.Errorf("first generate %+v", gen)
	}
	gen = must[*iamapi.GenerateCredentialReportOutput](t)(e.s.GenerateCredentialReport(e.ctx, e.root, &iamapi.GenerateCredentialReportInput{}))
	if gen.State != "COMPLETE" || gen.Description != "" {
		t.Errorf("second generate %+v", gen)
	}
	rep := must[*iamapi.GetCredentialReportOutput](t)(e.s.GetCredentialReport(e.ctx, e.root, &iamapi.GetCredentialReportInput{}))
	if rep.ReportFormat != "text/csv" || !rep.GeneratedTime.Equal(e.now.Truncate(time.Second)) {
		t.Errorf("report %s %v", rep.ReportFormat, rep.GeneratedTime)
	}
	rows, err := csv.NewReader(strings.NewReader(string(rep.Content))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated" {
		t.Errorf("header %s", got)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows", len(rows))
	}
	now := "2025-03-04T05:06:07+00:00"
	for i, want := range []string{
		"<root_account>,arn:aws:iam::" + acct + ":root,*,not_supported,no_information,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
		"alice,arn:aws:iam::" + acct + ":user/alice," + now + ",true,no_information," + now + ",N/A,false,false," + now + ",N/A,N/A,N/A,true,2025-03-04T05:06:08+00:00,N/A,N/A,N/A,false,N/A,false,N/A",
		"bob,arn:aws:iam::" + acct + ":user/bob," + now + ",false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
	} {
		got := rows[i+1]
		if i == 0 {
			got[2] = "*" // the account's creation time
		}
		if g := strings.Join(got, ","); g != want {
			t.Errorf("row %d\n got %s\nwant %s", i+1, g, want)
		}
	}

	// Four hours on, the report has expired; generating builds a new one.
	e.now = e.now.Add(4 * time.Hour)
	_, err = e.s.GetCredentialReport(e.ctx, e.root, &iamapi.GetCredentialReportInput{})
	wantErr(t, err, "ReportExpired", "")
	gen = must[*iamapi.GenerateCredentialReportOutput](t)(e.s.GenerateCredentialReport(e.ctx, e.root, &iamapi.GenerateCredentialReportInput{}))
	if gen.State != "STARTED" {
		t.Errorf("generate after expiry %+v", gen)
	}
	must[*iamapi.GetCredentialReportOutput](t)(e.s.GetCredentialReport(e.ctx, e.root, &iamapi.GetCredentialReportInput{}))
}
