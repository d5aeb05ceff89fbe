package hostsim

import (
	"context"

	"github.com/tetratelabs/wazero/experimental"
)

// withGuestMemory has the instances created under ctx back their linear memory with
// guestMemory (memory_mmap.go: one reservation outside the Go heap where the OS allows it), with
// md (when not nil) written into it as it is made, before the module's start function runs.
// wazero's own memory is a Go []byte: each grow copies it, the old copy waits for the
// collector, and GOGC lets the heap reach twice the live memories before it runs, which made
// four idle instances hold 427 MiB at peak (issue 17).
func withGuestMemory(ctx context.Context, md *moduleData) context.Context {
	return experimental.WithMemoryAllocator(ctx, experimental.MemoryAllocatorFunc(func(capacity, maximum uint64) experimental.LinearMemory {
		m := guestMemory(capacity, maximum)
		if md != nil {
			// capacity is at least the module's initial size, which holds the data
			// (takeDataSegments checked), and growing keeps what is written.
			md.writeTo(m.Reallocate(capacity))
		}
		return m
	}))
}

// sliceMemory is a linear memory in a Go slice, grown by copying: wazero's own behaviour, for
// when a reservation cannot be made.
type sliceMemory struct{ buf []byte }

func (m *sliceMemory) Reallocate(size uint64) []byte {
	if size <= uint64(cap(m.buf)) {
		m.buf = m.buf[:size]
		return m.buf
	}
	grown := make([]byte, size, max(size, 2*uint64(cap(m.buf))))
	copy(grown, m.buf)
	m.buf = grown
	return m.buf
}

func (m *sliceMemory) Free() { m.buf = nil }
