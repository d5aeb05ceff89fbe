package hostsim

import (
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero/sys"
)

// clockFuncs derives the guest's WASI clocks from an injected clock. The monotonic clock reads
// the same instant in nanoseconds, so time.Since in the guest moves exactly as far as the
// injected clock does; it never goes backwards, even when the injected clock is set back.
func clockFuncs(now func() time.Time) (sys.Walltime, sys.Nanotime) {
	var last atomic.Int64
	wall := func() (int64, int32) {
		t := now()
		return t.Unix(), int32(t.Nanosecond())
	}
	mono := func() int64 {
		n := now().UnixNano()
		for {
			prev := last.Load()
			if n <= prev {
				return prev
			}
			if last.CompareAndSwap(prev, n) {
				return n
			}
		}
	}
	return wall, mono
}
