package hostsim

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// anonExecRegions lists the process's anonymous r-x mappings (wazero's compiled code: it
// mmaps anonymous memory, copies the code in and makes it read-only and executable).
func anonExecRegions() (map[execRegion]bool, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	regions := map[execRegion]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "start-end perms offset dev inode [path]": anonymous memory has inode 0 and no path.
		fields := bytes.Fields(sc.Bytes())
		if len(fields) != 5 || string(fields[1]) != "r-xp" || string(fields[4]) != "0" {
			continue
		}
		lo, hi, ok := bytes.Cut(fields[0], []byte("-"))
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(string(lo), 16, 64)
		end, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		regions[execRegion{uintptr(start), uintptr(end)}] = true
	}
	return regions, sc.Err()
}

// moveCodeToFile replaces the largest executable mapping that appeared since before (the
// module's machine code, which wazero copied into anonymous memory, all of it resident) with a
// private read-only mapping of a file holding the same bytes, at the same address: from then on
// only the code pages the guest runs are in memory, read from the page cache as they are
// first run, like a native program's text, and the kernel may drop them again under memory
// pressure. The file is made in dir and unlinked at once; it lives as long as the mapping.
// It returns the region moved (empty: no mapping found).
func moveCodeToFile(dir string, before map[execRegion]bool) (execRegion, error) {
	after, err := anonExecRegions()
	if err != nil {
		return execRegion{}, err
	}
	var code execRegion
	for r := range after {
		if !before[r] && r.end-r.start > code.end-code.start {
			code = r
		}
	}
	size := code.size()
	if size < minCodeRegion {
		return execRegion{}, nil
	}
	f, err := os.CreateTemp(dir, ".code-*")
	if err != nil {
		return execRegion{}, err
	}
	os.Remove(f.Name())
	defer f.Close()
	// The code is written from where it lies, by address: it is not Go memory.
	for off := 0; off < size; {
		n, _, errno := syscall.Syscall6(syscall.SYS_PWRITE64, f.Fd(), code.start+uintptr(off), uintptr(size-off), uintptr(off), 0, 0)
		if errno != 0 || n == 0 {
			return execRegion{}, fmt.Errorf("write code file: %w", errno)
		}
		off += int(n)
	}
	// Map the file somewhere first, so that every check the kernel makes (a noexec mount, the
	// file's mode) fails before the code is touched; then mremap moves that mapping over the
	// code's address in one step, dropping the anonymous pages. The bytes are identical, so
	// nothing that runs or reads them can tell.
	mapped, _, errno := syscall.Syscall6(syscall.SYS_MMAP, 0, uintptr(size), syscall.PROT_READ|syscall.PROT_EXEC, syscall.MAP_PRIVATE, f.Fd(), 0)
	if errno != 0 {
		return execRegion{}, fmt.Errorf("map code file: %w", errno)
	}
	const mremapMayMove, mremapFixed = 1, 2
	if _, _, errno := syscall.Syscall6(syscall.SYS_MREMAP, mapped, uintptr(size), uintptr(size), mremapMayMove|mremapFixed, code.start, 0); errno != 0 {
		syscall.Syscall(syscall.SYS_MUNMAP, mapped, uintptr(size), 0)
		return execRegion{}, fmt.Errorf("move code file mapping: %w", errno)
	}
	return code, nil
}

// release drops the region's pages from the process's memory: they are clean pages of the
// code file (never written), so the next run of each reads it back from the page cache. After
// an instance starts, the pages only its start ran (the Go runtime's and every package's
// init: about 23 MiB of poolgate's 60 MiB of code) leave, and the code requests run returns.
func (r execRegion) release() {
	if r.size() > 0 {
		syscall.Syscall(syscall.SYS_MADVISE, r.start, uintptr(r.size()), syscall.MADV_DONTNEED)
	}
}
