package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/mantle-iam/mantle/internal/audit"
	"github.com/mantle-iam/mantle/internal/auth"
	"github.com/mantle-iam/mantle/internal/authz"
	"github.com/mantle-iam/mantle/internal/awsproto"
	"github.com/mantle-iam/mantle/internal/iam"
	"github.com/mantle-iam/mantle/internal/orgs"
	"github.com/mantle-iam/mantle/internal/secrets"
	"github.com/mantle-iam/mantle/internal/sigv4"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/sts"
	"github.com/mantle-iam/mantle/internal/sts/authmsg"
	"github.com/mantle-iam/mantle/internal/token"
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
	Log                 *slog.Logger
	// Out receives the first start's root-credentials snippet.
	Out io.Writer
	// Endpoint is the URL clients reach mantle at, for that snippet.
	Endpoint string
	Now      func() time.Time
	// AuditLog, when set, receives every audit record as a JSON line.
	AuditLog io.Writer
	// AuditRetention is how long events are kept; 90 days when zero.
	AuditRetention time.Duration
}

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
	if cfg.AccountID != "" && !auth.IsAccountID(cfg.AccountID) {
		return nil, fmt.Errorf("--account-id %q: an AWS account ID is 12 digits", cfg.AccountID)
	}
	if cfg.MasterKeyFile == "" {
		cfg.MasterKeyFile = filepath.Join(cfg.DataDir, "master.key")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	key, err := secrets.LoadOrCreateKey(cfg.MasterKeyFile)
	if err != nil {
		return nil, err
	}
	sealer, err := secrets.NewSealer(key)
	if err != nil {
		return nil, err
	}
	var ring *token.Ring
	err = exclusively(ctx, cfg.Store, "bootstrap", func(ctx context.Context) (err error) {
		ring, err = loadTokenRing(ctx, cfg.Store, sealer, cfg.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	az := authz.New(cfg.Now)
	svc := iam.New(iam.Config{Store: cfg.Store, Authorizer: az, Sealer: sealer, Now: cfg.Now})
	az.Policies = svc
	if f, ok := cfg.Store.(changeFeed); ok {
		f.OnChange(svc.RemoteChange)
	}

	codec, err := authmsg.NewCodec(deriveKey(key, "mantle authorization messages"))
	if err != nil {
		return nil, err
	}
	stsSvc := sts.New(sts.Config{
		Store: cfg.Store, Authorizer: az, Tokens: ring, MFA: svc, Generation: svc,
		RoleUse: svc, Messages: codec, Now: cfg.Now,
	})

	s := &Server{cfg: cfg, IAM: svc, STS: stsSvc, Tokens: ring, ready: make(chan struct{})}
	if err := exclusively(ctx, cfg.Store, "bootstrap", s.bootstrap); err != nil {
		return nil, err
	}
	s.usage = newKeyUsage(svc, cfg.Log)
	s.Audit = audit.NewRecorder(audit.RecorderConfig{
		Store: cfg.Store, Sink: cfg.AuditLog, Log: cfg.Log, Retention: cfg.AuditRetention, Now: cfg.Now,
	})
	stsActions := Operations(stsHandlers(stsSvc).Operations())
	s.Handler = &Handler{
		Auth: &SigV4Authenticator{
			Usage: s.usage,
			// IAM and STS bodies carry the action and its parameters: they
			// are always signed, never UNSIGNED-PAYLOAD.
			Verifier: sigv4.NewVerifier(sigv4.WithClock(cfg.Now), sigv4.WithUnsignedPayload(false)),
			Keys:     newCachedKeys(svc, svc),
			Tokens:   ring,
		},
		Query: []*QueryService{{
			Name: "iam", Version: "2010-05-08", Namespace: awsproto.IAMNamespace,
			Actions: Operations(iamHandlers(svc).Operations()),
			Admit:   admitIAM,
		}, {
			Name: "sts", Version: "2011-06-15", Namespace: awsproto.STSNamespace,
			Actions:  stsActions,
			Unsigned: UnsignedActions(stsActions, "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"),
		}},
		JSON: []*JSONService{{
			Name: "organizations", TargetPrefix: orgs.TargetPrefix,
			Operations: JSONOperations(orgsHandlers(orgs.New(orgs.Config{Store: cfg.Store, Authorizer: az, Provisioner: svc, Now: cfg.Now})).Operations()),
		}, {
			Name: "cloudtrail", TargetPrefix: audit.TargetPrefix,
			Operations: JSONOperations(cloudtrailHandlers(audit.NewService(cfg.Store, az, s.Audit)).Operations()),
		}},
		Audit:    s.Audit,
		Internal: s.internalMux(),
		Log:      cfg.Log,
		Now:      cfg.Now,
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

func (s *Server) internalMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_mantle/health", func(w http.ResponseWriter, r *http.Request) {
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
// prints the key once; later starts find the account and do nothing.
func (s *Server) bootstrap(ctx context.Context) error {
	if err := s.IAM.EnsureAWSManagedPolicies(ctx); err != nil {
		return fmt.Errorf("AWS managed policies: %w", err)
	}
	accounts, err := s.cfg.Store.Accounts().List(ctx)
	if err != nil {
		return err
	}
	if len(accounts) > 0 {
		s.AccountID = accounts[0].ID
		if s.cfg.AccountID != "" && s.cfg.AccountID != s.AccountID {
			s.cfg.Log.Warn("data directory already holds an account; --account-id ignored",
				"account", s.AccountID, "requested", s.cfg.AccountID)
		}
		return nil
	}
	id := s.cfg.AccountID
	if id == "" {
		id = auth.NewAccountID()
	}
	if err := s.IAM.EnsureAccount(ctx, id, "mantle", ""); err != nil {
		return err
	}
	s.AccountID = id
	keyID, secret := s.cfg.RootAccessKeyID, s.cfg.RootSecretAccessKey
	if keyID != "" || secret != "" {
		if keyID == "" || secret == "" {
			return errors.New("MANTLE_ROOT_ACCESS_KEY_ID and MANTLE_ROOT_SECRET_ACCESS_KEY must be set together")
		}
		return s.IAM.CreateRootAccessKey(ctx, id, keyID, secret)
	}
	keyID, secret, err = s.IAM.GenerateRootAccessKey(ctx, id)
	if err != nil {
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
	fmt.Fprintf(s.cfg.Out, "Created account %s. Its root credentials (also in %s):\n\n%s", id, path, creds)
	return nil
}

// Serve answers on l until ctx is done, then shuts down gracefully:
// in-flight requests finish (up to 30 s) before it returns.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelWarn),
	}
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return err
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		l = tls.NewListener(l, hs.TLSConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	close(s.ready)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	// Let background writes (RoleLastUsed) land before the store closes.
	s.STS.Wait()
	s.usage.wait()
	s.Audit.Close()
	return nil
}

// deriveKey derives a purpose-bound key from the master key, so no two uses
// share key material.
func deriveKey(master []byte, purpose string) []byte {
	h := hmac.New(sha256.New, master)
	h.Write([]byte(purpose))
	return h.Sum(nil)
}
