package hostsim

import (
	"context"

	"github.com/tetratelabs/wazero/experimental"
)

// withGuestMemory has the instances created under ctx back their linear memory with
// guestMemory (memory_mmap.go: one reservation outside the Go heap where the OS allows it).
// wazero's own memory is a Go []byte: each grow copies it, the old copy waits for the
// collector, and GOGC lets the heap reach twice the live memories before it runs, which made
// four idle instances hold 427 MiB at peak (issue 17).
func withGuestMemory(ctx context.Context) context.Context {
	return experimental.WithMemoryAllocator(ctx, experimental.MemoryAllocatorFunc(guestMemory))
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
