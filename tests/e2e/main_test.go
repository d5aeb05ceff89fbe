package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// guestPath is the wasm module every test runs; cacheDir is wazero's compilation cache, shared
// by every hostsim the tests start so the module is compiled once per test binary run.
var guestPath, cacheDir string

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "poolgate-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	cacheDir = filepath.Join(tmp, "wazero-cache")

	guestPath = os.Getenv("POOLGATE_WASM")
	if guestPath == "" {
		guestPath = filepath.Join(tmp, "poolgate.wasm")
		if err := buildGuest(guestPath); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
	} else if _, err := os.Stat(guestPath); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: POOLGATE_WASM: %v\n", err)
		return 1
	}
	return m.Run()
}

// buildGuest compiles ./wasm for wasip1 as a reactor (c-shared), the artifact hostsim loads.
func buildGuest(out string) error {
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "./wasm")
	cmd.Dir = repoRoot()
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the guest (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared ./wasm): %v\n%s", err, b)
	}
	return nil
}

// repoRoot is the module root: tests run in tests/e2e.
func repoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}
