package sts

import (
	"strings"
	"testing"
	"time"

	stsapi "github.com/mantle-iam/mantle/internal/api/sts"

	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/token"
)

func TestAssumeRoleResponse(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice")
	r := e.role(acct, "app", trustDoc(alice.ARN, `"sts:AssumeRole"`, ""), 7200)
	out, err := e.assume(alice, &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out.AssumedRoleUser.Arn, "arn:aws:sts::"+acct+":assumed-role/app/s1"; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if got, want := out.AssumedRoleUser.AssumedRoleId, r.ID+":s1"; got != want {
		t.Errorf("AssumedRoleId = %s, want %s", got, want)
	}
	cr := out.Credentials
	if !token.IsTemporaryAccessKeyID(cr.AccessKeyId) || len(cr.SecretAccessKey) != 40 {
		t.Errorf("credentials %+v", cr)
	}
	if got, want := cr.Expiration, e.now.Add(time.Hour); !got.Equal(want) {
		t.Errorf("Expiration = %s, want %s", got, want)
	}
	if out.PackedPolicySize != nil || out.SourceIdentity != "" {
		t.Errorf("unexpected PackedPolicySize/SourceIdentity: %+v", out)
	}
	c := e.caller(cr)
	if c.ARN != out.AssumedRoleUser.Arn || c.UserID != out.AssumedRoleUser.AssumedRoleId || c.ChainDepth != 1 || c.SourceARN != alice.ARN {
		t.Errorf("session caller %+v", c)
	}
	if acctOf, ok := accountFromKeyID(cr.AccessKeyId); !ok || acctOf != acct {
		t.Errorf("key ID encodes %q, want %s", acctOf, acct)
	}
	e.svc.Wait()
	if e.uses.Load() != 1 {
		t.Errorf("RecordRoleUse called %d times", e.uses.Load())
	}
	// A second use in the same minute is not recorded again.
	if _, err := e.assume(alice, &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "s2"}); err != nil {
		t.Fatal(err)
	}
	e.svc.Wait()
	if e.uses.Load() != 1 {
		t.Errorf("RecordRoleUse called %d times after two uses in a minute", e.uses.Load())
	}
}

func TestAssumeRoleTrust(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice")
	bob := e.user(acct, "bob", allow("sts:AssumeRole", "*"))
	carol := e.user(other, "carol", allow("sts:AssumeRole", "*"))
	dave := e.user(other, "dave")
	direct := e.role(acct, "direct", trustDoc(alice.ARN, `"sts:AssumeRole"`, ""), 0)
	byAccount := e.role(acct, "byaccount", trustDoc("arn:aws:iam::"+acct+":root", `"sts:AssumeRole"`, ""), 0)
	cross := e.role(acct, "cross", trustDoc("arn:aws:iam::"+other+":root", `"sts:AssumeRole"`, ""), 0)
	ext := e.role(acct, "ext", trustDoc(carol.ARN, `"sts:AssumeRole"`, `{"StringEquals":{"sts:ExternalId":"Unique-ID-1"}}`), 0)
	bad := e.role(acct, "bad", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+alice.ARN+`"},"Action":"sts:AssumeRole","Condition":{"Nope":{"a":"b"}}}]}`, 0)
	denied := func(c *auth.Caller, arn string) string {
		return "User: " + c.ARN + " is not authorized to perform: sts:AssumeRole on resource: " + arn
	}
	tests := []struct {
		name   string
		c      *auth.Caller
		in     stsapi.AssumeRoleInput
		code   string
		msgHas string
	}{
		{"named user needs no identity policy", alice, stsapi.AssumeRoleInput{RoleArn: roleARN(direct)}, "", ""},
		{"other user not named", bob, stsapi.AssumeRoleInput{RoleArn: roleARN(direct)}, "AccessDenied", denied(bob, roleARN(direct))},
		{"account named: identity must allow", alice, stsapi.AssumeRoleInput{RoleArn: roleARN(byAccount)}, "AccessDenied", denied(alice, roleARN(byAccount))},
		{"account named: identity allows", bob, stsapi.AssumeRoleInput{RoleArn: roleARN(byAccount)}, "", ""},
		{"cross account with identity allow", carol, stsapi.AssumeRoleInput{RoleArn: roleARN(cross)}, "", ""},
		{"cross account without identity allow", dave, stsapi.AssumeRoleInput{RoleArn: roleARN(cross)}, "AccessDenied", denied(dave, roleARN(cross))},
		{"external id matches", carol, stsapi.AssumeRoleInput{RoleArn: roleARN(ext), ExternalId: "Unique-ID-1"}, "", ""},
		{"external id missing (confused deputy)", carol, stsapi.AssumeRoleInput{RoleArn: roleARN(ext)}, "AccessDenied", denied(carol, roleARN(ext))},
		{"external id wrong", carol, stsapi.AssumeRoleInput{RoleArn: roleARN(ext), ExternalId: "Unique-ID-2"}, "AccessDenied", denied(carol, roleARN(ext))},
		{"unknown role", alice, stsapi.AssumeRoleInput{RoleArn: "arn:aws:iam::" + acct + ":role/nope"}, "AccessDenied", denied(alice, "arn:aws:iam::"+acct+":role/nope")},
		{"wrong path", alice, stsapi.AssumeRoleInput{RoleArn: "arn:aws:iam::" + acct + ":role/x/direct"}, "AccessDenied", "is not authorized"},
		// A well-formed ARN naming no role is a role AWS cannot find; a
		// malformed one is "X is invalid" (localstack's recorded AWS answers,
		// tests/aws/services/sts/test_sts.snapshot.json).
		{"not a role ARN", alice, stsapi.AssumeRoleInput{RoleArn: "arn:aws:iam::" + acct + ":user/alice"}, "AccessDenied", "is not authorized to perform: sts:AssumeRole"},
		{"malformed ARN", alice, stsapi.AssumeRoleInput{RoleArn: "nothing-valid-in-here"}, "ValidationError", "nothing-valid-in-here is invalid"},
		{"ARN without partition", alice, stsapi.AssumeRoleInput{RoleArn: "arn::b:::something/test-role"}, "ValidationError", "arn::b:::something/test-role is invalid"},
		{"ARN without service", alice, stsapi.AssumeRoleInput{RoleArn: "arn:a::::something/test-role"}, "ValidationError", "arn:a::::something/test-role is invalid"},
		{"ARN with too few colons", alice, stsapi.AssumeRoleInput{RoleArn: "arn:a:::something/test-role"}, "ValidationError", "arn:a:::something/test-role is invalid"},
		{"ARN without resource", alice, stsapi.AssumeRoleInput{RoleArn: "arn:a:a::aaaaaaaaaa:"}, "ValidationError", "arn:a:a::aaaaaaaaaa: is invalid"},
		{"root", e.root(acct), stsapi.AssumeRoleInput{RoleArn: roleARN(direct)}, "AccessDenied", "Roles may not be assumed by root accounts."},
		{"unknown condition operator never matches", alice, stsapi.AssumeRoleInput{RoleArn: roleARN(bad)}, "AccessDenied", "is not authorized"},
		{"provided contexts unsupported", alice, stsapi.AssumeRoleInput{RoleArn: roleARN(direct), ProvidedContexts: []stsapi.ProvidedContext{{ProviderArn: "arn:aws:iam::aws:contextProvider/IdentityCenter", ContextAssertion: "abcd"}}}, "InvalidParameterValue", "ProvidedContexts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.RoleSessionName = "sess"
			_, err := e.assume(tt.c, &tt.in)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tt.code, tt.msgHas)
		})
	}
}

func TestAssumeRoleDuration(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice")
	r := e.role(acct, "app", trustDoc("arn:aws:iam::"+acct+":root", `"sts:AssumeRole"`, ""), 7200, allow("sts:AssumeRole", "*"))
	e.inline("User", alice.ID, "assume", allow("sts:AssumeRole", "*"))
	out, err := e.assume(alice, &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	session := e.caller(out.Credentials)
	tests := []struct {
		name     string
		c        *auth.Caller
		duration *int
		want     time.Duration
		msg      string
	}{
		{"default", alice, nil, time.Hour, ""},
		{"minimum", alice, ptr(900), 15 * time.Minute, ""},
		{"role maximum", alice, ptr(7200), 2 * time.Hour, ""},
		{"above role maximum", alice, ptr(7201), 0, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{"chained default", session, nil, time.Hour, ""},
		{"chained one hour", session, ptr(3600), time.Hour, ""},
		{"chained above one hour", session, ptr(3601), 0, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.assume(tt.c, &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "s2", DurationSeconds: tt.duration})
			if tt.msg != "" {
				wantErr(t, err, "ValidationError", tt.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := out.Credentials.Expiration, e.now.Add(tt.want); !got.Equal(want) {
				t.Errorf("Expiration = %s, want %s", got, want)
			}
		})
	}
	// Chain depth grows down the chain.
	if c := e.caller(mustAssume(t, e, session, roleARN(r), "deeper").Credentials); c.ChainDepth != 2 {
		t.Errorf("chain depth %d, want 2", c.ChainDepth)
	}
}

func mustAssume(t *testing.T, e *env, c *auth.Caller, arn, session string) *stsapi.AssumeRoleOutput {
	t.Helper()
	out, err := e.assume(c, &stsapi.AssumeRoleInput{RoleArn: arn, RoleSessionName: session})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAssumeRoleMFA(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice")
	r := e.role(acct, "admin", trustDoc(alice.ARN, `"sts:AssumeRole"`, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), 0)
	serial := "arn:aws:iam::" + acct + ":mfa/alice"
	_, err := e.assume(alice, &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "s"})
	wantErr(t, err, "AccessDenied", "is not authorized to perform: sts:AssumeRole")
	_, err = e.assume(alice, &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "s", SerialNumber: serial, TokenCode: "000000"})
	wantErr(t, err, "AccessDenied", "MultiFactorAuthentication failed")
	out, err := e.assume(alice, &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "s", SerialNumber: serial, TokenCode: "123456"})
	if err != nil {
		t.Fatal(err)
	}
	c := e.caller(out.Credentials)
	if !c.MFA || !c.MFAAuthTime.Equal(e.now) {
		t.Errorf("session MFA %v at %v", c.MFA, c.MFAAuthTime)
	}

	// MFA from GetSessionToken carries into the role session.
	gst, err := e.svc.GetSessionToken(e.ctx, alice, &stsapi.GetSessionTokenInput{SerialNumber: serial, TokenCode: "123456"})
	if err != nil {
		t.Fatal(err)
	}
	sc := e.caller(gst.Credentials)
	out, err = e.assume(sc, &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if !e.caller(out.Credentials).MFA {
		t.Error("MFA not carried from the GetSessionToken session")
	}
	// MFA age conditions see the time since authentication.
	aged := e.role(acct, "aged", trustDoc(alice.ARN, `"sts:AssumeRole"`, `{"NumericLessThan":{"aws:MultiFactorAuthAge":"600"}}`), 0)
	if _, err := e.assume(sc, &stsapi.AssumeRoleInput{RoleArn: roleARN(aged), RoleSessionName: "s"}); err != nil {
		t.Fatal(err)
	}
	later := *sc
	later.RequestTime = e.now.Add(time.Hour)
	_, err = e.assume(&later, &stsapi.AssumeRoleInput{RoleArn: roleARN(aged), RoleSessionName: "s"})
	wantErr(t, err, "AccessDenied", "is not authorized")
}

func TestAssumeRoleSessionPolicy(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice")
	r := e.role(acct, "app", trustDoc(alice.ARN, `"sts:AssumeRole"`, ""), 0, allow("iam:*", "*"))
	in := &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "s", Policy: allow("iam:GetUser", "*"),
		PolicyArns: []stsapi.PolicyDescriptorType{{Arn: "arn:aws:iam::aws:policy/ReadOnlyAccess"}}}
	out, err := e.assume(alice, in)
	if err != nil {
		t.Fatal(err)
	}
	if out.PackedPolicySize == nil || *out.PackedPolicySize <= 0 || *out.PackedPolicySize > 100 {
		t.Errorf("PackedPolicySize %v", out.PackedPolicySize)
	}
	c := e.caller(out.Credentials)
	if c.SessionPolicy != in.Policy || len(c.SessionPolicyARNs) != 1 {
		t.Errorf("session policies %q %v", c.SessionPolicy, c.SessionPolicyARNs)
	}
	// The role allows iam:*, the session only what both allow.
	if err := e.az.Authorize(e.ctx, c, "iam:GetUser", "arn:aws:iam::"+acct+":user/x"); err != nil {
		t.Errorf("GetUser: %v", err)
	}
	err = e.az.Authorize(e.ctx, c, "iam:CreateUser", "arn:aws:iam::"+acct+":user/x")
	wantErr(t, err, "AccessDenied", "session policy")

	_, err = e.assume(alice, &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "s", Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*"}]}`})
	wantErr(t, err, "MalformedPolicyDocument", "")
	_, err = e.assume(alice, &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "s", PolicyArns: []stsapi.PolicyDescriptorType{{Arn: "arn:aws:iam::" + acct + ":user/alice"}}})
	wantErr(t, err, "InvalidParameterValue", "")
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::` + acct + `:user/` + strings.Repeat("a", 1900) + `"}]}`
	_, err = e.assume(alice, &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "s", Policy: big, PolicyArns: in.PolicyArns})
	wantErr(t, err, "PackedPolicyTooLarge", "Packed policy consumes")
}

func TestAssumeRoleTagsAndSourceIdentity(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice")
	all := `["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]`
	first := e.role(acct, "first", trustDoc(alice.ARN, all, ""), 0, allow("sts:*", "*"))
	noTag := e.role(acct, "notag", trustDoc(alice.ARN, `"sts:AssumeRole"`, ""), 0)
	second := e.role(acct, "second", trustDoc("arn:aws:iam::"+acct+":root", all,
		`{"StringEquals":{"aws:RequestTag/team":"blue","sts:SourceIdentity":"alice@example.com"}}`), 0, allow("sts:*", "*"))

	_, err := e.assume(alice, &stsapi.AssumeRoleInput{RoleArn: roleARN(noTag), RoleSessionName: "s", Tags: []stsapi.Tag{{Key: "team", Value: "blue"}}})
	wantErr(t, err, "AccessDenied", "is not authorized to perform: sts:TagSession on resource: "+roleARN(noTag))
	_, err = e.assume(alice, &stsapi.AssumeRoleInput{RoleArn: roleARN(noTag), RoleSessionName: "s", SourceIdentity: "alice@example.com"})
	wantErr(t, err, "AccessDenied", "is not authorized to perform: sts:SetSourceIdentity")
	_, err = e.assume(alice, &stsapi.AssumeRoleInput{RoleArn: roleARN(first), RoleSessionName: "s", TransitiveTagKeys: []string{"team"}})
	wantErr(t, err, "InvalidParameterValue", "The specified transitive tag key must be included in the requested tags.")
	_, err = e.assume(alice, &stsapi.AssumeRoleInput{RoleArn: roleARN(first), RoleSessionName: "s", Tags: []stsapi.Tag{{Key: "a", Value: "1"}, {Key: "A", Value: "2"}}})
	wantErr(t, err, "InvalidParameterValue", "Duplicate tag keys")

	out, err := e.assume(alice, &stsapi.AssumeRoleInput{RoleArn: roleARN(first), RoleSessionName: "s",
		Tags: []stsapi.Tag{{Key: "team", Value: "blue"}, {Key: "cost", Value: "42"}}, TransitiveTagKeys: []string{"team"}, SourceIdentity: "alice@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if out.SourceIdentity != "alice@example.com" || out.PackedPolicySize == nil {
		t.Errorf("output %+v", out)
	}
	s1 := e.caller(out.Credentials)

	// Down the chain: the transitive tag and the source identity pass, the
	// other tag does not.
	out2, err := e.assume(s1, &stsapi.AssumeRoleInput{RoleArn: roleARN(second), RoleSessionName: "s2"})
	if err != nil {
		t.Fatal(err)
	}
	s2 := e.caller(out2.Credentials)
	if s2.SourceIdentity != "alice@example.com" || out2.SourceIdentity != "alice@example.com" {
		t.Errorf("source identity %q", s2.SourceIdentity)
	}
	if len(s2.SessionTags) != 1 || s2.SessionTags[0] != (auth.Tag{Key: "team", Value: "blue"}) || len(s2.TransitiveTagKeys) != 1 {
		t.Errorf("tags %v transitive %v", s2.SessionTags, s2.TransitiveTagKeys)
	}
	_, err = e.assume(s1, &stsapi.AssumeRoleInput{RoleArn: roleARN(second), RoleSessionName: "s2", Tags: []stsapi.Tag{{Key: "Team", Value: "red"}}})
	wantErr(t, err, "InvalidParameterValue", "transitive")
	_, err = e.assume(s1, &stsapi.AssumeRoleInput{RoleArn: roleARN(second), RoleSessionName: "s2", SourceIdentity: "mallory"})
	wantErr(t, err, "AccessDenied", "Source identity")
	// Repeating the same source identity is no change.
	if _, err := e.assume(s1, &stsapi.AssumeRoleInput{RoleArn: roleARN(second), RoleSessionName: "s2", SourceIdentity: "alice@example.com"}); err != nil {
		t.Fatal(err)
	}
	// The chained session keeps passing them on.
	s3 := e.caller(mustAssume(t, e, s2, roleARN(second), "s3").Credentials)
	if s3.SourceIdentity != "alice@example.com" || len(s3.SessionTags) != 1 {
		t.Errorf("third session %q %v", s3.SourceIdentity, s3.SessionTags)
	}
}

func TestAssumeRoleFollowsIAMChanges(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice")
	bob := e.user(acct, "bob")
	r := e.role(acct, "app", trustDoc(alice.ARN, `"sts:AssumeRole"`, ""), 0)
	mustAssume(t, e, alice, roleARN(r), "s")
	_, err := e.assume(bob, &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "s"})
	wantErr(t, err, "AccessDenied", "")

	// Trust policy changes apply once the store's generation moves.
	r.TrustPolicy = trustDoc(bob.ARN, `"sts:AssumeRole"`, "")
	if err := e.st.Roles().Update(e.ctx, r); err != nil {
		t.Fatal(err)
	}
	e.gen.Add(1)
	mustAssume(t, e, bob, roleARN(r), "s")
	_, err = e.assume(alice, &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "s"})
	wantErr(t, err, "AccessDenied", "")

	if err := e.st.Roles().Delete(e.ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	e.gen.Add(1)
	_, err = e.assume(bob, &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "s"})
	wantErr(t, err, "AccessDenied", "")
}

func TestAssumeRoleBySessionKinds(t *testing.T) {
	e := newEnv(t)
	alice := e.user(acct, "alice", allow("sts:GetFederationToken", "*"))
	r := e.role(acct, "app", trustDoc("arn:aws:iam::"+acct+":root", `"sts:AssumeRole"`, ""), 0)
	e.inline("User", alice.ID, "assume", allow("sts:AssumeRole", "*"))
	gst, err := e.svc.GetSessionToken(e.ctx, alice, &stsapi.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	// GetSessionToken credentials may assume a role; the session counts as
	// chained.
	out := mustAssume(t, e, e.caller(gst.Credentials), roleARN(r), "s")
	if e.caller(out.Credentials).ChainDepth != 2 {
		t.Error("GetSessionToken session not counted in the chain")
	}
	fed, err := e.svc.GetFederationToken(e.ctx, alice, &stsapi.GetFederationTokenInput{Name: "fed", Policy: allow("*", "*")})
	if err != nil {
		t.Fatal(err)
	}
	fc := e.caller(fed.Credentials)
	_, err = e.assume(fc, &stsapi.AssumeRoleInput{RoleArn: roleARN(r), RoleSessionName: "s"})
	wantErr(t, err, "AccessDenied", "User: "+fc.ARN+" is not authorized to perform: sts:AssumeRole")
}
