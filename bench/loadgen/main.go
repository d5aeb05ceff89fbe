// Command loadgen measures poolgate side by side with the Cognito emulators people would pick
// instead (cognito-local, moto): it starts every server itself on this machine, drives each one
// with the same real client (AWS SDK Go v2) through the same operations, sequentially and
// concurrently, in an empty pool and in one grown to many users, repeats every measurement,
// reads the servers' CPU time and peak RSS from /proc, times their start-up, and writes the
// medians and the ratios poolgate ÷ peer as markdown (bench/results/<date>.md) and JSON.
// In the same run it measures poolgate's gateway (a JWT-guarded request, against a JS Worker
// verifying with aws-jwt-verify and a pass-through Worker) and identity pools (guest
// credentials, and a request signed with them through a sigv4 route), and the Worker's
// bundle size and cold start.
//
//	go run ./bench/loadgen -out bench/results/2026-11-22.md   # what `make bench` runs
//	go run ./bench/loadgen -systems hostsim,native -n 5 -reps 1 -users 0
//
// Systems: hostsim (build/poolgate, `make run`'s server), native (the same service compiled
// natively: loadgen re-executes itself), workerd (poolgate's Worker under wrangler dev, built
// from edge/), cognito-local (node_modules/cognito-local), moto (moto_server), or name=URL for
// a poolgate server started elsewhere (measured in the Cognito API groups only).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/poolgate/poolgate/bench/internal/harness"
	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

func main() {
	if os.Getenv(serveEnv) == "native" {
		if err := serveNative(os.Getenv); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// gen is one run: its settings, its systems and what they measured.
type gen struct {
	st       settings
	systems  []*system
	rep      *report
	log      io.Writer
	t0       time.Time
	clAPIMax int
	tools    tools
	root     string // the run's temporary directory
	master   []byte
	origin   *harness.Origin // behind the gateway's routes
	extraRes []resources     // the gateway's comparison Workers
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	systemsFlag := fs.String("systems", "hostsim,native,workerd,cognito-local,moto", "systems to measure: hostsim, native, workerd, cognito-local, moto, or name=URL (a poolgate server started elsewhere)")
	var t tools
	fs.StringVar(&t.poolgate, "poolgate", "build/poolgate", "the hostsim CLI (make build)")
	fs.StringVar(&t.module, "module", "build/poolgate.wasm", "the wasm module (make build)")
	fs.StringVar(&t.compiled, "compiled", "", "the module's machine code compiled by make build (build/cache), which hostsim servers start on as make run's does; empty: each compiles into its data directory")
	fs.StringVar(&t.node, "node", "node", "Node.js, for cognito-local")
	fs.StringVar(&t.cognitoLocal, "cognito-local", "node_modules/cognito-local", "the cognito-local package (npm ci)")
	fs.StringVar(&t.moto, "moto", "moto_server", "moto's server")
	fs.StringVar(&t.python, "python", "python3", "the Python moto is installed in (for its version)")
	ops := fs.String("ops", defaultOps, "operations, comma-separated (SRP, TOTPSignIn and DeviceSRPSignIn are measured on poolgate only)")
	n := fs.Int("n", 200, "requests per measurement")
	nLoaded := fs.Int("n-loaded", 100, "requests per measurement in the grown pool")
	warm := fs.Int("warmup", 10, "untimed requests before each measurement (at least 2 per client)")
	signIn := fs.Int("signin-users", defaultSignInUsers, "confirmed users the sign-in operations (and GetUser) cycle through, created in each pool before them")
	clients := fs.String("clients", "1,8", "concurrent clients, comma-separated")
	clientsLoaded := fs.String("clients-loaded", "", "concurrent clients in the grown pool (default -clients)")
	reps := fs.Int("reps", 3, "repetitions of every measurement (the median is reported)")
	users := fs.Int("users", 10000, "grow each pool to this many users and measure again (0: skip)")
	usersWorkerd := fs.Int("users-workerd", -1, "grow the Worker's pool to this many users instead (growing it through its API is slow; default -users)")
	gatewayN := fs.Int("gateway-n", 300, "requests per gateway measurement (0: skip the gateway group)")
	gatewayClients := fs.String("gateway-clients", "", "concurrent clients in the gateway group (default -clients)")
	identityN := fs.Int("identity-n", 100, "iterations per identity-pool measurement (0: skip the identity group)")
	oauthN := fs.Int("oauth-n", 100, "iterations per managed-login (OAuth 2.0) measurement (0: skip the oauth group)")
	buildWorker := fs.Bool("build-worker", true, "build the Worker (GOOS=js, into edge/build) before measuring workerd")
	clAPI := fs.Int("cognito-local-api-users", 1000, "cognito-local: users signed up through its API (timed) before the rest are seeded into its data file")
	startupReps := fs.Int("startup-reps", -1, "repetitions of the start-up measurements (default -reps; 0: skip)")
	out := fs.String("out", "", "markdown report file (default: standard output)")
	jsonOut := fs.String("json", "", "JSON report file (every sample)")
	mode := fs.String("mode", "default", "the run's name in the report (default, full, smoke)")
	fs.StringVar(&adminKey, "admin-key", adminKey, "admin access key id (for name=URL systems: the one that server was given)")
	fs.StringVar(&adminSecret, "admin-secret", adminSecret, "admin secret access key")
	render := fs.String("render", "", "write the markdown of an earlier run's JSON report (to -out) and measure nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *render != "" {
		return renderJSON(*render, *out, stdout)
	}
	if *n < 1 || *reps < 1 || *nLoaded < 1 || *signIn < 1 || *gatewayN < 0 || *identityN < 0 || *oauthN < 0 {
		return errors.New("-n, -n-loaded, -reps and -signin-users must be at least 1, -gateway-n, -identity-n and -oauth-n at least 0")
	}
	if *usersWorkerd < 0 {
		*usersWorkerd = *users
	}
	if *startupReps < 0 {
		*startupReps = *reps
	}
	cl, err := parseInts(*clients)
	if err != nil {
		return err
	}
	if *clientsLoaded == "" {
		*clientsLoaded = *clients
	}
	clLoaded, err := parseInts(*clientsLoaded)
	if err != nil {
		return err
	}
	if *gatewayClients == "" {
		*gatewayClients = *clients
	}
	clGateway, err := parseInts(*gatewayClients)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	t.self = self
	t.poolgate, t.module, t.cognitoLocal = absPath(t.poolgate), absPath(t.module), absPath(t.cognitoLocal)
	if t.compiled != "" {
		t.compiled = absPath(t.compiled)
	}

	g := &gen{
		st: settings{N: *n, NLoaded: *nLoaded, Warmup: *warm, Reps: *reps, SignInUsers: *signIn, Users: *users, UsersWorkerd: *usersWorkerd, StartupReps: *startupReps,
			CognitoLocalAPIUsers: *clAPI, Clients: cl, ClientsLoaded: clLoaded, Ops: splitList(*ops),
			GatewayN: *gatewayN, GatewayClients: clGateway, IdentityN: *identityN, OAuthN: *oauthN},
		log: stderr, t0: time.Now(), clAPIMax: *clAPI,
	}
	g.rep = &report{Started: g.t0, Mode: *mode, Settings: g.st}

	g.master = make([]byte, 32)
	rand.Read(g.master)
	if g.root, err = os.MkdirTemp("", "poolgate-loadgen-"); err != nil {
		return err
	}
	defer os.RemoveAll(g.root)
	// The origin behind the gateway's routes, and the configuration every poolgate this run
	// starts applies (its routes lead there; its identity pool vends the guests' credentials).
	if g.origin, err = harness.StartOrigin(); err != nil {
		return err
	}
	defer g.origin.Close()
	configPath := filepath.Join(g.root, "poolgate-config.json")
	if err := os.WriteFile(configPath, harness.Config(g.origin.URL()), 0o644); err != nil {
		return err
	}
	items := splitList(*systemsFlag)
	if slices.Contains(items, string(kindWorkerd)) {
		if t.root, err = edgelocal.FindRoot("."); err != nil {
			return err
		}
		if *buildWorker {
			g.logf("building the Worker (GOOS=js) into %s", filepath.Join(t.root, "edge", "build"))
			if err := edgelocal.Build(ctx, t.root); err != nil {
				return err
			}
		}
		if t.workerConfig, err = snapshotWorker(t.root, filepath.Join(g.root, "worker")); err != nil {
			return err
		}
	}
	g.tools = t
	for _, item := range items {
		s, err := newSystem(item, t, g.master, g.root)
		if err != nil {
			return err
		}
		if s.poolgate && s.kind != kindURL {
			s.config = configPath
		}
		g.systems = append(g.systems, s)
		g.rep.Systems = append(g.rep.Systems, sysInfo{Name: s.name, Kind: s.kind, Label: label(s), Poolgate: s.poolgate, Process: s.processBacked()})
	}
	if err := checkTools(g.systems); err != nil {
		return err
	}
	g.rep.Env = readEnv(t, g.systems)
	defer func() {
		for _, s := range g.systems {
			s.stop()
		}
	}()

	if err := g.moduleStartups(ctx); err != nil {
		if err := g.stepFailed("hostsim's in-process start-up", err); err != nil {
			return err
		}
	}
	if err := g.loadRun(ctx); err != nil {
		return err
	}
	if err := g.startups(ctx); err != nil {
		if err := g.stepFailed("the start-up measurements", err); err != nil {
			return err
		}
	}
	if raw, gz, err := fileSizes(t.module); err == nil && g.has(kindHostsim) {
		g.rep.ModuleRaw, g.rep.ModuleGzip = raw, gz
	}
	g.rep.HostsimPrecompiled = t.compiled != "" && g.has(kindHostsim)
	if g.has(kindWorkerd) {
		raw, gz, summary, err := harness.BundleSize(ctx, t.root, t.workerConfig, filepath.Join(g.root, "bundle"))
		if err != nil {
			if err := g.stepFailed("the Worker bundle's size", err); err != nil {
				return err
			}
		} else {
			g.rep.WorkerBundleRaw, g.rep.WorkerBundleGzip = raw, gz
			g.logf("Worker bundle: %s", summary)
		}
	}
	g.rep.Env.LoadAtEnd = loadAvg()
	g.rep.Duration = time.Since(g.t0)

	if err := g.write(*out, *jsonOut, stdout); err != nil {
		return err
	}
	var failed []string
	for _, m := range g.rep.Measurements {
		if !m.ok(g.st.Reps) {
			failed = append(failed, fmt.Sprintf("%s %s c=%d %s", m.Group, m.Op, m.Clients, m.System))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("measurements with errors (see the report): %s", strings.Join(failed, "; "))
	}
	return nil
}

func newSystem(item string, t tools, master []byte, root string) (*system, error) {
	if name, url, ok := strings.Cut(item, "="); ok {
		if name == "" || !strings.HasPrefix(url, "http") {
			return nil, fmt.Errorf("system %q: want name=http://host:port", item)
		}
		return &system{name: name, kind: kindURL, poolgate: true, srp: true, url: strings.TrimRight(url, "/"), tools: t}, nil
	}
	k := kind(item)
	s := &system{name: item, kind: k, tools: t, master: master}
	switch k {
	case kindHostsim, kindNative, kindWorkerd:
		s.poolgate, s.srp = true, true
	case kindCognitoLocal, kindMoto:
	default:
		return nil, fmt.Errorf("unknown system %q (hostsim, native, workerd, cognito-local, moto or name=URL)", item)
	}
	s.dir = filepath.Join(root, item)
	return s, os.MkdirAll(s.dir, 0o755)
}

func label(s *system) string {
	switch s.kind {
	case kindHostsim, kindNative, kindWorkerd:
		return "poolgate " + s.name
	}
	return s.name
}

// checkTools fails early, with the fix, when a server's program is missing.
func checkTools(systems []*system) error {
	for _, s := range systems {
		var missing string
		switch s.kind {
		case kindHostsim:
			for _, p := range []string{s.tools.poolgate, s.tools.module} {
				if _, err := os.Stat(p); err != nil {
					missing = p + " (run `make build`)"
				}
			}
		case kindCognitoLocal:
			if _, err := os.Stat(filepath.Join(s.tools.cognitoLocal, "lib", "bin", "start.js")); err != nil {
				missing = s.tools.cognitoLocal + " (run `npm ci`)"
			} else if _, err := exec.LookPath(s.tools.node); err != nil {
				missing = s.tools.node
			}
		case kindMoto:
			if _, err := exec.LookPath(s.tools.moto); err != nil {
				missing = s.tools.moto + " (moto[server] in this machine's Python)"
			}
		case kindWorkerd:
			if _, err := os.Stat(filepath.Join(s.tools.root, "node_modules", "wrangler", "wrangler-dist", "cli.js")); err != nil {
				missing = "wrangler (run `npm ci`)"
			} else if _, err := exec.LookPath("node"); err != nil {
				missing = "node"
			}
		}
		if missing != "" {
			return fmt.Errorf("%s: missing %s", s.name, missing)
		}
	}
	return nil
}

func (g *gen) has(k kind) bool {
	for _, s := range g.systems {
		if s.kind == k {
			return true
		}
	}
	return false
}

func (g *gen) logf(format string, args ...any) {
	fmt.Fprintf(g.log, "[%5.0fs] %s\n", time.Since(g.t0).Seconds(), fmt.Sprintf(format, args...))
}

// loadRun starts every system, measures small pools (a fresh pool for every operation and
// concurrency), the gateway and identity pools, grows one pool per system, measures it, and
// records each server's peak RSS.
func (g *gen) loadRun(ctx context.Context) error {
	for _, s := range g.systems {
		d, err := s.start(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			g.markDown(s, "did not start: "+reason(err))
			continue
		}
		g.logf("%s ready at %s after %s", s.name, s.url, d.Round(time.Millisecond))
	}
	fresh := func(ctx context.Context, s *system) (*runner, error) { return newRunner(ctx, s, g.st.SignInUsers) }
	if err := g.phase(ctx, groupEmpty, g.st.N, fresh); err != nil {
		return err
	}
	for _, group := range []struct {
		name string
		run  func(context.Context) error
	}{{"the gateway group", g.gateway}, {"the identity group", g.identity}, {"the OAuth group", g.oauth}} {
		if err := group.run(ctx); err != nil {
			if err := g.stepFailed(group.name, err); err != nil {
				return err
			}
		}
	}
	if g.st.Users > 0 {
		grown := map[string]*runner{}
		notGrown := map[string]error{}
		for _, s := range g.systems {
			if s.kind == kindWorkerd && g.st.UsersWorkerd == 0 || s.down != "" {
				continue // not measured in a grown pool, or down (recorded by phase)
			}
			r, err := newRunner(ctx, s, g.st.SignInUsers)
			if err == nil {
				err = g.grow(ctx, r)
			}
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				g.logf("%s: growing its pool failed: %v%s", s.name, err, s.diagnose())
				notGrown[s.name] = fmt.Errorf("growing the pool: %w", err)
				g.recover(ctx, s)
				continue
			}
			grown[s.name] = r
		}
		same := func(_ context.Context, s *system) (*runner, error) { return grown[s.name], notGrown[s.name] }
		if err := g.phase(ctx, groupLoaded, g.st.NLoaded, same); err != nil {
			return err
		}
	}
	for _, s := range g.systems {
		s.stop() // records the peak RSS
		if s.processBacked() {
			g.rep.Resources = append(g.rep.Resources, resources{System: s.name, PeakRSSKiB: s.peakRSSKiB})
		}
	}
	g.rep.Resources = append(g.rep.Resources, g.extraRes...)
	return nil
}

// grow brings a system's pool to st.Users users: through the API (SignUp, timed), and for
// cognito-local past its first clAPIMax users by seeding its data file.
func (g *gen) grow(ctx context.Context, r *runner) error {
	s := r.sys
	before := int(r.created.Load())
	apiTarget := g.st.Users
	if s.kind == kindWorkerd {
		apiTarget = g.st.UsersWorkerd
	}
	if s.kind == kindCognitoLocal && apiTarget > before+g.clAPIMax {
		apiTarget = before + g.clAPIMax
	}
	t0 := time.Now()
	if err := r.populate(ctx, apiTarget); err != nil {
		return err
	}
	pop := population{System: s.name, APIUsers: int(r.created.Load()) - before, API: time.Since(t0)}
	g.logf("%s: %d users signed up in %s", s.name, pop.APIUsers, pop.API.Round(time.Millisecond))
	if s.kind == kindCognitoLocal && g.st.Users > int(r.created.Load()) {
		seeded, err := seedCognitoLocal(ctx, r, g.st.Users)
		if err != nil {
			return err
		}
		pop.Seeded = seeded
		g.logf("%s: %d users seeded into its data file", s.name, seeded)
	}
	pop.Users = int(r.created.Load())
	g.rep.Population = append(g.rep.Population, pop)
	return nil
}

// phase measures every operation at every concurrency on every system, the repetitions of all
// systems interleaved so that each repetition's systems ran back to back. runnerFor gives the
// pool each (operation, concurrency) is measured in (nil: the system is not measured).
func (g *gen) phase(ctx context.Context, group string, n int, runnerFor func(context.Context, *system) (*runner, error)) error {
	clients := g.st.Clients
	if group == groupLoaded {
		clients = g.st.ClientsLoaded
	}
	for _, c := range clients {
		warm := g.st.Warmup
		if warm < 2*c {
			warm = 2 * c
		}
		for _, op := range g.st.Ops {
			var meas []*measurement
			var runners []*runner
			for _, s := range g.systems {
				if (op == opSRP || op == opTOTP || op == opDeviceSRP) && !s.srp {
					continue // the peers verify no SRP and keep no TOTP secrets or devices
				}
				if (op == opTOTP || op == opDeviceSRP) && group == groupLoaded {
					continue // measured in a pool of its own (mfa.go), never a loaded one
				}
				m := &measurement{Group: group, Op: op, Clients: c, System: s.name}
				if s.down != "" {
					m.Failed = "server down: " + s.down
					g.rep.Measurements = append(g.rep.Measurements, m)
					continue
				}
				r, err := runnerFor(ctx, s)
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					g.rep.Measurements = append(g.rep.Measurements, m)
					g.fail(m, err)
					g.recover(ctx, s)
					continue
				}
				if r == nil {
					continue
				}
				g.rep.Measurements = append(g.rep.Measurements, m)
				meas, runners = append(meas, m), append(runners, r)
			}
			// Up to two more repetitions for a measurement that had errors.
			for rep := 0; rep < g.st.Reps+2; rep++ {
				for i, m := range meas {
					if m.Failed != "" || rep >= g.st.Reps && m.ok(g.st.Reps) {
						continue
					}
					if ctx.Err() != nil {
						return ctx.Err()
					}
					r := runners[i]
					smp, err := r.measure(ctx, op, n, warm, c)
					if err != nil {
						if ctx.Err() != nil {
							return ctx.Err()
						}
						g.logf("%v%s", err, r.sys.diagnose())
						g.fail(m, err)
						g.recover(ctx, r.sys)
						continue
					}
					m.Samples = append(m.Samples, smp)
					g.logf("%s %-20s %-14s c=%d rep %d: %8.1f req/s p50 %s ms errors %d", group, op, r.sys.name, c, rep+1, smp.RPS, ms(smp.P50), smp.Errors)
					if smp.Errors > 0 {
						g.logf("  first error: %s%s", smp.FirstErr, r.sys.diagnose())
						if !r.sys.answers(ctx) {
							g.fail(m, fmt.Errorf("the server stopped answering during the measurement; first error: %s", smp.FirstErr))
							g.recover(ctx, r.sys)
						}
					}
				}
			}
		}
	}
	return nil
}

// startups times each server's start and restart.
func (g *gen) startups(ctx context.Context) error {
	if g.st.StartupReps == 0 {
		return nil
	}
	for i, res := range g.rep.Resources {
		var proto *system
		for _, s := range g.systems {
			if s.name == res.System {
				proto = s
			}
		}
		if proto == nil || proto.down != "" {
			continue // a gateway comparison Worker (its peak RSS only), or a system that went down
		}
		first, again, err := serverStartups(ctx, proto, g.st.StartupReps)
		if err != nil {
			return err
		}
		g.rep.Resources[i].First, g.rep.Resources[i].Restart = first, again
		g.logf("%s: start %v, restart %v", proto.name, first, again)
	}
	return nil
}

// moduleStartups times hostsim.Start in process (compile with an empty cache and with the one
// it filled), before the load run: the hostsim server then starts on the cache that left.
func (g *gen) moduleStartups(ctx context.Context) error {
	if g.st.StartupReps == 0 {
		return nil
	}
	for _, s := range g.systems {
		if s.kind != kindHostsim {
			continue
		}
		cold, warm, err := hostsimStartups(ctx, g.tools.module, g.st.StartupReps, filepath.Join(s.dir, "cache"))
		if err != nil {
			return err
		}
		g.rep.HostsimCold, g.rep.HostsimWarm = cold, warm
		g.logf("hostsim in process: cold %v, warm %v", cold, warm)
		return nil
	}
	return nil
}

func (g *gen) write(mdPath, jsonPath string, stdout io.Writer) error {
	if mdPath == "" {
		g.rep.markdown(stdout)
	} else {
		if err := os.MkdirAll(filepath.Dir(mdPath), 0o755); err != nil {
			return err
		}
		f, err := os.Create(mdPath)
		if err != nil {
			return err
		}
		g.rep.markdown(f)
		if err := f.Close(); err != nil {
			return err
		}
		g.logf("wrote %s", mdPath)
	}
	if jsonPath != "" {
		b, err := json.MarshalIndent(g.rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonPath, b, 0o644); err != nil {
			return err
		}
		g.logf("wrote %s", jsonPath)
	}
	return nil
}

// renderJSON rewrites the markdown of a run from its JSON report.
func renderJSON(jsonPath, mdPath string, stdout io.Writer) error {
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		return err
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("%s: %w", jsonPath, err)
	}
	if len(rep.Systems) == 0 || len(rep.Settings.Clients) == 0 {
		return fmt.Errorf("%s: not a loadgen report", jsonPath)
	}
	if mdPath == "" {
		rep.markdown(stdout)
		return nil
	}
	var buf bytes.Buffer
	rep.markdown(&buf)
	return os.WriteFile(mdPath, buf.Bytes(), 0o644)
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		v, err := strconv.Atoi(f)
		if err != nil || v < 1 {
			return nil, fmt.Errorf("bad number %q", f)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("no concurrency levels")
	}
	return out, nil
}
