//go:build wasip1

package guest

import (
	"sync"
	"unsafe"

	"github.com/poolgate/poolgate/internal/abi"
)

// scratchSize is the initial size of the buffer sized results land in; it grows to the largest
// result seen, so the "ask size, then fill" retry happens at most once per new maximum.
const scratchSize = 64 << 10

// scratch is the one result buffer shared by all imports. The mutex guards it against two
// goroutines of the guest interleaving between a call and the copy of its result.
var scratch struct {
	sync.Mutex
	buf []byte
}

// sized runs an import that follows abi's sized-result convention and returns a copy of the
// result, growing the scratch buffer and calling again when the result does not fit.
func sized(call func(out *byte, outCap uint32) int32) ([]byte, error) {
	scratch.Lock()
	defer scratch.Unlock()
	if scratch.buf == nil {
		scratch.buf = make([]byte, scratchSize)
	}
	for {
		n := call(unsafe.SliceData(scratch.buf), uint32(len(scratch.buf)))
		if n < 0 {
			return nil, abi.Code(-n)
		}
		if int(n) <= len(scratch.buf) {
			return append([]byte{}, scratch.buf[:n]...), nil
		}
		scratch.buf = make([]byte, n)
	}
}

// status turns a status result (0 or -Code) into an error.
func status(n int32) error {
	if n < 0 {
		return abi.Code(-n)
	}
	return nil
}

// in returns the (ptr, len) pair an import takes for a byte string.
func in(b []byte) (*byte, uint32) { return unsafe.SliceData(b), uint32(len(b)) }

// addr returns the linear-memory address of b's first byte (0 for an empty slice).
func addr(b []byte) uint32 { return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) }
