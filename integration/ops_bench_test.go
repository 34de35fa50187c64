package integration

import (
	"net/http"
	"testing"
	"time"

	"github.com/mantle-iam/mantle/internal/server"
)

// BenchmarkMetricsCost runs GetCallerIdentity (the cheapest signed call,
// so the one where metrics weigh most) with metrics on and off, in the
// same run: compare the two with benchstat or by ratio.
//
//	go test -run '^$' -bench MetricsCost -benchtime 20000x -count 5 -cpu 1 ./integration/
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
			cpu := processCPU()
			for b.Loop() {
				if w := do(); w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
			}
			// Process CPU per call moves less with the machine's load
			// than wall time does.
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkMetricsCostRatio drives two mantles in one process, one with
// metrics and one without, in alternating slices of calls, and reports the
// ratio of their process CPU per GetCallerIdentity: both sides see the same
// machine load, slice by slice, which separate runs do not.
//
//	go test -run '^$' -bench MetricsCostRatio -benchtime 100000x -count 5 -cpu 1 ./integration/
func BenchmarkMetricsCostRatio(b *testing.B) {
	var do [2]func() *discardWriter
	for i, off := range []bool{false, true} {
		e, user := benchSetupOn(b, startConfig(b, func(c *server.Config) { c.DisableMetrics = off }))
		do[i] = benchRequest(b, e, user, "Action=GetCallerIdentity&Version=2011-06-15")
	}
	const slice = 5000
	var cpu [2]time.Duration
	var calls [2]int
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; {
		for _, i := range [][2]int{{0, 1}, {1, 0}}[n/slice%2] {
			start := processCPU()
			for range slice {
				if w := do[i](); w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
			}
			cpu[i] += processCPU() - start
			calls[i] += slice
			n += slice
		}
	}
	on, off := float64(cpu[0])/float64(calls[0]), float64(cpu[1])/float64(calls[1])
	b.ReportMetric(on, "on-cpu-ns/call")
	b.ReportMetric(off, "off-cpu-ns/call")
	b.ReportMetric(on/off, "on/off")
}
