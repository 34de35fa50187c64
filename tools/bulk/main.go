// Command bulk fills a mantle store with a large IAM data set, for load and
// pagination measurements: roles and users, each with an inline policy and
// an attached managed policy (internal/bulk), hundreds to a transaction,
// straight into the store rather than through 600,000 HTTP calls.
//
//	go run ./tools/bulk --data ./mantle-data --roles 100000 --users 100000
//	go run ./tools/bulk --store postgres --dsn "$MANTLE_DSN" --roles 100000 --users 100000
//
// The embedded SQLite store admits one process at a time: stop `mantle
// serve` first (a PostgreSQL store is filled while mantle serves). The
// account is the data directory's first, or --account-id. Quotas the data
// set exceeds are raised in the store (as `serve --quota` would).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/mantle-iam/mantle/internal/bulk"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/postgres"
	"github.com/mantle-iam/mantle/internal/store/sqlite"
)

func main() {
	var opt bulk.Options
	data := flag.String("data", "./mantle-data", "data directory of the embedded SQLite store")
	backend := flag.String("store", "sqlite", "sqlite or postgres")
	dsn := flag.String("dsn", os.Getenv("MANTLE_DSN"), "PostgreSQL connection string for --store postgres")
	flag.StringVar(&opt.AccountID, "account-id", "", "account to fill (default: the store's first account)")
	flag.IntVar(&opt.Roles, "roles", 100000, "roles to create")
	flag.IntVar(&opt.Users, "users", 100000, "users to create")
	flag.StringVar(&opt.Prefix, "prefix", "bulk-", "prefix of every name created; another prefix adds to an earlier run")
	flag.IntVar(&opt.Policies, "policies", 10, "customer managed policies the roles are attached to")
	flag.IntVar(&opt.Batch, "batch", 500, "entities per transaction")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if flag.NArg() > 0 || opt.Roles < 0 || opt.Users < 0 {
		fmt.Fprintln(os.Stderr, "bulk: usage: bulk [--data DIR | --store postgres --dsn DSN] [--roles N] [--users N]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *backend, *data, *dsn, opt); err != nil {
		fmt.Fprintln(os.Stderr, err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(ctx context.Context, backend, data, dsn string, opt bulk.Options) error {
	var st store.Store
	var err error
	switch backend {
	case "sqlite":
		path := filepath.Join(data, "mantle.db")
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("%s: %w (start mantle serve once to create it)", path, err)
		}
		st, err = sqlite.Open(ctx, path)
	case "postgres":
		st, err = postgres.Open(ctx, dsn)
	default:
		return fmt.Errorf("--store %q: use sqlite or postgres", backend)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	if opt.AccountID == "" {
		if opt.AccountID, err = firstAccount(ctx, st); err != nil {
			return err
		}
	}
	last := time.Now()
	opt.Progress = func(done, total int) {
		if time.Since(last) > 5*time.Second || done == total {
			last = time.Now()
			fmt.Fprintf(os.Stderr, "%d/%d\n", done, total)
		}
	}
	stats, err := bulk.Load(ctx, st, opt)
	if err != nil {
		return err
	}
	fmt.Printf("account %s: %d roles and %d users (each with an inline and an attached managed policy; the users in one group), %d managed policies, in %s\n",
		opt.AccountID, stats.Roles, stats.Users, stats.Policies, stats.Elapsed.Round(time.Millisecond))
	return nil
}

// firstAccount is the account `serve`'s first start created: the oldest not
// created by Organizations.
func firstAccount(ctx context.Context, st store.Store) (string, error) {
	accounts, err := st.Accounts().List(ctx)
	if err != nil {
		return "", err
	}
	var first *store.Account
	for _, a := range accounts {
		if a.JoinedMethod != "CREATED" && (first == nil || a.CreatedAt.Before(first.CreatedAt)) {
			first = a
		}
	}
	if first == nil {
		return "", fmt.Errorf("the store has no account: start mantle serve once first")
	}
	return first.ID, nil
}
