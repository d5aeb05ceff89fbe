package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/poolgate/poolgate/bench/internal/harness"
	"github.com/poolgate/poolgate/edge/local"
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
	kindDirect      kind = "direct"              // the origin itself, no gateway
	kindPassthrough kind = "workerd-passthrough" // a JS Worker forwarding unchecked
	kindJWTVerify   kind = "workerd-jwt-verify"  // a JS Worker verifying with aws-jwt-verify
)

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
func (s *system) configured() bool { return s.poolgate && s.kind != kindURL && s.config != "" }

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
			baseline, workerToken, workerJWKS = string(kindPassthrough), token, jwks
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
		for _, k := range []kind{kindPassthrough, kindJWTVerify} {
			c := &system{name: string(k), kind: k, tools: g.tools, master: g.master, dir: filepath.Join(g.root, string(k))}
			if err := os.MkdirAll(c.dir, 0o755); err != nil {
				return err
			}
			mode := map[kind]string{kindPassthrough: harness.Passthrough, kindJWTVerify: harness.JWTVerify}[k]
			d, err := c.launchWorker(func(o local.Options) (*local.Worker, error) {
				return harness.StartComparisonWorker(ctx, mode, o, g.origin.URL(), issuer, workerJWKS)
			})
			if err != nil {
				return err
			}
			g.logf("%s ready at %s after %s", c.name, c.url, d.Round(time.Millisecond))
			comparisons = append(comparisons, c)
			g.rep.Targets = append(g.rep.Targets, sysInfo{Name: c.name, Kind: k, Label: describeTarget(k), Process: true})
			token, baseline := "", ""
			if k == kindJWTVerify {
				token, baseline = workerToken, string(kindPassthrough)
			}
			gs = append(gs, guarded{c, c.url + harness.GuardedPath, token, baseline})
		}
	}
	g.addDirect()

	hc := newHTTPClient()
	for _, t := range gs {
		if t.token == "" {
			continue
		}
		if err := harness.CheckGuard(ctx, hc, t.url, t.token); err != nil {
			return fmt.Errorf("%s: %w", t.sys.name, err)
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
		return "aws-jwt-verify Worker (workerd)"
	}
	return string(k)
}
