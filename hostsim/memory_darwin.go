package hostsim

import "syscall"

// mmapFlags: an anonymous private mapping (macOS commits its pages lazily without asking).
const mmapFlags = syscall.MAP_PRIVATE | syscall.MAP_ANON
