package hostsim

import (
	"encoding/binary"
	"math"
	"slices"
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

// prepareModule is the module hostsim compiles, and the data it writes into each instance's
// memory itself: the data segments taken out (takeDataSegments) or, failing that, merged into
// one (mergeDataSegments, data nil). Precompile and Start must compile the same bytes: wazero's
// cache key is their hash.
func prepareModule(wasm []byte) ([]byte, *moduleData) {
	if stripped, md := takeDataSegments(wasm); md != nil {
		return stripped, md
	}
	return mergeDataSegments(wasm), nil
}

// sectionMemory is the memory section's id; limitsMin and limitsMinMax the flags of a 32-bit,
// unshared memory's limits.
const (
	sectionMemory           = 5
	limitsMin, limitsMinMax = 0x00, 0x01
	wasmPage                = 64 << 10
	minZeroGap              = 64 // a run of zeros at least this long is left out of moduleData
)

// moduleData is what a module's data segments write into its memory, kept by hostsim instead of
// wazero: the runs of bytes between runs of zeros (a fresh memory is zero already), written by
// the memory allocator when it makes an instance's memory, before wazero runs the module's
// start function. wazero then holds no copy of the data (8 MiB of its decoded module for
// poolgate's guest, another 8 MiB in the module bytes it decodes at start) and an instance's
// memory gets no page of the zeros between.
type moduleData struct {
	runs []dataRun
	data []byte
}

// dataRun is data[start:end] written at offset.
type dataRun struct{ offset, start, end uint32 }

// takeDataSegments returns wasm without its data section, and what that section writes, or
// (wasm, nil) when the module is not one it understands (as mergeDataSegments, and besides: one
// memory defined in the module, not imported, 32-bit and unshared, its initial size holding
// every segment). Instantiating the result with the data written into each new memory
// (withGuestMemory) gives the memory instantiating wasm gives.
func takeDataSegments(wasm []byte) ([]byte, *moduleData) {
	if len(wasm) < wasmHeaderLen {
		return wasm, nil
	}
	var dataHeader, dataStart, dataEnd int
	minBytes := uint64(0)
	for i := wasmHeaderLen; i < len(wasm); {
		id := wasm[i]
		size, n := binary.Uvarint(wasm[i+1:])
		if n <= 0 || size > uint64(len(wasm)-i-1-n) {
			return wasm, nil
		}
		start := i + 1 + n
		end := start + int(size)
		switch id {
		case sectionDataCount:
			return wasm, nil
		case sectionMemory:
			pages, ok := parseMemorySection(wasm[start:end])
			if !ok || minBytes != 0 {
				return wasm, nil
			}
			minBytes = pages * wasmPage
		case sectionData:
			if dataStart != 0 {
				return wasm, nil
			}
			dataHeader, dataStart, dataEnd = i, start, end
		}
		i = end
	}
	if dataStart == 0 || minBytes == 0 {
		return wasm, nil
	}
	segs, ok := parseDataSegments(wasm[dataStart:dataEnd])
	if !ok || len(segs) == 0 {
		return wasm, nil
	}
	hi := uint64(0)
	for _, s := range segs {
		hi = max(hi, s.offset+uint64(len(s.data)))
	}
	if hi > minBytes || hi > maxMergedSpan {
		return wasm, nil
	}
	image := make([]byte, hi)
	for _, s := range segs { // in order: a later segment overwrites an earlier one
		copy(image[s.offset:], s.data)
	}
	md := &moduleData{}
	total := 0
	for off := 0; off < len(image); {
		if image[off] == 0 {
			off++
			continue
		}
		// A run ends at the first minZeroGap zeros (or the image's end).
		end, zeros := off, 0
		for end < len(image) && zeros < minZeroGap {
			if image[end] == 0 {
				zeros++
			} else {
				zeros = 0
			}
			end++
		}
		end -= zeros
		md.runs = append(md.runs, dataRun{offset: uint32(off), start: uint32(total), end: uint32(total + end - off)})
		total += end - off
		off = end
	}
	md.data = make([]byte, 0, total)
	for _, r := range md.runs {
		md.data = append(md.data, image[r.offset:r.offset+r.end-r.start]...)
	}
	md.runs = slices.Clip(md.runs)
	out := make([]byte, 0, len(wasm)-(dataEnd-dataHeader))
	out = append(out, wasm[:dataHeader]...)
	return append(out, wasm[dataEnd:]...), md
}

// parseMemorySection reads a memory section of one 32-bit unshared memory: its initial pages.
func parseMemorySection(b []byte) (pages uint64, ok bool) {
	if len(b) < 3 || b[0] != 1 || (b[1] != limitsMin && b[1] != limitsMinMax) {
		return 0, false
	}
	pages, n := binary.Uvarint(b[2:])
	if n <= 0 || n > 5 || pages > 1<<16 {
		return 0, false
	}
	rest := b[2+n:]
	if b[1] == limitsMinMax {
		_, m := binary.Uvarint(rest)
		if m <= 0 || m > 5 {
			return 0, false
		}
		rest = rest[m:]
	}
	return pages, len(rest) == 0
}

// writeTo writes the data into mem, a fresh (zeroed) memory at least the module's initial size.
func (md *moduleData) writeTo(mem []byte) {
	for _, r := range md.runs {
		copy(mem[r.offset:], md.data[r.start:r.end])
	}
}
