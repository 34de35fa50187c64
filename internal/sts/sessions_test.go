package sts

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/sts/authmsg"
)

func TestGetSessionToken(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice")
	root := e.root(acct)
	serial := "arn:aws:iam::" + acct + ":mfa/alice"
	tests := []struct {
		name     string
		c        *auth.Caller
		in       stsapi.GetSessionTokenInput
		want     time.Duration
		mfa      bool
		code     string
		msg      string
		wantKind auth.Kind
	}{
		{name: "user default 12 hours", c: alice, want: 12 * time.Hour, wantKind: auth.KindUser},
		{name: "user 36 hours", c: alice, in: stsapi.GetSessionTokenInput{DurationSeconds: ptr(129600)}, want: 36 * time.Hour, wantKind: auth.KindUser},
		{name: "root capped at one hour", c: root, in: stsapi.GetSessionTokenInput{DurationSeconds: ptr(7200)}, want: time.Hour, wantKind: auth.KindRoot},
		{name: "root default", c: root, want: time.Hour, wantKind: auth.KindRoot},
		{name: "with MFA", c: alice, in: stsapi.GetSessionTokenInput{SerialNumber: serial, TokenCode: "123456"}, want: 12 * time.Hour, mfa: true, wantKind: auth.KindUser},
		{name: "wrong MFA code", c: alice, in: stsapi.GetSessionTokenInput{SerialNumber: serial, TokenCode: "654321"}, code: "AccessDenied", msg: "MultiFactorAuthentication failed"},
		{name: "code without device", c: alice, in: stsapi.GetSessionTokenInput{TokenCode: "123456"}, code: "AccessDenied", msg: "MultiFactorAuthentication failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.svc.GetSessionToken(e.ctx, tt.c, &tt.in)
			if tt.code != "" {
				wantErr(t, err, tt.code, tt.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := out.Credentials.Expiration, e.now.Add(tt.want); !got.Equal(want) {
				t.Errorf("Expiration = %s, want %s", got, want)
			}
			c := e.caller(out.Credentials)
			if c.Kind != tt.wantKind || !c.SessionToken || c.ARN != tt.c.ARN || c.UserID != tt.c.UserID || c.MFA != tt.mfa {
				t.Errorf("session caller %+v", c)
			}
		})
	}
	// Session credentials cannot get another session, of either kind.
	out, err := e.svc.GetSessionToken(e.ctx, alice, &stsapi.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	sc := e.caller(out.Credentials)
	_, err = e.svc.GetSessionToken(e.ctx, sc, &stsapi.GetSessionTokenInput{})
	wantErr(t, err, "AccessDenied", "Cannot call GetSessionToken with session credentials")
	_, err = e.svc.GetFederationToken(e.ctx, sc, &stsapi.GetFederationTokenInput{Name: "fed"})
	wantErr(t, err, "AccessDenied", "Cannot call GetFederationToken with session credentials")
	_, err = e.svc.GetAccessKeyInfo(e.ctx, sc, &stsapi.GetAccessKeyInfoInput{AccessKeyId: out.Credentials.AccessKeyId})
	wantErr(t, err, "AccessDenied", "is not authorized to perform: sts:GetAccessKeyInfo")
	if id, err := e.svc.GetCallerIdentity(e.ctx, sc, &stsapi.GetCallerIdentityInput{}); err != nil || id.Arn != alice.ARN {
		t.Errorf("GetCallerIdentity %+v %v", id, err)
	}
}

func TestGetFederationToken(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice", allow("sts:GetFederationToken", "*"), allow("iam:Get*", "*"))
	bob := e.user(acct, "bob")
	out, err := e.svc.GetFederationToken(e.ctx, alice, &stsapi.GetFederationTokenInput{Name: "Bob-Fed", Policy: allow("iam:*", "*")})
	if err != nil {
		t.Fatal(err)
	}
	if out.FederatedUser.Arn != "arn:aws:sts::"+acct+":federated-user/Bob-Fed" || out.FederatedUser.FederatedUserId != acct+":Bob-Fed" {
		t.Errorf("FederatedUser %+v", out.FederatedUser)
	}
	if out.PackedPolicySize == nil {
		t.Error("PackedPolicySize missing")
	}
	if got, want := out.Credentials.Expiration, e.now.Add(12*time.Hour); !got.Equal(want) {
		t.Errorf("Expiration = %s, want %s", got, want)
	}
	fc := e.caller(out.Credentials)
	id, _ := e.svc.GetCallerIdentity(e.ctx, fc, &stsapi.GetCallerIdentityInput{})
	if id.Arn != out.FederatedUser.Arn || id.UserId != acct+":Bob-Fed" || id.Account != acct {
		t.Errorf("GetCallerIdentity %+v", id)
	}
	// The intersection of alice's permissions and the session policy.
	if err := e.az.Authorize(e.ctx, fc, "iam:GetUser", "arn:aws:iam::"+acct+":user/x"); err != nil {
		t.Errorf("GetUser: %v", err)
	}
	wantErr(t, e.az.Authorize(e.ctx, fc, "iam:CreateUser", "arn:aws:iam::"+acct+":user/x"), "AccessDenied", "")
	// Federated users call no STS action but GetCallerIdentity.
	_, err = e.svc.GetFederationToken(e.ctx, fc, &stsapi.GetFederationTokenInput{Name: "again"})
	wantErr(t, err, "AccessDenied", "Cannot call GetFederationToken with session credentials")
	_, err = e.svc.DecodeAuthorizationMessage(e.ctx, fc, &stsapi.DecodeAuthorizationMessageInput{EncodedMessage: "x"})
	wantErr(t, err, "AccessDenied", "sts:DecodeAuthorizationMessage")

	// Without a session policy the session can do nothing.
	out, err = e.svc.GetFederationToken(e.ctx, alice, &stsapi.GetFederationTokenInput{Name: "nopolicy", DurationSeconds: ptr(900)})
	if err != nil {
		t.Fatal(err)
	}
	if out.PackedPolicySize != nil {
		t.Error("PackedPolicySize without session policies")
	}
	wantErr(t, e.az.Authorize(e.ctx, e.caller(out.Credentials), "iam:GetUser", "arn:aws:iam::"+acct+":user/x"), "AccessDenied", "")

	_, err = e.svc.GetFederationToken(e.ctx, bob, &stsapi.GetFederationTokenInput{Name: "fed"})
	wantErr(t, err, "AccessDenied", "User: "+bob.ARN+" is not authorized to perform: sts:GetFederationToken on resource: arn:aws:sts::"+acct+":federated-user/fed")
	_, err = e.svc.GetFederationToken(e.ctx, alice, &stsapi.GetFederationTokenInput{Name: "fed", Tags: []stsapi.Tag{{Key: "k", Value: "v"}}})
	wantErr(t, err, "AccessDenied", "sts:TagSession")
	_, err = e.svc.GetFederationToken(e.ctx, alice, &stsapi.GetFederationTokenInput{Name: "fed", Policy: `{"Statement":[]}`})
	wantErr(t, err, "MalformedPolicyDocument", "")

	r := e.role(acct, "app", trustDoc(alice.ARN, `"sts:AssumeRole"`, ""), 0, allow("sts:*", "*"))
	rc := e.caller(mustAssume(t, e, alice, roleARN(r), "s").Credentials)
	_, err = e.svc.GetFederationToken(e.ctx, rc, &stsapi.GetFederationTokenInput{Name: "fed"})
	wantErr(t, err, "AccessDenied", "Cannot call GetFederationToken with session credentials")
}

func TestGetCallerIdentity(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice")
	r := e.role(acct, "app", trustDoc(alice.ARN, `"sts:AssumeRole"`, ""), 0,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)
	rc := e.caller(mustAssume(t, e, alice, roleARN(r), "sess").Credentials)
	tests := []struct {
		name                 string
		c                    *auth.Caller
		account, arn, userID string
	}{
		{"root", e.root(acct), acct, "arn:aws:iam::" + acct + ":root", acct},
		{"user", alice, acct, alice.ARN, alice.ID},
		{"role session, even with a deny-all policy", rc, acct, "arn:aws:sts::" + acct + ":assumed-role/app/sess", r.ID + ":sess"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.svc.GetCallerIdentity(e.ctx, tt.c, &stsapi.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if out.Account != tt.account || out.Arn != tt.arn || out.UserId != tt.userID {
				t.Errorf("got %+v", out)
			}
		})
	}
}

func TestGetAccessKeyInfo(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice", allow("sts:GetAccessKeyInfo", "*"))
	bob := e.user(acct, "bob")
	if err := e.st.AccessKeys().Create(e.ctx, &store.AccessKey{ID: "AKIAMANTLEEXAMPLE001", AccountID: other, Status: "Active", CreatedAt: e.now, Secret: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	gst, err := e.svc.GetSessionToken(e.ctx, alice, &stsapi.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, id, account string
	}{
		{"stored long-term key", "AKIAMANTLEEXAMPLE001", other},
		{"temporary key", gst.Credentials.AccessKeyId, acct},
		{"unknown key decodes as AWS does", newTemporaryKeyID("123456789012"), "123456789012"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.svc.GetAccessKeyInfo(e.ctx, alice, &stsapi.GetAccessKeyInfoInput{AccessKeyId: tt.id})
			if err != nil {
				t.Fatal(err)
			}
			if out.Account != tt.account {
				t.Errorf("Account = %s, want %s", out.Account, tt.account)
			}
		})
	}
	_, err = e.svc.GetAccessKeyInfo(e.ctx, bob, &stsapi.GetAccessKeyInfoInput{AccessKeyId: "AKIAMANTLEEXAMPLE001"})
	wantErr(t, err, "AccessDenied", "sts:GetAccessKeyInfo")
}

func TestKeyIDEncodesAccount(t *testing.T) {
	for _, a := range []string{"000000000001", "111122223333", "999999999999", "012345678901"} {
		for range 50 {
			id := newTemporaryKeyID(a)
			if got, ok := accountFromKeyID(id); !ok || got != a {
				t.Fatalf("%s decodes to %q, want %s", id, got, a)
			}
		}
	}
	// An example key ID from AWS's documentation of the layout.
	if got, _ := accountFromKeyID("ASIAY34FZKBOKMUTVV7A"); got != "609629065308" {
		t.Errorf("ASIAY34FZKBOKMUTVV7A decodes to %s", got)
	}
}

func TestDecodeAuthorizationMessage(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice", allow("sts:DecodeAuthorizationMessage", "*"))
	bob := e.user(acct, "bob", `{"Version":"2012-10-17","Statement":[{"Sid":"NoUsers","Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}`)
	res, err := e.az.Evaluate(e.ctx, bob, "iam:CreateUser", "arn:aws:iam::"+acct+":user/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := e.codec.Encode(authmsg.New(&res, bob, "iam:CreateUser", "arn:aws:iam::"+acct+":user/x",
		[]auth.Key{{Name: "iam:PermissionsBoundary", Values: []string{"arn:aws:iam::aws:policy/x"}}}))
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.svc.DecodeAuthorizationMessage(e.ctx, alice, &stsapi.DecodeAuthorizationMessageInput{EncodedMessage: enc})
	if err != nil {
		t.Fatal(err)
	}
	var m authmsg.Message
	if err := json.Unmarshal([]byte(out.DecodedMessage), &m); err != nil {
		t.Fatal(err)
	}
	if m.Allowed || !m.ExplicitDeny || len(m.MatchedStatements.Items) != 1 || m.MatchedStatements.Items[0].StatementID != "NoUsers" ||
		m.MatchedStatements.Items[0].Effect != "DENY" || m.Context.Principal.ARN != bob.ARN || m.Context.Action != "iam:CreateUser" {
		t.Errorf("decoded %s", out.DecodedMessage)
	}
	if !strings.Contains(out.DecodedMessage, `"key":"iam:PermissionsBoundary"`) {
		t.Errorf("conditions missing: %s", out.DecodedMessage)
	}
	for _, bad := range []string{"x", enc[:len(enc)-2] + "AA", strings.ToUpper(enc)} {
		_, err = e.svc.DecodeAuthorizationMessage(e.ctx, alice, &stsapi.DecodeAuthorizationMessageInput{EncodedMessage: bad})
		wantErr(t, err, "InvalidAuthorizationMessageException", "")
	}
	_, err = e.svc.DecodeAuthorizationMessage(e.ctx, bob, &stsapi.DecodeAuthorizationMessageInput{EncodedMessage: enc})
	wantErr(t, err, "AccessDenied", "sts:DecodeAuthorizationMessage")
}
