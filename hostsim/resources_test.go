package hostsim

import (
	"context"
	"math"
	"runtime"
	"strconv"
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

// TestInstanceGrownPastItsMemoryLimitIsReplaced: an instance a large response grew past
// InstanceMemoryLimit is closed after that request and the next request gets a new one; one
// that stayed under it keeps serving.
func TestInstanceGrownPastItsMemoryLimitIsReplaced(t *testing.T) {
	const limit = 24 << 20
	s := start(t, Options{Instances: 1, InstanceMemoryLimit: limit})
	id := counterID(t, s)
	if code, _, body := do(t, s, "GET", "/big?n=65536", ""); code != 200 || len(body) != 65536 {
		t.Fatalf("/big: %d, %d bytes", code, len(body))
	}
	if got := counterID(t, s); got != id {
		t.Fatalf("an instance under the limit was replaced (%s, then %s)", id, got)
	}
	if code, _, body := do(t, s, "GET", "/big?n="+strconv.Itoa(limit), ""); code != 200 || len(body) != limit {
		t.Fatalf("/big: %d, %d bytes", code, len(body))
	}
	if got := counterID(t, s); got == id {
		t.Fatal("the instance grown past the limit served again")
	}
	if n := s.pool.recycled.Load(); n != 1 {
		t.Fatalf("%d instances recycled, want 1", n)
	}
}

func TestInstanceMemoryLimitDefaults(t *testing.T) {
	for o, want := range map[int64]uint32{0: defaultInstanceMemoryLimit, -1: 0, 100 << 20: 100 << 20, 1 << 40: math.MaxUint32} {
		if got := instanceMemoryLimit(o); got != want {
			t.Errorf("InstanceMemoryLimit %d: %d, want %d", o, got, want)
		}
	}
}
