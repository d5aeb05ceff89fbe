package workerd_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// soakConcurrency is how many requests are in flight at once: Go serves them on goroutines of
// the one instance, so requests interleave across each other's store calls.
const soakConcurrency = 4

// Bounds on what n requests may add to the instance, after a warm-up and a garbage collection.
const (
	maxHeapGrowth     = 4 << 20  // live heap bytes
	maxWasmGrowth     = 16 << 20 // wasm linear memory (it never shrinks)
	maxJSValueGrowth  = 64       // JS values referenced from Go (leaked js.Func or js.Value)
	maxGoroutineDelta = 4
)

// soak sends n requests (mostly GetUser, every tenth a refresh) over soakConcurrency
// connections and checks that one Go instance served them all and that its memory stayed
// bounded. It returns the instance's stats before and after.
func soak(tb testing.TB, w *edgelocal.Worker, n int, warmup int) (before, after *edgelocal.Stats) {
	tb.Helper()
	admin, public := clients(w)
	f := newFixture(tb, admin)
	tokens := f.signIn(tb, public)
	run := func(count int) {
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, soakConcurrency)
		for range soakConcurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1)
					if i > int64(count) {
						return
					}
					var err error
					if i%10 == 0 {
						_, err = public.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(f.client),
							AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tokens.RefreshToken)}})
					} else {
						_, err = public.GetUser(ctx, &cip.GetUserInput{AccessToken: tokens.AccessToken})
					}
					if err != nil {
						errs <- fmt.Errorf("request %d: %w", i, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			tb.Fatal(err)
		}
	}
	run(warmup)
	before, err := w.Stats(ctx, true)
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	run(n)
	elapsed := time.Since(start)
	after, err = w.Stats(ctx, true)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("%d requests in %v (%.0f/s, %d at a time)", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), soakConcurrency)
	tb.Logf("instance %d: requests %d → %d, heap %d → %d B, wasm memory %d → %d B, JS values %d → %d, goroutines %d → %d, GCs %d",
		after.Instance, before.Requests, after.Requests, before.HeapAlloc, after.HeapAlloc, before.WasmMemory, after.WasmMemory,
		before.JSValues, after.JSValues, before.Goroutines, after.Goroutines, after.NumGC)

	if after.Instance != before.Instance || after.Started != before.Started {
		tb.Errorf("the requests were served by instance %d (started %v), not the warm instance %d (started %v)",
			after.Instance, after.Started, before.Instance, before.Started)
	}
	if got, want := after.Requests-before.Requests, int64(n+1); got != want {
		tb.Errorf("the instance served %d requests between the two stats calls, want %d (the soak plus one stats call)", got, want)
	}
	if g, err := w.Glue(ctx); err != nil || g.Instances != 1 {
		tb.Errorf("glue: %+v, %v; want exactly one Go instance started in the isolate", g, err)
	}
	if growth := int64(after.HeapAlloc) - int64(before.HeapAlloc); growth > maxHeapGrowth {
		tb.Errorf("live heap grew by %d bytes over %d requests (bound %d)", growth, n, maxHeapGrowth)
	}
	if growth := after.WasmMemory - before.WasmMemory; growth > maxWasmGrowth {
		tb.Errorf("wasm memory grew by %d bytes over %d requests (bound %d)", growth, n, maxWasmGrowth)
	}
	if growth := after.JSValues - before.JSValues; growth > maxJSValueGrowth {
		tb.Errorf("Go holds %d more JS values after %d requests (bound %d): a js.Value or js.Func leak", growth, n, maxJSValueGrowth)
	}
	if d := after.Goroutines - before.Goroutines; d > maxGoroutineDelta {
		tb.Errorf("%d more goroutines after %d requests: a goroutine leak", d, n)
	}
	return before, after
}

// TestSoak is the fast soak: a few thousand requests on one isolate.
func TestSoak(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	w, _ := startWorker(t, t.TempDir(), edgelocal.Options{})
	soak(t, w, n, 300)
}

// BenchmarkSoak is the full soak: b.N requests (run it with -benchtime=100000x) on one
// isolate, with the same checks; it reports the instance's memory after the run.
func BenchmarkSoak(b *testing.B) {
	w, _ := startWorker(b, b.TempDir(), edgelocal.Options{})
	b.ResetTimer()
	_, after := soak(b, w, b.N, 300)
	b.ReportMetric(float64(after.HeapAlloc), "heap-B")
	b.ReportMetric(float64(after.WasmMemory), "wasm-B")
}
