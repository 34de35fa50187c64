package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mantle-iam/mantle/internal/server"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/postgres"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
)

// backends is the explicit list of stores `serve --store` accepts.
var backends = map[string]func(ctx context.Context, dataDir, dsn string) (store.Store, error){
	"sqlite": func(ctx context.Context, dataDir, _ string) (store.Store, error) {
		path := filepath.Join(dataDir, "mantle.db")
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return st, nil
	},
	// Several nodes share one PostgreSQL database; libpq's environment
	// variables (PGHOST, PGPASSWORD, …) fill in what the DSN leaves out.
	"postgres": func(ctx context.Context, _, dsn string) (store.Store, error) {
		return postgres.Open(ctx, dsn)
	},
}

// serveOptions are serve's flags beyond server.Config.
type serveOptions struct {
	cfg                server.Config
	backend, dsn       string
	logFormat, logFile string
	logRequests        bool
	auditLog           string
	workload           workloadFlags
	ops                opsFlags
	dsnGiven           bool
}

// check validates every flag and variable before anything is created,
// opened or listened on: a refused start leaves nothing behind.
func (o *serveOptions) check() error {
	if o.logFormat != "text" && o.logFormat != "json" {
		return fmt.Errorf("--log-format %q: use text or json", o.logFormat)
	}
	if _, _, err := net.SplitHostPort(o.cfg.Addr); err != nil {
		return fmt.Errorf("--addr %q: %v: use HOST:PORT, e.g. 127.0.0.1:4599", o.cfg.Addr, err)
	}
	switch _, ok := backends[o.backend]; {
	case !ok:
		return fmt.Errorf("--store %q: use sqlite (embedded) or postgres (several nodes)", o.backend)
	case o.backend == "postgres" && o.dsn == "":
		return errors.New("--store postgres needs a connection string: --dsn postgres://USER@HOST:5432/DB (or set MANTLE_DSN)")
	case o.backend != "postgres" && o.dsnGiven:
		return errors.New("--dsn is for --store postgres; the sqlite store lives in --data")
	}
	if l := o.cfg.UnsignedLimit; l.Rate <= 0 || l.Burst < 1 {
		return fmt.Errorf("--federation-rate %g / --federation-burst %d: give a positive rate (calls a second) and burst, e.g. 5 and 50", l.Rate, l.Burst)
	}
	if o.cfg.AuditRetention < 0 {
		return fmt.Errorf("--audit-retention %s: give a positive duration, e.g. 2160h", o.cfg.AuditRetention)
	}
	for flag, path := range map[string]string{"--log-file": o.logFile, "--audit-log": o.auditLog} {
		if path == "" || path == "-" {
			continue
		}
		// The file is created, its directory is not.
		if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
			return fmt.Errorf("%s %s: no directory %s: create it or choose another file", flag, path, filepath.Dir(path))
		}
		if err := server.CheckDir(flag, filepath.Dir(path)); err != nil {
			return err
		}
	}
	if err := o.workload.check(); err != nil {
		return err
	}
	if err := o.ops.check(); err != nil {
		return err
	}
	if err := o.cfg.Validate(); err != nil {
		return err
	}
	if o.backend == "sqlite" {
		// The directory may be fine and the database file not (another
		// user's, read-only): the driver would say only "unable to open
		// database file".
		db := filepath.Join(o.cfg.DataDir, "mantle.db")
		if f, err := os.OpenFile(db, os.O_RDWR, 0); err == nil {
			f.Close()
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("--data %s: %w: mantle must read and write it", o.cfg.DataDir, err)
		}
	}
	return nil
}

// logger builds serve's logger. The terminal gets start-up messages,
// warnings and errors; per-request lines go to --log-file, and to the
// terminal only with --log-requests, so they do not interleave with what a
// user types next to a backgrounded mantle.
func (o *serveOptions) logger(stderr io.Writer) (*slog.Logger, func() error, error) {
	newHandler := func(w io.Writer) slog.Handler {
		if o.logFormat == "json" {
			return slog.NewJSONHandler(w, nil)
		}
		return slog.NewTextHandler(w, nil)
	}
	var h slog.Handler = newHandler(stderr)
	if !o.logRequests {
		h = withoutRequests{h}
	}
	if o.logFile == "" {
		return slog.New(h), func() error { return nil }, nil
	}
	f, err := os.OpenFile(o.logFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("--log-file: %w", err)
	}
	return slog.New(slog.NewMultiHandler(h, newHandler(f))), f.Close, nil
}

// withoutRequests drops the per-request lines (internal/server logs each
// request as "request"), keeping those of requests that failed inside
// mantle (level Error).
type withoutRequests struct{ slog.Handler }

func (h withoutRequests) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "request" && r.Level < slog.LevelError {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h withoutRequests) WithAttrs(as []slog.Attr) slog.Handler {
	return withoutRequests{h.Handler.WithAttrs(as)}
}

func (h withoutRequests) WithGroup(name string) slog.Handler {
	return withoutRequests{h.Handler.WithGroup(name)}
}

func newServeCmd() *cobra.Command {
	var o serveOptions
	cfg := &o.cfg
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve IAM and STS on one endpoint",
		Long: `serve runs mantle: IAM, STS, Organizations and CloudTrail on one endpoint.

The first start creates an account and prints its root credentials (also
saved to DATA/root-credentials, mode 0600); set MANTLE_ROOT_ACCESS_KEY_ID and
MANTLE_ROOT_SECRET_ACCESS_KEY (both) before it to choose the root key, and
MANTLE_ROOT_EMAIL and MANTLE_ROOT_PASSWORD to choose the root user's console
sign-in (generated, printed and saved there too otherwise). Every
flag is checked before anything is created: a refused start exits with
status 2 and leaves nothing behind.

GET /_mantle/health answers 200 once mantle is ready.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()

			cfg.Out = cmd.OutOrStdout()
			cfg.RootAccessKeyID = os.Getenv("MANTLE_ROOT_ACCESS_KEY_ID")
			cfg.RootSecretAccessKey = os.Getenv("MANTLE_ROOT_SECRET_ACCESS_KEY")
			cfg.RootEmail = os.Getenv("MANTLE_ROOT_EMAIL")
			cfg.RootPassword = os.Getenv("MANTLE_ROOT_PASSWORD")
			o.dsnGiven = cmd.Flags().Changed("dsn")
			if err := o.check(); err != nil {
				return usageError{err}
			}

			log, closeLog, err := o.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer closeLog()
			cfg.Log = log
			switch o.auditLog {
			case "":
			case "-":
				cfg.AuditLog = cmd.OutOrStdout()
			default:
				f, err := os.OpenFile(o.auditLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
				if err != nil {
					return fmt.Errorf("--audit-log: %w", err)
				}
				defer f.Close()
				cfg.AuditLog = f
			}

			// Listen before the data directory is touched: a taken port
			// leaves no new store behind. The printed endpoint then has the
			// real port too.
			l, err := net.Listen("tcp", cfg.Addr)
			if err != nil {
				return fmt.Errorf("--addr: %w", err)
			}
			if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
				l.Close()
				return err
			}
			st, err := backends[o.backend](ctx, cfg.DataDir, o.dsn)
			if err != nil {
				l.Close()
				return fmt.Errorf("open store: %w", err)
			}
			defer st.Close()
			cfg.Store = st

			scheme := "http"
			if cfg.TLSCert != "" {
				scheme = "https"
			}
			cfg.Endpoint = scheme + "://" + l.Addr().String()
			o.ops.configure(cfg)
			srv, err := server.New(ctx, *cfg)
			if err != nil {
				l.Close()
				return err
			}
			if err := o.ops.applyInit(ctx, srv, cfg.Log); err != nil {
				l.Close()
				return err
			}
			stopWorkload, err := o.workload.start(ctx, srv, st, cfg.DataDir, cfg.Log)
			if err != nil {
				l.Close()
				return err
			}
			defer stopWorkload()
			stopPprof, err := o.ops.startPprof(ctx, cfg.Log)
			if err != nil {
				l.Close()
				return err
			}
			defer stopPprof()
			cfg.Log.Info("mantle is serving", "endpoint", cfg.Endpoint, "console", cfg.Endpoint+"/console/"+srv.AccountID, "account", srv.AccountID, "data", cfg.DataDir)
			return srv.Serve(ctx, l)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", "127.0.0.1:4599", "listen address")
	f.StringVar(&cfg.DataDir, "data", "./mantle-data", "data directory of the embedded store")
	f.StringVar(&cfg.AccountID, "account-id", "", "the first account's 12-digit ID (random when empty; used on the first start)")
	f.StringVar(&cfg.MasterKeyFile, "master-key-file", "", "file holding the 32-byte master key (default DATA/master.key)")
	f.StringVar(&cfg.TLSCert, "tls-cert", "", "TLS certificate file: serve HTTPS (with --tls-key)")
	f.StringVar(&cfg.TLSKey, "tls-key", "", "TLS private key file (with --tls-cert)")
	f.StringVar(&o.backend, "store", "sqlite", "storage backend: sqlite, or postgres for several nodes sharing one database")
	f.StringVar(&o.dsn, "dsn", os.Getenv("MANTLE_DSN"), "database connection string for --store postgres (default $MANTLE_DSN)")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&o.logFile, "log-file", "", "append every log line, one per request included, to this file")
	f.BoolVar(&o.logRequests, "log-requests", false, "also print one line per request on standard error")
	o.workload.register(f)
	o.ops.register(f)
	f.StringVar(&o.auditLog, "audit-log", "", "also append every CloudTrail event to this file as a JSON line (- for stdout)")
	f.DurationVar(&cfg.AuditRetention, "audit-retention", 0, "how long LookupEvents keeps events (default 2160h: CloudTrail's 90 days)")
	f.Float64Var(&cfg.UnsignedLimit.Rate, "federation-rate", 5, "unsigned federation calls (AssumeRoleWithWebIdentity/SAML) a second per source address, after the burst")
	f.IntVar(&cfg.UnsignedLimit.Burst, "federation-burst", 50, "unsigned federation calls a source address may make at once")
	return cmd
}
