package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/mantle-iam/mantle/internal/server"
	"github.com/mantle-iam/mantle/tools/internal/wrk"
)

// compareMetrics measures what metrics cost over HTTP: two mantles in one
// process, one with metrics and one without, each driven by wrk in turn
// (on, off, on, off, …) so both see the same machine load, and the median
// ratio of their throughputs reported. On a shared machine a single
// pair's ratio swings by several percent; the median of several rounds
// is the figure to read.
func compareMetrics(d time.Duration, conns, threads, rounds int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "stsbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	type side struct {
		name    string
		url     string
		scripts map[string]string
	}
	var sides []*side
	for _, off := range []bool{false, true} {
		url, err := wrk.ServeMantle(ctx, account, rootID, rootSecret, func(c *server.Config) { c.DisableMetrics = off })
		if err != nil {
			return err
		}
		c, err := wrk.Setup(ctx, url, rootID, rootSecret, account, "bench")
		if err != nil {
			return err
		}
		s := &side{name: map[bool]string{false: "metrics on", true: "metrics off"}[off], url: url, scripts: map[string]string{}}
		for action, body := range map[string]string{
			"GetCallerIdentity": "Action=GetCallerIdentity&Version=2011-06-15",
			"AssumeRole":        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A" + account + "%3Arole%2Fbench&RoleSessionName=bench",
		} {
			script, err := luaScript(ctx, url, body, true, c)
			if err != nil {
				return err
			}
			path := filepath.Join(dir, fmt.Sprintf("%s-%v.lua", action, off))
			if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
				return err
			}
			s.scripts[action] = path
		}
		sides = append(sides, s)
	}
	for _, action := range []string{"GetCallerIdentity", "AssumeRole"} {
		var ratios []float64
		for i := range rounds {
			var rps [2]float64
			// Alternate which side goes first, so a trend in the
			// machine's load favours neither.
			order := []int{0, 1}
			if i%2 == 1 {
				order = []int{1, 0}
			}
			for _, j := range order {
				r, err := wrk.Run(sides[j].url, sides[j].scripts[action], d, conns, threads)
				if err != nil {
					return err
				}
				if r.Errors > 0 {
					return fmt.Errorf("%s %s: %d errors", sides[j].name, action, r.Errors)
				}
				rps[j] = r.RPS
			}
			ratios = append(ratios, rps[0]/rps[1])
			fmt.Printf("%-18s round %d: on %8.0f/s  off %8.0f/s  on/off %.3f\n", action, i+1, rps[0], rps[1], rps[0]/rps[1])
		}
		slices.Sort(ratios)
		fmt.Printf("%-18s median on/off %.3f (min %.3f, max %.3f) over %d rounds of %s\n\n",
			action, ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1], rounds, d)
	}
	return nil
}
