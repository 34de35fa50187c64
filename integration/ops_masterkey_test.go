package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/mantle-iam/mantle/internal/secrets"
	"github.com/mantle-iam/mantle/internal/server"
	"github.com/mantle-iam/mantle/internal/store/postgres"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
)

type masterRotation struct {
	KeyID    string `json:"masterKeyId"`
	Resealed int    `json:"resealed"`
}

func (e *env) rotateMaster(t *testing.T, query string) masterRotation {
	t.Helper()
	var r masterRotation
	if err := json.Unmarshal(e.admin(t, "/v1/keys/rotate/master"+query, nil), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// The master key rotates while mantle serves: every secret is re-sealed
// under the new key, the old key is gone from the data directory, and a
// restart with the new key alone serves the same keys, MFA devices and
// sessions.
func TestRotateMasterKey(t *testing.T) {
	e := start(t)
	c := ctx(t)
	keyFile := filepath.Join(e.dir, "master.key")
	old, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	alice := e.newUser("alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)
	must[*iam.CreateVirtualMFADeviceOutput](t)(e.iam(e.root()).CreateVirtualMFADevice(c, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice-phone")}))
	sess := must[*sts.GetSessionTokenOutput](t)(e.sts(alice).GetSessionToken(c, &sts.GetSessionTokenInput{}))

	r := e.rotateMaster(t, "")
	// The token key, root's and alice's access keys, the MFA seed.
	if r.Resealed != 4 {
		t.Errorf("re-sealed %d secrets, want 4", r.Resealed)
	}
	now, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(now, old) || len(now) != secrets.KeySize {
		t.Fatal("the master key file did not change")
	}
	if r.KeyID == "" || r.KeyID == "00000000" {
		t.Errorf("key ID %q", r.KeyID)
	}
	if _, err := os.Stat(secrets.PreviousFile(keyFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the old key is still beside the new one: %v", err)
	}
	if _, err := e.iam(alice).GetUser(c, &iam.GetUserInput{}); err != nil {
		t.Fatalf("alice after the rotation: %v", err)
	}
	// Twice in a row: everything is re-sealed again.
	if r := e.rotateMaster(t, ""); r.Resealed != 4 {
		t.Errorf("second rotation re-sealed %d, want 4", r.Resealed)
	}
	events := lookup(t, e.cloudtrail(e.root()), cttypes.LookupAttributeKeyEventName, "RotateMasterKey")
	if len(events) != 2 {
		t.Errorf("%d RotateMasterKey events, want 2", len(events))
	}

	// Restarted with the new key alone.
	e.stop()
	st, err := sqlite.Open(c, filepath.Join(e.dir, "mantle.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := server.CheckMasterKey(c, st, keyFile); err != nil {
		t.Fatal(err)
	}
	oldFile := filepath.Join(t.TempDir(), "old.key")
	if err := os.WriteFile(oldFile, old, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := server.CheckMasterKey(c, st, oldFile); err == nil {
		t.Error("the old master key still opens the stored secrets")
	}
	r2 := startStore(t, st, e.dir, func(*server.Config) {})
	if _, err := r2.iam(alice).GetUser(c, &iam.GetUserInput{}); err != nil {
		t.Fatalf("alice after a restart: %v", err)
	}
	if _, err := r2.sts(session(sess.Credentials)).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("session after a restart: %v", err)
	}
	mfa := must[*iam.ListVirtualMFADevicesOutput](t)(r2.iam(r2.root()).ListVirtualMFADevices(c, &iam.ListVirtualMFADevicesInput{}))
	if len(mfa.VirtualMFADevices) != 1 {
		t.Errorf("MFA devices: %d", len(mfa.VirtualMFADevices))
	}
}

// Across PostgreSQL nodes: one node alone refuses to seal under a key the
// others lack; the documented procedure (every node restarted with the new
// key and the old one as .previous, then --reseal-only on one) keeps every
// node serving every key.
func TestRotateMasterKeyTwoNodes(t *testing.T) {
	dsn, keyFile := nodesSetup(t)
	nodes := startNodesOn(t, dsn, keyFile, 2, nil)
	alice := nodes[0].newUser("alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)
	b, status := nodes[0].adminStatus(t, "/v1/keys/rotate/master", nil)
	if status != http.StatusConflict || !strings.Contains(string(b), "other mantle nodes share this database") {
		t.Fatalf("HTTP %d: %s", status, b)
	}

	old, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	newFile := filepath.Join(t.TempDir(), "master.key")
	next := make([]byte, secrets.KeySize)
	rand.Read(next)
	if err := os.WriteFile(newFile, next, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secrets.PreviousFile(newFile), old, 0o600); err != nil {
		t.Fatal(err)
	}
	// The rolling restart.
	for i := range nodes {
		nodes[i].stop()
		st, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = startStore(t, st, t.TempDir(), func(c *server.Config) { c.MasterKeyFile = newFile })
	}
	r := nodes[0].rotateMaster(t, "?reseal-only=true")
	if r.Resealed < 3 {
		t.Errorf("re-sealed %d, want the token key and both access keys at least", r.Resealed)
	}
	for i, n := range nodes {
		if _, err := n.iam(alice).GetUser(ctx(t), &iam.GetUserInput{}); err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	oldFile := filepath.Join(t.TempDir(), "old.key")
	if err := os.WriteFile(oldFile, old, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := server.CheckMasterKey(ctx(t), st, oldFile); err == nil {
		t.Error("the old master key still opens the stored secrets")
	}
}
