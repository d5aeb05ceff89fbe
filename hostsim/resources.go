package hostsim

import (
	"context"
	"math"
	"runtime"

	"github.com/tetratelabs/wazero/experimental"
)

// defaultInstances is Options.Instances' default: one instance per core the Go scheduler uses,
// and at least two. A request's guest code, its store transaction and the host's native crypto
// all run on the goroutine that called the instance, so a busy instance keeps one core busy
// and instances beyond the cores add no throughput, only memory: each holds its own linear
// memory (about 17 MiB, the module's 9 MiB initial memory with the guest's heap), which four
// instances on two cores made a third of the server's peak (issue 17). The second instance on
// one core keeps a request waiting on an outbound fetch (a trigger, a webhook, a JWKS) from
// stalling every other; a server whose triggers are slow raises Options.Instances.
func defaultInstances() int { return max(2, runtime.GOMAXPROCS(0)) }

// compileContext has wazero compile the module's functions on one goroutine per core instead
// of one: a start without a compilation cache spends nearly all its time there.
func compileContext(ctx context.Context) context.Context {
	return experimental.WithCompilationWorkers(ctx, runtime.GOMAXPROCS(0))
}

// defaultInstanceMemoryLimit is Options.InstanceMemoryLimit's default: about four times what
// an instance holds after a start (17 MiB) and after 10,000 sign-ups (29 MiB), so only an
// instance a large request grew is replaced.
const defaultInstanceMemoryLimit = 64 << 20

// instanceMemoryLimit resolves Options.InstanceMemoryLimit to the pool's bound in bytes
// (0: none).
func instanceMemoryLimit(o int64) uint32 {
	switch {
	case o < 0:
		return 0
	case o == 0:
		return defaultInstanceMemoryLimit
	}
	return uint32(min(o, math.MaxUint32))
}
