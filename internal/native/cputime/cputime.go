// Package cputime reports a benchmark's process CPU per iteration ("cpu-ns/op"), for the
// benchmarks that set the guest under hostsim beside the same service compiled natively: on a
// machine shared with other work, CPU time is steadier than wall time.
package cputime

import (
	"syscall"
	"testing"
	"time"
)

// PerOp starts counting; the function it returns reports the process's CPU time since then,
// divided by b.N, as the metric "cpu-ns/op".
func PerOp(b *testing.B) func() {
	start := process()
	return func() { b.ReportMetric(float64(process()-start)/float64(b.N), "cpu-ns/op") }
}

// process is the process's user and system time so far.
func process() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
