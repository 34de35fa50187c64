//go:build !unix

package integration

import "time"

func processCPU() time.Duration { return 0 }
