package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"github.com/mantle-iam/mantle/internal/imds"
	"github.com/mantle-iam/mantle/internal/server"
	"github.com/mantle-iam/mantle/internal/sts"
)

// workloadFlags configures the workload credential endpoints `serve` can
// run next to the API: an EC2 instance metadata service and a container
// credentials endpoint, each on its own listener.
type workloadFlags struct {
	region string

	imdsAddr, imdsProfile, imdsInstanceID string

	containerAddr, containerRole, containerTokenFile string
	containerToken                                   string // read from containerTokenFile by check
}

func (w *workloadFlags) register(f *pflag.FlagSet) {
	f.StringVar(&w.imdsAddr, "imds-addr", "", "serve the EC2 instance metadata service (IMDSv2) on this address, e.g. 127.0.0.1:8169")
	f.StringVar(&w.imdsProfile, "imds-instance-profile", "", "the instance profile (name in the first account, or ARN) whose role IMDS hands out")
	f.StringVar(&w.imdsInstanceID, "imds-instance-id", "", "the instance ID (default: generated once, kept in DATA/imds-instance-id)")
	f.StringVar(&w.containerAddr, "container-credentials-addr", "", "serve the container credentials endpoint (ECS / EKS Pod Identity) on this address, e.g. 127.0.0.1:8170")
	f.StringVar(&w.containerRole, "container-role", "", "the role (name in the first account, or ARN) the container endpoint hands out")
	f.StringVar(&w.containerTokenFile, "container-credentials-token-file", "", "file holding the endpoint's authorization token (default: a new token per start, written to DATA/container-credentials-token)")
	f.StringVar(&w.region, "workload-region", "us-east-1", "the region of the instance and the task (IMDS placement, identity document)")
}

func (w *workloadFlags) check() error {
	switch {
	case w.imdsAddr != "" && w.imdsProfile == "":
		return errors.New("--imds-addr needs --imds-instance-profile NAME: the instance profile whose role IMDS hands out")
	case w.imdsAddr == "" && (w.imdsProfile != "" || w.imdsInstanceID != ""):
		return errors.New("--imds-instance-profile and --imds-instance-id need --imds-addr HOST:PORT, e.g. 127.0.0.1:8169")
	case w.containerAddr != "" && w.containerRole == "":
		return errors.New("--container-credentials-addr needs --container-role NAME: the role the endpoint hands out")
	case w.containerAddr == "" && (w.containerRole != "" || w.containerTokenFile != ""):
		return errors.New("--container-role and --container-credentials-token-file need --container-credentials-addr HOST:PORT, e.g. 127.0.0.1:8170")
	}
	for flag, addr := range map[string]string{"--imds-addr": w.imdsAddr, "--container-credentials-addr": w.containerAddr} {
		if _, _, err := net.SplitHostPort(addr); addr != "" && err != nil {
			return fmt.Errorf("%s %q: %v: use HOST:PORT", flag, addr, err)
		}
	}
	if w.imdsInstanceID != "" {
		// NewInstance only checks and builds; this one is thrown away.
		if _, err := imds.NewInstance(imds.InstanceConfig{InstanceID: w.imdsInstanceID, InstanceProfile: w.imdsProfile}); err != nil {
			return fmt.Errorf("--imds-instance-id: %w", err)
		}
	}
	if w.containerTokenFile != "" {
		b, err := os.ReadFile(w.containerTokenFile)
		if err != nil {
			return fmt.Errorf("--container-credentials-token-file: %w", err)
		}
		if w.containerToken = strings.TrimSpace(string(b)); w.containerToken == "" {
			return fmt.Errorf("--container-credentials-token-file %s is empty: put the token callers must send in it", w.containerTokenFile)
		}
	}
	return nil
}

// start listens and serves the configured endpoints until ctx ends or stop
// is called; stop returns once they have shut down.
func (w *workloadFlags) start(ctx context.Context, srv *server.Server, st imds.Store, dataDir string, log *slog.Logger) (stop func(), err error) {
	type endpoint struct {
		name string
		l    net.Listener
		h    http.Handler
	}
	var eps []endpoint
	defer func() {
		if err != nil {
			for _, ep := range eps {
				ep.l.Close()
			}
		}
	}()

	if w.imdsAddr != "" {
		id := w.imdsInstanceID
		if id == "" {
			if id, err = instanceID(filepath.Join(dataDir, "imds-instance-id")); err != nil {
				return nil, err
			}
		}
		h, err := imds.NewInstance(imds.InstanceConfig{
			Store: st, Issuer: srv.STS, AccountID: srv.AccountID, InstanceProfile: w.imdsProfile,
			InstanceID: id, Region: w.region, Log: log,
		})
		if err != nil {
			return nil, fmt.Errorf("--imds-*: %w", err)
		}
		l, err := net.Listen("tcp", w.imdsAddr)
		if err != nil {
			return nil, err
		}
		log.Info("instance metadata service is serving", "endpoint", "http://"+l.Addr().String()+"/",
			"instance", id, "instance_profile", w.imdsProfile)
		eps = append(eps, endpoint{"imds", l, h})
	}

	if w.containerAddr != "" {
		tokenFile, token := w.containerTokenFile, w.containerToken
		if tokenFile == "" {
			// No trailing newline: SDKs send the file's content as the
			// header value, and botocore refuses one with a newline.
			token, tokenFile = imds.NewToken(), filepath.Join(dataDir, "container-credentials-token")
			if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
				return nil, err
			}
		}
		task := randomHex(16)
		src := &imds.RoleSource{Store: st, AccountID: srv.AccountID, Role: w.containerRole, Session: &imds.Session{
			Issuer: srv.STS, Service: sts.ServiceECSTasks, Name: task, Region: w.region,
			SourceArn: "arn:aws:ecs:" + w.region + ":" + srv.AccountID + ":task/mantle/" + task,
		}}
		l, err := net.Listen("tcp", w.containerAddr)
		if err != nil {
			return nil, err
		}
		log.Info("container credentials endpoint is serving", "uri", "http://"+l.Addr().String()+imds.ContainerPath,
			"token_file", tokenFile, "role", w.containerRole, "task", task)
		eps = append(eps, endpoint{"container credentials", l, &imds.Container{Source: src, Token: token, Log: log}})
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, ep := range eps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := imds.Serve(ctx, ep.l, ep.h); err != nil {
				log.Error(ep.name+" stopped", "err", err)
			}
		}()
	}
	return func() { cancel(); wg.Wait() }, nil
}

// instanceID reads the instance ID kept in path, or makes one and keeps it:
// an instance keeps its ID across restarts, as its sessions' name.
func instanceID(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	// EC2's long IDs: 17 hex digits.
	id := "i-0" + randomHex(8)
	return id, os.WriteFile(path, []byte(id+"\n"), 0o600)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
