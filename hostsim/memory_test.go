package hostsim

import (
	"runtime"
	"testing"
	"unsafe"
)

func TestGuestMemoryGrowsInPlaceUpToItsMaximum(t *testing.T) {
	const page = 64 << 10
	m := guestMemory(page, 16*page)
	defer m.Free()
	buf := m.Reallocate(page)
	if len(buf) != page {
		t.Fatalf("len %d, want %d", len(buf), page)
	}
	buf[0], buf[page-1] = 1, 2
	grown := m.Reallocate(8 * page)
	if len(grown) != 8*page || grown[0] != 1 || grown[page-1] != 2 {
		t.Fatalf("grown: len %d, kept bytes %d %d", len(grown), grown[0], grown[page-1])
	}
	for i := page; i < len(grown); i++ {
		if grown[i] != 0 {
			t.Fatalf("byte %d of a new page is %d, want 0", i, grown[i])
		}
	}
	if _, mapped := m.(*mmapMemory); mapped && unsafe.SliceData(grown) != unsafe.SliceData(buf) {
		t.Fatal("a reserved memory moved when it grew")
	}
	if (runtime.GOOS == "linux" || runtime.GOOS == "darwin") && !isMapped(m) {
		t.Fatal("no reservation on a system with mmap")
	}
	if isMapped(m) && m.Reallocate(17*page) != nil {
		t.Fatal("grew past the maximum")
	}
}

func isMapped(m any) bool {
	_, ok := m.(*mmapMemory)
	return ok
}

func TestSliceMemoryGrowsByCopying(t *testing.T) {
	m := &sliceMemory{}
	b := m.Reallocate(10)
	b[9] = 7
	if got := m.Reallocate(1000); len(got) != 1000 || got[9] != 7 || got[10] != 0 {
		t.Fatalf("grown: len %d, byte 9 = %d", len(got), got[9])
	}
	m.Free()
}
