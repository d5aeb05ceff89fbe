package hostsim

import "syscall"

// mmapFlags: an anonymous private mapping that reserves no swap for pages never touched.
const mmapFlags = syscall.MAP_PRIVATE | syscall.MAP_ANON | syscall.MAP_NORESERVE
