package hostsim

import (
	"encoding/binary"
	"math"
)

// The wasm binary format's bits mergeDataSegments reads and writes.
const (
	wasmHeaderLen     = 8    // "\0asm" and the version
	sectionData       = 11   // the data section
	sectionDataCount  = 12   // the data count section (bulk memory)
	segmentActiveMem0 = 0x00 // an active segment of memory 0 with an offset expression
	opI32Const        = 0x41
	opEnd             = 0x0b
)

// maxMergedSpan bounds the zero-filled segment mergeDataSegments makes; a module whose segments
// lie further apart keeps them.
const maxMergedSpan = 64 << 20

// mergeDataSegments returns wasm with the active data segments of its memory merged into one
// that spans them, the gaps zero-filled, or wasm itself when there is nothing to merge or the
// module is not one it understands (passive segments, another offset expression, a data count
// section): instantiating either writes the same bytes at the same addresses.
//
// Go's linker cuts the data section at runs of zeros into as many as 100,000 segments (6.5 MB
// of data in poolgate's guest), and wazero keeps a Go object for each segment of the compiled
// module (about 13.5 MiB of its heap) and a 2.4 MiB table of them in every instance. One
// segment costs its bytes once, 1.7 MB of zeros included; the file on disk is left as built.
func mergeDataSegments(wasm []byte) []byte {
	if len(wasm) < wasmHeaderLen {
		return wasm
	}
	var dataHeader, dataStart, dataEnd int // the data section's id byte, and its contents
	for i := wasmHeaderLen; i < len(wasm); {
		id := wasm[i]
		size, n := binary.Uvarint(wasm[i+1:])
		if n <= 0 || size > uint64(len(wasm)-i-1-n) {
			return wasm
		}
		start := i + 1 + n
		end := start + int(size)
		switch id {
		case sectionDataCount:
			return wasm
		case sectionData:
			if dataStart != 0 {
				return wasm // a second data section: not a valid module
			}
			dataHeader, dataStart, dataEnd = i, start, end
		}
		i = end
	}
	if dataStart == 0 {
		return wasm
	}
	segs, ok := parseDataSegments(wasm[dataStart:dataEnd])
	if !ok || len(segs) < 2 {
		return wasm
	}
	lo, hi := uint64(math.MaxUint32), uint64(0)
	for _, s := range segs {
		lo, hi = min(lo, s.offset), max(hi, s.offset+uint64(len(s.data)))
	}
	if hi-lo > maxMergedSpan {
		return wasm
	}
	image := make([]byte, hi-lo)
	for _, s := range segs { // in order: a later segment overwrites an earlier one, as instantiation does
		copy(image[s.offset-lo:], s.data)
	}
	section := []byte{1, segmentActiveMem0, opI32Const}
	section = appendSLEB32(section, int32(lo))
	section = append(section, opEnd)
	section = binary.AppendUvarint(section, uint64(len(image)))

	out := make([]byte, 0, len(wasm)-(dataEnd-dataStart)+len(section)+len(image)+binary.MaxVarintLen32)
	out = append(out, wasm[:dataHeader]...)
	out = append(out, sectionData)
	out = binary.AppendUvarint(out, uint64(len(section)+len(image)))
	out = append(out, section...)
	out = append(out, image...)
	return append(out, wasm[dataEnd:]...)
}

type dataSegment struct {
	offset uint64
	data   []byte
}

// parseDataSegments reads a data section of active memory-0 segments at constant offsets.
func parseDataSegments(b []byte) ([]dataSegment, bool) {
	count, n := binary.Uvarint(b)
	if n <= 0 || count > uint64(len(b)) {
		return nil, false
	}
	b = b[n:]
	segs := make([]dataSegment, 0, count)
	for range count {
		if len(b) < 2 || b[0] != segmentActiveMem0 || b[1] != opI32Const {
			return nil, false
		}
		off, n := readSLEB32(b[2:])
		if n <= 0 || off < 0 || len(b) < 2+n+1 || b[2+n] != opEnd {
			return nil, false
		}
		b = b[2+n+1:]
		size, n := binary.Uvarint(b)
		if n <= 0 || size > uint64(len(b)-n) {
			return nil, false
		}
		segs = append(segs, dataSegment{offset: uint64(off), data: b[n : n+int(size)]})
		b = b[n+int(size):]
	}
	return segs, len(b) == 0
}

// readSLEB32 decodes a signed LEB128 i32 (at most 5 bytes); n <= 0 when b does not hold one.
func readSLEB32(b []byte) (v int32, n int) {
	var result int64
	var shift uint
	for i := 0; i < 5 && i < len(b); i++ {
		c := b[i]
		result |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if c&0x40 != 0 {
				result |= -1 << shift
			}
			if result < math.MinInt32 || result > math.MaxInt32 {
				return 0, 0
			}
			return int32(result), i + 1
		}
	}
	return 0, 0
}

func appendSLEB32(b []byte, v int32) []byte {
	x := int64(v)
	for {
		c := byte(x & 0x7f)
		x >>= 7
		if (x == 0 && c&0x40 == 0) || (x == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
