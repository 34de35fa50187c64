package integration

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	ec2imds "github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/mantle-iam/mantle/internal/imds"
	"github.com/mantle-iam/mantle/internal/server"
	mstore "github.com/mantle-iam/mantle/internal/store"
	msts "github.com/mantle-iam/mantle/internal/sts"
)

const testInstance = "i-0a1b2c3d4e5f60718"

// startWorkload is start with the store kept, for the workload endpoints.
func startWorkload(t *testing.T) (*env, mstore.Store) {
	var st mstore.Store
	e := startConfig(t, func(c *server.Config) { st = c.Store })
	return e, st
}

func serviceTrust(service string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":"sts:AssumeRole"}]}`
}

// instanceProfile makes an instance profile holding the role.
func (e *env) instanceProfile(name, role string) {
	e.t.Helper()
	c, root := ctx(e.t), e.iam(e.root())
	if _, err := root.CreateInstanceProfile(c, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name)}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := root.AddRoleToInstanceProfile(c, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: aws.String(role)}); err != nil {
		e.t.Fatal(err)
	}
}

// imdsFor serves IMDS for an instance with the named profile and returns
// aws-sdk-go-v2's own IMDS client for it.
func (e *env) imdsFor(st mstore.Store, profile string) *ec2imds.Client {
	e.t.Helper()
	h, err := imds.NewInstance(imds.InstanceConfig{Store: st, Issuer: e.srv.STS, AccountID: testAccount,
		InstanceProfile: profile, InstanceID: testInstance, Region: "eu-central-1"})
	if err != nil {
		e.t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	e.t.Cleanup(srv.Close)
	return ec2imds.New(ec2imds.Options{Endpoint: srv.URL, EnableFallback: aws.FalseTernary})
}

// clientsWith are STS and IAM clients whose credentials come from p.
func (e *env) clientsWith(p aws.CredentialsProvider) (*sts.Client, *iam.Client) {
	cfg := e.config(creds{})
	cfg.Credentials = aws.NewCredentialsCache(p)
	return sts.NewFromConfig(cfg), iam.NewFromConfig(cfg)
}

func TestIMDSInstanceRole(t *testing.T) {
	e, st := startWorkload(t)
	c := ctx(t)
	e.newRole("web", serviceTrust(msts.ServiceEC2), `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`, 0)
	e.instanceProfile("web", "web")
	client := e.imdsFor(st, "web")

	region, err := client.GetRegion(c, &ec2imds.GetRegionInput{})
	if err != nil || region.Region != "eu-central-1" {
		t.Fatalf("region %v %v", region, err)
	}
	doc, err := client.GetInstanceIdentityDocument(c, &ec2imds.GetInstanceIdentityDocumentInput{})
	if err != nil || doc.InstanceID != testInstance || doc.AccountID != testAccount || doc.AvailabilityZone != "eu-central-1a" {
		t.Fatalf("identity document %+v %v", doc, err)
	}
	info, err := client.GetIAMInfo(c, &ec2imds.GetIAMInfoInput{})
	if err != nil || info.Code != "Success" || info.InstanceProfileArn != "arn:aws:iam::"+testAccount+":instance-profile/web" ||
		!strings.HasPrefix(info.InstanceProfileID, "AIPA") {
		t.Fatalf("iam info %+v %v", info, err)
	}

	stsc, iamc := e.clientsWith(ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = client }))
	id := must[*sts.GetCallerIdentityOutput](t)(stsc.GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))
	if want := "arn:aws:sts::" + testAccount + ":assumed-role/web/" + testInstance; *id.Arn != want {
		t.Fatalf("identity %s, want %s", *id.Arn, want)
	}
	must[*iam.ListUsersOutput](t)(iamc.ListUsers(c, &iam.ListUsersInput{}))

	// A change to the role applies at once to the instance's credentials.
	if _, err := e.iam(e.root()).PutRolePolicy(c, &iam.PutRolePolicyInput{RoleName: aws.String("web"), PolicyName: aws.String("deny"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:ListUsers","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	_, err = iamc.ListUsers(c, &iam.ListUsersInput{})
	wantCode(t, err, "AccessDenied", "assumed-role/web/"+testInstance+" is not authorized to perform: iam:ListUsers")
}

func TestIMDSTrustRefused(t *testing.T) {
	e, st := startWorkload(t)
	c := ctx(t)
	e.newRole("users-only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+testAccount+`:root"},"Action":"sts:AssumeRole"}]}`, "", 0)
	e.instanceProfile("p", "users-only")
	client := e.imdsFor(st, "p")

	out, err := client.GetMetadata(c, &ec2imds.GetMetadataInput{Path: "iam/security-credentials/users-only"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(out.Content)
	if err != nil || !strings.Contains(string(b), `"Code" : "AssumeRoleUnauthorizedAccess"`) || strings.Contains(string(b), "AccessKeyId") {
		t.Fatalf("credentials document %s %v", b, err)
	}
	if _, err := ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = client }).Retrieve(c); err == nil {
		t.Fatal("the SDK obtained credentials for a role that does not trust EC2")
	}
}

func TestContainerCredentials(t *testing.T) {
	e, st := startWorkload(t)
	c := ctx(t)
	e.newRole("task", serviceTrust(msts.ServiceECSTasks), "", 0)
	e.newRole("web", serviceTrust(msts.ServiceEC2), "", 0)
	const task, token = "0123456789abcdef0123456789abcdef", "container-token"
	src := &imds.RoleSource{Store: st, AccountID: testAccount, Role: "task", Session: &imds.Session{
		Issuer: e.srv.STS, Service: msts.ServiceECSTasks, Name: task}}
	srv := httptest.NewServer(&imds.Container{Source: src, Token: token})
	t.Cleanup(srv.Close)

	stsc, _ := e.clientsWith(endpointcreds.New(srv.URL+imds.ContainerPath, func(o *endpointcreds.Options) { o.AuthorizationToken = token }))
	id := must[*sts.GetCallerIdentityOutput](t)(stsc.GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))
	if want := "arn:aws:sts::" + testAccount + ":assumed-role/task/" + task; *id.Arn != want {
		t.Fatalf("identity %s, want %s", *id.Arn, want)
	}

	// A role that does not trust ECS tasks, and a wrong token: the SDK
	// reports the endpoint's error.
	src.Role = "web"
	_, err := endpointcreds.New(srv.URL+imds.ContainerPath, func(o *endpointcreds.Options) { o.AuthorizationToken = token }).Retrieve(c)
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("untrusted role: %v", err)
	}
	_, err = endpointcreds.New(srv.URL+imds.ContainerPath, func(o *endpointcreds.Options) { o.AuthorizationToken = "wrong" }).Retrieve(c)
	if err == nil {
		t.Fatal("a wrong token obtained credentials")
	}
}
