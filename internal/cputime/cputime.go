// Package cputime reads the process's CPU time for benchmarks that report
// it beside the wall time: on a shared, loaded machine the CPU a piece of
// work took is steadier than how long it took.
package cputime

import (
	"syscall"
	"testing"
	"time"
)

// Process is the process's user+system CPU time (getrusage(2),
// RUSAGE_SELF), system calls included. It fails tb when the kernel cannot
// say.
func Process(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
