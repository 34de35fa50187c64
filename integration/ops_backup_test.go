package integration

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/mantle-iam/mantle/internal/server"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
)

// admin makes a call to the admin socket of e's data directory, as the
// mantle command does, and returns the body of a 200 answer.
func (e *env) admin(t *testing.T, path string, body io.Reader) []byte {
	t.Helper()
	b, status := e.adminStatus(t, path, body)
	if status != http.StatusOK {
		t.Fatalf("admin %s: HTTP %d: %s", path, status, b)
	}
	return b
}

func (e *env) adminStatus(t *testing.T, path string, body io.Reader) ([]byte, int) {
	t.Helper()
	sock := server.AdminSocket(e.dir)
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	resp, err := c.Post("http://mantle"+path, "application/octet-stream", body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b, resp.StatusCode
}

// A backup taken while mantle serves, restored into another data
// directory with the same master key, serves the same users, keys (their
// sealed secrets sign requests), groups, roles, policies, session tokens
// and audit trail.
func TestBackupRestoreRoundTrip(t *testing.T) {
	e := start(t)
	c := ctx(t)
	root := e.iam(e.root())
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}]}`
	alice := e.newUser("alice", policy)
	must[*iam.CreateGroupOutput](t)(root.CreateGroup(c, &iam.CreateGroupInput{GroupName: aws.String("devs")}))
	must[*iam.AddUserToGroupOutput](t)(root.AddUserToGroup(c, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")}))
	mp := must[*iam.CreatePolicyOutput](t)(root.CreatePolicy(c, &iam.CreatePolicyInput{PolicyName: aws.String("readers"), PolicyDocument: aws.String(policy)}))
	must[*iam.AttachGroupPolicyOutput](t)(root.AttachGroupPolicy(c, &iam.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: mp.Policy.Arn}))
	roleARN := e.newRole("deploy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+userARN("alice")+`"},"Action":"sts:AssumeRole"}]}`, policy, 0)
	sess := must[*sts.AssumeRoleOutput](t)(e.sts(alice).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("before-backup")}))

	// Taken while serving, with a write racing it.
	backup := filepath.Join(t.TempDir(), "mantle.backup")
	raced := make(chan error, 1)
	go func() {
		_, err := root.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("racer")})
		raced <- err
	}()
	if err := os.WriteFile(backup, e.admin(t, "/v1/backup", nil), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := <-raced; err != nil {
		t.Fatal(err)
	}

	// Refused while the data directory is served.
	err := sqlite.Restore(c, backup, filepath.Join(e.dir, "mantle.db"), nil)
	if err == nil || !strings.Contains(err.Error(), "in use by another mantle process") {
		t.Fatalf("restore into a served directory: %v", err)
	}

	// Refused under another master key, leaving the directory alone.
	dir := t.TempDir()
	other := filepath.Join(dir, "other.key")
	if err := os.WriteFile(other, make([]byte, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	err = sqlite.Restore(c, backup, filepath.Join(dir, "mantle.db"), func(ctx context.Context, st store.Store) error {
		return server.CheckMasterKey(ctx, st, other)
	})
	if err == nil || !strings.Contains(err.Error(), "do not open under the master key") {
		t.Fatalf("restore under another master key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "mantle.db")); err == nil {
		t.Fatal("a refused restore left a database behind")
	}

	// Not a database.
	junk := filepath.Join(t.TempDir(), "junk")
	if err := os.WriteFile(junk, []byte("not sqlite"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.Restore(c, junk, filepath.Join(dir, "mantle.db"), nil); err == nil {
		t.Fatal("restored a file that is not a database")
	}

	key, err := os.ReadFile(filepath.Join(e.dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "master.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	err = sqlite.Restore(c, backup, filepath.Join(dir, "mantle.db"), func(ctx context.Context, st store.Store) error {
		return server.CheckMasterKey(ctx, st, filepath.Join(dir, "master.key"))
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(c, filepath.Join(dir, "mantle.db"))
	if err != nil {
		t.Fatal(err)
	}
	r := startStore(t, st, dir, func(*server.Config) {})

	// The user's sealed secret still signs; its policies still allow.
	if _, err := r.iam(alice).GetUser(c, &iam.GetUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatalf("alice's key on the restored mantle: %v", err)
	}
	groups := must[*iam.ListGroupsForUserOutput](t)(r.iam(r.root()).ListGroupsForUser(c, &iam.ListGroupsForUserInput{UserName: aws.String("alice")}))
	if len(groups.Groups) != 1 || aws.ToString(groups.Groups[0].GroupName) != "devs" {
		t.Errorf("groups: %+v", groups.Groups)
	}
	att := must[*iam.ListAttachedGroupPoliciesOutput](t)(r.iam(r.root()).ListAttachedGroupPolicies(c, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("devs")}))
	if len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != aws.ToString(mp.Policy.Arn) {
		t.Errorf("attached: %+v", att.AttachedPolicies)
	}
	// The session issued before the backup opens with the restored token
	// keys, and the role still lets alice in.
	id := must[*sts.GetCallerIdentityOutput](t)(r.sts(session(sess.Credentials)).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}))
	if !strings.HasSuffix(aws.ToString(id.Arn), ":assumed-role/deploy/before-backup") {
		t.Errorf("session: %s", aws.ToString(id.Arn))
	}
	must[*sts.AssumeRoleOutput](t)(r.sts(alice).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("after-restore")}))
	// The trail: the events recorded before the backup.
	events := lookup(t, r.cloudtrail(r.root()), cttypes.LookupAttributeKeyEventName, "AttachGroupPolicy")
	if len(events) != 1 {
		t.Errorf("AttachGroupPolicy events after restore: %d, want 1", len(events))
	}
	events = lookup(t, r.cloudtrail(r.root()), cttypes.LookupAttributeKeyUsername, "before-backup")
	if len(events) == 0 {
		t.Error("the role session's calls are not in the restored trail")
	}
}

// With a PostgreSQL store there is nothing for mantle to copy: the admin
// call says to use pg_dump.
func TestBackupPostgresSaysPgDump(t *testing.T) {
	nodes := startNodes(t, 1, nil)
	b, status := nodes[0].adminStatus(t, "/v1/backup", nil)
	if status != http.StatusNotImplemented || !strings.Contains(string(b), "pg_dump") {
		t.Fatalf("HTTP %d: %s", status, b)
	}
}
