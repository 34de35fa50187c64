package main

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

// --quota is kept in the store: a later start without it (another node,
// say) enforces the same value, and VALUE default restores AWS's.
func TestServeQuotaKeptInTheStore(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	const rootKey, rootSecret = "AKIAQUOTATESTROOT001", "quotaTestSecret0000000000000000000000000a"
	t.Setenv("MANTLE_ROOT_ACCESS_KEY_ID", rootKey)
	t.Setenv("MANTLE_ROOT_SECRET_ACCESS_KEY", rootSecret)
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String("http://" + addr),
		Credentials: credentials.NewStaticCredentialsProvider(rootKey, rootSecret, "")}
	client := iam.NewFromConfig(cfg)
	createGroup := func(ctx context.Context, name string) error {
		_, err := client.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(name)})
		return err
	}
	start := func(args ...string) func() {
		ctx, stop := context.WithCancel(context.Background())
		done, _ := serve(ctx, t, append([]string{"--addr", addr, "--data", data}, args...)...)
		waitHealthy(t, addr)
		return func() {
			stop()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx := context.Background()
	stop := start("--quota", "GroupsPerAccount=1", "--quota", "RolesPerAccount=100000")
	if err := createGroup(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	stop()

	stop = start()
	var ae smithy.APIError
	if err := createGroup(ctx, "two"); !errors.As(err, &ae) || ae.ErrorCode() != "LimitExceeded" ||
		ae.ErrorMessage() != "Cannot exceed quota for GroupsPerAccount: 1" {
		t.Fatalf("second group after a restart without --quota: %v", err)
	}
	sum, err := client.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.SummaryMap["GroupsQuota"] != 1 || sum.SummaryMap["RolesQuota"] != 100000 || sum.SummaryMap["Groups"] != 1 {
		t.Errorf("summary %v", sum.SummaryMap)
	}
	stop()

	stop = start("--quota", "GroupsPerAccount=default")
	defer stop()
	if err := createGroup(ctx, "two"); err != nil {
		t.Fatalf("at the default quota: %v", err)
	}
}
