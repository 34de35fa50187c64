//go:build linux

package sigv4

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// threadCPU reports on-CPU time for the benchmark's own thread, so that
// figures stay meaningful on a machine shared with other work: wall-clock
// ns/op includes time spent waiting for a core.
type threadCPU struct{ start time.Duration }

func startThreadCPU() threadCPU {
	runtime.LockOSThread()
	return threadCPU{rusageThread()}
}

func (c threadCPU) report(b *testing.B) {
	used := rusageThread() - c.start
	runtime.UnlockOSThread()
	if b.N > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func rusageThread() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
