package hostsim

import (
	"context"
	"runtime"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero/experimental"
)

// TestDefaultInstancesFollowTheCores: one instance per GOMAXPROCS, never fewer than two.
func TestDefaultInstancesFollowTheCores(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for procs, want := range map[int]int{1: 2, 2: 2, 3: 3, 8: 8} {
		runtime.GOMAXPROCS(procs)
		if got := defaultInstances(); got != want {
			t.Errorf("GOMAXPROCS %d: %d instances, want %d", procs, got, want)
		}
	}
}

// TestStartDefaultsTheInstanceBound: Options.Instances unset, 16 concurrent clients are served
// by at most defaultInstances instances.
func TestStartDefaultsTheInstanceBound(t *testing.T) {
	s := start(t, Options{})
	if got, want := cap(s.pool.slots), defaultInstances(); got != want {
		t.Fatalf("pool of %d slots, want %d", got, want)
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 4 {
				counterID(t, s)
			}
		})
	}
	wg.Wait()
	if n := s.pool.created.Load(); n < 1 || n > int64(defaultInstances()) {
		t.Fatalf("%d instances created, want 1 to %d", n, defaultInstances())
	}
}

func TestCompileContextUsesEveryCore(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(3)
	if got := experimental.GetCompilationWorkers(compileContext(context.Background())); got != 3 {
		t.Fatalf("%d compilation workers, want 3", got)
	}
}
