// Package workerd_test runs poolgate's Worker in workerd (wrangler dev, from npm): edge's own
// tests inside the runtime (store conformance on Durable Objects, the copy from a KV-era
// namespace, the WebCrypto provider), a Worker restart on the persisted store, an upgrade
// from the KV-only layout, racing requests on one store object, the soak test of the one warm
// Go instance, and configuration errors. The user-pool scenarios run against the Worker from tests/e2e (TestWorkerd).
package workerd_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

var root string // the repository root

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	var err error
	if root, err = edgelocal.FindRoot("."); err != nil {
		fmt.Fprintln(os.Stderr, "workerd:", err)
		return 1
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", ".bin", "wrangler")); err != nil {
		fmt.Fprintln(os.Stderr, "workerd: node_modules/.bin/wrangler is missing: run `npm ci` at the repository root (make deps)")
		return 1
	}
	ctx := context.Background()
	if err := edgelocal.Build(ctx, root); err != nil {
		fmt.Fprintln(os.Stderr, "workerd:", err)
		return 1
	}
	if err := buildEdgeTests(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "workerd:", err)
		return 1
	}
	return m.Run()
}

// buildEdgeTests compiles edge's test binary for js/wasm into tests/workerd/build, where
// testworker.mjs imports it.
func buildEdgeTests(ctx context.Context) error {
	out := filepath.Join(root, "tests", "workerd", "build")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "poolgate-edge-test-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, "go", "test", "-c", "-o", filepath.Join(tmp, "edge_test.wasm"), "./edge")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("GOOS=js GOARCH=wasm go test -c ./edge: %v\n%s", err, b)
	}
	b, err := os.ReadFile(filepath.Join(tmp, "edge_test.wasm"))
	if err != nil {
		return err
	}
	// Unchanged files are not rewritten: a running test Worker would reload.
	if err := edgelocal.WriteIfChanged(filepath.Join(out, "edge_test.wasm"), b); err != nil {
		return err
	}
	return edgelocal.CopyWasmExec(ctx, root, out)
}
