package hostsim

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"github.com/tetratelabs/wazero"
)

// memoryImage applies a module's data segments to a zeroed memory, as instantiation does.
func memoryImage(t testing.TB, wasm []byte) (image []byte, segments int) {
	t.Helper()
	for i := wasmHeaderLen; i < len(wasm); {
		size, n := binary.Uvarint(wasm[i+1:])
		start, end := i+1+n, i+1+n+int(size)
		if wasm[i] == sectionData {
			segs, ok := parseDataSegments(wasm[start:end])
			if !ok {
				t.Fatal("a data section mergeDataSegments cannot read")
			}
			for _, s := range segs {
				if end := int(s.offset) + len(s.data); end > len(image) {
					image = append(image, make([]byte, end-len(image))...)
				}
				copy(image[s.offset:], s.data)
			}
			return image, len(segs)
		}
		i = end
	}
	return nil, 0
}

// module is a wasm module with one memory of a page and the given data section contents.
func module(data ...[]byte) []byte {
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0, 5, 3, 1, 0, 1} // memory: min 1 page
	for _, d := range data {
		m = append(m, sectionData)
		m = binary.AppendUvarint(m, uint64(len(d)))
		m = append(m, d...)
	}
	return m
}

// segment is an active memory-0 segment at off.
func segment(off int32, b string) []byte {
	s := appendSLEB32([]byte{segmentActiveMem0, opI32Const}, off)
	s = append(s, opEnd)
	s = binary.AppendUvarint(s, uint64(len(b)))
	return append(s, b...)
}

func section(segs ...[]byte) []byte {
	return append(binary.AppendUvarint(nil, uint64(len(segs))), bytes.Join(segs, nil)...)
}

// TestMergeDataSegmentsOfTheGuest: the real guest's many segments become one writing the same
// bytes (every test that starts a guest runs the merged module).
func TestMergeDataSegmentsOfTheGuest(t *testing.T) {
	wasm := realGuest.bytes(t)
	merged := mergeDataSegments(wasm)
	before, n := memoryImage(t, wasm)
	after, m := memoryImage(t, merged)
	if n < 2 || m != 1 {
		t.Fatalf("%d segments merged into %d, want many into 1", n, m)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("the merged segment writes other bytes")
	}
}

func TestMergeDataSegmentsSmall(t *testing.T) {
	ctx := context.Background()
	two := module(section(segment(16, "abc"), segment(40, "xyz"), segment(17, "Q")))
	merged := mergeDataSegments(two)
	if img, n := memoryImage(t, merged); n != 1 || !bytes.Equal(img[16:], []byte("aQc"+string(make([]byte, 21))+"xyz")) {
		t.Fatalf("merged: %d segments, image %q", n, img)
	}
	for _, w := range [][]byte{two, merged} {
		r := wazero.NewRuntime(ctx)
		mod, err := r.Instantiate(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := mod.Memory().Read(0, 64)
		want := make([]byte, 64)
		copy(want[16:], "aQc")
		copy(want[40:], "xyz")
		if !bytes.Equal(got, want) {
			t.Fatalf("memory %q, want %q", got, want)
		}
		r.Close(ctx)
	}

	for name, w := range map[string][]byte{
		"one segment":     module(section(segment(8, "abc"))),
		"no data":         module(),
		"two sections":    module(section(segment(0, "a"), segment(4, "b")), section(segment(9, "c"), segment(12, "d"))),
		"data count":      append(module(section(segment(0, "a"), segment(4, "b"))), sectionDataCount, 1, 2),
		"far apart":       module(section(segment(0, "a"), segment(maxMergedSpan+1, "b"))),
		"negative offset": module(section(segment(0, "a"), segment(-8, "b"))),
		"truncated":       module(section(segment(0, "a"), segment(4, "b")))[:20],
		"not wasm":        []byte("abc"),
	} {
		if got := mergeDataSegments(w); !bytes.Equal(got, w) {
			t.Errorf("%s: changed to %x", name, got)
		}
	}
	passive := module(append(binary.AppendUvarint(nil, 2), append(segment(0, "a"), 1, 1, 'b')...))
	if got := mergeDataSegments(passive); !bytes.Equal(got, passive) {
		t.Errorf("a passive segment: changed to %x", got)
	}
}

// FuzzMergeDataSegments: any input, merged or not, never panics; a merged module has one
// segment writing what the original's wrote.
func FuzzMergeDataSegments(f *testing.F) {
	f.Add(module(section(segment(16, "abc"), segment(40, "xyz"), segment(17, "Q"))))
	f.Add(module(section(segment(0, "a"), segment(4, "b"))))
	f.Add(module(append(binary.AppendUvarint(nil, 2), append(segment(0, "a"), 1, 1, 'b')...)))
	f.Add([]byte{0, 'a', 's', 'm', 1, 0, 0, 0, sectionData, 0x80})
	f.Fuzz(func(t *testing.T, wasm []byte) {
		merged := mergeDataSegments(wasm)
		if bytes.Equal(merged, wasm) {
			return
		}
		before, _ := memoryImage(t, wasm)
		after, n := memoryImage(t, merged)
		if n != 1 || !bytes.Equal(before, after) {
			t.Fatalf("%x merged into %d segments, %x", wasm, n, merged)
		}
	})
}
