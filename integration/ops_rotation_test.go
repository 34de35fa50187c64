package integration

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// tokenKeyID is the ID of the key that sealed a session token (the four
// bytes after the token's magic).
func tokenKeyID(t *testing.T, tok string) uint32 {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil || len(raw) < 7 {
		t.Fatalf("token: %v", err)
	}
	return binary.BigEndian.Uint32(raw[3:7])
}

func TestRotateTokenKeyUnderLoad(t *testing.T) {
	rotateUnderLoad(t, []*env{start(t)})
}

// Across PostgreSQL nodes: node 0 rotates, tokens it seals with the new
// key are used on node 1 at once, and node 1's old-key tokens keep working
// on node 0.
func TestRotateTokenKeyUnderLoadTwoNodes(t *testing.T) {
	rotateUnderLoad(t, startNodes(t, 2, nil))
}

// rotateUnderLoad hammers the nodes with AssumeRole (long-term key) and
// GetCallerIdentity (with sessions from before the rotations and from
// moments ago, each on another node than the one that issued it) while
// the session-token key is rotated three times, and wants no failed
// request.
func rotateUnderLoad(t *testing.T, nodes []*env) {
	c := ctx(t)
	e := nodes[0]
	alice := e.newUser("alice", "")
	roleARN := e.newRole("deploy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+userARN("alice")+`"},"Action":"sts:AssumeRole"}]}`, "", 0)
	assume := func(n *env) (*sts.AssumeRoleOutput, error) {
		return n.sts(alice).AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("load")})
	}
	var old []creds
	for _, n := range nodes {
		out := must[*sts.AssumeRoleOutput](t)(assume(n))
		old = append(old, session(out.Credentials))
	}

	var ops, failures atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				from, to := nodes[(w+i)%len(nodes)], nodes[(w+i+1)%len(nodes)]
				out, err := assume(from)
				if err != nil {
					failures.Add(1)
					t.Errorf("AssumeRole: %v", err)
					continue
				}
				for _, cr := range []creds{session(out.Credentials), old[(w+i)%len(old)]} {
					if _, err := to.sts(cr).GetCallerIdentity(c, &sts.GetCallerIdentityInput{}); err != nil {
						failures.Add(1)
						t.Errorf("GetCallerIdentity (key %d): %v", tokenKeyID(t, cr.token), err)
					}
				}
				ops.Add(3)
			}
		})
	}
	var last struct {
		Active  uint32 `json:"activeKeyId"`
		Retired uint32 `json:"retiredKeyId"`
	}
	for range 3 {
		time.Sleep(300 * time.Millisecond)
		if err := json.Unmarshal(e.admin(t, "/v1/keys/rotate/token", nil), &last); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d of %d requests failed during the rotations", n, ops.Load())
	}
	if ops.Load() < 30 {
		t.Fatalf("only %d requests made: not a test under load", ops.Load())
	}
	t.Logf("%d requests, none failed, across %d rotations on %d node(s)", ops.Load(), 3, len(nodes))
	if last.Active != 4 || last.Retired != 3 {
		t.Errorf("last rotation: %+v, want key 4 active, 3 retired", last)
	}
	// New sessions are sealed with the new key, on every node (a node that
	// sealed before hearing of the rotation reloads in the background).
	for i, n := range nodes {
		deadline := time.Now().Add(5 * time.Second)
		for {
			out := must[*sts.AssumeRoleOutput](t)(assume(n))
			id := tokenKeyID(t, aws.ToString(out.Credentials.SessionToken))
			if id == last.Active {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d still seals with key %d", i, id)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	events := lookup(t, e.cloudtrail(e.root()), cttypes.LookupAttributeKeyEventName, "RotateSessionTokenKey")
	if len(events) != 3 {
		t.Fatalf("%d RotateSessionTokenKey events, want 3", len(events))
	}
	r := record(t, events[0])
	if r.UserIdentity.Type != "Root" || r.EventSource != "mantle.amazonaws.com" {
		t.Errorf("event: %+v", r)
	}
	if r.ResponseElements["activeKeyId"] != "4" {
		t.Errorf("event's response elements: %v", r.ResponseElements)
	}
}

// A retired key is dropped by the first rotation after every token it
// sealed has expired (36 hours, GetSessionToken's longest, and a margin),
// not before.
func TestRotateTokenKeyPrunesExpiredKeys(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	e := startWith(t, func() time.Time { return time.Unix(0, clock.Load()) })
	type rotation struct {
		Active uint32   `json:"activeKeyId"`
		Pruned []uint32 `json:"prunedKeyIds"`
	}
	rotate := func() rotation {
		var r rotation
		if err := json.Unmarshal(e.admin(t, "/v1/keys/rotate/token", nil), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := rotate(); r.Active != 2 || len(r.Pruned) != 0 {
		t.Fatalf("first rotation: %+v", r)
	}
	clock.Add(int64(36 * time.Hour))
	if r := rotate(); r.Active != 3 || len(r.Pruned) != 0 {
		t.Fatalf("36 hours later: %+v, want key 1 kept (a token it sealed may live 36 hours)", r)
	}
	clock.Add(int64(time.Hour))
	if r := rotate(); r.Active != 4 || len(r.Pruned) != 1 || r.Pruned[0] != 1 {
		t.Fatalf("37 hours later: %+v, want key 1 pruned", r)
	}
}
