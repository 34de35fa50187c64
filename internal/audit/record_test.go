package audit_test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"flag"
	"github.com/mantle-iam/mantle/internal/api/wire"
	"os"
	"path/filepath"
	"testing"
	"time"

	iamapi "github.com/mantle-iam/mantle/internal/api/iam"
	stsapi "github.com/mantle-iam/mantle/internal/api/sts"
	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/awserr"
	"github.com/mantle-iam/mantle/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const acct = "111122223333"

var (
	now     = time.Date(2026, 3, 4, 5, 6, 7, 890, time.UTC)
	issued  = now.Add(-10 * time.Minute)
	expires = now.Add(time.Hour)
)

func user() *auth.Caller {
	return &auth.Caller{Kind: auth.KindUser, AccountID: acct, ARN: "arn:aws:iam::" + acct + ":user/dev/alice",
		UserID: "AIDAALICE00000000001", ID: "AIDAALICE00000000001", Name: "alice", Path: "/dev/",
		AccessKeyID: "AKIAALICE0000000KEY1", Region: "us-east-1"}
}

func session() *auth.Caller {
	return &auth.Caller{Kind: auth.KindAssumedRole, AccountID: acct, ARN: "arn:aws:sts::" + acct + ":assumed-role/deploy/ci-run",
		UserID: "AROADEPLOY0000000001:ci-run", ID: "AROADEPLOY0000000001", Name: "deploy", Path: "/", SessionName: "ci-run",
		AccessKeyID: "ASIADEPLOY0000000001", Temporary: true, TokenIssueTime: issued, Expiration: expires,
		SourceIdentity: "alice@example.com", SourceARN: "arn:aws:iam::" + acct + ":user/dev/alice", ChainDepth: 1, Region: "eu-west-1"}
}

func root() *auth.Caller {
	c := &auth.Caller{AccessKeyID: "AKIAROOT000000000001", Region: "us-east-1"}
	c.SetRoot(acct)
	return c
}

func entry(service, action string, c *auth.Caller, in, out wire.Auditable, err error) *audit.Entry {
	return &audit.Entry{EventID: "0190f0e8-1c2d-7a3b-8c4d-5e6f7a8b9c0d", RequestID: "4f1e2d3c-b4a5-4678-9abc-def012345678",
		Time: now, Service: service, Action: action, Caller: c, Region: c.Region, SourceIP: "192.0.2.10",
		UserAgent: "aws-cli/1.45.0 Python/3.12 botocore/1.43.0", Input: in, Output: out, Err: err}
}

func cases() map[string]*audit.Entry {
	yes := true
	created := now.Truncate(time.Second)
	tlsEntry := entry("iam", "CreateUser", user(),
		&iamapi.CreateUserInput{UserName: "bob", Path: "/eng/", Tags: []iamapi.Tag{{Key: "team", Value: "core"}}},
		&iamapi.CreateUserOutput{User: &iamapi.User{Path: "/eng/", UserName: "bob", UserId: "AIDABOB0000000000001",
			Arn: "arn:aws:iam::" + acct + ":user/eng/bob", CreateDate: created, Tags: []iamapi.Tag{{Key: "team", Value: "core"}}}}, nil)
	tlsEntry.TLS = &tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256}
	tlsEntry.Host = "iam.mantle.example:8443"
	return map[string]*audit.Entry{
		"iamuser-createuser": tlsEntry,
		"assumedrole-listusers": entry("iam", "ListUsers", session(), &iamapi.ListUsersInput{PathPrefix: "/eng/"},
			&iamapi.ListUsersOutput{}, nil),
		"iamuser-assumerole": entry("sts", "AssumeRole", user(),
			&stsapi.AssumeRoleInput{RoleArn: "arn:aws:iam::" + acct + ":role/deploy", RoleSessionName: "ci-run",
				SourceIdentity: "alice@example.com", SerialNumber: "arn:aws:iam::" + acct + ":mfa/alice", TokenCode: "987654"},
			&stsapi.AssumeRoleOutput{
				Credentials: &stsapi.Credentials{AccessKeyId: "ASIADEPLOY0000000001", SecretAccessKey: "SECRET-never-logged",
					SessionToken: "TOKEN-never-logged", Expiration: expires},
				AssumedRoleUser: &stsapi.AssumedRoleUser{AssumedRoleId: "AROADEPLOY0000000001:ci-run",
					Arn: "arn:aws:sts::" + acct + ":assumed-role/deploy/ci-run"},
				SourceIdentity: "alice@example.com"}, nil),
		"accessdenied": entry("iam", "DeleteRole", session(), &iamapi.DeleteRoleInput{RoleName: "prod-admin"}, nil,
			awserr.AccessDenied("User: arn:aws:sts::%s:assumed-role/deploy/ci-run is not authorized to perform: iam:DeleteRole on resource: role prod-admin because no identity-based policy allows the iam:DeleteRole action", acct)),
		"root-createloginprofile": entry("iam", "CreateLoginProfile", root(),
			&iamapi.CreateLoginProfileInput{UserName: "bob", Password: "hunter2-Secret!", PasswordResetRequired: &yes},
			&iamapi.CreateLoginProfileOutput{}, nil),
		"iamuser-createaccesskey": entry("iam", "CreateAccessKey", user(), &iamapi.CreateAccessKeyInput{UserName: "bob"},
			&iamapi.CreateAccessKeyOutput{AccessKey: &iamapi.AccessKey{UserName: "bob", AccessKeyId: "AKIABOB0000000000001",
				Status: "Active", SecretAccessKey: "SECRET-never-logged", CreateDate: created}}, nil),
	}
}

func TestRecordGolden(t *testing.T) {
	for name, e := range cases() {
		t.Run(name, func(t *testing.T) {
			ev, err := e.Event()
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := json.Indent(&buf, ev.Record, "", "  "); err != nil {
				t.Fatal(err)
			}
			buf.WriteByte('\n')
			for _, secret := range []string{"SECRET-never-logged", "TOKEN-never-logged", "hunter2", "987654"} {
				if bytes.Contains(buf.Bytes(), []byte(secret)) {
					t.Errorf("record contains the secret %q", secret)
				}
			}
			path := filepath.Join("testdata", name+".json")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(want, buf.Bytes()) {
				t.Errorf("record differs from %s:\n%s", path, buf.String())
			}
		})
	}
}

func TestEventAttributes(t *testing.T) {
	cs := cases()
	for _, c := range []struct {
		name      string
		key, user string
		readOnly  bool
		resources []store.EventResource
	}{
		{"iamuser-createuser", "AKIAALICE0000000KEY1", "alice", false, []store.EventResource{{Type: "AWS::IAM::User", Name: "bob"}}},
		{"assumedrole-listusers", "ASIADEPLOY0000000001", "ci-run", true, nil},
		{"root-createloginprofile", "AKIAROOT000000000001", "root", false, []store.EventResource{{Type: "AWS::IAM::User", Name: "bob"}}},
		{"iamuser-assumerole", "AKIAALICE0000000KEY1", "alice", true, []store.EventResource{
			{Type: "AWS::IAM::Role", Name: "arn:aws:iam::" + acct + ":role/deploy"},
			{Type: "AWS::IAM::AccessKey", Name: "ASIADEPLOY0000000001"},
			{Type: "AWS::STS::AssumedRole", Name: "ci-run"},
		}},
	} {
		ev, err := cs[c.name].Event()
		if err != nil {
			t.Fatal(err)
		}
		if ev.AccessKeyID != c.key || ev.Username != c.user || ev.ReadOnly != c.readOnly || ev.AccountID != acct {
			t.Errorf("%s: key %q user %q readOnly %v account %q", c.name, ev.AccessKeyID, ev.Username, ev.ReadOnly, ev.AccountID)
		}
		if len(ev.Resources) != len(c.resources) {
			t.Errorf("%s: resources %v, want %v", c.name, ev.Resources, c.resources)
			continue
		}
		for i := range c.resources {
			if ev.Resources[i] != c.resources[i] {
				t.Errorf("%s: resources %v, want %v", c.name, ev.Resources, c.resources)
			}
		}
	}
}

func TestEventIDIsUUIDv7InTimeOrder(t *testing.T) {
	a := audit.NewEventID(now)
	b := audit.NewEventID(now.Add(time.Millisecond))
	if len(a) != 36 || a[14] != '7' || !(a < b) {
		t.Errorf("event IDs %s, %s: want ordered version 7 UUIDs", a, b)
	}
}

// Strings reach the record as JSON that reads back as the same string,
// whether written directly (plain ASCII) or through encoding/json.
func TestParamsStrings(t *testing.T) {
	type in = iamapi.CreateUserInput
	for _, s := range []string{"alice", `a"b`, `back\slash`, "tab\there", "<script>&", "ünïcødé", "line\u2028sep", "\x01ctl"} {
		raw, err := json.Marshal(audit.Params(&in{UserName: s, Path: "/"}))
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		var got struct{ UserName, Path string }
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%q: %s: %v", s, raw, err)
		}
		if got.UserName != s || got.Path != "/" {
			t.Errorf("%q: read back %q from %s", s, got.UserName, raw)
		}
	}
	if p := audit.Params(&in{}); p != nil {
		t.Errorf("empty input recorded as %s", p)
	}
}

// AppendJSON writes what encoding/json would: the records are compared
// byte for byte with json.Marshal's, for every golden case and for
// strings that need escaping in every field AppendJSON writes itself.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	entries := cases()
	odd := []string{`a"b`, `back\slash`, "tab\there", "<script>&", "ünïcødé", "line\u2028sep", "\x01ctl", "\xff bad utf-8"}
	for i, s := range odd {
		c := user()
		c.Name, c.ARN, c.UserID, c.AccessKeyID = s, s, s, s
		e := entry("iam", "CreateUser", c, &iamapi.CreateUserInput{UserName: s, Path: "/"}, nil, awserr.AccessDenied("%s", s))
		e.UserAgent, e.SourceIP, e.RequestID, e.EventID, e.Region = s, s, s, s, s
		e.TLS = &tls.ConnectionState{Version: tls.VersionTLS12, CipherSuite: tls.TLS_AES_128_GCM_SHA256}
		e.Host = s
		entries["odd"+string(rune('a'+i))] = e
		fed := entry("sts", "AssumeRole", session(), &stsapi.AssumeRoleInput{RoleArn: "arn:aws:iam::" + acct + ":role/" + s, RoleSessionName: "x"}, nil, nil)
		fed.Caller.SourceIdentity = s
		entries["oddsession"+string(rune('a'+i))] = fed
	}
	svc := entry("sts", "AssumeRole", user(), &stsapi.AssumeRoleInput{RoleArn: "arn:aws:iam::" + acct + ":role/web", RoleSessionName: "i-1"}, nil, nil)
	svc.Caller, svc.Invoker = nil, "ec2.amazonaws.com"
	entries["awsservice"] = svc
	web := entry("sts", "AssumeRoleWithWebIdentity", user(), &stsapi.AssumeRoleWithWebIdentityInput{RoleArn: "arn:aws:iam::" + acct + ":role/web",
		RoleSessionName: "s", WebIdentityToken: "tok"}, &stsapi.AssumeRoleWithWebIdentityOutput{Provider: "accounts.example.com",
		SubjectFromWebIdentityToken: "sub<1>", Audience: "aud"}, nil)
	web.Caller = nil
	entries["webidentity"] = web
	for name, e := range entries {
		r := e.Record()
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}
