//go:build !linux && !darwin

package hostsim

import "github.com/tetratelabs/wazero/experimental"

// guestMemory: without mmap, wazero's way (memory.go's sliceMemory).
func guestMemory(capacity, _ uint64) experimental.LinearMemory {
	return &sliceMemory{buf: make([]byte, 0, capacity)}
}
