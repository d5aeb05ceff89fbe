// Command gateway measures a JWT-guarded request side by side, in one run, against one local
// origin: poolgate's Worker in workerd (wrangler dev; as wrangler.toml and as
// wrangler.headless.toml deploy it, and headless with decision reuse off) vs a JavaScript
// Worker verifying with aws-jwt-verify (worker.mjs beside this file; forwarding the same
// identity headers, or only the sub) vs a pass-through Worker, and poolgate's wasm module
// under hostsim vs the same service compiled natively vs the origin directly. The
// targets are measured in interleaved rounds (so machine noise spreads over all of them) and
// it prints requests per second, p50/p95 latency and the latency added over the unguarded
// path, plus workerd CPU time per request, as markdown (and JSON with -json).
//
//	go run ./bench/gateway                 # what `make bench-gateway` runs
//	go run ./bench/gateway -n 4000 -c 16 -targets workerd-poolgate,workerd-jwt-verify
//	go run ./bench/gateway -c 1 -targets workerd-passthrough,workerd-poolgate,breakdown
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/poolgate/poolgate/bench/internal/harness"
	"github.com/poolgate/poolgate/hostsim"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/native/edgelocal"
	"github.com/poolgate/poolgate/internal/service"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

const issuerBase = "http://bench.poolgate.test"

var allTargets = []string{"direct", "native-poolgate", "hostsim-poolgate", "workerd-passthrough", "workerd-jwt-verify",
	"workerd-jwt-verify-sub", "workerd-poolgate", "workerd-poolgate-headless", "workerd-poolgate-headless-noreuse"}

func main() {
	n := flag.Int("n", 3000, "requests per target (split over the rounds)")
	c := flag.Int("c", 8, "concurrent clients")
	rounds := flag.Int("rounds", 5, "interleaved rounds")
	targets := flag.String("targets", strings.Join(allTargets, ","), "targets to measure")
	jsonOut := flag.String("json", "", "also write the results as JSON to this file")
	flag.Parse()
	if err := run(*n, *c, *rounds, strings.Split(*targets, ","), *jsonOut); err != nil {
		fmt.Fprintln(os.Stderr, "gateway bench:", err)
		os.Exit(1)
	}
}

// target is one way to reach the origin.
type target struct {
	name     string
	url      string // GET url (a guarded path for poolgate targets)
	token    string // bearer token, "" for none
	baseline string // the target whose p50 the added latency is measured against
	status   int    // the status every timed request must get; 0 means 200
	worker   *edgelocal.Worker

	lat     []time.Duration
	elapsed time.Duration
	cpu     time.Duration
	goBusy  float64 // ms the Worker's Go instance ran (poolgate Workers)
}

func run(n, c, rounds int, names []string, jsonOut string) error {
	ctx := context.Background()
	root, err := edgelocal.FindRoot(".")
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "poolgate-gwbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	want := func(name string) bool { return slices.Contains(names, name) }

	origin, err := harness.StartOrigin()
	if err != nil {
		return err
	}
	defer origin.Close()
	originURL := origin.URL()
	config := harness.Config(originURL)
	adminID, adminSecret, master := "AKIAGWBENCH000000001", harness.RandText(40), randBytes(32)

	var ts []*target
	add := func(t *target) { ts = append(ts, t) }
	if want("direct") {
		add(&target{name: "direct", url: originURL + harness.GuardedPath})
	}

	// Each poolgate has its own store and so its own signing keys: each target gets a token
	// from its own pool. The aws-jwt-verify Worker gets the last one's token and JWKS.
	var token, jwks string
	signIn := func(base string, t *target) error {
		var err error
		token, jwks, err = harness.MakeUser(ctx, base, adminID, adminSecret)
		t.token = token
		return err
	}

	if want("native-poolgate") {
		url, stop, err := startNative(config, adminID, adminSecret, master)
		if err != nil {
			return err
		}
		defer stop()
		t := &target{name: "native-poolgate", url: url + harness.GuardedPath, baseline: "direct"}
		if err := signIn(url, t); err != nil {
			return fmt.Errorf("native: %w", err)
		}
		add(t)
	}
	if want("hostsim-poolgate") {
		wasm := filepath.Join(tmp, "poolgate.wasm")
		if err := hostsim.BuildModule(ctx, "", wasm); err != nil {
			return err
		}
		srv, err := hostsim.Start(ctx, hostsim.Options{ModulePath: wasm, CompilationCacheDir: filepath.Join(tmp, "cache"),
			IssuerBase: issuerBase, Region: harness.Region, AdminAccessKeyID: adminID, AdminSecretAccessKey: adminSecret,
			MasterKey: master, Config: config, Sender: new(message.Recorder), Logf: func(string, ...any) {}})
		if err != nil {
			return err
		}
		defer srv.Close()
		t := &target{name: "hostsim-poolgate", url: srv.URL() + harness.GuardedPath, baseline: "direct"}
		if err := signIn(srv.URL(), t); err != nil {
			return fmt.Errorf("hostsim: %w", err)
		}
		add(t)
	}
	workerOptions := func() edgelocal.Options {
		return edgelocal.Options{Root: root, PersistDir: filepath.Join(tmp, "wrangler-"+harness.RandText(6)),
			IssuerBase: issuerBase, Region: harness.Region,
			AdminAccessKeyID: adminID, AdminSecretAccessKey: adminSecret, MasterKey: master}
	}
	// poolgate's Worker as wrangler.toml deploys it (with the sign-in app's static assets,
	// so wrangler dev routes every request through its asset router Worker first), and as
	// wrangler.headless.toml does (no assets, like the JS Workers it is compared with); the
	// headless one again with the reuse of gateway decisions turned off (every request
	// through Go).
	built := false
	for _, d := range []struct {
		name, config string
		vars         map[string]string
	}{
		{"workerd-poolgate", "", nil},
		{"workerd-poolgate-headless", "wrangler.headless.toml", nil},
		{"workerd-poolgate-headless-noreuse", "wrangler.headless.toml", map[string]string{"POOLGATE_GATEWAY_REUSE": "off"}},
	} {
		if !want(d.name) && !(d.name == "workerd-poolgate" && want("breakdown")) {
			continue
		}
		if !built {
			if err := edgelocal.Build(ctx, root); err != nil {
				return err
			}
			built = true
		}
		o := workerOptions()
		o.PoolgateConfig, o.Vars = config, d.vars
		if d.config != "" {
			o.Config = filepath.Join(root, d.config)
		}
		w, err := edgelocal.Start(ctx, o)
		if err != nil {
			return err
		}
		defer w.Close()
		t := &target{name: d.name, url: w.URL() + harness.GuardedPath, baseline: "workerd-passthrough", worker: w}
		if err := signIn(w.URL(), t); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		if want(d.name) {
			add(t)
		}
		if d.name == "workerd-poolgate" && want("breakdown") {
			// Where the Worker's time goes: Go answering at once (no gateway, no fetch), and a
			// token checked in full and then refused (no fetch).
			add(&target{name: "workerd-poolgate-glue-only", url: w.URL() + "/cognito-idp", worker: w, status: http.StatusBadRequest})
			add(&target{name: "workerd-poolgate-verify-only", url: w.URL() + harness.VerifyOnlyPath, token: t.token, worker: w,
				status: http.StatusUnauthorized})
		}
	}
	if token == "" {
		return errors.New("no poolgate target to issue a token: include native-poolgate, hostsim-poolgate or workerd-poolgate")
	}
	for _, mode := range []string{harness.Passthrough, harness.JWTVerify, harness.JWTVerifySub} {
		name := "workerd-" + mode
		if !want(name) {
			continue
		}
		issuer, err := harness.TokenIssuer(token)
		if err != nil {
			return err
		}
		w, err := harness.StartComparisonWorker(ctx, mode, workerOptions(), originURL, issuer, jwks)
		if err != nil {
			return err
		}
		defer w.Close()
		t := &target{name: name, url: w.URL() + harness.GuardedPath, worker: w}
		if mode != harness.Passthrough {
			t.baseline, t.token = "workerd-passthrough", token
		}
		add(t)
	}

	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4 * c, MaxConnsPerHost: 4 * c}, Timeout: 30 * time.Second}
	// Every guarded target must refuse a bad token and pass the good one before it is timed.
	identity := ""
	for _, t := range ts {
		if t.token == "" || t.status != 0 {
			continue
		}
		if err := harness.CheckGuard(ctx, hc, t.url, t.token); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		// The origin gets the same identity headers from every poolgate and from the
		// aws-jwt-verify Worker that does the same job.
		if t.name != "workerd-jwt-verify-sub" {
			if err := origin.SameIdentity(&identity, t.name); err != nil {
				return err
			}
		}
	}
	for _, t := range ts { // warm-up: connections, instances, key caches
		if err := t.load(ctx, hc, 200, c); err != nil {
			return err
		}
		t.lat, t.elapsed = nil, 0
	}
	for range rounds {
		for _, t := range ts {
			var cpu0 time.Duration
			var busy0 float64
			if t.worker != nil {
				cpu0, _ = t.worker.CPUTime()
				busy0 = goBusy(ctx, t.worker)
			}
			if err := t.load(ctx, hc, n/rounds, c); err != nil {
				return err
			}
			if t.worker != nil {
				cpu1, _ := t.worker.CPUTime()
				t.cpu += cpu1 - cpu0
				t.goBusy += goBusy(ctx, t.worker) - busy0
			}
		}
	}
	return report(ts, n/rounds*rounds, c, jsonOut)
}

// load sends count GETs with c concurrent clients and records each latency.
func (t *target) load(ctx context.Context, hc *http.Client, count, c int) error {
	want := cmp.Or(t.status, http.StatusOK)
	r := harness.Run(ctx, count, c, func(ctx context.Context, _ int) error {
		if status, body := harness.Get(ctx, hc, t.url, t.token); status != want {
			return fmt.Errorf("%s: status %d: %s", t.name, status, body)
		}
		return nil
	})
	t.elapsed += r.Elapsed
	t.lat = append(t.lat, r.Lat...)
	return r.FirstErr
}

type result struct {
	Target    string  `json:"target"`
	Requests  int     `json:"requests"`
	RPS       float64 `json:"rps"`
	P50ms     float64 `json:"p50_ms"`
	P95ms     float64 `json:"p95_ms"`
	AddedP50  float64 `json:"added_p50_ms,omitempty"`
	Baseline  string  `json:"baseline,omitempty"`
	CPUPerReq float64 `json:"workerd_cpu_ms_per_request,omitempty"`
	GoPerReq  float64 `json:"go_busy_ms_per_request,omitempty"`
}

func report(ts []*target, n, c int, jsonOut string) error {
	p50 := map[string]time.Duration{}
	for _, t := range ts {
		slices.Sort(t.lat)
		p50[t.name] = t.lat[len(t.lat)/2]
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	var rs []result
	fmt.Printf("gateway benchmark: %d GETs per target, %d concurrent clients, %s\n\n", n, c, time.Now().UTC().Format(time.RFC3339))
	fmt.Println("| target | req/s | p50 ms | p95 ms | added p50 ms (vs) | workerd CPU ms/req | Go busy ms/req |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	for _, t := range ts {
		r := result{Target: t.name, Requests: len(t.lat), RPS: float64(len(t.lat)) / t.elapsed.Seconds(),
			P50ms: ms(p50[t.name]), P95ms: ms(t.lat[len(t.lat)*95/100])}
		added := ""
		if base, ok := p50[t.baseline]; ok {
			r.AddedP50, r.Baseline = ms(p50[t.name]-base), t.baseline
			added = fmt.Sprintf("%.3f (%s)", r.AddedP50, t.baseline)
		}
		cpu := ""
		if t.worker != nil && t.cpu > 0 {
			r.CPUPerReq = ms(t.cpu) / float64(len(t.lat))
			cpu = fmt.Sprintf("%.3f", r.CPUPerReq)
		}
		busy := ""
		if t.goBusy > 0 {
			r.GoPerReq = t.goBusy / float64(len(t.lat))
			busy = fmt.Sprintf("%.3f", r.GoPerReq)
		}
		fmt.Printf("| %s | %.0f | %.3f | %.3f | %s | %s | %s |\n", r.Target, r.RPS, r.P50ms, r.P95ms, added, cpu, busy)
		rs = append(rs, r)
	}
	if jsonOut == "" {
		return nil
	}
	b, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(jsonOut, append(b, '\n'), 0o644)
}

// startNative serves the service compiled natively on a local listener.
func startNative(config []byte, adminID, adminSecret string, master []byte) (string, func(), error) {
	svc, err := service.New(service.Config{Region: harness.Region, IssuerBase: issuerBase, AdminAccessKeyID: adminID,
		AdminSecretAccessKey: adminSecret, MasterKey: master, Store: memstore.New(time.Now), Sender: new(message.Recorder),
		Transport: http.DefaultTransport, Crypto: hostcrypto.Pure{}})
	if err != nil {
		return "", nil, err
	}
	if _, err := svc.ApplyConfig(context.Background(), config); err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: svc}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// goBusy reads how long the Worker's Go instance has run so far (0 for other Workers).
func goBusy(ctx context.Context, w *edgelocal.Worker) float64 {
	g, err := w.Glue(ctx)
	if err != nil {
		return 0
	}
	return g.GoBusyMs
}
