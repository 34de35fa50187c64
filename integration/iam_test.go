package integration

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestHealth(t *testing.T) {
	e := start(t)
	resp, err := http.Get(e.URL + "/_mantle/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health: %d", resp.StatusCode)
	}
}

// A user the root creates has no permission until a policy grants one, and
// AccessDenied says why in AWS's words.
func TestIAMUserLifecycleAndAuthorization(t *testing.T) {
	e := start(t)
	c := ctx(t)
	root := e.iam(e.root())

	u := must[*iam.CreateUserOutput](t)(root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/dev/")}))
	if got := aws.ToString(u.User.Arn); got != "arn:aws:iam::"+testAccount+":user/dev/alice" {
		t.Fatalf("user ARN %s", got)
	}
	if id := aws.ToString(u.User.UserId); !strings.HasPrefix(id, "AIDA") || len(id) != 21 {
		t.Fatalf("user ID %s", id)
	}
	_, err := root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("ALICE")})
	wantCode(t, err, "EntityAlreadyExists", "User with name ALICE already exists.")

	k := must[*iam.CreateAccessKeyOutput](t)(root.CreateAccessKey(c, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))
	alice := creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}

	id := must[*sts.GetCallerIdentityOutput](t)
	_ = id
	_, err = e.iam(alice).ListUsers(c, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied", "User: arn:aws:iam::"+testAccount+":user/dev/alice is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::"+testAccount+":user/ because no identity-based policy allows the iam:ListUsers action")

	must[*iam.PutUserPolicyOutput](t)(root.PutUserPolicy(c, &iam.PutUserPolicyInput{
		UserName:       aws.String("alice"),
		PolicyName:     aws.String("list"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"*"}]}`),
	}))
	out := must[*iam.ListUsersOutput](t)(e.iam(alice).ListUsers(c, &iam.ListUsersInput{}))
	if len(out.Users) != 1 || aws.ToString(out.Users[0].UserName) != "alice" {
		t.Fatalf("ListUsers %+v", out.Users)
	}
	_, err = e.iam(alice).CreateUser(c, &iam.CreateUserInput{UserName: aws.String("mallory")})
	wantCode(t, err, "AccessDenied", "iam:CreateUser")

	_, err = root.DeleteUser(c, &iam.DeleteUserInput{UserName: aws.String("alice")})
	wantCode(t, err, "DeleteConflict", "")
	_, err = root.GetUser(c, &iam.GetUserInput{UserName: aws.String("nobody")})
	wantCode(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")
}

func TestIAMProtocolErrors(t *testing.T) {
	e := start(t)
	c := ctx(t)
	_, err := e.iam(creds{rootKeyID, "wrong-secret", ""}).ListUsers(c, &iam.ListUsersInput{})
	wantCode(t, err, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
	_, err = e.iam(creds{"AKIAUNKNOWN000000000", "x", ""}).ListUsers(c, &iam.ListUsersInput{})
	wantCode(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
	_, err = e.iam(e.root()).CreateUser(c, &iam.CreateUserInput{UserName: aws.String("bad name")})
	wantCode(t, err, "ValidationError", "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+")
	_, err = e.iam(e.root()).PutUserPolicy(c, &iam.PutUserPolicyInput{UserName: aws.String("x"), PolicyName: aws.String("p"), PolicyDocument: aws.String("{")})
	if err == nil {
		t.Fatal("malformed policy accepted")
	}

	resp, err := http.Post(e.URL+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=ListUsers&Version=2010-05-08"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unsigned request: %d", resp.StatusCode)
	}
}

// The seed scenario: a user with no permissions of their own assumes a role
// that trusts them by ARN and gains exactly the role's permissions.
func TestAssumeRoleGainsRolePermissions(t *testing.T) {
	e := start(t)
	c := ctx(t)
	root := e.iam(e.root())
	must[*iam.CreateUserOutput](t)(root.CreateUser(c, &iam.CreateUserInput{UserName: aws.String("bob")}))
	k := must[*iam.CreateAccessKeyOutput](t)(root.CreateAccessKey(c, &iam.CreateAccessKeyInput{UserName: aws.String("bob")}))
	bob := creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}
	must[*iam.CreateRoleOutput](t)(root.CreateRole(c, &iam.CreateRoleInput{
		RoleName:                 aws.String("reader"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testAccount + `:user/bob"},"Action":"sts:AssumeRole"}]}`),
	}))
	must[*iam.PutRolePolicyOutput](t)(root.PutRolePolicy(c, &iam.PutRolePolicyInput{
		RoleName: aws.String("reader"), PolicyName: aws.String("list-users"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`),
	}))

	out := must[*sts.AssumeRoleOutput](t)(e.sts(bob).AssumeRole(c, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + testAccount + ":role/reader"), RoleSessionName: aws.String("s1"),
	}))
	if id := aws.ToString(out.Credentials.AccessKeyId); !strings.HasPrefix(id, "ASIA") {
		t.Fatalf("temporary key %s", id)
	}
	sess := creds{aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken)}
	who := must[*sts.GetCallerIdentityOutput](t)(e.sts(sess).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))
	if got := aws.ToString(who.Arn); got != "arn:aws:sts::"+testAccount+":assumed-role/reader/s1" {
		t.Fatalf("caller %s", got)
	}
	must[*iam.ListUsersOutput](t)(e.iam(sess).ListUsers(c, &iam.ListUsersInput{}))
	_, err := e.iam(sess).ListRoles(c, &iam.ListRolesInput{})
	wantCode(t, err, "AccessDenied", "User: arn:aws:sts::"+testAccount+":assumed-role/reader/s1 is not authorized to perform: iam:ListRoles")
	// Switching back: bob's own credentials still have bob's (no) permissions.
	_, err = e.iam(bob).ListUsers(c, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied", "user/bob is not authorized to perform: iam:ListUsers")
}

// GetSessionToken credentials reach IAM only when MFA was used; federation
// tokens never do.
func TestIAMRefusesRestrictedSessions(t *testing.T) {
	e := start(t)
	c := ctx(t)
	st := must[*sts.GetSessionTokenOutput](t)(e.sts(e.root()).GetSessionToken(c, &sts.GetSessionTokenInput{}))
	sess := creds{aws.ToString(st.Credentials.AccessKeyId), aws.ToString(st.Credentials.SecretAccessKey), aws.ToString(st.Credentials.SessionToken)}
	_, err := e.iam(sess).ListUsers(c, &iam.ListUsersInput{})
	wantCode(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
	must[*sts.GetCallerIdentityOutput](t)(e.sts(sess).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))

	ft := must[*sts.GetFederationTokenOutput](t)(e.sts(e.root()).GetFederationToken(c, &sts.GetFederationTokenInput{
		Name: aws.String("broker"), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
	}))
	fed := creds{aws.ToString(ft.Credentials.AccessKeyId), aws.ToString(ft.Credentials.SecretAccessKey), aws.ToString(ft.Credentials.SessionToken)}
	_, err = e.iam(fed).ListUsers(c, &iam.ListUsersInput{})
	wantCode(t, err, "InvalidClientTokenId", "")
}

func TestAccessKeyLastUsed(t *testing.T) {
	e := start(t)
	c := ctx(t)
	bob := e.newUser("lastused", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetAccessKeyLastUsed","Resource":"*"}]}`)
	var out *iam.GetAccessKeyLastUsedOutput
	deadline := time.Now().Add(5 * time.Second)
	for {
		out = must[*iam.GetAccessKeyLastUsedOutput](t)(e.iam(bob).GetAccessKeyLastUsed(c, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(bob.id)}))
		if out.AccessKeyLastUsed.LastUsedDate != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out.AccessKeyLastUsed.LastUsedDate == nil || aws.ToString(out.AccessKeyLastUsed.ServiceName) != "iam" || aws.ToString(out.AccessKeyLastUsed.Region) != testRegion {
		t.Fatalf("last used %+v", out.AccessKeyLastUsed)
	}
}
