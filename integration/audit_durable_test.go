package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/mantle-iam/mantle/internal/federation/saml/samltest"
	"github.com/mantle-iam/mantle/internal/server"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/postgres"
	"github.com/mantle-iam/mantle/internal/store/postgres/pgtest"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
	msts "github.com/mantle-iam/mantle/internal/sts"
)

// The child process of TestAuditSurvivesKill: a mantle server on the data
// directory (and PostgreSQL DSN) its parent names, which the parent kills.
const (
	crashChildDir = "MANTLE_AUDIT_CRASH_CHILD_DIR"
	crashChildDSN = "MANTLE_AUDIT_CRASH_CHILD_DSN"
)

// Every call answered with credentials (AssumeRole, GetSessionToken,
// GetFederationToken) has its event in the store, even when the process is
// killed (SIGKILL, nothing flushed) in the middle of a burst: the key a
// client received can always be traced to who obtained it.
func TestAuditSurvivesKill(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { crashAndCount(t, "") })
	t.Run("postgres", func(t *testing.T) { crashAndCount(t, pgtest.Schema(t)) })
}

func crashAndCount(t *testing.T, dsn string) {
	dir := t.TempDir()
	first := startChild(t, dir, dsn)
	e := &env{t: t, URL: first.url, dir: dir}
	bob := e.newUser("bob", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetFederationToken","Resource":"*"}]}`)
	roleARN := e.newRole("crash",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+userARN("bob")+`"},"Action":"sts:AssumeRole"}]}`, "", 0)

	// 32 clients ask for credentials as fast as they can (AssumeRole,
	// GetSessionToken, GetFederationToken); once killAfter calls have
	// been answered, the server is killed. Calls answered in between
	// count too: whatever a client received must be in the trail.
	const clients, killAfter = 32, 500
	cfg := e.config(bob)
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	client := sts.NewFromConfig(cfg)
	burst, stop := context.WithTimeout(context.Background(), 20*time.Second)
	defer stop()
	var (
		mu    sync.Mutex
		acked []issued
		wg    sync.WaitGroup
	)
	for i := range clients {
		wg.Go(func() {
			for burst.Err() == nil {
				var got issued
				switch i % 4 {
				case 0:
					out, err := client.GetSessionToken(burst, &sts.GetSessionTokenInput{})
					if err != nil {
						continue
					}
					got = issued{"GetSessionToken", aws.ToString(out.Credentials.AccessKeyId)}
				case 1:
					out, err := client.GetFederationToken(burst, &sts.GetFederationTokenInput{Name: aws.String(fmt.Sprintf("fed%d", i))})
					if err != nil {
						continue
					}
					got = issued{"GetFederationToken", aws.ToString(out.Credentials.AccessKeyId)}
				default:
					out, err := client.AssumeRole(burst, &sts.AssumeRoleInput{
						RoleArn: aws.String(roleARN), RoleSessionName: aws.String(fmt.Sprintf("c%d", i)),
					})
					if err != nil {
						continue
					}
					got = issued{"AssumeRole", aws.ToString(out.Credentials.AccessKeyId)}
				}
				mu.Lock()
				acked = append(acked, got)
				n := len(acked)
				mu.Unlock()
				if n == killAfter {
					first.kill()
					stop()
				}
			}
		})
	}
	wg.Wait()
	if len(acked) < killAfter {
		t.Fatalf("only %d calls answered before the deadline", len(acked))
	}

	// Restarted on the same data, the trail answers for every key a
	// client received: LookupEvents by the key (a resource of the
	// AssumeRole event) finds the call that issued it.
	second := startChild(t, dir, dsn)
	e.URL = second.url
	// A client of its own: the second server may listen on the port the
	// first did, and the default client's pool holds connections to it.
	rootCfg := e.config(e.root())
	rootCfg.HTTPClient = &http.Client{Transport: &http.Transport{}}
	ct := cloudtrail.NewFromConfig(rootCfg)
	var missing []issued
	for _, k := range acked {
		evs := lookup(t, ct, cttypes.LookupAttributeKeyResourceName, k.key)
		if len(evs) != 1 || aws.ToString(evs[0].EventName) != k.action {
			missing = append(missing, k)
			continue
		}
		if creds, _ := record(t, evs[0]).ResponseElements["credentials"].(map[string]any); creds["accessKeyId"] != k.key {
			t.Fatalf("the event naming %s: %s", k.key, aws.ToString(evs[0].CloudTrailEvent))
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d calls answered with credentials have no event after kill -9: %v", len(missing), len(acked), missing)
	}
	t.Logf("%d calls answered with credentials before and during kill -9: every one has its event", len(acked))
}

// issued is a call answered with credentials: its action and the key.
type issued struct{ action, key string }

type child struct {
	url  string
	cmd  *exec.Cmd
	once sync.Once
}

func (c *child) kill() {
	c.once.Do(func() {
		_ = c.cmd.Process.Kill() // SIGKILL: no shutdown, no drain
		_ = c.cmd.Wait()
	})
}

// startChild runs mantle in a child process (this test binary, running
// TestAuditCrashChild) and waits until it listens.
func startChild(t *testing.T, dir, dsn string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAuditCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildDir+"="+dir, crashChildDSN+"="+dsn)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd}
	t.Cleanup(func() {
		c.kill()
		if t.Failed() {
			t.Logf("child stderr:\n%s", stderr.String())
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "LISTENING "); ok {
				addr <- a
			}
		}
	}()
	select {
	case a := <-addr:
		c.url = "http://" + a
	case <-time.After(15 * time.Second):
		c.kill()
		t.Fatalf("child did not start:\n%s", stderr.String())
	}
	return c
}

// TestAuditCrashChild is not a test: it is the server TestAuditSurvivesKill
// starts in a child process.
func TestAuditCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildDir)
	if dir == "" {
		t.Skip("the child process of TestAuditSurvivesKill")
	}
	ctx := context.Background()
	var st store.Store
	var err error
	if dsn := os.Getenv(crashChildDSN); dsn != "" {
		st, err = postgres.Open(ctx, dsn)
	} else {
		st, err = sqlite.Open(ctx, filepath.Join(dir, "mantle.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(ctx, server.Config{
		DataDir: dir, Store: st, AccountID: testAccount,
		RootAccessKeyID: rootKeyID, RootSecretAccessKey: rootSecret,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Out: os.Stderr,
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("LISTENING %s\n", l.Addr())
	t.Fatal(srv.Serve(ctx, l)) // until killed
}

// slowEvents is a store whose events are written slowly, as under load:
// an event written off the request path is then not yet stored when the
// call is answered.
type slowEvents struct{ store.Store }

func (s slowEvents) Events() store.Events { return slowAppend{s.Store.Events()} }

type slowAppend struct{ store.Events }

func (s slowAppend) Append(ctx context.Context, evs ...*store.Event) error {
	time.Sleep(50 * time.Millisecond)
	return s.Events.Append(ctx, evs...)
}

// Every call that hands out credentials is answered only once its event
// is stored: read straight from the store the moment the answer arrives,
// with no LookupEvents to flush the queue first, the event naming the key
// is there. The workload endpoints' sessions are recorded as AWS records
// EC2's: AssumeRole by the AWSService.
func TestAuditCredentialsStoredBeforeTheAnswer(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "mantle.db"))
	if err != nil {
		t.Fatal(err)
	}
	e := startStore(t, slowEvents{st}, dir, func(*server.Config) {})
	c := ctx(t)
	bob := e.newUser("bob", allowDoc("sts:GetFederationToken", "*"))
	roleARN := e.newRole("r", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+userARN("bob")+`"},"Action":"sts:AssumeRole"}]}`, "", 0)

	is := newOIDCIssuer(t)
	oidcARN := is.register(t, e)
	webRole := e.newRole("web", webIdentityTrust(oidcARN, `{"StringEquals":{"`+is.host()+`:aud":"sts.amazonaws.com"}}`), "", 0)

	idp, err := samltest.New("https://idp.example.com/metadata")
	if err != nil {
		t.Fatal(err)
	}
	prov := must[*iam.CreateSAMLProviderOutput](t)(e.iam(e.root()).CreateSAMLProvider(c, &iam.CreateSAMLProviderInput{
		Name: aws.String("corp"), SAMLMetadataDocument: aws.String(idp.Metadata()),
	}))
	samlARN := aws.ToString(prov.SAMLProviderArn)
	samlRole := e.newRole("sso", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+samlARN+`"},"Action":"sts:AssumeRoleWithSAML"}]}`, "", 0)

	e.newRole("instance", serviceTrust(msts.ServiceEC2), "", 0)
	e.instanceProfile("instance", "instance")
	instance := e.imdsFor(st, "instance")

	client, anon := e.sts(bob), e.anonymousSTS()
	for _, tc := range []struct {
		action, identity string
		call             func() (string, error)
	}{
		{"AssumeRole", "IAMUser", func() (string, error) {
			out, err := client.AssumeRole(c, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("sess")})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Credentials.AccessKeyId), nil
		}},
		{"GetSessionToken", "IAMUser", func() (string, error) {
			out, err := client.GetSessionToken(c, &sts.GetSessionTokenInput{})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Credentials.AccessKeyId), nil
		}},
		{"GetFederationToken", "IAMUser", func() (string, error) {
			out, err := client.GetFederationToken(c, &sts.GetFederationTokenInput{Name: aws.String("fed")})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Credentials.AccessKeyId), nil
		}},
		{"AssumeRoleWithWebIdentity", "WebIdentityUser", func() (string, error) {
			out, err := anon.AssumeRoleWithWebIdentity(c, &sts.AssumeRoleWithWebIdentityInput{
				RoleArn: aws.String(webRole), RoleSessionName: aws.String("web"), WebIdentityToken: aws.String(is.token(t, nil)),
			})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Credentials.AccessKeyId), nil
		}},
		{"AssumeRoleWithSAML", "SAMLUser", func() (string, error) {
			resp, err := idp.Response(samltest.Options{Subject: "alice@example.com", Roles: []string{samlRole + "," + samlARN},
				RoleSessionName: "alice@example.com"})
			if err != nil {
				return "", err
			}
			out, err := anon.AssumeRoleWithSAML(c, &sts.AssumeRoleWithSAMLInput{
				RoleArn: aws.String(samlRole), PrincipalArn: aws.String(samlARN), SAMLAssertion: aws.String(resp),
			})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Credentials.AccessKeyId), nil
		}},
		{"AssumeRole", "AWSService", func() (string, error) {
			creds, err := ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = instance }).Retrieve(c)
			return creds.AccessKeyID, err
		}},
	} {
		t.Run(tc.action+" by "+tc.identity, func(t *testing.T) {
			key, err := tc.call()
			if err != nil {
				t.Fatal(err)
			}
			evs, err := st.Events().Lookup(c, store.EventQuery{AccountID: testAccount, Attribute: store.EventByResourceName, Value: key})
			if err != nil || len(evs) != 1 {
				t.Fatalf("events naming %s when it was handed out: %d %v", key, len(evs), err)
			}
			var r struct {
				EventName        string
				UserIdentity     struct{ Type, InvokedBy string }
				SourceIPAddress  string `json:"sourceIPAddress"`
				ResponseElements struct{ Credentials struct{ AccessKeyID string } }
			}
			if err := json.Unmarshal(evs[0].Record, &r); err != nil {
				t.Fatal(err)
			}
			if r.EventName != tc.action || r.UserIdentity.Type != tc.identity || r.ResponseElements.Credentials.AccessKeyID != key {
				t.Fatalf("record %s", evs[0].Record)
			}
			// EC2 assuming an instance profile's role: AWSService, invoked
			// by and calling from ec2.amazonaws.com.
			if tc.identity == "AWSService" && (r.UserIdentity.InvokedBy != msts.ServiceEC2 || r.SourceIPAddress != msts.ServiceEC2) {
				t.Fatalf("record %s", evs[0].Record)
			}
		})
	}
}

// slowPut also delays replacing a staged event by its complete record, so a
// CreateAccessKey answered before its complete record is stored shows.
func (s slowAppend) Put(ctx context.Context, evs ...*store.Event) error {
	time.Sleep(50 * time.Millisecond)
	return s.Events.Put(ctx, evs...)
}

// A new long-term access key is credentials too: the moment CreateAccessKey
// answers, its stored event names the key (the provisional event staged
// with the write could not: the key's ID is in the response), so a key that
// survives a crash can be traced to who created it.
func TestAuditCreateAccessKeyStoredBeforeTheAnswer(t *testing.T) {
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "mantle.db"))
	if err != nil {
		t.Fatal(err)
	}
	e := startStore(t, slowEvents{st}, dir, func(*server.Config) {})
	c := ctx(t)
	e.newUser("carol", allowDoc("sts:GetCallerIdentity", "*"))
	out := must[*iam.CreateAccessKeyOutput](t)(e.iam(e.root()).CreateAccessKey(c, &iam.CreateAccessKeyInput{UserName: aws.String("carol")}))
	key := aws.ToString(out.AccessKey.AccessKeyId)
	evs, err := st.Events().Lookup(c, store.EventQuery{AccountID: testAccount, Attribute: store.EventByName, Value: "CreateAccessKey"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if strings.Contains(string(ev.Record), key) {
			return
		}
	}
	t.Fatalf("no stored CreateAccessKey event names %s when it was handed out (%d events)", key, len(evs))
}
