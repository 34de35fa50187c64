// Package wrk is what mantle's load tools (stsbench, soak) share: running
// wrk and reading its figures, and the user and role they load mantle with.
package wrk

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Result is one wrk run's figures.
type Result struct {
	RPS      float64
	Requests int
	P99      time.Duration
	// Errors counts non-2xx answers and socket errors; Non2xx the former
	// alone (Requests less Non2xx were answered with success).
	Errors, Non2xx int
	Output         []byte
}

var (
	rpsRe    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	totalRe  = regexp.MustCompile(`(\d+) requests in`)
	p99Re    = regexp.MustCompile(`\s99%\s+([0-9.]+)(us|ms|s)`)
	non2xxRe = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	sockRe   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// Run runs wrk with script against url for d with conns connections on
// threads threads, with latency percentiles.
func Run(url, script string, d time.Duration, conns, threads int) (Result, error) {
	out, err := exec.Command("wrk", "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(conns), "-d"+d.String(),
		"--timeout", "5s", "--latency", "-s", script, url+"/").CombinedOutput()
	if err != nil {
		return Result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	r := Result{Output: out}
	m := rpsRe.FindSubmatch(out)
	if m == nil {
		return Result{}, fmt.Errorf("wrk: no Requests/sec in\n%s", out)
	}
	r.RPS, _ = strconv.ParseFloat(string(m[1]), 64)
	if m := totalRe.FindSubmatch(out); m != nil {
		r.Requests, _ = strconv.Atoi(string(m[1]))
	}
	if m := p99Re.FindSubmatch(out); m != nil {
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[string(m[2])]
		r.P99 = time.Duration(v * float64(unit))
	}
	if m := non2xxRe.FindSubmatch(out); m != nil {
		r.Non2xx, _ = strconv.Atoi(string(m[1]))
		r.Errors = r.Non2xx
	}
	if m := sockRe.FindSubmatch(out); m != nil {
		for _, g := range m[1:] {
			n, _ := strconv.Atoi(string(g))
			r.Errors += n
		}
	}
	return r, nil
}

// NumCPU is the machine's processor count as nproc reports it (the
// figures are relative to it).
func NumCPU() int {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}

// Setup creates, as the root key given, user name with an access key and
// role name trusting that user, and returns the user's key.
func Setup(ctx context.Context, url, rootID, rootSecret, account, name string) (aws.Credentials, error) {
	client := iam.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(rootID, rootSecret, ""),
		BaseEndpoint: aws.String(url),
	})
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		return aws.Credentials{}, err
	}
	k, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		return aws.Credentials{}, err
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:user/` + name + `"},"Action":"sts:AssumeRole"}]}`
	if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		return aws.Credentials{}, err
	}
	return aws.Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}, nil
}
