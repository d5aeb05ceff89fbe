//go:build linux || darwin

package hostsim

import (
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// mmapMemory is a linear memory in one anonymous private mapping of the memory's maximum
// size, made once: growing it only lengthens the slice (nothing is copied, the address never
// changes), the Go collector neither scans nor counts it, and the OS makes a page resident
// only when the guest first touches it. Freed with the instance.
type mmapMemory struct{ buf []byte }

func guestMemory(capacity, maximum uint64) experimental.LinearMemory {
	if maximum > 0 && maximum <= 1<<32 {
		buf, err := syscall.Mmap(-1, 0, int(maximum), syscall.PROT_READ|syscall.PROT_WRITE, mmapFlags)
		if err == nil {
			return &mmapMemory{buf: buf[:0]}
		}
	}
	return &sliceMemory{buf: make([]byte, 0, capacity)}
}

func (m *mmapMemory) Reallocate(size uint64) []byte {
	if size > uint64(cap(m.buf)) {
		return nil // past the reservation, which is the memory's maximum
	}
	m.buf = m.buf[:size]
	return m.buf
}

func (m *mmapMemory) Free() {
	if m.buf != nil {
		syscall.Munmap(m.buf[:cap(m.buf)])
		m.buf = nil
	}
}
