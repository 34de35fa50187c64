package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/authz"
	"github.com/mantle-iam/mantle/internal/awsproto"
	"github.com/mantle-iam/mantle/internal/console"
	"github.com/mantle-iam/mantle/internal/iam"
	"github.com/mantle-iam/mantle/internal/metrics"
	"github.com/mantle-iam/mantle/internal/netlimit"
	"github.com/mantle-iam/mantle/internal/orgs"
	"github.com/mantle-iam/mantle/internal/secrets"
	"github.com/mantle-iam/mantle/internal/sigv4"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/sts"
	"github.com/mantle-iam/mantle/internal/sts/authmsg"
	"github.com/mantle-iam/mantle/internal/token"
	"github.com/mantle-iam/mantle/internal/webtoken"
)

// Config is what `mantle serve` and the integration tests configure.
type Config struct {
	Addr    string // listen address
	DataDir string
	// Store is the opened backend; the command chooses it.
	Store store.Store
	// AccountID is the first account's ID, used when the store is new; a
	// random one when empty.
	AccountID     string
	MasterKeyFile string // default DataDir/master.key
	TLSCert       string
	TLSKey        string
	// RootAccessKeyID and RootSecretAccessKey, when set on the first start,
	// become the first account's root key.
	RootAccessKeyID     string
	RootSecretAccessKey string
	// RootEmail and RootPassword, when set, are the root user's console
	// sign-in for an account without one (the first start's); generated
	// and printed once when empty.
	RootEmail    string
	RootPassword string
	Log          *slog.Logger
	// Out receives the first start's root-credentials snippet.
	Out io.Writer
	// Endpoint is the URL clients reach mantle at, for that snippet.
	Endpoint string
	Now      func() time.Time
	// AuditLog, when set, receives every audit record as a JSON line.
	AuditLog io.Writer
	// AuditRetention is how long events are kept; 90 days when zero.
	AuditRetention time.Duration
	// Listener bounds the API listener's connections and timeouts; zero
	// fields take netlimit's defaults.
	Listener netlimit.Config
	// UnsignedLimit bounds the unsigned calls (AssumeRoleWithWebIdentity,
	// AssumeRoleWithSAML) per source address; defaultUnsignedLimit when
	// zero.
	UnsignedLimit netlimit.RateLimit
	// DisableMetrics leaves GET /_mantle/metrics out and counts nothing
	// (the benchmarks compare both).
	DisableMetrics bool
	// AllowReset serves the reset (POST /_mantle/reset, mantle reset):
	// every user, role, policy, organization and event gone at once. For
	// the instances test suites share, never for one that matters.
	AllowReset bool
}

// defaultUnsignedLimit lets a host start dozens of workloads at once and
// refresh each one's credentials often, while an anonymous client adds at
// most a few events a second to the trail.
var defaultUnsignedLimit = netlimit.RateLimit{Rate: 5, Burst: 50}

// maxLimitedAddrs bounds the unsigned limiter's table (about 64 bytes an
// address).
const maxLimitedAddrs = 1 << 16

// Server is a configured mantle: services wired to one store, behind one
// HTTP handler.
type Server struct {
	cfg     Config
	Handler *Handler
	IAM     *iam.Service
	STS     *sts.Service
	Tokens  *token.Ring
	// AccountID is the first account's ID.
	AccountID string
	ready     chan struct{}
	usage     *keyUsage
	// Audit stores every call's CloudTrail event off the request path.
	Audit *audit.Recorder
	// Metrics is served at /_mantle/metrics; nil with DisableMetrics.
	Metrics *metrics.Registry
	// api is the API listener's server while Serve runs (its connections
	// are a metric).
	api atomic.Pointer[netlimit.Server]
	// backend is the store as the command opened it, before metrics
	// wrapped it.
	backend store.Store
	sealer  *secrets.Sealer
	// issuer serves the accounts' outbound web identity issuers.
	issuer *webtoken.Issuer
}

// Validate checks the configuration before anything is created or opened,
// so a start with a bad flag or variable leaves nothing behind. Each message
// names the flag or variable and says what to do.
func (c *Config) Validate() error {
	if c.AccountID != "" && !auth.IsAccountID(c.AccountID) {
		return fmt.Errorf("--account-id %q: an AWS account ID is 12 digits, e.g. 123456789012", c.AccountID)
	}
	switch id, secret := c.RootAccessKeyID, c.RootSecretAccessKey; {
	case (id == "") != (secret == ""):
		return errors.New("MANTLE_ROOT_ACCESS_KEY_ID and MANTLE_ROOT_SECRET_ACCESS_KEY go together: set both, or neither to have mantle generate the root key")
	case id != "":
		if err := iam.CheckRootKey(id, secret); err != nil {
			return fmt.Errorf("MANTLE_ROOT_ACCESS_KEY_ID/MANTLE_ROOT_SECRET_ACCESS_KEY: %w", err)
		}
	}
	if c.RootEmail != "" || c.RootPassword != "" {
		email, pw := c.RootEmail, c.RootPassword
		if email == "" {
			email = "root@example.com"
		}
		if pw == "" {
			pw = "Generated-1"
		}
		if err := iam.CheckRootLogin(email, pw); err != nil {
			return fmt.Errorf("MANTLE_ROOT_EMAIL/MANTLE_ROOT_PASSWORD: %w", err)
		}
	}
	switch {
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errors.New("--tls-cert and --tls-key go together: give both to serve HTTPS, or neither for HTTP")
	case c.TLSCert != "":
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			return fmt.Errorf("--tls-cert %s / --tls-key %s: %w", c.TLSCert, c.TLSKey, err)
		}
	}
	if err := CheckDir("--data", c.DataDir); err != nil {
		return err
	}
	keyFile, flag := c.MasterKeyFile, "--master-key-file"
	if keyFile == "" {
		keyFile, flag = filepath.Join(c.DataDir, "master.key"), "--data"
	}
	switch b, err := os.ReadFile(keyFile); {
	case errors.Is(err, fs.ErrNotExist):
		return CheckDir(flag, filepath.Dir(keyFile))
	case err != nil:
		return fmt.Errorf("%s: master key %s: %w", flag, keyFile, err)
	case len(b) != secrets.KeySize:
		return fmt.Errorf("%s: master key %s holds %d bytes, want %d (e.g. head -c %d /dev/urandom)", flag, keyFile, len(b), secrets.KeySize, secrets.KeySize)
	}
	return nil
}

// CheckDir checks that dir can be read and written, or created, without
// creating it: the nearest existing ancestor must be a writable directory.
// Writability is probed with a temporary file, which also catches read-only
// file systems.
func CheckDir(flag, dir string) error {
	if dir == "" {
		return fmt.Errorf("%s: a directory is required", flag)
	}
	fail := func(err error) error {
		return fmt.Errorf("%s %s: %w: choose a directory mantle can read and write, or fix its permissions", flag, dir, err)
	}
	at := dir
	for {
		fi, err := os.Stat(at)
		if errors.Is(err, fs.ErrNotExist) && filepath.Dir(at) != at {
			at = filepath.Dir(at)
			continue
		}
		if err != nil {
			return fail(err)
		}
		if !fi.IsDir() {
			return fail(fmt.Errorf("%s is not a directory", at))
		}
		break
	}
	if at == dir {
		if _, err := os.ReadDir(dir); err != nil {
			return fail(err)
		}
	}
	f, err := os.CreateTemp(at, ".mantle-probe-*")
	if err != nil {
		return fail(err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// New wires mantle's services and bootstraps a new store: the first account,
// its root key, the session-token signing key, the AWS managed policies.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.UnsignedLimit.Rate <= 0 || cfg.UnsignedLimit.Burst <= 0 {
		cfg.UnsignedLimit = defaultUnsignedLimit
	}
	if cfg.MasterKeyFile == "" {
		cfg.MasterKeyFile = filepath.Join(cfg.DataDir, "master.key")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	// The previous keys are there when a master key rotation was cut
	// short: the secrets it had not re-sealed yet open under them.
	key, previous, err := secrets.LoadKeys(cfg.MasterKeyFile)
	if err != nil {
		return nil, err
	}
	sealer, err := secrets.NewSealer(key, previous...)
	if err != nil {
		return nil, err
	}
	backend := cfg.Store
	var m *metrics.Registry
	if !cfg.DisableMetrics {
		m = metrics.New()
		cfg.Store = m.Store(cfg.Store)
	}
	var ring *token.Ring
	err = cfg.Store.Lock(ctx, "bootstrap", func(ctx context.Context) (err error) {
		ring, err = loadTokenRing(ctx, cfg.Store, sealer, cfg.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	az := authz.New(cfg.Now)
	issuer := webtoken.New(cfg.Store, sealer, cfg.Endpoint)
	svc := iam.New(iam.Config{Store: cfg.Store, Authorizer: az, Sealer: sealer, Now: cfg.Now, Issuer: issuer})
	az.Policies = svc
	orgsSvc := orgs.New(orgs.Config{Store: cfg.Store, Authorizer: az, Provisioner: svc, Now: cfg.Now})
	az.Orgs = orgsSvc

	codec, err := authmsg.NewCodec(deriveKey(key, "mantle authorization messages"))
	if err != nil {
		return nil, err
	}
	rec := audit.NewRecorder(audit.RecorderConfig{
		Store: cfg.Store, Sink: cfg.AuditLog, Log: cfg.Log, Retention: cfg.AuditRetention, Now: cfg.Now,
	})
	stsSvc := sts.New(sts.Config{
		Store: cfg.Store, Authorizer: az, Tokens: ring, MFA: svc, Generation: svc,
		RoleUse: svc, Messages: codec, Audit: rec, Issuer: issuer, Now: cfg.Now,
	})

	s := &Server{cfg: cfg, IAM: svc, STS: stsSvc, Tokens: ring, Audit: rec, issuer: issuer, ready: make(chan struct{}), Metrics: m, backend: backend, sealer: sealer}
	if err := cfg.Store.Lock(ctx, "bootstrap", func(ctx context.Context) error {
		if err := s.bootstrap(ctx); err != nil {
			return err
		}
		return s.ensureRootLogin(ctx)
	}); err != nil {
		rec.Close()
		return nil, err
	}
	s.usage = newKeyUsage(svc, cfg.Log)
	keys := newCachedKeys(svc, cfg.Store)
	stsActions := Operations(stsHandlers(stsSvc).Operations())
	authn := &SigV4Authenticator{
		Usage: s.usage,
		// The bodies of the services mantle serves carry the action
		// and its parameters: the signature always covers the body
		// received, whatever X-Amz-Content-Sha256 says (no S3 here).
		Verifier: sigv4.NewVerifier(sigv4.WithClock(cfg.Now), sigv4.WithPayloadHashHeader()),
		Keys:     keys,
		Tokens:   ring,
	}
	trail := cloudtrailHandlers(audit.NewService(cfg.Store, az, s.Audit))
	iamOps := iamHandlers(svc)
	orgsOps := orgsHandlers(orgsSvc)
	s.Handler = &Handler{
		Auth: authn,
		Query: []*QueryService{{
			Name: "iam", Version: "2010-05-08", Namespace: awsproto.IAMNamespace,
			Actions: Operations(iamOps.Operations()),
			Admit:   admitIAM,
		}, {
			Name: "sts", Version: "2011-06-15", Namespace: awsproto.STSNamespace,
			Actions:  stsActions,
			Unsigned: UnsignedActions(stsActions, "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"),
		}},
		JSON: []*JSONService{{
			Name: "organizations", TargetPrefix: orgs.TargetPrefix,
			Operations: JSONOperations(orgsOps.Operations()),
		}, {
			Name: "cloudtrail", TargetPrefix: audit.TargetPrefix,
			Operations: JSONOperations(trail.Operations()),
		}, authorizationService(newRequestAuthorizer(authn, az, cfg.UnsignedLimit))},
		Audit:    s.Audit,
		Current:  cfg.Store.Current,
		Unsigned: netlimit.NewPerAddress(cfg.UnsignedLimit, maxLimitedAddrs, nil),
		Internal: s.internalMux(),
		Console:  console.New(console.Config{SignIn: svc, IAM: iamOps, Orgs: orgsOps, Trail: trail, STS: stsSvc, Tokens: ring, Audit: rec, Now: cfg.Now, Log: cfg.Log}),
		Log:      cfg.Log,
		Now:      cfg.Now,
	}
	if m != nil {
		s.instrument(m, az, keys)
	}
	return s, nil
}

// admitIAM applies AWS's rules for temporary credentials on IAM: a
// GetSessionToken session may call IAM only if it was obtained with MFA, and
// a GetFederationToken session never may. AWS answers both as an invalid
// token, not as a policy denial.
func admitIAM(c *auth.Caller) error {
	if (c.SessionToken && !c.MFA) || c.Kind == auth.KindFederatedUser {
		return invalidToken()
	}
	return nil
}

const (
	healthPath  = "/_mantle/health"
	metricsPath = "/_mantle/metrics"
	resetPath   = "/_mantle/reset"
)

func (s *Server) internalMux() http.Handler {
	mux := http.NewServeMux()
	if s.Metrics != nil {
		mux.Handle("GET "+metricsPath, s.Metrics.Handler())
	}
	if s.cfg.AllowReset {
		mux.HandleFunc("POST "+resetPath, s.serveReset)
	}
	mux.Handle("GET "+webtoken.PathPrefix, s.issuer)
	mux.HandleFunc("GET "+healthPath, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-s.ready:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintln(w, `{"status":"ok"}`)
		default:
			http.Error(w, `{"status":"starting"}`, http.StatusServiceUnavailable)
		}
	})
	return mux
}

// bootstrap creates the first account and its root key on a new store and
// prints the key once; later starts find the account and do nothing else.
//
// Every step is idempotent or atomic, so a first start that fails half-way
// is completed by the next: the token ring and the managed policies are
// ensured, and the account is created together with its root key in one
// transaction. A generated key is saved to DATA/root-credentials before that
// transaction commits, so a committed key is never one nobody was told.
func (s *Server) bootstrap(ctx context.Context) error {
	if err := s.IAM.EnsureAWSManagedPolicies(ctx); err != nil {
		return fmt.Errorf("AWS managed policies: %w", err)
	}
	accounts, err := s.cfg.Store.Accounts().List(ctx)
	if err != nil {
		return err
	}
	if first := firstAccount(accounts); first != nil {
		s.AccountID = first.ID
		if s.cfg.AccountID != "" && s.cfg.AccountID != s.AccountID {
			s.cfg.Log.Warn("data directory already holds an account; --account-id ignored",
				"account", s.AccountID, "requested", s.cfg.AccountID)
		}
		return s.repairRootKey(ctx)
	}
	id := s.cfg.AccountID
	if id == "" {
		id = auth.NewAccountID()
	}
	keyID, secret := s.cfg.RootAccessKeyID, s.cfg.RootSecretAccessKey
	if keyID != "" {
		if err := s.IAM.BootstrapAccount(ctx, id, "mantle", keyID, secret); err != nil {
			return err
		}
		s.AccountID = id
		return nil
	}
	if keyID, secret, err = s.IAM.NewRootKey(); err != nil {
		return err
	}
	// Both region variables: AWS CLI v1 and boto3 read AWS_DEFAULT_REGION,
	// the v2 CLI and the other SDKs AWS_REGION.
	creds := fmt.Sprintf("export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_REGION=us-east-1\nexport AWS_DEFAULT_REGION=us-east-1\n", keyID, secret)
	if s.cfg.Endpoint != "" {
		creds += "export AWS_ENDPOINT_URL=" + s.cfg.Endpoint + "\n"
	}
	path := filepath.Join(s.cfg.DataDir, "root-credentials")
	if err := os.WriteFile(path, []byte(creds), 0o600); err != nil {
		return err
	}
	if err := s.IAM.BootstrapAccount(ctx, id, "mantle", keyID, secret); err != nil {
		// Not committed: the file must not name a key that does not exist.
		_ = os.Remove(path)
		return err
	}
	s.AccountID = id
	fmt.Fprintf(s.cfg.Out, "Created account %s. Its root credentials (also in %s):\n\n%s", id, path, creds)
	return nil
}

// firstAccount is the account the first start created. Every other account
// is created by Organizations' CreateAccount (JoinedMethod CREATED), and
// has a later CreatedAt: the lowest ID alone would make a member account
// "the account" after a restart, and the workload endpoints would look for
// their role in it.
func firstAccount(accounts []*store.Account) *store.Account {
	var first *store.Account
	for _, a := range accounts { // ordered by ID: ties keep the lowest
		if a.JoinedMethod == "CREATED" {
			continue
		}
		if first == nil || a.CreatedAt.Before(first.CreatedAt) {
			first = a
		}
	}
	return first
}

// ensureRootLogin gives the account's root user an email and console
// password when it has none: a new account, or one created before the
// console had root sign-in. MANTLE_ROOT_EMAIL and MANTLE_ROOT_PASSWORD
// choose them; otherwise they are generated, appended to
// DATA/root-credentials before the change commits (so a committed password
// is never one nobody was told) and printed once. Only the hash is stored.
func (s *Server) ensureRootLogin(ctx context.Context) error {
	a, err := s.cfg.Store.Accounts().Get(ctx, s.AccountID)
	if err != nil || a.RootPasswordHash != "" {
		return err
	}
	genEmail, genPassword, err := s.IAM.NewRootLogin(s.AccountID)
	if err != nil {
		return err
	}
	email, password := s.cfg.RootEmail, s.cfg.RootPassword
	if email == "" {
		email = a.Email
	}
	if email == "" {
		email = genEmail
	}
	generated := password == ""
	if generated {
		password = genPassword
	}
	var saved []byte
	oldLen := 0
	path := filepath.Join(s.cfg.DataDir, "root-credentials")
	if generated {
		old, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		oldLen = len(old)
		saved = fmt.Appendf(old, "# The console's root user (%s/console):\nexport MANTLE_ROOT_EMAIL=%s\nexport MANTLE_ROOT_PASSWORD=%s\n", s.cfg.Endpoint, shellQuote(email), shellQuote(password))
		if err := os.WriteFile(path, saved, 0o600); err != nil {
			return err
		}
	}
	set, err := s.IAM.SetRootLogin(ctx, s.AccountID, email, password)
	if err != nil || !set {
		if generated { // not committed: the file must not name it
			_ = os.WriteFile(path, saved[:oldLen], 0o600)
		}
		return err
	}
	if generated {
		fmt.Fprintf(s.cfg.Out, "\nThe root user signs in to the console at %s/console with\n  email:    %s\n  password: %s\n(also in %s)\n", s.cfg.Endpoint, email, password, path)
	} else {
		fmt.Fprintf(s.cfg.Out, "\nThe root user signs in to the console at %s/console as %s with MANTLE_ROOT_PASSWORD.\n", s.cfg.Endpoint, email)
	}
	return nil
}

// shellQuote quotes v for a POSIX shell.
func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// repairRootKey completes a store that an earlier version bootstrapped
// half-way (the account created, its root key refused): when the first
// account has no root key at all and the root-key variables are set, they
// are imported. A root key deleted on purpose stays deleted unless the
// variables ask for one again.
func (s *Server) repairRootKey(ctx context.Context) error {
	if s.cfg.RootAccessKeyID == "" {
		return nil
	}
	keys, err := s.cfg.Store.AccessKeys().ListForUser(ctx, s.AccountID, "")
	if err != nil || len(keys) > 0 {
		return err
	}
	if err := s.IAM.CreateRootAccessKey(ctx, s.AccountID, s.cfg.RootAccessKeyID, s.cfg.RootSecretAccessKey); err != nil {
		return err
	}
	s.cfg.Log.Warn("account had no root access key: imported MANTLE_ROOT_ACCESS_KEY_ID", "account", s.AccountID, "access_key_id", s.cfg.RootAccessKeyID)
	return nil
}

// Serve answers on l until ctx is done, with every resource a client can
// hold bounded (Config.Listener), then shuts down: in-flight requests get a
// few seconds, then every connection still open is cut. Whatever happened,
// background writes land and the audit queue drains before it returns, so
// the store can be closed.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	lc := s.cfg.Listener
	lc.Name, lc.Log, lc.Priority = "api", s.cfg.Log, isHealthCheck
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return err
		}
		lc.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if s.cfg.Endpoint == "" {
		// Issuer URLs name the listener when the command gave no endpoint.
		scheme := "http"
		if lc.TLS != nil {
			scheme = "https"
		}
		s.issuer.SetBase(scheme + "://" + l.Addr().String())
	}
	adminCtx, stopAdmin := context.WithCancel(ctx)
	waitAdmin := s.serveAdmin(adminCtx)
	close(s.ready)
	api := netlimit.New(s.Handler, lc)
	s.api.Store(api)
	err := api.Serve(ctx, l)
	stopAdmin()
	waitAdmin()
	// Let background writes (RoleLastUsed) land before the store closes.
	s.STS.Wait()
	s.usage.wait()
	s.Audit.Close()
	return err
}

// Ready is closed once Serve has set up everything it serves (the admin
// socket included) and is about to accept requests.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// isHealthCheck reports the requests a connection admitted beyond the
// bound may make: health checks must answer however loaded the server is.
func isHealthCheck(r *http.Request) bool { return r.URL.Path == healthPath }

// deriveKey derives a purpose-bound key from the master key, so no two uses
// share key material.
func deriveKey(master []byte, purpose string) []byte {
	h := hmac.New(sha256.New, master)
	h.Write([]byte(purpose))
	return h.Sum(nil)
}
