package integration

// The security suite (issue 9): one test per attack mantle already
// withstands, so that it keeps withstanding it. Each test says what it
// guards. The escalation paths are in security_escalation_test.go, the
// SAML and JWT attacks in security_federation_test.go.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// wantAPIError fails unless err is an API error with code and exactly msg.
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s %q, got %v", code, msg, err)
	}
	if ae.ErrorCode() != code || ae.ErrorMessage() != msg {
		t.Fatalf("want %s %q\n got %s %q", code, msg, ae.ErrorCode(), ae.ErrorMessage())
	}
}

// TestSecuritySessionTokenTampering guards the session token: it is sealed
// (AEAD) under the key ring of the mantle that issued it, so a token with
// any byte changed, cut or extended, a token issued by another mantle (a
// foreign key ring), another session's token, or no token at all with
// temporary keys is refused as IAM refuses an invalid token. None of them
// may authenticate as anyone.
func TestSecuritySessionTokenTampering(t *testing.T) {
	e := start(t)
	c := ctx(t)
	alice := e.newUser("alice", "")
	arn := e.newRole("app", trustFor(userARN("alice"), `"sts:AssumeRole"`, ""), allowDoc("iam:ListUsers", "*"), 0)
	assume := func(e *env, alice creds, name string) creds {
		t.Helper()
		out := must[*sts.AssumeRoleOutput](t)(e.sts(alice).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String(name)}))
		return session(out.Credentials)
	}
	good := assume(e, alice, "good")
	must[*iam.ListUsersOutput](t)(e.iam(good).ListUsers(c, &iam.ListUsersInput{}))

	// The same user and role in a second mantle: same account, same
	// names, another key ring.
	other := start(t)
	otherAlice := other.newUser("alice", "")
	other.newRole("app", trustFor(userARN("alice"), `"sts:AssumeRole"`, ""), allowDoc("iam:ListUsers", "*"), 0)
	foreign := assume(other, otherAlice, "good")

	// flip changes the base64 character at i to another one; the token's
	// encoding is strict, so no two texts decode to the same bytes.
	flip := func(i int) func(creds) creds {
		return func(s creds) creds {
			b := []byte(s.token)
			if i < 0 {
				i = len(b) + i
			}
			for b[i] == '=' {
				i--
			}
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			s.token = string(b)
			return s
		}
	}
	tests := []struct {
		name   string
		forge  func(creds) creds
		code   string
		detail string
	}{
		{"first character changed", flip(0), "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"key ID byte changed", flip(3), "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"middle character changed", func(s creds) creds { return flip(len(s.token) / 2)(s) }, "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"last character changed", flip(-1), "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"cut short", func(s creds) creds { s.token = s.token[:len(s.token)-8]; return s }, "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"extended", func(s creds) creds { s.token += "AAAA"; return s }, "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"not base64", func(s creds) creds { s.token = strings.Repeat("!", len(s.token)); return s }, "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"another session's token", func(s creds) creds { s.token = assume(e, alice, "other").token; return s }, "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"token from another mantle", func(creds) creds { return foreign }, "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"temporary key without its token", func(s creds) creds { s.token = ""; return s }, "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"long-term key with a session token", func(s creds) creds { a := alice; a.token = s.token; return a }, "InvalidClientTokenId", "The security token included in the request is invalid."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forged := tc.forge(good)
			_, err := e.iam(forged).ListUsers(c, &iam.ListUsersInput{})
			wantAPIError(t, err, tc.code, tc.detail)
			_, err = e.sts(forged).GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
			wantAPIError(t, err, tc.code, tc.detail)
		})
	}
	// The genuine session still works: nothing above disturbed it.
	must[*iam.ListUsersOutput](t)(e.iam(good).ListUsers(c, &iam.ListUsersInput{}))
}

// awsError is the Query protocol's ErrorResponse.
type awsError struct {
	Code    string `xml:"Error>Code"`
	Message string `xml:"Error>Message"`
}

func send(t *testing.T, req *http.Request) (int, awsError) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var ae awsError
	if resp.StatusCode != http.StatusOK {
		if err := xml.Unmarshal(body, &ae); err != nil {
			t.Fatalf("status %d, body %s", resp.StatusCode, body)
		}
	}
	return resp.StatusCode, ae
}

// TestSecuritySignatureWindow guards SigV4's time window: a request signed
// more than 15 minutes before or after the server's clock is refused with
// AWS's SignatureDoesNotMatch wording, so a captured request cannot be
// replayed once its window has passed; a presigned URL works until its
// X-Amz-Expires and never after, and its expiry cannot be extended
// without breaking the signature.
func TestSecuritySignatureWindow(t *testing.T) {
	base := time.Now().UTC().Truncate(time.Second)
	var offset atomic.Int64
	e := startWith(t, func() time.Time { return base.Add(time.Duration(offset.Load())) })
	alice := e.newUser("alice", allowDoc("iam:GetUser", "*"))
	cr := aws.Credentials{AccessKeyID: alice.id, SecretAccessKey: alice.secret}
	const form = "Action=GetUser&Version=2010-05-08"
	signed := func(at time.Time) *http.Request {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, e.URL+"/", strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		sum := sha256.Sum256([]byte(form))
		if err := v4.NewSigner().SignHTTP(context.Background(), cr, req, hex.EncodeToString(sum[:]), "iam", testRegion, at); err != nil {
			t.Fatal(err)
		}
		return req
	}
	replay := func(req *http.Request) *http.Request {
		r := req.Clone(context.Background())
		r.Body = io.NopCloser(strings.NewReader(form))
		return r
	}
	amz := func(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

	t.Run("inside the window", func(t *testing.T) {
		for _, d := range []time.Duration{-14 * time.Minute, 0, 14 * time.Minute} {
			if st, ae := send(t, signed(base.Add(d))); st != http.StatusOK {
				t.Fatalf("signed %v from now: %d %+v", d, st, ae)
			}
		}
	})
	t.Run("signed 16 minutes ago", func(t *testing.T) {
		at := base.Add(-16 * time.Minute)
		st, ae := send(t, signed(at))
		want := "Signature expired: " + amz(at) + " is now earlier than " + amz(base.Add(-15*time.Minute)) + " (" + amz(base) + " - 15 min.)"
		if st != http.StatusForbidden || ae.Code != "SignatureDoesNotMatch" || ae.Message != want {
			t.Fatalf("%d %+v, want 403 SignatureDoesNotMatch %q", st, ae, want)
		}
	})
	t.Run("signed 16 minutes ahead", func(t *testing.T) {
		at := base.Add(16 * time.Minute)
		st, ae := send(t, signed(at))
		want := "Signature not yet current: " + amz(at) + " is still later than " + amz(base.Add(15*time.Minute)) + " (" + amz(base) + " + 15 min.)"
		if st != http.StatusForbidden || ae.Code != "SignatureDoesNotMatch" || ae.Message != want {
			t.Fatalf("%d %+v, want 403 SignatureDoesNotMatch %q", st, ae, want)
		}
	})
	t.Run("captured request replayed after the window", func(t *testing.T) {
		defer offset.Store(0)
		captured := signed(base)
		if st, ae := send(t, replay(captured)); st != http.StatusOK {
			t.Fatalf("first send: %d %+v", st, ae)
		}
		offset.Store(int64(16 * time.Minute))
		st, ae := send(t, replay(captured))
		if st != http.StatusForbidden || ae.Code != "SignatureDoesNotMatch" || !strings.HasPrefix(ae.Message, "Signature expired: "+amz(base)+" is now earlier than ") {
			t.Fatalf("replay: %d %+v", st, ae)
		}
	})
	t.Run("presigned URL replayed after expiry", func(t *testing.T) {
		defer offset.Store(0)
		presign := func(expires string) string {
			t.Helper()
			req, err := http.NewRequest(http.MethodGet, e.URL+"/?Action=GetUser&Version=2010-05-08&X-Amz-Expires="+expires, nil)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(nil)
			u, _, err := v4.NewSigner().PresignHTTP(context.Background(), cr, req, hex.EncodeToString(sum[:]), "iam", testRegion, base)
			if err != nil {
				t.Fatal(err)
			}
			return u
		}
		get := func(u string) (int, awsError) {
			req, err := http.NewRequest(http.MethodGet, u, nil)
			if err != nil {
				t.Fatal(err)
			}
			return send(t, req)
		}
		u := presign("60")
		for i := 0; i < 2; i++ { // a presigned URL is a bearer token until it expires
			if st, ae := get(u); st != http.StatusOK {
				t.Fatalf("use %d: %d %+v", i, st, ae)
			}
		}
		// Its expiry is signed: stretching it breaks the signature.
		stretched := strings.Replace(u, "X-Amz-Expires=60", "X-Amz-Expires=3600", 1)
		if st, ae := get(stretched); st != http.StatusForbidden || ae.Code != "SignatureDoesNotMatch" {
			t.Fatalf("stretched expiry: %d %+v", st, ae)
		}
		offset.Store(int64(61 * time.Second))
		if st, ae := get(u); st != http.StatusBadRequest || ae.Code != "RequestExpired" || ae.Message != "Request has expired." {
			t.Fatalf("after expiry: %d %+v", st, ae)
		}
		// Nor can it be re-dated: X-Amz-Date is signed too.
		redated := strings.Replace(u, "X-Amz-Date="+amz(base), "X-Amz-Date="+amz(base.Add(time.Minute)), 1)
		if redated == u {
			t.Fatal("no X-Amz-Date in the presigned URL")
		}
		if st, ae := get(redated); st == http.StatusOK {
			t.Fatalf("re-dated URL accepted: %+v", ae)
		}
	})
}

// crossAccount is a management account (testAccount) and a member account
// made by Organizations, with an administrator session in the member.
type crossAccount struct {
	member      string
	memberAdmin creds
	// In the member account: user victim (with an access key), customer
	// managed policy guarded (v1), role vault (trusting only its own
	// account), attached to nothing.
	victimKey string
}

func (x *crossAccount) arn(kind, name string) string {
	return "arn:aws:iam::" + x.member + ":" + kind + "/" + name
}

func newCrossAccount(t *testing.T, e *env) *crossAccount {
	t.Helper()
	c := ctx(t)
	o := e.orgs(e.root())
	must[*organizations.CreateOrganizationOutput](t)(o.CreateOrganization(c, &organizations.CreateOrganizationInput{}))
	ca := must[*organizations.CreateAccountOutput](t)(o.CreateAccount(c, &organizations.CreateAccountInput{AccountName: aws.String("b"), Email: aws.String("b@example.com")}))
	x := &crossAccount{member: aws.ToString(ca.CreateAccountStatus.AccountId)}
	access := x.arn("role", "OrganizationAccountAccessRole")
	ops := e.newUser("ops", allowDoc("sts:AssumeRole", access))
	out := must[*sts.AssumeRoleOutput](t)(e.sts(ops).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(access), RoleSessionName: aws.String("ops")}))
	x.memberAdmin = session(out.Credentials)
	b := e.iam(x.memberAdmin)
	must[*iam.CreateUserOutput](t)(b.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("victim")}))
	k := must[*iam.CreateAccessKeyOutput](t)(b.CreateAccessKey(c, &iam.CreateAccessKeyInput{UserName: aws.String("victim")}))
	x.victimKey = aws.ToString(k.AccessKey.AccessKeyId)
	must[*iam.CreatePolicyOutput](t)(b.CreatePolicy(c, &iam.CreatePolicyInput{PolicyName: aws.String("guarded"), PolicyDocument: aws.String(allowDoc("iam:GetUser", "*"))}))
	must[*iam.CreateRoleOutput](t)(b.CreateRole(c, &iam.CreateRoleInput{RoleName: aws.String("vault"),
		AssumeRolePolicyDocument: aws.String(trustFor("arn:aws:iam::"+x.member+":root", `"sts:AssumeRole"`, ""))}))
	must[*iam.AttachRolePolicyOutput](t)(b.AttachRolePolicy(c, &iam.AttachRolePolicyInput{RoleName: aws.String("vault"), PolicyArn: aws.String(adminPolicy)}))
	return x
}

// TestSecurityCrossAccountIsolation guards the account boundary: an
// administrator of account A, and A's root user, have no power in account
// B. IAM names users, groups and roles within the caller's own account, so
// B's are out of reach by name; what is addressed by ARN (managed
// policies, access keys, the simulator's principals, roles to assume) is
// refused across accounts, and B's trust policy alone decides who may
// assume B's roles. Afterwards B is exactly as it was.
func TestSecurityCrossAccountIsolation(t *testing.T) {
	e := start(t)
	c := ctx(t)
	x := newCrossAccount(t, e)
	guarded := x.arn("policy", "guarded")
	mallory := e.newUser("mallory", "")
	must[*iam.AttachUserPolicyOutput](t)(e.iam(e.root()).AttachUserPolicy(c, &iam.AttachUserPolicyInput{UserName: aws.String("mallory"), PolicyArn: aws.String(adminPolicy)}))

	// Across accounts there is no resource-based policy to allow an IAM
	// action, whatever the caller's own account allows.
	crossDenied := func(action, resource string) func(string) string {
		return func(principal string) string {
			return deniedMsg(principal, action, resource, notAllowed("resource-based policy", action))
		}
	}
	same := func(msg string) func(string) string { return func(string) string { return msg } }
	noUser := same("The user with name victim cannot be found.")
	noRole := same("The role with name vault cannot be found.")
	noKey := same("The Access Key with id " + x.victimKey + " cannot be found.")
	attacks := []struct {
		name   string
		attack func(m *iam.Client, s *sts.Client) error
		code   string
		msg    func(principal string) string
	}{
		{"read B's user by name", func(m *iam.Client, _ *sts.Client) error {
			_, err := m.GetUser(c, &iam.GetUserInput{UserName: aws.String("victim")})
			return err
		}, "NoSuchEntity", noUser},
		{"create a key for B's user", func(m *iam.Client, _ *sts.Client) error {
			_, err := m.CreateAccessKey(c, &iam.CreateAccessKeyInput{UserName: aws.String("victim")})
			return err
		}, "NoSuchEntity", noUser},
		{"read B's role by name", func(m *iam.Client, _ *sts.Client) error {
			_, err := m.GetRole(c, &iam.GetRoleInput{RoleName: aws.String("vault")})
			return err
		}, "NoSuchEntity", noRole},
		{"rewrite the trust policy of B's role", func(m *iam.Client, _ *sts.Client) error {
			_, err := m.UpdateAssumeRolePolicy(c, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("vault"), PolicyDocument: aws.String(trustFor(iamARN("user", "mallory"), `"sts:AssumeRole"`, ""))})
			return err
		}, "NoSuchEntity", noRole},
		{"read B's policy", func(m *iam.Client, _ *sts.Client) error {
			_, err := m.GetPolicy(c, &iam.GetPolicyInput{PolicyArn: aws.String(guarded)})
			return err
		}, "AccessDenied", crossDenied("iam:GetPolicy", guarded)},
		{"read B's policy version", func(m *iam.Client, _ *sts.Client) error {
			_, err := m.GetPolicyVersion(c, &iam.GetPolicyVersionInput{PolicyArn: aws.String(guarded), VersionId: aws.String("v1")})
			return err
		}, "AccessDenied", crossDenied("iam:GetPolicyVersion", guarded)},
		{"add a version to B's policy", func(m *iam.Client, _ *sts.Client) error {
			_, err := m.CreatePolicyVersion(c, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(guarded), PolicyDocument: aws.String(adminDoc), SetAsDefault: true})
			return err
		}, "AccessDenied", crossDenied("iam:CreatePolicyVersion", guarded)},
		{"set the default version of B's policy", func(m *iam.Client, _ *sts.Client) error {
			_, err := m.SetDefaultPolicyVersion(c, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(guarded), VersionId: aws.String("v1")})
			return err
		}, "AccessDenied", crossDenied("iam:SetDefaultPolicyVersion", guarded)},
		{"delete B's policy", func(m *iam.Client, _ *sts.Client) error {
			_, err := m.DeletePolicy(c, &iam.DeletePolicyInput{PolicyArn: aws.String(guarded)})
			return err
		}, "AccessDenied", crossDenied("iam:DeletePolicy", guarded)},
		{"tag B's policy", func(m *iam.Client, _ *sts.Client) error {
			_, err := m.TagPolicy(c, &iam.TagPolicyInput{PolicyArn: aws.String(guarded), Tags: []iamtypes.Tag{{Key: aws.String("owner"), Value: aws.String("mallory")}}})
			return err
		}, "AccessDenied", crossDenied("iam:TagPolicy", guarded)},
		{"list who uses B's policy", func(m *iam.Client, _ *sts.Client) error {
			_, err := m.ListEntitiesForPolicy(c, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(guarded)})
			return err
		}, "AccessDenied", crossDenied("iam:ListEntitiesForPolicy", guarded)},
		{"attach B's policy in A", func(m *iam.Client, _ *sts.Client) error {
			_, err := m.AttachUserPolicy(c, &iam.AttachUserPolicyInput{UserName: aws.String("mallory"), PolicyArn: aws.String(guarded)})
			return err
		}, "NoSuchEntity", same("Policy " + guarded + " does not exist or is not attachable.")},
		{"simulate B's user", func(m *iam.Client, _ *sts.Client) error {
			_, err := m.SimulatePrincipalPolicy(c, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(x.arn("user", "victim")), ActionNames: []string{"iam:CreateUser"}})
			return err
		}, "AccessDenied", crossDenied("iam:SimulatePrincipalPolicy", x.arn("user", "victim"))},
		{"look up B's access key", func(m *iam.Client, _ *sts.Client) error {
			_, err := m.GetAccessKeyLastUsed(c, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(x.victimKey)})
			return err
		}, "NoSuchEntity", noKey},
		{"deactivate B's access key", func(m *iam.Client, _ *sts.Client) error {
			_, err := m.UpdateAccessKey(c, &iam.UpdateAccessKeyInput{AccessKeyId: aws.String(x.victimKey), Status: "Inactive"})
			return err
		}, "NoSuchEntity", noKey},
		{"assume B's role that trusts only B", func(_ *iam.Client, s *sts.Client) error {
			_, err := s.AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(x.arn("role", "vault")), RoleSessionName: aws.String("x1")})
			return err
		}, "AccessDenied", func(principal string) string {
			if strings.HasSuffix(principal, ":root") {
				return "Roles may not be assumed by root accounts."
			}
			return deniedMsg(principal, "sts:AssumeRole", x.arn("role", "vault"), "")
		}},
	}
	for _, who := range []struct {
		name, arn string
		c         creds
	}{{"A's administrator", iamARN("user", "mallory"), mallory}, {"A's root", "arn:aws:iam::" + testAccount + ":root", e.root()}} {
		for _, tc := range attacks {
			t.Run(who.name+"/"+tc.name, func(t *testing.T) {
				wantAPIError(t, tc.attack(e.iam(who.c), e.sts(who.c)), tc.code, tc.msg(who.arn))
			})
		}
	}

	// B is as it was.
	b := e.iam(x.memberAdmin)
	pol := must[*iam.GetPolicyOutput](t)(b.GetPolicy(c, &iam.GetPolicyInput{PolicyArn: aws.String(guarded)}))
	if aws.ToString(pol.Policy.DefaultVersionId) != "v1" || aws.ToInt32(pol.Policy.AttachmentCount) != 0 {
		t.Errorf("B's policy changed: %+v", pol.Policy)
	}
	keys := must[*iam.ListAccessKeysOutput](t)(b.ListAccessKeys(c, &iam.ListAccessKeysInput{UserName: aws.String("victim")}))
	if len(keys.AccessKeyMetadata) != 1 || keys.AccessKeyMetadata[0].Status != "Active" {
		t.Errorf("B's user's keys changed: %+v", keys.AccessKeyMetadata)
	}
	role := must[*iam.GetRoleOutput](t)(b.GetRole(c, &iam.GetRoleInput{RoleName: aws.String("vault")}))
	if doc, _ := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument)); strings.Contains(doc, testAccount) {
		t.Errorf("B's role trusts A: %s", doc)
	}
	// And A saw nothing of B in its own listings.
	details := must[*iam.GetAccountAuthorizationDetailsOutput](t)(e.iam(e.root()).GetAccountAuthorizationDetails(c, &iam.GetAccountAuthorizationDetailsInput{}))
	for _, u := range details.UserDetailList {
		if strings.Contains(aws.ToString(u.Arn), x.member) {
			t.Errorf("A's details list B's user %s", aws.ToString(u.Arn))
		}
	}
	for _, p := range details.Policies {
		if strings.Contains(aws.ToString(p.Arn), x.member) {
			t.Errorf("A's details list B's policy %s", aws.ToString(p.Arn))
		}
	}
}

// TestSecurityCrossAccountTrust guards the other half of the boundary: a
// role of B that trusts A's account can be assumed from A only by a
// principal of A that its own account also allows (both sides must agree),
// and the session acts in B, not in A; and a role cannot be assumed through
// an identity provider registered in another account, whatever its trust
// policy names.
func TestSecurityCrossAccountTrust(t *testing.T) {
	e := start(t)
	c := ctx(t)
	x := newCrossAccount(t, e)
	b := e.iam(x.memberAdmin)
	must[*iam.CreateRoleOutput](t)(b.CreateRole(c, &iam.CreateRoleInput{RoleName: aws.String("shared"),
		AssumeRolePolicyDocument: aws.String(trustFor("arn:aws:iam::"+testAccount+":root", `"sts:AssumeRole"`, ""))}))
	shared := x.arn("role", "shared")
	nobody := e.newUser("nobody", "")
	_, err := e.sts(nobody).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(shared), RoleSessionName: aws.String("x1")})
	wantDenied(t, err, deniedMsg(userARN("nobody"), "sts:AssumeRole", shared, ""))
	_, err = e.sts(e.root()).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(shared), RoleSessionName: aws.String("x1")})
	wantAPIError(t, err, "AccessDenied", "Roles may not be assumed by root accounts.")

	allowed := e.newUser("allowed", allowDoc("sts:AssumeRole", shared))
	out := must[*sts.AssumeRoleOutput](t)(e.sts(allowed).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(shared), RoleSessionName: aws.String("x1")}))
	who := must[*sts.GetCallerIdentityOutput](t)(e.sts(session(out.Credentials)).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))
	if aws.ToString(who.Account) != x.member {
		t.Fatalf("the session acts in %s, want B (%s)", aws.ToString(who.Account), x.member)
	}
	// The role has no permissions: the session can do nothing in B, and
	// it is not A's session either.
	_, err = e.iam(session(out.Credentials)).ListUsers(c, &iam.ListUsersInput{})
	wantDenied(t, err, deniedMsg("arn:aws:sts::"+x.member+":assumed-role/shared/x1", "iam:ListUsers", "arn:aws:iam::"+x.member+":user/", notAllowed("identity-based policy", "iam:ListUsers")))

	is := newOIDCIssuer(t)
	prov := must[*iam.CreateOpenIDConnectProviderOutput](t)(b.CreateOpenIDConnectProvider(c, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(is.srv.URL), ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{is.thumbprint()}}))
	role := e.newRole("ci", webIdentityTrust(aws.ToString(prov.OpenIDConnectProviderArn), `{}`), adminDoc, 0)
	_, err = e.anonymousSTS().AssumeRoleWithWebIdentity(c, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ci"),
		WebIdentityToken: aws.String(is.token(t, nil))})
	wantAPIError(t, err, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for "+is.srv.URL)
}
