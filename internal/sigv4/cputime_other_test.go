//go:build !linux

package sigv4

import "testing"

type threadCPU struct{}

func startThreadCPU() threadCPU       { return threadCPU{} }
func (threadCPU) report(b *testing.B) {}
