// Package local runs poolgate's Worker on this machine the way `make dev` does: built for
// GOOS=js, served by `wrangler dev` (workerd) with its store (Durable Objects, and KV) persisted
// in a directory, and with a webhook receiver that checks and records the messages (codes)
// the Worker sends.
// The end-to-end tests, the restart and soak tests and the benchmarks start it through Start.
package edgelocal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/poolgate/poolgate/internal/bound"
	"github.com/poolgate/poolgate/internal/message"
)

// Options configure Start. Root, PersistDir and the secrets are required.
type Options struct {
	Root       string // the repository root: wrangler.toml, node_modules, edge/build
	Config     string // the wrangler configuration file; "" → Root/wrangler.toml (the Worker)
	Addr       string // host:port to listen on; "" or port 0 → a free port on 127.0.0.1
	PersistDir string // wrangler's --persist-to: the store's objects (and KV) survive a restart on the same directory

	// MoreConfigs are the configuration files of more Workers run in the same wrangler dev
	// (reachable from the first through its service bindings only), e.g. a trigger Worker.
	// The SAML companion (SAMLCompanion) is added by Start whenever Config binds it.
	MoreConfigs []string

	Region     string // POOLGATE_REGION; "" → the Worker's default
	IssuerBase string // POOLGATE_ISSUER_BASE; "" → the listening URL

	AdminAccessKeyID, AdminSecretAccessKey string
	MasterKey                              []byte // 32 bytes

	PoolgateConfig []byte // POOLGATE_CONFIG: the declarative configuration, applied once per text

	// Outbox, when set, is a file each message is appended to as one JSON line
	// (the same format as `make run`'s DATA/outbox.jsonl).
	Outbox string
	// OnMessage, when set, sees each verified message.
	OnMessage func(message.Message)

	// TestClock stops the Worker's clock at ClockStart (POOLGATE_TEST_CLOCK=enabled); it then
	// moves only by Advance and SetClock, like hostsim's fake clock. The end-to-end scenarios
	// that expire tokens and codes need it. Never set it in a deployment.
	TestClock  bool
	ClockStart time.Time // zero: the wall clock at start
	// TestCrash lets Crash make the Worker's Go instance die (POOLGATE_TEST_CRASH=enabled),
	// to test the glue's restart and retry. Never set it in a deployment.
	TestCrash bool

	// Vars are more Worker variables (and secrets) for wrangler's --env-file.
	Vars map[string]string
	// Logf receives wrangler's output and the receiver's events; nil discards them.
	Logf func(format string, args ...any)
	// StartTimeout bounds the wait for wrangler to listen; 0 → 90 s.
	StartTimeout time.Duration
}

// Worker is a running `wrangler dev`.
type Worker struct {
	url        string
	issuerBase string
	cmd        *exec.Cmd
	done       chan struct{} // closed when wrangler has exited
	listening  chan struct{} // closed when wrangler says it is ready on url
	waitErr    error
	receiver   *http.Server
	tmp        string
	closeOnce  sync.Once

	watchdog                io.Closer // holds the watchdog's stdin open while we live
	adminKeyID, adminSecret string
	testClock               bool
	clock                   clock

	mu       sync.Mutex
	messages []message.Message
}

// URL is the Worker's base URL, e.g. http://127.0.0.1:41234.
func (w *Worker) URL() string { return w.url }

// IssuerBase is the issuer base the Worker signs tokens with.
func (w *Worker) IssuerBase() string { return w.issuerBase }

// Messages returns every message the Worker has sent so far, oldest first.
func (w *Worker) Messages() []message.Message {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]message.Message(nil), w.messages...)
}

// FindRoot returns the repository root: the nearest directory upward from dir that holds
// wrangler.toml and go.mod.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(dir, "wrangler.toml")) && fileExists(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("local: no directory with wrangler.toml and go.mod above the working directory")
		}
		dir = parent
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// Build compiles the Worker's Go half (GOOS=js GOARCH=wasm) into Root/edge/build, copies the
// Go toolchain's wasm_exec.js beside it and the sign-in app (Root/build/web, when built) into
// edge/build/assets, and builds the SAML companion Worker into Root/edge/saml/build, as
// `make edge` does. A file whose content is unchanged is not rewritten:
// a running wrangler dev reloads the Worker (a new isolate) when its files change, and
// several tests and benchmarks build at the same time.
// WorkerGCFlags are the compiler flags of both Workers' builds (./edge and ./edge/saml), as
// mk/edge.mk gives them (EDGE_GCFLAGS; TestMakefileBuildsWorkersLikeBuild holds the two
// together) and tools/wasmsize measures them. Inlining is off: the Worker's module is about
// 10% smaller without it (3.25 → 2.94 MB gzip, 2026-12-07), which is what takes it under the
// free plan's 3 MiB, and workerd's V8, which inlines small wasm functions itself, showed no
// CPU cost per request beyond the run's noise (bench/results/2026-12-07-perf.md).
const WorkerGCFlags = "-gcflags=all=-l"

func Build(ctx context.Context, root string) error {
	out := filepath.Join(root, "edge", "build")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("local: %w", err)
	}
	tmp, err := os.MkdirTemp(out, ".build-")
	if err != nil {
		return fmt.Errorf("local: %w", err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s", WorkerGCFlags, "-o", filepath.Join(tmp, "poolgate.wasm"), "./edge")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("local: GOOS=js GOARCH=wasm go build ./edge: %v\n%s", err, b)
	}
	wasm, err := os.ReadFile(filepath.Join(tmp, "poolgate.wasm"))
	if err != nil {
		return fmt.Errorf("local: %w", err)
	}
	if err := WriteIfChanged(filepath.Join(out, "poolgate.wasm"), wasm); err != nil {
		return err
	}
	if err := CopyWasmExec(ctx, root, out); err != nil {
		return err
	}
	assets := filepath.Join(out, "assets")
	if err := CopyAssets(filepath.Join(root, "build", "web"), assets); err != nil {
		return err
	}
	if err := WriteAssetManifest(assets, filepath.Join(out, AssetManifest)); err != nil {
		return err
	}
	return buildCompanion(ctx, root, tmp)
}

// SAMLCompanion is the SAML companion Worker's configuration (edge/saml), relative to the
// repository root, and SAMLService the name the main Worker's service binding SAML names.
const (
	SAMLCompanion = "edge/saml/wrangler.toml"
	SAMLService   = "poolgate-saml"
)

// buildCompanion compiles the SAML companion Worker (./edge/saml, GOOS=js) into
// Root/edge/saml/build with its wasm_exec.js, as `make edge` does.
func buildCompanion(ctx context.Context, root, tmp string) error {
	out := filepath.Join(root, "edge", "saml", "build")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("local: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s", WorkerGCFlags, "-o", filepath.Join(tmp, "saml.wasm"), "./edge/saml")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("local: GOOS=js GOARCH=wasm go build ./edge/saml: %v\n%s", err, b)
	}
	wasm, err := os.ReadFile(filepath.Join(tmp, "saml.wasm"))
	if err != nil {
		return fmt.Errorf("local: %w", err)
	}
	if err := WriteIfChanged(filepath.Join(out, "saml.wasm"), wasm); err != nil {
		return err
	}
	return CopyWasmExec(ctx, root, out)
}

// withCompanion adds the SAML companion's configuration to more when the main configuration
// binds it (a [[services]] entry with service = "poolgate-saml", as wrangler.toml has) and
// more does not hold it yet: wrangler dev then runs both Workers in one session, the
// companion reachable only through the binding.
func withCompanion(root, config string, more []string) ([]string, error) {
	text, err := os.ReadFile(config)
	if err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	if !bytes.Contains(text, []byte(`service = "`+SAMLService+`"`)) {
		return more, nil
	}
	companion := filepath.Join(root, SAMLCompanion)
	for _, c := range more {
		if c == companion {
			return more, nil
		}
	}
	if !fileExists(filepath.Join(root, "edge", "saml", "build", "saml.wasm")) {
		return nil, fmt.Errorf("local: %s binds the SAML companion, which is not built: build the Worker first (make edge)", config)
	}
	return append(append([]string(nil), more...), companion), nil
}

// AssetManifest is the file, beside the Worker's build, that lists the static assets' paths
// (a JSON array such as ["/app.js", "/index.html"]): the glue asks the ASSETS binding only for
// those, so that other GETs (gateway routes, JWKS) cost no asset lookup.
const AssetManifest = "assets-manifest.json"

// WriteAssetManifest writes the paths of the regular files in dir to path as a JSON array.
func WriteAssetManifest(dir, path string) error {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("local: %w", err)
	}
	paths := []string{}
	for _, e := range entries {
		if e.Type().IsRegular() {
			paths = append(paths, "/"+e.Name())
		}
	}
	b, err := json.Marshal(paths)
	if err != nil {
		return fmt.Errorf("local: %w", err)
	}
	return WriteIfChanged(path, append(b, '\n'))
}

// WriteIfChanged writes b to path unless path already holds exactly b; the write is atomic
// (a temporary file renamed over path), so a watcher never sees half a file.
func WriteIfChanged(path string, b []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return fmt.Errorf("local: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("local: %w", err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("local: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("local: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("local: %w", err)
	}
	return nil
}

// CopyAssets makes dst hold exactly the regular files of src (the Worker's static assets),
// rewriting only what changed; a missing src leaves dst empty.
func CopyAssets(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return fmt.Errorf("local: %w", err)
	}
	want := map[string]bool{}
	entries, err := os.ReadDir(src)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("local: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return fmt.Errorf("local: %w", err)
		}
		if err := WriteIfChanged(filepath.Join(dst, e.Name()), b); err != nil {
			return err
		}
		want[e.Name()] = true
	}
	have, err := os.ReadDir(dst)
	if err != nil {
		return fmt.Errorf("local: %w", err)
	}
	for _, e := range have {
		if !want[e.Name()] {
			if err := os.RemoveAll(filepath.Join(dst, e.Name())); err != nil {
				return fmt.Errorf("local: %w", err)
			}
		}
	}
	return nil
}

// CopyWasmExec copies the toolchain's wasm_exec.js (it must match the Go that built the
// module) into dir.
func CopyWasmExec(ctx context.Context, root, dir string) error {
	goroot, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("local: go env GOROOT: %w", err)
	}
	src := filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js")
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("local: %w", err)
	}
	return WriteIfChanged(filepath.Join(dir, "wasm_exec.js"), b)
}

// Start starts wrangler dev and the webhook receiver, and returns once the Worker answers.
func Start(ctx context.Context, o Options) (*Worker, error) {
	if o.Root == "" || o.PersistDir == "" {
		return nil, errors.New("local: Root and PersistDir are required")
	}
	if o.AdminAccessKeyID == "" || o.AdminSecretAccessKey == "" || len(o.MasterKey) != 32 {
		return nil, errors.New("local: the admin key pair and a 32-byte master key are required")
	}
	if o.Config == "" {
		o.Config = filepath.Join(o.Root, "wrangler.toml")
		for _, f := range []string{"poolgate.wasm", "wasm_exec.js"} {
			if p := filepath.Join(o.Root, "edge", "build", f); !fileExists(p) {
				return nil, fmt.Errorf("local: %s is missing: build the Worker first (make edge)", p)
			}
		}
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	o.Logf = bound.Logf(o.Logf) // lines quote wrangler's output and the Worker's messages
	if o.StartTimeout == 0 {
		o.StartTimeout = 90 * time.Second
	}
	// wrangler's bin script only re-executes node on its CLI with these flags; running the CLI
	// directly makes it our child, so that it dies with us (Pdeathsig) and its workerd with it.
	wrangler := filepath.Join(o.Root, "node_modules", "wrangler", "wrangler-dist", "cli.js")
	if !fileExists(wrangler) {
		return nil, fmt.Errorf("local: %s is missing: run `npm ci` at the repository root (make deps)", wrangler)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("local: node is not installed (wrangler needs Node 20+): %w", err)
	}
	host, port, chosen, err := listenAddr(o.Addr)
	if err != nil {
		return nil, err
	}
	w := &Worker{
		adminKeyID: o.AdminAccessKeyID, adminSecret: o.AdminSecretAccessKey,
		testClock: o.TestClock,
	}
	w.setAddr(host, port, o.IssuerBase)
	ok := false
	defer func() {
		if !ok {
			w.Close()
		}
	}()

	secret := make([]byte, 32)
	if _, err := io.ReadFull(randReader, secret); err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	hookURL, err := w.startReceiver(base64.RawURLEncoding.EncodeToString(secret), o)
	if err != nil {
		return nil, err
	}

	if w.tmp, err = os.MkdirTemp("", "poolgate-wrangler-"); err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	vars := map[string]string{
		"POOLGATE_ADMIN_ACCESS_KEY_ID":     o.AdminAccessKeyID,
		"POOLGATE_ADMIN_SECRET_ACCESS_KEY": o.AdminSecretAccessKey,
		"POOLGATE_MASTER_KEY":              base64.StdEncoding.EncodeToString(o.MasterKey),
		"POOLGATE_WEBHOOK_URL":             hookURL,
		"POOLGATE_WEBHOOK_SECRET":          base64.RawURLEncoding.EncodeToString(secret),
	}
	if o.Region != "" {
		vars["POOLGATE_REGION"] = o.Region
	}
	if o.TestClock {
		vars["POOLGATE_TEST_CLOCK"] = "enabled"
	}
	if o.TestCrash {
		vars["POOLGATE_TEST_CRASH"] = "enabled"
	}
	if len(o.PoolgateConfig) > 0 {
		var compact bytes.Buffer
		if err := json.Compact(&compact, o.PoolgateConfig); err != nil {
			return nil, fmt.Errorf("local: POOLGATE_CONFIG: %w", err)
		}
		vars["POOLGATE_CONFIG"] = compact.String()
	}
	for k, v := range o.Vars {
		vars[k] = v
	}
	more, err := withCompanion(o.Root, o.Config, o.MoreConfigs)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		vars["POOLGATE_ISSUER_BASE"] = w.issuerBase
		err := w.launch(ctx, o, node, wrangler, more, vars, host, port)
		if err == nil {
			break
		}
		// Another process can take the port between freePort and wrangler's bind: wrangler
		// then exits at once ("Address already in use"), and a port of our choosing is
		// simply chosen again.
		if !chosen || attempt == maxLaunches || !w.exited() {
			return nil, err
		}
		o.Logf("local: wrangler did not start on port %d (%v); trying another port", port, err)
		w.endLaunch()
		if port, err = freePort(); err != nil {
			return nil, err
		}
		w.setAddr(host, port, o.IssuerBase)
	}
	if o.TestClock {
		start := o.ClockStart
		if start.IsZero() {
			start = time.Now()
		}
		// The first admin call is signed with the Worker's own start time, which is unknown
		// here; the wall clock is within the signature's five-minute skew of it.
		w.clock.now = time.Now()
		if err := w.SetClock(ctx, start); err != nil {
			return nil, err
		}
	}
	ok = true
	return w, nil
}

// maxLaunches bounds how often Start starts wrangler on another port of its choosing.
const maxLaunches = 3

// setAddr sets the address the Worker listens on, and the issuer base (issuerBase, or the
// Worker's URL).
func (w *Worker) setAddr(host string, port int, issuerBase string) {
	w.url = "http://" + net.JoinHostPort(host, strconv.Itoa(port))
	w.issuerBase = strings.TrimRight(issuerBase, "/")
	if w.issuerBase == "" {
		w.issuerBase = w.url
	}
}

// launch starts wrangler dev on host:port with vars and waits until the Worker answers.
func (w *Worker) launch(ctx context.Context, o Options, node, wrangler string, more []string, vars map[string]string, host string, port int) error {
	w.done, w.listening = make(chan struct{}), make(chan struct{})
	envFile := filepath.Join(w.tmp, "poolgate.env")
	if err := writeEnvFile(envFile, vars); err != nil {
		return err
	}
	inspector, err := freePort()
	if err != nil {
		return err
	}
	args := []string{"--no-warnings", "--experimental-vm-modules", wrangler, "dev", "--config", o.Config}
	for _, c := range more {
		args = append(args, "--config", c)
	}
	cmd := exec.Command(node, append(args,
		"--env-file", envFile,
		"--ip", host, "--port", strconv.Itoa(port),
		"--inspector-port", strconv.Itoa(inspector), "--inspector-ip", "127.0.0.1",
		"--persist-to", o.PersistDir,
		"--show-interactive-dev-session=false", "--live-reload=false",
		"--log-level", "log",
	)...)
	cmd.Dir = o.Root
	cmd.Env = append(os.Environ(),
		"CLOUDFLARE_CF_FETCH_ENABLED=false", // no network here: skip fetching Request.cf
		"WRANGLER_SEND_METRICS=false",
		"WRANGLER_SEND_ERROR_REPORTS=false",
		"NO_UPDATE_NOTIFIER=1",
		"CI=1", // no interactive prompts
	)
	// Close ends wrangler and its workerd processes (one process group); if this process dies
	// first (a test binary that times out runs no cleanup), the watchdog below does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("local: %w", err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("local: starting wrangler: %w", err)
	}
	w.cmd = cmd
	go func() {
		// Read to the end whatever comes: a line Go's bufio.Scanner finds too long would end
		// the reading, and wrangler would then block on its full pipe.
		ready, listening := "Ready on "+w.url, w.listening
		readLines(out, bound.LogBytes, func(line string) {
			o.Logf("wrangler: %s", line)
			if listening != nil && strings.Contains(line, ready) {
				close(listening)
				listening = nil
			}
		})
		w.waitErr = cmd.Wait()
		close(w.done)
	}()
	if err := w.startWatchdog(cmd.Process.Pid); err != nil {
		return err
	}
	return w.waitReady(ctx, o.StartTimeout)
}

// exited reports whether the last wrangler started has exited.
func (w *Worker) exited() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// endLaunch forgets a wrangler that has exited, and ends its watchdog.
func (w *Worker) endLaunch() {
	<-w.done
	if w.watchdog != nil {
		w.watchdog.Close()
	}
	w.cmd, w.watchdog, w.waitErr = nil, nil, nil
}

// startWatchdog starts a shell that waits for its stdin to close, which happens when Close
// runs or when this process dies, and then kills the process group pgid (wrangler and its
// workerd processes), so that no wrangler outlives the test or command that started it.
func (w *Worker) startWatchdog(pgid int) error {
	wd := exec.Command("sh", "-c", fmt.Sprintf("cat >/dev/null; kill -KILL -%d 2>/dev/null; exit 0", pgid))
	stdin, err := wd.StdinPipe()
	if err != nil {
		return fmt.Errorf("local: watchdog: %w", err)
	}
	if err := wd.Start(); err != nil {
		return fmt.Errorf("local: watchdog: %w", err)
	}
	go wd.Wait()
	w.watchdog = stdin
	return nil
}

// GluePath is answered by the Worker's JS glue without starting Go (see edge/worker.mjs).
const GluePath = "/_poolgate/glue"

// waitReady waits until wrangler says it listens on the Worker's address (so that another
// server that took the port first is never taken for the Worker: wrangler then exits), then
// polls the glue path until the Worker answers at all (wrangler prints "Ready" before the
// runtime has loaded the module). The probe does not start the Go instance, so the first
// real request still measures a cold start.
func (w *Worker) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	select {
	case <-w.listening:
	case <-w.done:
		return fmt.Errorf("local: wrangler exited before the Worker answered: %v", w.waitErr)
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(timeout):
		return fmt.Errorf("local: wrangler did not say it listens on %s within %v", w.url, timeout)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.url+GluePath, nil)
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		select {
		case <-w.done:
			return fmt.Errorf("local: wrangler exited before the Worker answered: %v", w.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("local: the Worker did not answer within %v (last error: %v)", timeout, err)
		}
	}
}

// Glue is what the glue path reports: Go instances started in the isolate, the live one, and
// the time the live one has spent running Go (its CPU time, as workerd's clock sees it).
type Glue struct {
	Loaded    int64   `json:"loaded"` // when the isolate loaded the glue (Unix ms): it tells isolates apart
	Instances int     `json:"instances"`
	Live      *int    `json:"live"`
	GoBusyMs  float64 `json:"goBusyMs"`
}

// Glue reads the glue path.
func (w *Worker) Glue(ctx context.Context) (*Glue, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.url+GluePath, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	defer resp.Body.Close()
	var g Glue
	if err := json.NewDecoder(resp.Body).Decode(&g); err != nil {
		return nil, fmt.Errorf("local: %s: %w", GluePath, err)
	}
	return &g, nil
}

// Close stops wrangler (and its workerd) and the receiver. It is idempotent.
func (w *Worker) Close() error {
	w.closeOnce.Do(func() {
		if w.cmd != nil && w.cmd.Process != nil {
			pgid := w.cmd.Process.Pid
			syscall.Kill(-pgid, syscall.SIGTERM)
			select {
			case <-w.done:
			case <-time.After(10 * time.Second):
				syscall.Kill(-pgid, syscall.SIGKILL)
				<-w.done
			}
		}
		if w.watchdog != nil {
			w.watchdog.Close() // the watchdog's stdin: it exits
		}
		if w.receiver != nil {
			w.receiver.Close()
		}
		if w.tmp != "" {
			os.RemoveAll(w.tmp)
		}
	})
	return nil
}

// WorkerdPIDs returns the workerd processes below wrangler: wrangler dev runs two, one for
// its proxy (listening on the Worker's address) and one for the Worker itself.
func (w *Worker) WorkerdPIDs() ([]int, error) {
	if w.cmd == nil || w.cmd.Process == nil {
		return nil, errors.New("local: not running")
	}
	pids := findDescendants(w.cmd.Process.Pid, "workerd")
	if len(pids) == 0 {
		return nil, fmt.Errorf("local: no workerd process below wrangler (pid %d)", w.cmd.Process.Pid)
	}
	return pids, nil
}

// CPUTime returns the user+system CPU time all of wrangler's workerd processes (the proxy and
// the Worker's runtime) have used so far.
func (w *Worker) CPUTime() (time.Duration, error) {
	pids, err := w.WorkerdPIDs()
	if err != nil {
		return 0, err
	}
	var sum time.Duration
	for _, pid := range pids {
		d, err := ProcessCPU(pid)
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// listenAddr splits addr (default 127.0.0.1:0); chosen says the port was 0 and freePort
// chose it.
func listenAddr(addr string) (host string, port int, chosen bool, err error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, false, fmt.Errorf("local: address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if port, err = strconv.Atoi(p); err != nil {
		return "", 0, false, fmt.Errorf("local: address %q: bad port", addr)
	}
	if port == 0 {
		if port, err = freePort(); err != nil {
			return "", 0, false, err
		}
		chosen = true
	}
	return host, port, chosen, nil
}

// freePort asks the kernel for a free loopback port (a variable so that a test can hand out
// a port that another process holds).
var freePort = func() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("local: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// writeEnvFile writes vars for wrangler's --env-file (dotenv syntax), readable only by the
// owner: it holds the secrets, which so stay out of the process list. dotenv takes single-,
// back- and double-quoted values literally (no escapes), so each value gets a quote it does
// not contain.
func writeEnvFile(path string, vars map[string]string) error {
	var b strings.Builder
	for k, v := range vars {
		if strings.ContainsAny(v, "\n\r") {
			return fmt.Errorf("local: variable %s has a line break", k)
		}
		q := ""
		for _, c := range []string{"'", "`", `"`} {
			if !strings.Contains(v, c) {
				q = c
				break
			}
		}
		if q == "" {
			return fmt.Errorf("local: variable %s contains every dotenv quote character", k)
		}
		// wrangler expands ${...} in .env values (dotenv-expand), quoted or not; policy
		// variables such as ${cognito-identity.amazonaws.com:sub} must arrive as written.
		v = strings.ReplaceAll(v, "$", `\$`)
		fmt.Fprintf(&b, "%s=%s%s%s\n", k, q, v, q)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("local: %w", err)
	}
	return nil
}

// readLines calls line for each line of r (without its line break) until r ends, each clipped
// to max bytes (bound.String); the rest of a longer line is read and dropped.
func readLines(r io.Reader, max int, line func(string)) {
	br := bufio.NewReaderSize(r, 64<<10)
	var cur []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(cur) <= max { // past max the line is cut anyway: keep no more of it
			cur = append(cur, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if len(cur) > 0 {
			line(bound.String(strings.TrimSuffix(strings.TrimSuffix(string(cur), "\n"), "\r"), max))
		}
		cur = cur[:0]
		if err != nil {
			return
		}
	}
}
