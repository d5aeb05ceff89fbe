//go:build js && wasm

package main

import (
	"crypto/sha256"
	"testing"
)

// BenchmarkIsolateClock is fixed Go work with no I/O and no call into JS (SHA-256 of 64 KiB
// per iteration). workerd may hold an isolate's clock still between I/O events (a timing
// side-channel mitigation); Go's benchmark clock is that clock. Compare this benchmark's ns/op
// with the CPU per iteration bench/edge -inside measures outside the isolate (and with the
// same benchmark under Node, tests/workerd/node): equal figures mean the clock moves during
// computation, and the in-isolate figures of the other benchmarks are times.
func BenchmarkIsolateClock(b *testing.B) {
	testBridge(b)
	buf := make([]byte, 64<<10)
	measureCPU(b, func() {
		for b.Loop() {
			sha256.Sum256(buf)
		}
	})
}
