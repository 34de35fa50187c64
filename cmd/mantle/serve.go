package main

import (
	"context"
	"fmt"
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
		return sqlite.Open(ctx, filepath.Join(dataDir, "mantle.db"))
	},
	// Several nodes share one PostgreSQL database; libpq's environment
	// variables (PGHOST, PGPASSWORD, …) fill in what the DSN leaves out.
	"postgres": func(ctx context.Context, _, dsn string) (store.Store, error) {
		return postgres.Open(ctx, dsn)
	},
}

func newServeCmd() *cobra.Command {
	var cfg server.Config
	var backend, dsn, logFormat, auditLog string
	var workload workloadFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve IAM and STS on one endpoint",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()

			var h slog.Handler = slog.NewTextHandler(os.Stderr, nil)
			if logFormat == "json" {
				h = slog.NewJSONHandler(os.Stderr, nil)
			}
			cfg.Log = slog.New(h)
			cfg.Out = cmd.OutOrStdout()
			cfg.RootAccessKeyID = os.Getenv("MANTLE_ROOT_ACCESS_KEY_ID")
			cfg.RootSecretAccessKey = os.Getenv("MANTLE_ROOT_SECRET_ACCESS_KEY")

			if err := workload.check(); err != nil {
				return err
			}
			if cfg.UnsignedLimit.Rate <= 0 || cfg.UnsignedLimit.Burst < 1 {
				return fmt.Errorf("--federation-rate and --federation-burst must be positive")
			}
			switch auditLog {
			case "":
			case "-":
				cfg.AuditLog = cmd.OutOrStdout()
			default:
				f, err := os.OpenFile(auditLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
				if err != nil {
					return fmt.Errorf("--audit-log: %w", err)
				}
				defer f.Close()
				cfg.AuditLog = f
			}

			open, ok := backends[backend]
			if !ok {
				return fmt.Errorf("unknown --store %q", backend)
			}
			if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
				return err
			}
			st, err := open(ctx, cfg.DataDir, dsn)
			if err != nil {
				return fmt.Errorf("open store: %w", err)
			}
			defer st.Close()
			cfg.Store = st

			// Listen first so the printed endpoint has the real port.
			l, err := net.Listen("tcp", cfg.Addr)
			if err != nil {
				return err
			}
			scheme := "http"
			if cfg.TLSCert != "" {
				scheme = "https"
			}
			cfg.Endpoint = scheme + "://" + l.Addr().String()
			srv, err := server.New(ctx, cfg)
			if err != nil {
				l.Close()
				return err
			}
			stopWorkload, err := workload.start(ctx, srv, st, cfg.DataDir, cfg.Log)
			if err != nil {
				l.Close()
				return err
			}
			defer stopWorkload()
			cfg.Log.Info("mantle is serving", "endpoint", cfg.Endpoint, "account", srv.AccountID, "data", cfg.DataDir)
			return srv.Serve(ctx, l)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", "127.0.0.1:4599", "listen address")
	f.StringVar(&cfg.DataDir, "data", "./mantle-data", "data directory of the embedded store")
	f.StringVar(&cfg.AccountID, "account-id", "", "the first account's 12-digit ID (random when empty; used on the first start)")
	f.StringVar(&cfg.MasterKeyFile, "master-key-file", "", "file holding the 32-byte master key (default DATA/master.key)")
	f.StringVar(&cfg.TLSCert, "tls-cert", "", "TLS certificate file: serve HTTPS")
	f.StringVar(&cfg.TLSKey, "tls-key", "", "TLS private key file")
	f.StringVar(&backend, "store", "sqlite", "storage backend: sqlite, or postgres for several nodes sharing one database")
	f.StringVar(&dsn, "dsn", os.Getenv("MANTLE_DSN"), "database connection string for --store postgres (default $MANTLE_DSN)")
	f.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	workload.register(f)
	f.StringVar(&auditLog, "audit-log", "", "also append every CloudTrail event to this file as a JSON line (- for stdout)")
	f.DurationVar(&cfg.AuditRetention, "audit-retention", 0, "how long LookupEvents keeps events (default 2160h: CloudTrail's 90 days)")
	f.Float64Var(&cfg.UnsignedLimit.Rate, "federation-rate", 5, "unsigned federation calls (AssumeRoleWithWebIdentity/SAML) a second per source address, after the burst")
	f.IntVar(&cfg.UnsignedLimit.Burst, "federation-burst", 50, "unsigned federation calls a source address may make at once")
	return cmd
}
