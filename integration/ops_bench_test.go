package integration

import (
	"net/http"
	"testing"

	"github.com/mantle-iam/mantle/internal/server"
)

// BenchmarkMetricsCost runs GetCallerIdentity (the cheapest signed call,
// so the one where metrics weigh most) with metrics on and off, in the
// same run: compare the two with benchstat or by ratio.
//
//	go test -run '^$' -bench MetricsCost -benchtime 20000x -count 5 ./integration/
func BenchmarkMetricsCost(b *testing.B) {
	for _, tc := range []struct {
		name string
		off  bool
	}{{"metrics=on", false}, {"metrics=off", true}} {
		b.Run(tc.name, func(b *testing.B) {
			e, user := benchSetupOn(b, startConfig(b, func(c *server.Config) { c.DisableMetrics = tc.off }))
			do := benchRequest(b, e, user, "Action=GetCallerIdentity&Version=2011-06-15")
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if w := do(); w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
			}
		})
	}
}
