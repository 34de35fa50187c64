package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/mantle-iam/mantle/internal/gate"
	"github.com/mantle-iam/mantle/internal/netlimit"
)

// gateOptions are `mantle gate`'s flags.
type gateOptions struct {
	listen, mantle, region, account string
	upstream, apiID, stage, policy  string
	configFile                      string
	authRequest                     bool
	tlsCert, tlsKey                 string
	logFormat                       string
}

// routeConfig is one route of --config's file.
type routeConfig struct {
	APIID          string `json:"apiId"`
	Stage          string `json:"stage"`
	Upstream       string `json:"upstream"`
	Region         string `json:"region"`
	Account        string `json:"account"`
	ResourcePolicy string `json:"resourcePolicy"`
}

func newGateCmd() *cobra.Command {
	var o gateOptions
	cmd := &cobra.Command{
		Use:   "gate",
		Short: "Put IAM authorization in front of an HTTP API, as API Gateway does",
		Long: `gate is a reverse proxy that admits only SigV4-signed requests (service
execute-api) whose signer may perform execute-api:Invoke on
arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH, as mantle decides
with the signer's policies and the API's resource policy. Allowed requests
go to the upstream with the stage dropped and the caller's identity in
X-Mantle-* headers; refused ones get API Gateway's 403 answers.

The gate authenticates to mantle with the usual AWS credentials
(AWS_ACCESS_KEY_ID, AWS_PROFILE, …), which need mantle:AuthorizeRequest on
the APIs' ARNs. The API belongs to --account, by default that of those
credentials. Several APIs: --config FILE, a JSON document
{"routes":[{"apiId","stage","upstream","region","account","resourcePolicy"}]}.
The resource policy file is reloaded when it changes (and on SIGHUP).
An https --mantle with its own certificate is trusted through AWS_CA_BUNDLE.
See docs/gate.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			routes, err := o.routes()
			if err != nil {
				return usageError{err}
			}
			if (o.tlsCert == "") != (o.tlsKey == "") {
				return usagef("--tls-cert and --tls-key go together")
			}
			if _, _, err := net.SplitHostPort(o.listen); err != nil {
				return usagef("--listen %q: %v: use HOST:PORT", o.listen, err)
			}
			if o.logFormat != "text" && o.logFormat != "json" {
				return usagef("--log-format %q: use text or json", o.logFormat)
			}
			if u, err := url.Parse(o.mantle); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return usagef("--mantle %q: mantle's endpoint URL, e.g. http://127.0.0.1:4599", o.mantle)
			}
			var log *slog.Logger
			if o.logFormat == "json" {
				log = slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), nil))
			} else {
				log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			}

			awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(o.region))
			if err != nil {
				return fmt.Errorf("the gate's AWS credentials: %w", err)
			}
			account := o.account
			for _, rc := range routes {
				if rc.Account == "" && account == "" {
					// The API is the account's whose credentials run the gate.
					id, err := sts.NewFromConfig(awsCfg, func(so *sts.Options) { so.BaseEndpoint = aws.String(o.mantle) }).
						GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
					if err != nil {
						return fmt.Errorf("finding the gate's account (or give --account): %w", err)
					}
					account = aws.ToString(id.Account)
				}
			}
			var rs []*gate.Route
			for _, rc := range routes {
				rt := &gate.Route{APIID: rc.APIID, Stage: rc.Stage, Region: rc.Region, Account: rc.Account}
				if rt.Region == "" {
					rt.Region = o.region
				}
				if rt.Account == "" {
					rt.Account = account
				}
				if rc.Upstream != "" {
					if rt.Upstream, err = url.Parse(rc.Upstream); err != nil {
						return usagef("upstream %q: %v", rc.Upstream, err)
					}
				}
				if rc.ResourcePolicy != "" {
					if rt.Policy, err = gate.LoadPolicyFile(rc.ResourcePolicy, rt.Region, rt.Account, rt.APIID); err != nil {
						return usagef("resource policy: %v", err)
					}
				}
				rs = append(rs, rt)
			}
			client := gate.NewClient(o.mantle, o.region, awsCfg.Credentials)
			if bundle := os.Getenv("AWS_CA_BUNDLE"); bundle != "" {
				// mantle served with its own certificate (--tls-cert):
				// trusted as the SDKs trust it.
				pem, err := os.ReadFile(bundle)
				if err != nil {
					return usagef("AWS_CA_BUNDLE: %v", err)
				}
				pool := x509.NewCertPool()
				if !pool.AppendCertsFromPEM(pem) {
					return usagef("AWS_CA_BUNDLE %s: no PEM certificate", bundle)
				}
				client.HTTP.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
			}
			g, err := gate.New(gate.Config{
				Routes:      rs,
				Authorizer:  client,
				AuthRequest: o.authRequest,
				Log:         log,
			})
			if err != nil {
				return usageError{err}
			}
			lc := netlimit.Config{Name: "gate", Log: log}
			if o.tlsCert != "" {
				cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
				if err != nil {
					return usagef("--tls-cert/--tls-key: %v", err)
				}
				lc.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			}
			l, err := net.Listen("tcp", o.listen)
			if err != nil {
				return fmt.Errorf("--listen: %w", err)
			}
			go g.Run(ctx)
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			go func() {
				for {
					select {
					case <-ctx.Done():
						return
					case <-hup:
						g.Reload()
					}
				}
			}()
			log.Info("mantle gate is serving", "listen", l.Addr().String(), "mantle", o.mantle, "routes", len(rs), "auth_request", o.authRequest)
			err = netlimit.Serve(ctx, l, g, lc)
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:8080", "listen address")
	f.StringVar(&o.upstream, "upstream", "", "the API's upstream URL, e.g. http://127.0.0.1:9000")
	f.StringVar(&o.apiID, "api-id", "", "the API's ID, as in its ARN")
	f.StringVar(&o.stage, "stage", "prod", "the stage: the first segment of every request path")
	f.StringVar(&o.policy, "resource-policy", "", "file holding the API's resource policy (reloaded when it changes)")
	f.StringVar(&o.configFile, "config", "", "JSON file of routes, instead of --upstream/--api-id/--stage/--resource-policy")
	f.StringVar(&o.mantle, "mantle", envOr("AWS_ENDPOINT_URL", "http://127.0.0.1:4599"), "mantle's endpoint (default $AWS_ENDPOINT_URL)")
	f.StringVar(&o.region, "region", envOr("AWS_REGION", "us-east-1"), "the API's region (default $AWS_REGION)")
	f.StringVar(&o.account, "account", "", "the account owning the API (default: the account of the gate's credentials)")
	f.BoolVar(&o.authRequest, "auth-request", false, "answer nginx auth_request subrequests instead of proxying (see docs/gate.md)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file: serve HTTPS, so aws:SecureTransport is true (with --tls-key)")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS private key file (with --tls-cert)")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	return cmd
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// routes are the flags' route or the config file's.
func (o *gateOptions) routes() ([]routeConfig, error) {
	if o.configFile != "" {
		if o.upstream != "" || o.apiID != "" || o.policy != "" {
			return nil, errors.New("--config lists the routes: leave out --upstream, --api-id and --resource-policy")
		}
		b, err := os.ReadFile(o.configFile)
		if err != nil {
			return nil, fmt.Errorf("--config: %w", err)
		}
		var c struct {
			Routes []routeConfig `json:"routes"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("--config %s: %w", o.configFile, err)
		}
		if len(c.Routes) == 0 {
			return nil, fmt.Errorf("--config %s: no routes", o.configFile)
		}
		return c.Routes, nil
	}
	if o.apiID == "" {
		return nil, errors.New("--api-id is required (or --config FILE)")
	}
	if o.upstream == "" && !o.authRequest {
		return nil, errors.New("--upstream URL is required (or --auth-request for nginx)")
	}
	return []routeConfig{{APIID: o.apiID, Stage: o.stage, Upstream: o.upstream, Account: o.account, ResourcePolicy: o.policy}}, nil
}
