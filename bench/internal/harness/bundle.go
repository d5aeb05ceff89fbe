package harness

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
)

// BundleSize runs `wrangler deploy --dry-run --outdir outdir` (wrangler from root's
// node_modules) on the Worker of the wrangler configuration file config ("" for
// root/wrangler.toml), built beforehand, and sums the files wrangler would upload, raw and each
// gzipped at the best level. summary is wrangler's own "Total Upload" line.
func BundleSize(ctx context.Context, root, config, outdir string) (raw, gz int64, summary string, err error) {
	if config == "" {
		config = filepath.Join(root, "wrangler.toml")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, "node_modules", ".bin", "wrangler"), "deploy", "--dry-run", "--outdir", outdir, "--config", config)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "WRANGLER_SEND_METRICS=false", "CI=1")
	b, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, "", fmt.Errorf("harness: wrangler deploy --dry-run: %v\n%s", err, b)
	}
	raw, gz, err = DirSizes(outdir)
	return raw, gz, string(bytes.TrimSpace(totalUpload.Find(b))), err
}

var totalUpload = regexp.MustCompile(`(?m)^.*Total Upload.*$`)

// DirSizes sums the sizes of the files under dir, raw and each gzipped at the best level.
func DirSizes(dir string) (raw, gz int64, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
		raw += int64(len(b))
		gz += int64(buf.Len())
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("harness: %w", err)
	}
	return raw, gz, nil
}
