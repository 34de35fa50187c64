//go:build unix

package integration

import (
	"syscall"
	"time"
)

// processCPU is the process's CPU time so far (every goroutine's: the
// audit writer's included), for benchmarks run on a shared machine where
// wall time mostly measures the wait for a core.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
