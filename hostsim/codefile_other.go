//go:build !linux

package hostsim

// anonExecRegions: only Linux's /proc/self/maps is read; elsewhere the code stays where wazero
// put it.
func anonExecRegions() (map[execRegion]bool, error) { return nil, nil }

func moveCodeToFile(string, map[execRegion]bool) (execRegion, error) { return execRegion{}, nil }

func (execRegion) release() {}
