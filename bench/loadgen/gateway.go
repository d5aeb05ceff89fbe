package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/poolgate/poolgate/bench/internal/harness"
	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// The groups that time requests in front of an origin, and their operations.
const (
	groupGateway  = "gateway"
	groupIdentity = "identity"

	opGuarded = "JWT-guarded GET"
	opVend    = "GetId + GetCredentialsForIdentity"
	opSigned  = "SigV4-signed GET"
)

// The targets of those groups that are not systems of the Cognito API groups.
const (
	kindDirect       kind = "direct"                 // the origin itself, no gateway
	kindPassthrough  kind = "workerd-passthrough"    // a JS Worker forwarding unchecked
	kindJWTVerify    kind = "workerd-jwt-verify"     // a JS Worker verifying with aws-jwt-verify, identity headers as poolgate's
	kindJWTVerifySub kind = "workerd-jwt-verify-sub" // the same, passing on the sub only
)

// The other poolgate Workers of the gateway group: the run's Worker deployed with
// wrangler.headless.toml (no static assets, so wrangler dev runs no asset router in front of
// it, as in front of the JS Workers), and the same with reuse of gateway decisions off.
const (
	workerHeadless        = "workerd-headless"
	workerHeadlessNoReuse = "workerd-headless-noreuse"
)

// comparisonWorker reports whether name is a Worker the gateway group starts for itself.
func comparisonWorker(name string) bool {
	switch kind(name) {
	case kindPassthrough, kindJWTVerify, kindJWTVerifySub, workerHeadless, workerHeadlessNoReuse:
		return true
	}
	return false
}

// gatewayWarmup is how many untimed requests each gateway target gets once before its first
// measurement (connections, the isolates' JIT, the key caches): ten times -warmup.
func (st settings) gatewayWarmup() int { return 10 * st.Warmup }

// target is one timed way of doing an operation: its measurement, the server CPU it reads
// (nil for none) and one request.
type target struct {
	m   *measurement
	cpu func() (time.Duration, bool)
	do  func(ctx context.Context, i int) error
	hc  *http.Client
}

// configured reports whether s is a poolgate this run started with the benchmark's
// configuration (harness.Config): the gateway and identity groups measure those.
func (s *system) configured() bool {
	return s.poolgate && s.kind != kindURL && s.config != "" && s.down == ""
}

// newHTTPClient is a client with connections of its own for one target.
func newHTTPClient() *http.Client {
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 2 * time.Second}}
}

// addTarget registers a target's measurement in the report.
func (g *gen) addTarget(group, op string, clients int, system, baseline string, cpu func() (time.Duration, bool),
	do func(*http.Client) func(context.Context, int) error) *target {
	m := &measurement{Group: group, Op: op, Clients: clients, System: system, Baseline: baseline}
	g.rep.Measurements = append(g.rep.Measurements, m)
	hc := newHTTPClient()
	return &target{m: m, cpu: cpu, do: do(hc), hc: hc}
}

// interleave measures every target n requests from conc clients, reps times, the targets one
// after the other in each repetition; a target with errors gets up to two more repetitions.
func (g *gen) interleave(ctx context.Context, n, conc int, ts []*target) error {
	warm := max(g.st.Warmup, 2*conc)
	for rep := 0; rep < g.st.Reps+2; rep++ {
		for _, t := range ts {
			if rep >= g.st.Reps && t.m.ok(g.st.Reps) {
				continue
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// Connections idle since the last repetition may be closing on the server's side.
			t.hc.Transport.(*http.Transport).CloseIdleConnections()
			harness.Run(ctx, warm, conc, t.do)
			smp := timed(ctx, n, conc, t.cpu, t.do)
			t.m.Samples = append(t.m.Samples, smp)
			g.logf("%s %-20s %-20s c=%d rep %d: %8.1f req/s p50 %s ms errors %d", t.m.Group, t.m.Op, t.m.System, conc, rep+1, smp.RPS, ms(smp.P50), smp.Errors)
			if smp.Errors > 0 {
				g.logf("  first error: %s", smp.FirstErr)
			}
		}
	}
	return nil
}

// gateway measures a JWT-guarded GET in front of the origin: straight to the origin; through
// poolgate's jwt route on every configured poolgate (hostsim, native, the Worker); and, when
// the Worker is measured, through a pass-through JS Worker and a JS Worker verifying the same
// token with aws-jwt-verify, both under wrangler dev like poolgate's Worker. poolgate's
// Worker is compared with those two, hostsim and native with the origin.
func (g *gen) gateway(ctx context.Context) error {
	if g.st.GatewayN == 0 {
		return nil
	}
	type guarded struct {
		sys      *system
		url      string
		token    string
		baseline string
	}
	var gs []guarded
	var workerToken, workerJWKS string
	var workerSys *system
	for _, s := range g.systems {
		if !s.configured() {
			continue
		}
		token, jwks, err := harness.MakeUser(ctx, s.url, adminKey, adminSecret)
		if err != nil {
			return fmt.Errorf("%s: gateway user: %w", s.name, err)
		}
		baseline := string(kindDirect)
		if s.kind == kindWorkerd {
			baseline, workerToken, workerJWKS, workerSys = string(kindPassthrough), token, jwks, s
		}
		gs = append(gs, guarded{s, s.url + harness.GuardedPath, token, baseline})
	}
	if len(gs) == 0 {
		return nil
	}
	var comparisons []*system
	defer func() {
		for _, c := range comparisons {
			c.stop()
			g.extraRes = append(g.extraRes, resources{System: c.name, PeakRSSKiB: c.peakRSSKiB})
		}
	}()
	if workerToken != "" {
		issuer, err := harness.TokenIssuer(workerToken)
		if err != nil {
			return err
		}
		config, err := os.ReadFile(workerSys.config)
		if err != nil {
			return err
		}
		headless := func(vars map[string]string) func(edgelocal.Options) (*edgelocal.Worker, error) {
			return func(o edgelocal.Options) (*edgelocal.Worker, error) {
				o.Config = filepath.Join(filepath.Dir(g.tools.workerConfig), "wrangler.headless.toml")
				o.PoolgateConfig, o.Vars = config, vars
				return edgelocal.Start(ctx, o)
			}
		}
		js := func(mode string) func(edgelocal.Options) (*edgelocal.Worker, error) {
			return func(o edgelocal.Options) (*edgelocal.Worker, error) {
				return harness.StartComparisonWorker(ctx, mode, o, g.origin.URL(), issuer, workerJWKS)
			}
		}
		for _, c := range []struct {
			name     string
			kind     kind
			label    string
			start    func(edgelocal.Options) (*edgelocal.Worker, error)
			poolgate bool
		}{
			{string(kindPassthrough), kindPassthrough, describeTarget(kindPassthrough), js(harness.Passthrough), false},
			{string(kindJWTVerify), kindJWTVerify, describeTarget(kindJWTVerify), js(harness.JWTVerify), false},
			{string(kindJWTVerifySub), kindJWTVerifySub, describeTarget(kindJWTVerifySub), js(harness.JWTVerifySub), false},
			{workerHeadless, kindWorkerd, "poolgate Worker without assets (wrangler.headless.toml)", headless(nil), true},
			{workerHeadlessNoReuse, kindWorkerd, "the same, decision reuse off (every request through Go)",
				headless(map[string]string{"POOLGATE_GATEWAY_REUSE": "off"}), true},
		} {
			sys := &system{name: c.name, kind: c.kind, tools: g.tools, master: g.master, dir: filepath.Join(g.root, c.name)}
			if err := os.MkdirAll(sys.dir, 0o755); err != nil {
				return err
			}
			d, err := sys.launchWorker(c.start)
			if err != nil {
				return err
			}
			g.logf("%s ready at %s after %s", sys.name, sys.url, d.Round(time.Millisecond))
			comparisons = append(comparisons, sys)
			g.rep.Targets = append(g.rep.Targets, sysInfo{Name: sys.name, Kind: c.kind, Label: c.label, Poolgate: c.poolgate, Process: true})
			token, baseline := "", ""
			switch {
			case c.poolgate:
				if token, _, err = harness.MakeUser(ctx, sys.url, adminKey, adminSecret); err != nil {
					return fmt.Errorf("%s: gateway user: %w", sys.name, err)
				}
				baseline = string(kindPassthrough)
			case c.kind != kindPassthrough:
				token, baseline = workerToken, string(kindPassthrough)
			}
			gs = append(gs, guarded{sys, sys.url + harness.GuardedPath, token, baseline})
		}
	}
	g.addDirect()

	hc := newHTTPClient()
	identity := ""
	for _, t := range gs {
		if t.token == "" {
			continue
		}
		if err := harness.CheckGuard(ctx, hc, t.url, t.token); err != nil {
			return fmt.Errorf("%s: %w", t.sys.name, err)
		}
		// Every poolgate and the aws-jwt-verify Worker doing the same job tell the origin the
		// same things about the caller.
		if t.sys.kind != kindJWTVerifySub {
			if err := g.origin.SameIdentity(&identity, t.sys.name); err != nil {
				return err
			}
		}
	}
	get := func(url, token string) func(*http.Client) func(context.Context, int) error {
		return func(hc *http.Client) func(context.Context, int) error {
			return func(ctx context.Context, _ int) error {
				if status, body := harness.Get(ctx, hc, url, token); status != http.StatusOK {
					return fmt.Errorf("GET %s: %d %s", url, status, body)
				}
				return nil
			}
		}
	}
	for i, c := range g.st.GatewayClients {
		ts := []*target{g.addTarget(groupGateway, opGuarded, c, string(kindDirect), "", nil, get(g.origin.URL()+harness.GuardedPath, ""))}
		for _, t := range gs {
			ts = append(ts, g.addTarget(groupGateway, opGuarded, c, t.sys.name, t.baseline, t.sys.cpuTime, get(t.url, t.token)))
		}
		if i == 0 {
			for _, t := range ts {
				if r := harness.Run(ctx, g.st.gatewayWarmup(), 8, t.do); r.Errors > 0 {
					return fmt.Errorf("gateway warm-up on %s: %d errors; first: %v", t.m.System, r.Errors, r.FirstErr)
				}
			}
		}
		if err := g.interleave(ctx, g.st.GatewayN, c, ts); err != nil {
			return err
		}
	}
	return nil
}

// addDirect lists the origin among the report's targets, once.
func (g *gen) addDirect() {
	for _, t := range g.rep.Targets {
		if t.Kind == kindDirect {
			return
		}
	}
	g.rep.Targets = append(g.rep.Targets, sysInfo{Name: string(kindDirect), Kind: kindDirect, Label: describeTarget(kindDirect)})
}

// describeTarget is the label of a target that is not a system.
func describeTarget(k kind) string {
	switch k {
	case kindDirect:
		return "origin directly"
	case kindPassthrough:
		return "pass-through Worker (workerd)"
	case kindJWTVerify:
		return "aws-jwt-verify Worker (workerd), identity headers as poolgate's"
	case kindJWTVerifySub:
		return "aws-jwt-verify Worker (workerd), sub only"
	}
	return string(k)
}
