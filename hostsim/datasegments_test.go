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

// takenImage is the memory a moduleData writes into a fresh memory of size bytes.
func takenImage(md *moduleData, size int) []byte {
	mem := make([]byte, size)
	md.writeTo(mem)
	return mem
}

// withZeros pads b with zeros to n bytes.
func withZeros(b []byte, n int) []byte { return append(b, make([]byte, n-len(b))...) }

// TestTakeDataSegmentsOfTheGuest: the real guest loses its data section, and what hostsim
// writes instead is what the section wrote, in fewer bytes than the merged segment.
func TestTakeDataSegmentsOfTheGuest(t *testing.T) {
	wasm := realGuest.bytes(t)
	stripped, md := takeDataSegments(wasm)
	if md == nil {
		t.Fatal("the guest's data segments were not taken")
	}
	if _, n := memoryImage(t, stripped); n != 0 {
		t.Fatalf("%d segments left in the module", n)
	}
	want, _ := memoryImage(t, wasm)
	if got := takenImage(md, len(want)); !bytes.Equal(got, want) {
		t.Fatal("the data written is not the data section's")
	}
	if len(md.data) >= len(want) {
		t.Fatalf("%d bytes kept for a %d-byte image", len(md.data), len(want))
	}
}

func TestTakeDataSegmentsSmall(t *testing.T) {
	ctx := context.Background()
	gap := string(make([]byte, minZeroGap))
	two := module(section(segment(16, "abc"), segment(40, "xyz"), segment(17, "Q"), segment(200, "a"+gap+"b")))
	stripped, md := takeDataSegments(two)
	if md == nil {
		t.Fatal("not taken")
	}
	if len(md.runs) != 3 || string(md.data) != "aQc"+string(make([]byte, 21))+"xyz"+"ab" {
		t.Fatalf("runs %+v data %q", md.runs, md.data)
	}
	// Instantiated with the data written by the allocator, the memory is the original's.
	for _, c := range []struct {
		wasm []byte
		md   *moduleData
	}{{two, nil}, {stripped, md}} {
		r := wazero.NewRuntime(ctx)
		mod, err := r.InstantiateModule(withGuestMemory(ctx, c.md), mustCompile(t, r, c.wasm), wazero.NewModuleConfig())
		if err != nil {
			t.Fatal(err)
		}
		got, _ := mod.Memory().Read(0, 300)
		want := make([]byte, 300)
		copy(want[16:], "aQc")
		copy(want[40:], "xyz")
		copy(want[200:], "a"+gap+"b")
		if !bytes.Equal(got, want) {
			t.Fatalf("memory %q, want %q", got, want)
		}
		r.Close(ctx)
	}

	withMax := []byte{0, 'a', 's', 'm', 1, 0, 0, 0, 5, 4, 1, 1, 1, 2}
	withMax = append(withMax, module(section(segment(0, "a"), segment(4, "b")))[13:]...)
	if _, md := takeDataSegments(withMax); md == nil {
		t.Error("a memory with a maximum: not taken")
	}
	for name, w := range map[string][]byte{
		"no data":         module(),
		"two sections":    module(section(segment(0, "a")), section(segment(9, "c"))),
		"data count":      append(module(section(segment(0, "a"), segment(4, "b"))), sectionDataCount, 1, 2),
		"past the memory": module(section(segment(0, "a"), segment(wasmPage, "b"))),
		"negative offset": module(section(segment(0, "a"), segment(-8, "b"))),
		"truncated":       module(section(segment(0, "a"), segment(4, "b")))[:20],
		"not wasm":        []byte("abc"),
		"no memory":       append([]byte{0, 'a', 's', 'm', 1, 0, 0, 0}, module(section(segment(0, "a")))[13:]...),
		"shared memory":   append([]byte{0, 'a', 's', 'm', 1, 0, 0, 0, 5, 4, 1, 3, 1, 1}, module(section(segment(0, "a")))[13:]...),
		"two memories":    append([]byte{0, 'a', 's', 'm', 1, 0, 0, 0, 5, 5, 2, 0, 1, 0, 1}, module(section(segment(0, "a")))[13:]...),
	} {
		if got, md := takeDataSegments(w); md != nil || !bytes.Equal(got, w) {
			t.Errorf("%s: taken (%x, %+v)", name, got, md)
		}
	}
}

func mustCompile(t *testing.T, r wazero.Runtime, wasm []byte) wazero.CompiledModule {
	t.Helper()
	c, err := r.CompileModule(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// FuzzTakeDataSegments: any input, taken or not, never panics; taken, the module has no data
// segment left and the data written into its initial memory is what the segments wrote.
func FuzzTakeDataSegments(f *testing.F) {
	f.Add(module(section(segment(16, "abc"), segment(40, "xyz"), segment(17, "Q"))))
	f.Add(module(section(segment(0, "a"+string(make([]byte, 2*minZeroGap))+"b"))))
	f.Add(module(section(segment(0, "a"), segment(wasmPage-1, "b"))))
	f.Add([]byte{0, 'a', 's', 'm', 1, 0, 0, 0, sectionMemory, 0x80})
	f.Fuzz(func(t *testing.T, wasm []byte) {
		stripped, md := takeDataSegments(wasm)
		if md == nil {
			if !bytes.Equal(stripped, wasm) {
				t.Fatalf("not taken, but changed to %x", stripped)
			}
			return
		}
		want, _ := memoryImage(t, wasm)
		if _, n := memoryImage(t, stripped); n != 0 {
			t.Fatalf("%d segments left", n)
		}
		got := takenImage(md, len(want))
		if !bytes.Equal(got, want) {
			t.Fatalf("%x: wrote %x, want %x", wasm, got, want)
		}
	})
}
