package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/spf13/cobra"

	"github.com/mantle-iam/mantle/internal/imds"
)

// exitError ends the process with a status and nothing more to print: the
// child's status, or the AWS CLI's 254 after an error it already printed.
type exitError struct{ code int }

func (e exitError) Error() string { return "exit status " + strconv.Itoa(e.code) }

// cliErrorStatus is the status the AWS CLI (v2) exits with after a service
// error.
const cliErrorStatus = 254

type execOptions struct {
	roleArn, sessionName, externalID, serial, tokenCode, endpoint, region, profile string
	duration                                                                       time.Duration
	refresh                                                                        bool
}

func newExecCmd() *cobra.Command {
	var o execOptions
	cmd := &cobra.Command{
		Use:   "exec --role-arn ARN [flags] -- PROGRAM [ARG...]",
		Short: "Run a program with a role's temporary credentials",
		Long: `exec assumes a role with the credentials the AWS SDK finds (environment,
shared config and credentials files, AWS_PROFILE or --profile) and runs
PROGRAM with the role's
credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
AWS_CREDENTIAL_EXPIRATION. Signals are forwarded to PROGRAM and exec exits
with its status.

With --refresh the credentials are instead served to PROGRAM through a
container credentials endpoint on a loopback port
(AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN), and
the role is assumed again before they expire, so a long-running program's SDK
refreshes them by itself. With MFA and --refresh, exec first obtains an MFA
session (GetSessionToken, 12 hours) and assumes the role with it, so the role
can be assumed again without a new code; each role session then lasts at most
an hour, as for any session assumed with temporary credentials.

mantle's endpoint must be given: --endpoint-url, AWS_ENDPOINT_URL_STS,
AWS_ENDPOINT_URL, or endpoint_url in the profile. Without one exec refuses
to run rather than send the request, signed with your key, to AWS itself.
PROGRAM gets the endpoint in AWS_ENDPOINT_URL unless that is set already.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 0 {
				return usagef("put the program after --: mantle exec --role-arn ARN -- PROGRAM [ARG...]")
			}
			if o.roleArn == "" {
				return usagef("--role-arn ARN is required: the role to assume")
			}
			if (o.serial == "") != (o.tokenCode == "") {
				return usagef("--serial-number and --token-code go together")
			}
			return runExec(cmd.Context(), &o, args, cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.roleArn, "role-arn", "", "the role to assume (required)")
	f.StringVar(&o.sessionName, "role-session-name", "", "the role session name (default mantle-exec-UNIXTIME)")
	f.DurationVar(&o.duration, "duration", 0, "session duration, e.g. 1h (default: STS's, one hour)")
	f.StringVar(&o.externalID, "external-id", "", "the ExternalId the role's trust policy asks for")
	f.StringVar(&o.serial, "serial-number", "", "MFA device serial number (ARN)")
	f.StringVar(&o.tokenCode, "token-code", "", "the MFA device's current code")
	f.StringVar(&o.endpoint, "endpoint-url", "", "mantle's endpoint (default: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, or the profile's)")
	f.StringVar(&o.region, "region", "", "region to sign for (default: the SDK's, else us-east-1)")
	f.StringVar(&o.profile, "profile", "", "the shared config profile whose credentials (and endpoint_url) assume the role (default: AWS_PROFILE's)")
	f.BoolVar(&o.refresh, "refresh", false, "serve rotating credentials through a loopback container credentials endpoint instead of static environment variables")
	return cmd
}

func runExec(ctx context.Context, o *execOptions, argv []string, stderr io.Writer) error {
	client, err := o.stsClient(ctx)
	if err != nil {
		return err
	}
	if o.refresh && o.serial != "" {
		// Trade the code for an MFA session once, so that assuming the role
		// again later needs no new code.
		out, err := client.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: &o.serial, TokenCode: &o.tokenCode})
		if err != nil {
			return printAPIError(stderr, err)
		}
		c := out.Credentials
		client = sts.New(client.Options(), func(opt *sts.Options) {
			opt.Credentials = credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
		})
		o.serial, o.tokenCode = "", ""
	}
	assume := func(ctx context.Context) (*imds.Credentials, error) {
		in := &sts.AssumeRoleInput{RoleArn: &o.roleArn, RoleSessionName: aws.String(o.sessionName)}
		if o.sessionName == "" {
			in.RoleSessionName = aws.String("mantle-exec-" + strconv.FormatInt(time.Now().Unix(), 10))
		}
		if o.duration > 0 {
			in.DurationSeconds = aws.Int32(int32(o.duration / time.Second))
		}
		if o.externalID != "" {
			in.ExternalId = &o.externalID
		}
		if o.serial != "" {
			in.SerialNumber, in.TokenCode = &o.serial, &o.tokenCode
		}
		out, err := client.AssumeRole(ctx, in)
		if err != nil {
			return nil, err
		}
		c := out.Credentials
		return &imds.Credentials{
			AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken,
			Expiration: *c.Expiration, LastUpdated: time.Now(), RoleArn: o.roleArn,
		}, nil
	}

	rot := &imds.Rotator{}
	first, err := rot.Get(ctx, "", assume)
	if err != nil {
		return printAPIError(stderr, err)
	}
	env := withoutAWSCredentials(os.Environ(), o.refresh)
	if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		env = append(env, "AWS_REGION="+client.Options().Region)
	}
	if os.Getenv("AWS_ENDPOINT_URL") == "" {
		// The role's credentials work only at mantle: an endpoint that came
		// from --endpoint-url or the profile goes to PROGRAM too.
		env = append(env, "AWS_ENDPOINT_URL="+*client.Options().BaseEndpoint)
	}
	if o.refresh {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		token := imds.NewToken()
		src := imds.SourceFunc(func(ctx context.Context) (*imds.Credentials, error) { return rot.Get(ctx, "", assume) })
		sctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = imds.Serve(sctx, l, &imds.Container{Source: src, Token: token})
		}()
		defer func() { stop(); <-done }()
		env = append(env,
			"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://"+l.Addr().String()+imds.ContainerPath,
			"AWS_CONTAINER_AUTHORIZATION_TOKEN="+token)
	} else {
		env = append(env,
			"AWS_ACCESS_KEY_ID="+first.AccessKeyID,
			"AWS_SECRET_ACCESS_KEY="+first.SecretAccessKey,
			"AWS_SESSION_TOKEN="+first.SessionToken,
			"AWS_CREDENTIAL_EXPIRATION="+first.Expiration.UTC().Format(time.RFC3339))
	}
	return runChild(argv, env)
}

// stsClient is an STS client configured as the SDK configures itself, with
// exec's flags on top. It refuses a configuration without an endpoint: the
// SDK would then sign for and call AWS's own STS.
func (o *execOptions) stsClient(ctx context.Context) (*sts.Client, error) {
	var opts []func(*config.LoadOptions) error
	if o.region != "" {
		opts = append(opts, config.WithRegion(o.region))
	}
	if o.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		var missing config.SharedConfigProfileNotExistError
		if errors.As(err, &missing) {
			return nil, usagef("--profile %s: no such profile in the shared config or credentials file", missing.Profile)
		}
		return nil, err
	}
	if cfg.Region == "" {
		// mantle ignores the region, but SigV4 needs one.
		cfg.Region = "us-east-1"
	}
	// The client resolves AWS_ENDPOINT_URL_STS and the profile's services
	// section into BaseEndpoint; AWS_ENDPOINT_URL and the profile's
	// endpoint_url arrive in cfg.BaseEndpoint.
	client := sts.NewFromConfig(cfg, func(opt *sts.Options) {
		if o.endpoint != "" {
			opt.BaseEndpoint = &o.endpoint
		}
	})
	if client.Options().BaseEndpoint == nil {
		return nil, usagef("no endpoint for mantle: give --endpoint-url URL, or set AWS_ENDPOINT_URL (or endpoint_url in the profile); without one the request would go to AWS itself")
	}
	return client, nil
}

// printAPIError prints err as the AWS CLI prints a failed call and returns
// the CLI's exit status for it.
func printAPIError(w io.Writer, err error) error {
	var ae smithy.APIError
	var oe *smithy.OperationError
	if errors.As(err, &ae) && errors.As(err, &oe) {
		fmt.Fprintf(w, "\nAn error occurred (%s) when calling the %s operation: %s\n", ae.ErrorCode(), oe.Operation(), ae.ErrorMessage())
		return exitError{cliErrorStatus}
	}
	return err
}

// withoutAWSCredentials drops the caller's own credentials from env: the
// child's SDK would prefer them to the role's. With refresh the profile
// goes too: SDKs prefer a profile's credentials to the container endpoint.
func withoutAWSCredentials(env []string, refresh bool) []string {
	drop := []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_SECURITY_TOKEN=",
		"AWS_CREDENTIAL_EXPIRATION=", "AWS_CONTAINER_CREDENTIALS_FULL_URI=", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN=", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="}
	if refresh {
		drop = append(drop, "AWS_PROFILE=", "AWS_DEFAULT_PROFILE=")
	}
	out := env[:0:0]
next:
	for _, kv := range env {
		for _, d := range drop {
			if strings.HasPrefix(kv, d) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// forwarded are the signals passed on to the child.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH}

// runChild runs argv with env, forwarding signals, and returns its exit
// status as an exitError (nil for 0). A child killed by a signal exits
// 128+N, as a shell reports it.
func runChild(argv []string, env []string) error {
	c := exec.Command(argv[0], argv[1:]...)
	c.Env = env
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := c.Start(); err != nil {
		return err
	}
	waited := make(chan error, 1)
	go func() { waited <- c.Wait() }()
	for {
		select {
		case s := <-sigs:
			_ = c.Process.Signal(s)
		case err := <-waited:
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					return exitError{128 + int(ws.Signal())}
				}
				return exitError{ee.ExitCode()}
			}
			return err
		}
	}
}
