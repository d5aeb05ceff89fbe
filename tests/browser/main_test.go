package browser

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Artifacts every test uses, resolved once by TestMain.
var (
	guestPath   string // the wasip1 server module hostsim runs (POOLGATE_WASM, or built here)
	webDir      string // the sign-in app and SDK (POOLGATE_WEB, or built here)
	cacheDir    string // wazero's compilation cache
	chromePath  string // POOLGATE_CHROMIUM, or chromium found on PATH
	shotsDir    string // where screenshots go (POOLGATE_SCREENSHOTS, default build/screenshots)
	identityJS  string // amazon-cognito-identity-js's browser build (npm ci installs it)
	buildFailed error
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "poolgate-browser-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "browser:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	cacheDir = filepath.Join(tmp, "wazero-cache")
	root := repoRoot()

	if guestPath = os.Getenv("POOLGATE_WASM"); guestPath == "" {
		guestPath = filepath.Join(tmp, "poolgate.wasm")
		buildFailed = goBuild(root, guestPath, "./wasm", "GOOS=wasip1", "-buildmode=c-shared")
	}
	if webDir = os.Getenv("POOLGATE_WEB"); webDir == "" && buildFailed == nil {
		webDir = filepath.Join(tmp, "web")
		buildFailed = buildWeb(root, webDir)
	}
	chromePath = os.Getenv("POOLGATE_CHROMIUM")
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if chromePath != "" {
			break
		}
		chromePath, _ = exec.LookPath(name)
	}
	if shotsDir = os.Getenv("POOLGATE_SCREENSHOTS"); shotsDir == "" {
		shotsDir = filepath.Join(root, "build", "screenshots")
	}
	identityJS = filepath.Join(root, "node_modules", "amazon-cognito-identity-js", "dist", "amazon-cognito-identity.min.js")
	return m.Run()
}

// requireBrowser skips when Chromium is missing (make test installs it: `make chromium`),
// and fails when an artifact could not be built.
func requireBrowser(t *testing.T) {
	t.Helper()
	if buildFailed != nil {
		t.Fatal(buildFailed)
	}
	if chromePath == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed (make chromium)")
		}
		t.Skip("chromium is not installed: run `make chromium`")
	}
}

func goBuild(root, out, pkg, goos string, flags ...string) error {
	args := append([]string{"build", "-trimpath", "-o", out}, flags...)
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), goos, "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("browser: go build %s (%s): %v\n%s", pkg, goos, err, b)
	}
	return nil
}

// buildWeb assembles build/web the way mk/web.mk does: the SDK, Go's wasm_exec.js and the
// app's static files.
func buildWeb(root, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := goBuild(root, filepath.Join(dir, "poolgate-sdk.wasm"), "./web", "GOOS=js", "-ldflags=-s -w", "-gcflags=all=-l"); err != nil {
		return err
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("browser: go env GOROOT: %v", err)
	}
	files := map[string]string{filepath.Join(string(goroot[:len(goroot)-1]), "lib", "wasm", "wasm_exec.js"): "wasm_exec.js"}
	static, err := filepath.Glob(filepath.Join(root, "web", "static", "*"))
	if err != nil {
		return err
	}
	for _, f := range static {
		files[f] = filepath.Base(f)
	}
	for src, name := range files {
		if err := copyFile(src, filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("browser: %v", err)
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// repoRoot is the module root: tests run in tests/browser.
func repoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}
