package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/jackc/pgx/v5"

	"github.com/mantle-iam/mantle/internal/server"
	"github.com/mantle-iam/mantle/internal/store/postgres"
	"github.com/mantle-iam/mantle/internal/store/postgres/pgtest"
)

// pgTool finds a PostgreSQL client program: on PATH, or where Debian puts
// the server's programs.
func pgTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) == 0 {
		t.Skipf("%s not found", name)
	}
	return matches[len(matches)-1]
}

// The PostgreSQL backup docs/operations.md gives: pg_dump of mantle's
// schema, pg_restore into another database, a node on it with the same
// master key serves the same keys, sessions and trail.
func TestPostgresDumpRestoreServes(t *testing.T) {
	dsn, keyFile := nodesSetup(t)
	nodes := startNodesOn(t, dsn, keyFile, 1, nil)
	e := nodes[0]
	c := ctx(t)
	alice := e.newUser("alice", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`)
	sess := must[*sts.GetSessionTokenOutput](t)(e.sts(alice).GetSessionToken(c, &sts.GetSessionTokenInput{}))

	base := os.Getenv(pgtest.EnvDSN)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	dump := filepath.Join(t.TempDir(), "mantle.dump")
	if out, err := exec.Command(pgTool(t, "pg_dump"), "--format=custom", "--schema="+schema, "--file="+dump, base).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v: %s", err, out)
	}

	var b [4]byte
	rand.Read(b[:])
	db := "mantle_restore_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(c, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(c, "CREATE DATABASE "+db); err != nil {
		t.Fatal(err)
	}
	bu, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	bu.Path = "/" + db
	target := bu.String()
	if out, err := exec.Command(pgTool(t, "pg_restore"), "--no-owner", "--dbname="+target, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v: %s", err, out)
	}

	st, err := postgres.Open(c, pgtest.WithSearchPath(target, schema))
	if err != nil {
		t.Fatal(err)
	}
	r := startStore(t, st, t.TempDir(), func(cfg *server.Config) { cfg.MasterKeyFile = keyFile })
	t.Cleanup(func() {
		// After the node has closed its store (cleanups run last first).
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop %s: %v", db, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+db+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", db, err)
		}
	})
	if _, err := r.iam(alice).GetUser(c, &iam.GetUserInput{}); err != nil {
		t.Fatalf("alice on the restored database: %v", err)
	}
	if _, err := r.sts(session(sess.Credentials)).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("session on the restored database: %v", err)
	}
	if ev := lookup(t, r.cloudtrail(r.root()), cttypes.LookupAttributeKeyEventName, "CreateUser"); len(ev) != 1 {
		t.Errorf("%d CreateUser events on the restored database, want 1", len(ev))
	}
}
