package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The test binary doubles as the program `mantle exec` runs: with
// MANTLE_EXEC_CHILD set it writes its AWS environment and the identity its
// SDK finds to that file, then exits with MANTLE_EXEC_EXIT (or sleeps until
// a signal when it is "sleep").
func TestMain(m *testing.M) {
	if out := os.Getenv("MANTLE_EXEC_CHILD"); out != "" {
		os.Exit(execChild(out))
	}
	os.Exit(m.Run())
}

func execChild(out string) int {
	var b strings.Builder
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") {
			b.WriteString(kv + "\n")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err == nil {
		var id *sts.GetCallerIdentityOutput
		if id, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
			b.WriteString("ARN=" + *id.Arn + "\n")
		}
	}
	if err != nil {
		b.WriteString("ERROR=" + err.Error() + "\n")
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o600); err != nil {
		return 99
	}
	if os.Getenv("MANTLE_EXEC_EXIT") == "sleep" {
		time.Sleep(time.Minute)
		return 98
	}
	var code int
	fmt.Sscan(os.Getenv("MANTLE_EXEC_EXIT"), &code)
	return code
}

// execEnv starts mantle, makes a user and a role it may assume, and sets the
// environment a user of `mantle exec` has: the user's key and the endpoint.
func execEnv(t *testing.T) (roleArn string) {
	addr := freeAddr(t)
	const rootKey, rootSecret = "AKIAEXECROOT00000001", "execRootSecret0000000000000000000000000a"
	t.Setenv("MANTLE_ROOT_ACCESS_KEY_ID", rootKey)
	t.Setenv("MANTLE_ROOT_SECRET_ACCESS_KEY", rootSecret)
	ctx, stop := context.WithCancel(context.Background())
	done, _ := serve(ctx, t, "--addr", addr, "--data", t.TempDir(), "--account-id", "210987654321")
	t.Cleanup(func() { stop(); <-done })
	waitHealthy(t, addr)

	endpoint := "http://" + addr
	client := iam.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: &endpoint,
		Credentials: credentials.NewStaticCredentialsProvider(rootKey, rootSecret, "")})
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dev")}); err != nil {
		t.Fatal(err)
	}
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	role, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:user/dev"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": *key.AccessKey.AccessKeyId, "AWS_SECRET_ACCESS_KEY": *key.AccessKey.SecretAccessKey,
		"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1", "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	return *role.Role.Arn
}

func runExecCmd(t *testing.T, args ...string) (error, string) {
	t.Helper()
	stderr := &bytes.Buffer{}
	cmd := newRootCmd()
	cmd.SetArgs(append([]string{"exec"}, args...))
	cmd.SetErr(stderr)
	return cmd.ExecuteContext(context.Background()), stderr.String()
}

func readChild(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		m[k] = v
	}
	return m
}

func TestExec(t *testing.T) {
	roleArn := execEnv(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		exit    string
		code    int
		refresh bool
		stsOnly bool // the endpoint in AWS_ENDPOINT_URL_STS only
	}{
		{"static credentials", []string{"--role-session-name", "ci"}, "0", 0, false, false},
		{"exit status propagates", []string{"--role-session-name", "ci"}, "3", 3, false, false},
		{"AWS_ENDPOINT_URL_STS", []string{"--role-session-name", "ci"}, "0", 0, false, true},
		{"refresh through a container endpoint", []string{"--role-session-name", "ci", "--refresh", "--duration", "15m"}, "0", 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "child")
			t.Setenv("MANTLE_EXEC_CHILD", out)
			t.Setenv("MANTLE_EXEC_EXIT", tt.exit)
			if tt.stsOnly {
				t.Setenv("AWS_ENDPOINT_URL_STS", os.Getenv("AWS_ENDPOINT_URL"))
				t.Setenv("AWS_ENDPOINT_URL", "")
			}
			err, stderr := runExecCmd(t, append(append([]string{"--role-arn", roleArn}, tt.args...), "--", self)...)
			var ee exitError
			if tt.code == 0 && err != nil || tt.code != 0 && (!errors.As(err, &ee) || ee.code != tt.code) {
				t.Fatalf("err %v (stderr %s), want exit %d", err, stderr, tt.code)
			}
			env := readChild(t, out)
			if env["ARN"] != "arn:aws:sts::210987654321:assumed-role/deploy/ci" {
				t.Fatalf("child identity %v", env)
			}
			_, static := env["AWS_ACCESS_KEY_ID"]
			_, container := env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
			if static == tt.refresh || container != tt.refresh || !strings.HasPrefix(env["AWS_ACCESS_KEY_ID"], map[bool]string{false: "ASIA", true: ""}[tt.refresh]) {
				t.Fatalf("child environment %v", env)
			}
			if !tt.refresh && env["AWS_CREDENTIAL_EXPIRATION"] == "" {
				t.Errorf("no AWS_CREDENTIAL_EXPIRATION: %v", env)
			}
		})
	}
}

func TestExecErrors(t *testing.T) {
	roleArn := execEnv(t)
	err, stderr := runExecCmd(t, "--role-arn", strings.Replace(roleArn, "deploy", "nope", 1), "--", "true")
	var ee exitError
	if !errors.As(err, &ee) || ee.code != cliErrorStatus ||
		!strings.Contains(stderr, "An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::210987654321:user/dev is not authorized to perform: sts:AssumeRole") {
		t.Fatalf("err %v, stderr %q", err, stderr)
	}
	if err, _ := runExecCmd(t, "--role-arn", roleArn, "true"); err == nil || !strings.Contains(err.Error(), "after --") {
		t.Fatalf("program without --: %v", err)
	}
	if err, _ := runExecCmd(t, "--role-arn", roleArn, "--token-code", "123456", "--", "true"); err == nil || !strings.Contains(err.Error(), "go together") {
		t.Fatalf("code without serial: %v", err)
	}
}

// A signal mantle exec receives reaches the program, and the program's death
// by it is reported as a shell would (128+N).
func TestExecForwardsSignals(t *testing.T) {
	roleArn := execEnv(t)
	self, _ := os.Executable()
	out := filepath.Join(t.TempDir(), "child")
	t.Setenv("MANTLE_EXEC_CHILD", out)
	t.Setenv("MANTLE_EXEC_EXIT", "sleep")
	done := make(chan error, 1)
	go func() {
		err, _ := runExecCmd(t, "--role-arn", roleArn, "--", self)
		done <- err
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(out); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("child did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var ee exitError
	if err := <-done; !errors.As(err, &ee) || ee.code != 128+int(syscall.SIGTERM) {
		t.Fatalf("err %v, want exit %d", err, 128+int(syscall.SIGTERM))
	}
}

// Without an endpoint mantle exec refuses to run, rather than sign a request
// with the user's key for AWS's own STS; a profile brings both the
// credentials and the endpoint.
func TestExecEndpointAndProfile(t *testing.T) {
	roleArn := execEnv(t)
	self, _ := os.Executable()
	endpoint, key, secret := os.Getenv("AWS_ENDPOINT_URL"), os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	t.Setenv("AWS_ENDPOINT_URL", "")
	err, _ := runExecCmd(t, "--role-arn", roleArn, "--", "true")
	if !errors.As(err, new(usageError)) || !strings.Contains(err.Error(), "no endpoint for mantle") {
		t.Fatalf("without an endpoint: %v", err)
	}

	dir := t.TempDir()
	config, creds := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	if err := os.WriteFile(config, []byte("[profile dev]\nendpoint_url = "+endpoint+"\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(creds, []byte("[dev]\naws_access_key_id = "+key+"\naws_secret_access_key = "+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", config)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if err, _ := runExecCmd(t, "--profile", "nope", "--role-arn", roleArn, "--", "true"); !errors.As(err, new(usageError)) || !strings.Contains(err.Error(), "--profile nope") {
		t.Fatalf("unknown profile: %v", err)
	}
	out := filepath.Join(t.TempDir(), "child")
	t.Setenv("MANTLE_EXEC_CHILD", out)
	t.Setenv("MANTLE_EXEC_EXIT", "0")
	t.Setenv("AWS_PROFILE", "")
	if err, stderr := runExecCmd(t, "--profile", "dev", "--role-arn", roleArn, "--role-session-name", "prof", "--", self); err != nil {
		t.Fatalf("--profile dev: %v %s", err, stderr)
	}
	// The child's SDK reaches mantle through the endpoint exec passes on.
	if env := readChild(t, out); env["ARN"] != "arn:aws:sts::210987654321:assumed-role/deploy/prof" || env["AWS_ENDPOINT_URL"] != endpoint {
		t.Fatalf("child environment %v", env)
	}
}
