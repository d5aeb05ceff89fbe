package hostsim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/tetratelabs/wazero"
)

// minCodeRegion is the smallest executable mapping worth moving to a file: wazero also maps a
// few pages of trampolines per module, which stay where they are.
const minCodeRegion = 1 << 20

// codeMu serializes hostsim's compiles (Server.compile, Precompile), so that the executable
// mapping a compile adds to the process is that compile's own and no other Start's.
var codeMu sync.Mutex

// execRegion is an anonymous executable mapping of this process: [start, end).
type execRegion struct{ start, end uintptr }

// size is the region's length in bytes.
func (r execRegion) size() int { return int(r.end - r.start) }

// runtimeConfig is the wazero configuration of a server: termination checks with
// strictDeadline, and the compilation cache in cacheDir when it is not "" (the cache is closed
// by the caller).
func runtimeConfig(cacheDir string, strictDeadline bool) (wazero.RuntimeConfig, wazero.CompilationCache, error) {
	rc := wazero.NewRuntimeConfig().WithCloseOnContextDone(strictDeadline)
	if cacheDir == "" {
		return rc, nil, nil
	}
	// wazero's file cache key is the module hash alone, not whether termination checks were
	// compiled in, so each mode keeps its own directory.
	dir := filepath.Join(cacheDir, "default")
	if strictDeadline {
		dir = filepath.Join(cacheDir, "strict-deadline")
	}
	cache, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("hostsim: compilation cache: %w", err)
	}
	return rc.WithCompilationCache(cache), cache, nil
}

// Precompile compiles the module at modulePath into the compilation cache in cacheDir, as
// Start with that Options.CompilationCacheDir (and Options.StrictDeadline) would, so that a
// Start on that cache loads the machine code instead of compiling it (7–9 CPU-seconds for
// poolgate's guest). `make build` runs it through `poolgate -compile-only`.
func Precompile(ctx context.Context, modulePath, cacheDir string, strictDeadline bool) error {
	if cacheDir == "" {
		return errors.New("hostsim: Precompile needs a cache directory")
	}
	wasm, err := os.ReadFile(modulePath)
	if err != nil {
		return fmt.Errorf("hostsim: read module: %w", err)
	}
	rc, cache, err := runtimeConfig(cacheDir, strictDeadline)
	if err != nil {
		return err
	}
	defer cache.Close(ctx)
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	defer rt.Close(ctx)
	module, _ := prepareModule(wasm)
	codeMu.Lock() // see Server.compile
	defer codeMu.Unlock()
	compiled, err := rt.CompileModule(compileContext(ctx), module)
	if err != nil {
		return fmt.Errorf("hostsim: compile module: %w", err)
	}
	return checkModule(compiled)
}

// compile compiles the module (or loads it from the compilation cache) and, with
// Options.FileBackedCode, moves its machine code to a file-backed mapping (codefile_linux.go).
// Every Start compiles under codeMu, with FileBackedCode or not, so the executable mapping that
// appears during a compile is that compile's own (wazero runtimes other than hostsim's, in the
// same process, are not serialized: see Options.FileBackedCode).
func (s *Server) compile(ctx context.Context, wasm []byte) (wazero.CompiledModule, error) {
	codeMu.Lock()
	defer codeMu.Unlock()
	if !s.opts.FileBackedCode || s.opts.CompilationCacheDir == "" {
		compiled, err := s.rt.CompileModule(compileContext(ctx), wasm)
		if err != nil {
			return nil, fmt.Errorf("hostsim: compile module: %w", err)
		}
		return compiled, nil
	}
	before, err := anonExecRegions()
	if err != nil {
		return nil, fmt.Errorf("hostsim: file-backed code: %w", err)
	}
	compiled, err := s.rt.CompileModule(compileContext(ctx), wasm)
	if err != nil {
		return nil, fmt.Errorf("hostsim: compile module: %w", err)
	}
	if s.code, err = moveCodeToFile(s.opts.CompilationCacheDir, before); err != nil {
		s.logf("hostsim: file-backed code: %v (the code stays in anonymous memory)", err)
	}
	return compiled, nil
}
