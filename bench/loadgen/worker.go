package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// snapshotWorker copies what wrangler runs as poolgate's Worker (wrangler.toml, the glue
// edge/*.mjs and edge/*.js, the build edge/build/**) from the repository root into dst, and
// returns the copy's wrangler.toml. The run measures that copy: wrangler dev reloads a Worker
// whose files change, and tests or builds running meanwhile rewrite edge/build.
func snapshotWorker(root, dst string) (string, error) {
	copyFile := func(src, to string) error {
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	}
	for _, config := range []string{"wrangler.toml", "wrangler.headless.toml"} {
		if err := copyFile(filepath.Join(root, config), filepath.Join(dst, config)); err != nil {
			return "", fmt.Errorf("loadgen: Worker snapshot: %w", err)
		}
	}
	glue, err := os.ReadDir(filepath.Join(root, "edge"))
	if err != nil {
		return "", fmt.Errorf("loadgen: Worker snapshot: %w", err)
	}
	for _, e := range glue {
		if n := e.Name(); e.Type().IsRegular() && (strings.HasSuffix(n, ".mjs") || strings.HasSuffix(n, ".js")) {
			if err := copyFile(filepath.Join(root, "edge", n), filepath.Join(dst, "edge", n)); err != nil {
				return "", fmt.Errorf("loadgen: Worker snapshot: %w", err)
			}
		}
	}
	build := filepath.Join(root, "edge", "build")
	if _, err := os.Stat(filepath.Join(build, "poolgate.wasm")); err != nil {
		return "", fmt.Errorf("loadgen: the Worker is not built (make edge, or -build-worker): %w", err)
	}
	err = filepath.WalkDir(build, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case strings.HasPrefix(d.Name(), ".") && d.IsDir():
			return fs.SkipDir // a build in progress (local.Build)
		case strings.HasPrefix(d.Name(), ".") || !d.Type().IsRegular():
			return nil // directories are made by copyFile
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		return copyFile(p, filepath.Join(dst, rel))
	})
	if err != nil {
		return "", fmt.Errorf("loadgen: Worker snapshot: %w", err)
	}
	return filepath.Join(dst, "wrangler.toml"), nil
}
