package integration

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// startAt is start with a server clock offset the test can move; the offset
// must stay within SigV4's 15-minute skew of the SDK's real clock.
func startAt(t *testing.T, offset *atomic.Int64) *env {
	return startWith(t, func() time.Time { return time.Now().Add(time.Duration(offset.Load())) })
}

// newUser creates a user with an access key and optional inline policy.
func (e *env) newUser(name, policy string) creds {
	e.t.Helper()
	c := ctx(e.t)
	root := e.iam(e.root())
	if _, err := root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		e.t.Fatal(err)
	}
	if policy != "" {
		if _, err := root.PutUserPolicy(c, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}); err != nil {
			e.t.Fatal(err)
		}
	}
	k, err := root.CreateAccessKey(c, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		e.t.Fatal(err)
	}
	return creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}
}

// newRole creates a role with a trust policy and an optional inline policy
// and returns its ARN.
func (e *env) newRole(name, trust, policy string, maxSession int32) string {
	e.t.Helper()
	c := ctx(e.t)
	root := e.iam(e.root())
	in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
	if maxSession > 0 {
		in.MaxSessionDuration = aws.Int32(maxSession)
	}
	r, err := root.CreateRole(c, in)
	if err != nil {
		e.t.Fatal(err)
	}
	if policy != "" {
		if _, err := root.PutRolePolicy(c, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}); err != nil {
			e.t.Fatal(err)
		}
	}
	return aws.ToString(r.Role.Arn)
}

func session(c *ststypes.Credentials) creds {
	return creds{aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)}
}

func userARN(name string) string { return "arn:aws:iam::" + testAccount + ":user/" + name }

func trustFor(principal, actions, condition string) string {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":` + actions
	if condition != "" {
		doc += `,"Condition":` + condition
	}
	return doc + `}]}`
}

func allowDoc(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

func TestSTSAssumeRoleGrantsExactlyTheRolesPermissions(t *testing.T) {
	e := start(t)
	c := ctx(t)
	alice := e.newUser("alice", "")
	arn := e.newRole("reader", trustFor(userARN("alice"), `"sts:AssumeRole"`, ""), allowDoc("iam:ListUsers", "*"), 0)

	out := must[*sts.AssumeRoleOutput](t)(e.sts(alice).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("work")}))
	sessionARN := "arn:aws:sts::" + testAccount + ":assumed-role/reader/work"
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != sessionARN {
		t.Fatalf("Arn %s", got)
	}
	if id := aws.ToString(out.AssumedRoleUser.AssumedRoleId); !strings.HasPrefix(id, "AROA") || !strings.HasSuffix(id, ":work") {
		t.Fatalf("AssumedRoleId %s", id)
	}
	if k := aws.ToString(out.Credentials.AccessKeyId); !strings.HasPrefix(k, "ASIA") {
		t.Fatalf("AccessKeyId %s", k)
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("Expiration in %v", d)
	}
	role := session(out.Credentials)
	must[*iam.ListUsersOutput](t)(e.iam(role).ListUsers(c, &iam.ListUsersInput{}))
	_, err := e.iam(role).CreateUser(c, &iam.CreateUserInput{UserName: aws.String("mallory")})
	wantCode(t, err, "AccessDenied", "User: "+sessionARN+" is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::"+testAccount+":user/mallory")

	// Switching back: alice's own keys still have only her own (no) permissions.
	_, err = e.iam(alice).ListUsers(c, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied", "User: "+userARN("alice")+" is not authorized to perform: iam:ListUsers")

	// A change to the role's policy applies at once to the live session.
	root := e.iam(e.root())
	must[*iam.PutRolePolicyOutput](t)(root.PutRolePolicy(c, &iam.PutRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(allowDoc("iam:GetUser", "*"))}))
	_, err = e.iam(role).ListUsers(c, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied", "iam:ListUsers")
	must[*iam.GetUserOutput](t)(e.iam(role).GetUser(c, &iam.GetUserInput{UserName: aws.String("alice")}))

	// Deleting the role ends its sessions' permissions.
	must[*iam.DeleteRolePolicyOutput](t)(root.DeleteRolePolicy(c, &iam.DeleteRolePolicyInput{RoleName: aws.String("reader"), PolicyName: aws.String("p")}))
	must[*iam.DeleteRoleOutput](t)(root.DeleteRole(c, &iam.DeleteRoleInput{RoleName: aws.String("reader")}))
	_, err = e.iam(role).GetUser(c, &iam.GetUserInput{UserName: aws.String("alice")})
	wantCode(t, err, "AccessDenied", "")
	_, err = e.sts(alice).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("again")})
	wantCode(t, err, "AccessDenied", "User: "+userARN("alice")+" is not authorized to perform: sts:AssumeRole on resource: "+arn)

	// Root cannot assume roles.
	_, err = e.sts(e.root()).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("root")})
	wantCode(t, err, "AccessDenied", "Roles may not be assumed by root accounts.")
}

func TestSTSGetCallerIdentity(t *testing.T) {
	e := start(t)
	c := ctx(t)
	alice := e.newUser("alice", allowDoc("sts:GetFederationToken", "*"))
	arn := e.newRole("app", trustFor(userARN("alice"), `"sts:AssumeRole"`, ""),
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, 0)
	u := must[*iam.GetUserOutput](t)(e.iam(e.root()).GetUser(c, &iam.GetUserInput{UserName: aws.String("alice")}))
	r := must[*iam.GetRoleOutput](t)(e.iam(e.root()).GetRole(c, &iam.GetRoleInput{RoleName: aws.String("app")}))
	roleSess := must[*sts.AssumeRoleOutput](t)(e.sts(alice).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("s1")}))
	fed := must[*sts.GetFederationTokenOutput](t)(e.sts(alice).GetFederationToken(c, &sts.GetFederationTokenInput{Name: aws.String("fed-bob")}))
	gst := must[*sts.GetSessionTokenOutput](t)(e.sts(alice).GetSessionToken(c, &sts.GetSessionTokenInput{}))
	tests := []struct {
		name        string
		cr          creds
		arn, userID string
	}{
		{"root", e.root(), "arn:aws:iam::" + testAccount + ":root", testAccount},
		{"user", alice, userARN("alice"), aws.ToString(u.User.UserId)},
		{"role session with deny-all policy", session(roleSess.Credentials), "arn:aws:sts::" + testAccount + ":assumed-role/app/s1", aws.ToString(r.Role.RoleId) + ":s1"},
		{"federated user", session(fed.Credentials), "arn:aws:sts::" + testAccount + ":federated-user/fed-bob", testAccount + ":fed-bob"},
		{"GetSessionToken session", session(gst.Credentials), userARN("alice"), aws.ToString(u.User.UserId)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := must[*sts.GetCallerIdentityOutput](t)(e.sts(tt.cr).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{}))
			if aws.ToString(out.Account) != testAccount || aws.ToString(out.Arn) != tt.arn || aws.ToString(out.UserId) != tt.userID {
				t.Fatalf("got %s %s %s", aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId))
			}
		})
	}
}

func TestSTSExternalID(t *testing.T) {
	e := start(t)
	c := ctx(t)
	// The third party's user, with permission to assume roles anywhere.
	vendor := e.newUser("vendor", allowDoc("sts:AssumeRole", "*"))
	arn := e.newRole("vendor-access", trustFor(userARN("vendor"), `"sts:AssumeRole"`, `{"StringEquals":{"sts:ExternalId":"Customer-7781"}}`), allowDoc("iam:ListRoles", "*"), 0)
	denied := "User: " + userARN("vendor") + " is not authorized to perform: sts:AssumeRole on resource: " + arn
	for _, tt := range []struct {
		name, ext, code string
	}{
		{"right external id", "Customer-7781", ""},
		{"missing external id", "", "AccessDenied"},
		{"another customer's external id", "Customer-1234", "AccessDenied"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("vendor")}
			if tt.ext != "" {
				in.ExternalId = aws.String(tt.ext)
			}
			_, err := e.sts(vendor).AssumeRole(ctx(t), in)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, tt.code, denied)
		})
	}
	_ = c
}

func TestSTSMFAProtectedRole(t *testing.T) {
	e := start(t)
	c := ctx(t)
	alice := e.newUser("alice", "")
	serial, code := e.virtualMFA(t, "alice")
	now := time.Now()
	arn := e.newRole("admin", trustFor(userARN("alice"), `"sts:AssumeRole"`, `{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), allowDoc("iam:*", "*"), 0)

	_, err := e.sts(alice).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("nomfa")})
	wantCode(t, err, "AccessDenied", "is not authorized to perform: sts:AssumeRole on resource: "+arn)
	_, err = e.sts(alice).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("bad"),
		SerialNumber: aws.String(serial), TokenCode: aws.String("000000")})
	wantCode(t, err, "AccessDenied", "MultiFactorAuthentication failed")
	out := must[*sts.AssumeRoleOutput](t)(e.sts(alice).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("mfa"),
		SerialNumber: aws.String(serial), TokenCode: aws.String(code(now.Add(30 * time.Second)))}))
	must[*iam.ListUsersOutput](t)(e.iam(session(out.Credentials)).ListUsers(c, &iam.ListUsersInput{}))
}

func TestSTSSessionPolicyChainingTagsAndSourceIdentity(t *testing.T) {
	e := start(t)
	c := ctx(t)
	alice := e.newUser("alice", "")
	all := `["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]`
	first := e.newRole("first", trustFor(userARN("alice"), all, ""), allowDoc("*", "*"), 0)
	second := e.newRole("second", trustFor("arn:aws:iam::"+testAccount+":root", all,
		`{"StringEquals":{"aws:PrincipalTag/team":"blue","sts:SourceIdentity":"alice"}}`), allowDoc("*", "*"), 43200)

	// A session policy narrows the role's permissions.
	narrow := must[*sts.AssumeRoleOutput](t)(e.sts(alice).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(first), RoleSessionName: aws.String("narrow"),
		Policy: aws.String(allowDoc("iam:ListUsers", "*"))}))
	if narrow.PackedPolicySize == nil || *narrow.PackedPolicySize < 1 {
		t.Fatalf("PackedPolicySize %v", narrow.PackedPolicySize)
	}
	must[*iam.ListUsersOutput](t)(e.iam(session(narrow.Credentials)).ListUsers(c, &iam.ListUsersInput{}))
	_, err := e.iam(session(narrow.Credentials)).ListRoles(c, &iam.ListRolesInput{})
	wantCode(t, err, "AccessDenied", "iam:ListRoles")

	s1 := must[*sts.AssumeRoleOutput](t)(e.sts(alice).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(first), RoleSessionName: aws.String("s1"),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}, TransitiveTagKeys: []string{"team"},
		SourceIdentity: aws.String("alice")}))
	if aws.ToString(s1.SourceIdentity) != "alice" {
		t.Fatalf("SourceIdentity %q", aws.ToString(s1.SourceIdentity))
	}
	chain := e.sts(session(s1.Credentials))

	// Role chaining: one hour at most, whatever the role allows.
	_, err = chain.AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("s2"), DurationSeconds: aws.Int32(7200)})
	wantCode(t, err, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	s2 := must[*sts.AssumeRoleOutput](t)(chain.AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("s2")}))
	if d := time.Until(aws.ToTime(s2.Credentials.Expiration)); d > 61*time.Minute {
		t.Fatalf("chained session lasts %v", d)
	}
	// The source identity and the transitive tag reached the second session:
	// its trust policy required both, and it can pass them on again.
	if aws.ToString(s2.SourceIdentity) != "alice" {
		t.Fatalf("SourceIdentity %q", aws.ToString(s2.SourceIdentity))
	}
	must[*sts.AssumeRoleOutput](t)(e.sts(session(s2.Credentials)).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("s3")}))
	_, err = chain.AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("s2"), SourceIdentity: aws.String("mallory")})
	wantCode(t, err, "AccessDenied", "Source identity")
	_, err = chain.AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("s2"),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}})
	wantCode(t, err, "InvalidParameterValue", "transitive")
	// Above the role's own maximum.
	_, err = e.sts(alice).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(first), RoleSessionName: aws.String("long"), DurationSeconds: aws.Int32(7200)})
	wantCode(t, err, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
}

func TestSTSExpiredAndTamperedTokens(t *testing.T) {
	var offset atomic.Int64
	offset.Store(int64(-13 * time.Minute))
	e := startAt(t, &offset)
	c := ctx(t)
	alice := e.newUser("alice", "")
	arn := e.newRole("app", trustFor(userARN("alice"), `"sts:AssumeRole"`, ""), allowDoc("iam:ListUsers", "*"), 0)
	out := must[*sts.AssumeRoleOutput](t)(e.sts(alice).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("short"), DurationSeconds: aws.Int32(900)}))
	role := session(out.Credentials)
	must[*iam.ListUsersOutput](t)(e.iam(role).ListUsers(c, &iam.ListUsersInput{}))

	tampered := role
	b := []byte(tampered.token)
	b[len(b)/2] ^= 1
	if b[len(b)/2] == '=' || b[len(b)/2] == '+' {
		b[len(b)/2] = 'A'
	}
	tampered.token = string(b)
	_, err := e.iam(tampered).ListUsers(c, &iam.ListUsersInput{})
	wantCode(t, err, "InvalidClientTokenId", "The security token included in the request is invalid")
	_, err = e.sts(tampered).GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "InvalidClientTokenId", "")
	// Another session's token with this session's keys.
	other := must[*sts.AssumeRoleOutput](t)(e.sts(alice).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("other")}))
	mixed := role
	mixed.token = aws.ToString(other.Credentials.SessionToken)
	_, err = e.sts(mixed).GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "InvalidClientTokenId", "")

	// 16 minutes later on the server's clock the 15-minute session is over.
	offset.Store(int64(3 * time.Minute))
	_, err = e.iam(role).ListUsers(c, &iam.ListUsersInput{})
	wantCode(t, err, "ExpiredToken", "The security token included in the request is expired")
	_, err = e.sts(role).GetCallerIdentity(c, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "ExpiredToken", "")
}

func TestSTSGetSessionTokenAndFederationToken(t *testing.T) {
	e := start(t)
	c := ctx(t)
	alice := e.newUser("alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetFederationToken","iam:Get*","iam:List*","sts:AssumeRole"],"Resource":"*"}]}`)
	bob := e.newUser("bob", "")

	gst := must[*sts.GetSessionTokenOutput](t)(e.sts(alice).GetSessionToken(c, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)}))
	if d := time.Until(aws.ToTime(gst.Credentials.Expiration)); d > 16*time.Minute {
		t.Fatalf("session lasts %v", d)
	}
	sess := session(gst.Credentials)
	_, err := e.sts(sess).GetSessionToken(c, &sts.GetSessionTokenInput{})
	wantCode(t, err, "AccessDenied", "Cannot call GetSessionToken with session credentials")
	_, err = e.sts(sess).GetFederationToken(c, &sts.GetFederationTokenInput{Name: aws.String("fed")})
	wantCode(t, err, "AccessDenied", "Cannot call GetFederationToken with session credentials")
	root := must[*sts.GetSessionTokenOutput](t)(e.sts(e.root()).GetSessionToken(c, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(7200)}))
	if d := time.Until(aws.ToTime(root.Credentials.Expiration)); d > 61*time.Minute {
		t.Fatalf("root session lasts %v", d)
	}
	// Bob needs no permission for GetSessionToken.
	must[*sts.GetSessionTokenOutput](t)(e.sts(bob).GetSessionToken(c, &sts.GetSessionTokenInput{}))
	_, err = e.sts(e.root()).GetSessionToken(c, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(600)})
	wantCode(t, err, "ValidationError", "Member must have value greater than or equal to 900")

	fed := must[*sts.GetFederationTokenOutput](t)(e.sts(alice).GetFederationToken(c, &sts.GetFederationTokenInput{Name: aws.String("partner"),
		Policy: aws.String(allowDoc("iam:ListUsers", "*"))}))
	if aws.ToString(fed.FederatedUser.Arn) != "arn:aws:sts::"+testAccount+":federated-user/partner" || aws.ToString(fed.FederatedUser.FederatedUserId) != testAccount+":partner" {
		t.Fatalf("FederatedUser %+v", fed.FederatedUser)
	}
	fc := session(fed.Credentials)
	// Federation tokens call no IAM action, whatever the policies say; the
	// intersection of the broker's and the session's policies is checked
	// by the authz tests.
	_, err = e.iam(fc).ListUsers(c, &iam.ListUsersInput{})
	wantCode(t, err, "InvalidClientTokenId", "")
	_, err = e.sts(fc).GetFederationToken(c, &sts.GetFederationTokenInput{Name: aws.String("again")})
	wantCode(t, err, "AccessDenied", "Cannot call GetFederationToken with session credentials")
	must[*sts.GetFederationTokenOutput](t)(e.sts(alice).GetFederationToken(c, &sts.GetFederationTokenInput{Name: aws.String("empty")}))
	_, err = e.sts(bob).GetFederationToken(c, &sts.GetFederationTokenInput{Name: aws.String("nope")})
	wantCode(t, err, "AccessDenied", "User: "+userARN("bob")+" is not authorized to perform: sts:GetFederationToken on resource: arn:aws:sts::"+testAccount+":federated-user/nope")

	info := must[*sts.GetAccessKeyInfoOutput](t)(e.sts(e.root()).GetAccessKeyInfo(c, &sts.GetAccessKeyInfoInput{AccessKeyId: gst.Credentials.AccessKeyId}))
	if aws.ToString(info.Account) != testAccount {
		t.Fatalf("GetAccessKeyInfo %s", aws.ToString(info.Account))
	}
	info = must[*sts.GetAccessKeyInfoOutput](t)(e.sts(e.root()).GetAccessKeyInfo(c, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(alice.id)}))
	if aws.ToString(info.Account) != testAccount {
		t.Fatalf("GetAccessKeyInfo %s", aws.ToString(info.Account))
	}
}

// "Revoke active sessions" as the IAM console does it: an inline deny on the
// role for tokens issued before now ends every live session, and sessions
// issued afterwards work.
func TestSTSRevokeActiveSessions(t *testing.T) {
	var offset atomic.Int64
	e := startAt(t, &offset)
	c := ctx(t)
	bob := e.newUser("bob", "")
	roleARN := e.newRole("revocable", trustFor(userARN("bob"), `"sts:AssumeRole"`, ""), allowDoc("iam:ListUsers", "*"), 0)
	out := must[*sts.AssumeRoleOutput](t)(e.sts(bob).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("old")}))
	old := session(out.Credentials)
	must[*iam.ListUsersOutput](t)(e.iam(old).ListUsers(c, &iam.ListUsersInput{}))

	// Later, the administrator revokes: tokens issued before this instant
	// are denied everything.
	offset.Store(int64(2 * time.Second))
	revokedAt := time.Now().Add(time.Duration(offset.Load())).UTC().Format(time.RFC3339)
	must[*iam.PutRolePolicyOutput](t)(e.iam(e.root()).PutRolePolicy(c, &iam.PutRolePolicyInput{
		RoleName: aws.String("revocable"), PolicyName: aws.String("AWSRevokeOlderSessions"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"` + revokedAt + `"}}}]}`),
	}))
	_, err := e.iam(old).ListUsers(c, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied", "with an explicit deny in an identity-based policy")

	offset.Store(int64(4 * time.Second))
	out = must[*sts.AssumeRoleOutput](t)(e.sts(bob).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("new")}))
	must[*iam.ListUsersOutput](t)(e.iam(session(out.Credentials)).ListUsers(c, &iam.ListUsersInput{}))
}
