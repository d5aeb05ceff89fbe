// Package harness holds what poolgate's benchmark programs (bench/loadgen, bench/gateway,
// bench/edge) share: the closed-loop load driver, the gateway and identity benchmarks'
// configuration, origin, tokens and comparison Workers, and the size of the Worker bundle.
package harness

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is one timed batch of requests.
type Result struct {
	Lat      []time.Duration // every request's latency, sorted
	Errors   int
	FirstErr error
	Elapsed  time.Duration // wall time of the whole batch
}

// Run issues n requests from conc workers, each calling do with the request's index (0..n-1),
// and times every one. A request counts as an error when do returns one; the batch goes on.
func Run(ctx context.Context, n, conc int, do func(ctx context.Context, i int) error) Result {
	lat := make([]time.Duration, n)
	var next, nerr atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	t0 := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				s := time.Now()
				err := do(ctx, i)
				lat[i] = time.Since(s)
				if err != nil {
					nerr.Add(1)
					first.CompareAndSwap(nil, errBox{err})
				}
			}
		}()
	}
	wg.Wait()
	r := Result{Lat: lat, Errors: int(nerr.Load()), Elapsed: time.Since(t0)}
	slices.Sort(r.Lat)
	if e, ok := first.Load().(errBox); ok {
		r.FirstErr = e.err
	}
	return r
}

// errBox gives every error the same concrete type, as atomic.Value requires.
type errBox struct{ err error }

// RPS is the batch's requests per second.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.Lat)) / r.Elapsed.Seconds()
}

// Pct is the p-th percentile (nearest rank) of sorted latencies.
func Pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	if i > 0 {
		i--
	}
	return sorted[i]
}
