package main

import (
	"cmp"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/poolgate/poolgate/bench/internal/harness"
)

// report is everything one run measured; it renders as markdown and marshals as JSON.
type report struct {
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	Mode     string        `json:"mode"`
	Settings settings      `json:"settings"`
	Env      envInfo       `json:"env"`
	Systems  []sysInfo     `json:"systems"`

	Measurements []*measurement  `json:"measurements"`
	Population   []population    `json:"population,omitempty"`
	Resources    []resources     `json:"resources"`
	HostsimCold  []hostsimTiming `json:"hostsim_start_cold,omitempty"`
	HostsimWarm  []hostsimTiming `json:"hostsim_start_warm,omitempty"`
	// HostsimPrecompiled: the hostsim servers started on the machine code `make build` compiled
	// (as `make run` starts them), not on a compilation of their own.
	HostsimPrecompiled bool  `json:"hostsim_precompiled,omitempty"`
	ModuleRaw          int64 `json:"module_bytes"`
	ModuleGzip         int64 `json:"module_gzip_bytes"`
	// Targets are what the gateway and identity groups measure besides the systems: the
	// origin directly and the gateway's comparison Workers.
	Targets          []sysInfo `json:"targets,omitempty"`
	WorkerBundleRaw  int64     `json:"worker_bundle_bytes,omitempty"`
	WorkerBundleGzip int64     `json:"worker_bundle_gzip_bytes,omitempty"`
	// Down are the systems taken out of the run after a failure, Notes the steps outside the
	// API groups that failed (failure.go).
	Down  []downSystem `json:"down,omitempty"`
	Notes []string     `json:"notes,omitempty"`
	// Pending are groups an earlier version of loadgen could not measure yet (kept so that
	// -render redraws those reports as they were).
	Pending []string `json:"pending,omitempty"`
}

type settings struct {
	N, NLoaded, Warmup, Reps, Users, StartupReps int
	UsersWorkerd                                 int // the Worker's grown pool
	SignInUsers                                  int // 0 in reports from before -signin-users: 20
	CognitoLocalAPIUsers                         int
	Clients, ClientsLoaded                       []int
	Ops                                          []string
	GatewayN, IdentityN, OAuthN                  int // 0: group not measured
	GatewayClients                               []int
}

type sysInfo struct {
	Name     string `json:"name"`
	Kind     kind   `json:"kind"`
	Label    string `json:"label"`
	Poolgate bool   `json:"poolgate"`
	Process  bool   `json:"process"`
}

// The groups of measurements.
const (
	groupEmpty  = "empty"
	groupLoaded = "loaded"
)

// measurement is the repetitions of one operation on one system (or target) at one
// concurrency. Baseline names the system of the same group, operation and concurrency whose
// latency this one's added latency is measured against ("" for none).
type measurement struct {
	Group    string   `json:"group"`
	Op       string   `json:"op"`
	Clients  int      `json:"clients"`
	System   string   `json:"system"`
	Baseline string   `json:"baseline,omitempty"`
	Samples  []sample `json:"samples"`
	// Failed, when set, is why the measurement could not be made (its preparation failed or
	// its server died; failure.go): it has no samples.
	Failed string `json:"failed,omitempty"`
}

// population is how a system's pool was grown to the loaded size.
type population struct {
	System   string        `json:"system"`
	Users    int           `json:"users"`
	APIUsers int           `json:"api_users"` // signed up through the API, timed
	API      time.Duration `json:"api_ns"`
	Seeded   int           `json:"seeded"` // written into the data file (cognito-local)
}

type resources struct {
	System     string        `json:"system"`
	PeakRSSKiB int64         `json:"peak_rss_kib"`
	First      []serverStart `json:"first_start"`
	Restart    []serverStart `json:"restart"`
}

// valid are the error-free samples: only they count.
func (m *measurement) valid() []sample {
	var v []sample
	for _, s := range m.Samples {
		if s.Errors == 0 {
			v = append(v, s)
		}
	}
	return v
}

func (m *measurement) errors() (n int, first string) {
	for _, s := range m.Samples {
		n += s.Errors
		if first == "" {
			first = s.FirstErr
		}
	}
	return n, first
}

// ok reports whether the measurement has reps error-free samples.
func (m *measurement) ok(reps int) bool { return len(m.valid()) >= reps }

func medianDur(ss []sample, f func(sample) time.Duration) time.Duration {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = float64(f(s))
	}
	return time.Duration(median(v))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ratio is the median over repetitions i of poolgate's req/s ÷ the peer's, pairing the i-th
// samples (run back to back); pairs where either errored are left out.
func ratio(pg, peer *measurement) (float64, bool) {
	return pairedMedian(pg, peer, func(a, b sample) (float64, bool) { return a.RPS / b.RPS, b.RPS > 0 })
}

// pairedMedian is the median over repetitions i of f(a's i-th sample, b's i-th sample), pairs
// where either errored or f declines left out.
func pairedMedian(a, b *measurement, f func(x, y sample) (float64, bool)) (float64, bool) {
	var r []float64
	for i := 0; i < len(a.Samples) && i < len(b.Samples); i++ {
		x, y := a.Samples[i], b.Samples[i]
		if x.Errors > 0 || y.Errors > 0 {
			continue
		}
		if v, ok := f(x, y); ok {
			r = append(r, v)
		}
	}
	if len(r) == 0 {
		return 0, false
	}
	return median(r), true
}

// addedP50 is the median over repetitions of m's p50 minus its baseline's in the same
// repetition.
func addedP50(m, base *measurement) (time.Duration, bool) {
	d, ok := pairedMedian(m, base, func(x, y sample) (float64, bool) { return float64(x.P50 - y.P50), true })
	return time.Duration(d), ok
}

func (r *report) find(group, op string, clients int, sys string) *measurement {
	for _, m := range r.Measurements {
		if m.Group == group && m.Op == op && m.Clients == clients && m.System == sys {
			return m
		}
	}
	return nil
}

func (r *report) label(sys string) string {
	for _, s := range append(r.Systems[:len(r.Systems):len(r.Systems)], r.Targets...) {
		if s.Name == sys {
			return s.Label
		}
	}
	return sys
}

// measured are the group's measurements at a concurrency, in the order they were taken.
func (r *report) measured(group string, clients int) []*measurement {
	var out []*measurement
	for _, m := range r.Measurements {
		if m.Group == group && m.Clients == clients {
			out = append(out, m)
		}
	}
	return out
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

func msShort(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	if f >= 100 {
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprintf("%.1f", f)
}

func rps(f float64) string {
	if f >= 100 {
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprintf("%.1f", f)
}

func mib(kib int64) string { return fmt.Sprintf("%.1f", float64(kib)/1024) }

// markdown writes the report as bench/results/<date>.md.
func (r *report) markdown(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	st := r.Settings
	// ifWorkerd is text about the Worker, for reports that measured it.
	ifWorkerd := func(text string) string {
		if r.hasKind(kindWorkerd) {
			return text
		}
		return ""
	}
	p("# poolgate benchmark, %s\n\n", r.Started.UTC().Format("2006-01-02"))
	p("Run at %s UTC, %s mode, %s in all. Every system is driven by the same load generator "+
		"(bench/loadgen, AWS SDK Go v2) on the same machine in the same run. Each measurement is %d requests "+
		"after %d untimed warm-up requests, repeated %d times, the repetitions of all systems interleaved; "+
		"tables give the median of the repetitions. Only error-free repetitions count. "+
		"The load generator shares the machine's cores with the server it drives.\n\n",
		r.Started.UTC().Format("15:04"), r.Mode, r.Duration.Round(time.Second), st.N, st.Warmup, st.Reps)
	writeNotes(w, r.downNotes())

	p("## Machine and versions\n\n| | |\n|---|---|\n")
	e := r.Env
	p("| CPU | %s, %d cores |\n", e.CPU, e.Cores)
	p("| memory | %s GiB |\n", e.MemoryGiB)
	p("| kernel | Linux %s |\n", e.Kernel)
	p("| load average (1 min) at start / end | %s / %s |\n", e.LoadAtStart, e.LoadAtEnd)
	p("| poolgate | %s, %s, wazero %s |\n", e.Poolgate, e.Go, e.Wazero)
	if e.Wrangler != "" {
		p("| poolgate's Worker | wrangler %s, workerd %s, Node %s |\n", e.Wrangler, e.Workerd, e.Node)
	}
	if e.JWTVerify != "" && r.has(groupGateway) {
		p("| gateway comparison Worker | aws-jwt-verify %s |\n", e.JWTVerify)
	}
	if e.CognitoLoc != "" {
		p("| cognito-local | %s on Node %s |\n", e.CognitoLoc, e.Node)
	}
	if e.Moto != "" {
		p("| moto | %s (moto_server) on Python %s |\n", e.Moto, e.Python)
	}
	p("| client | aws-sdk-go-v2 %s, cognitoidentityprovider %s", e.SDK, e.SDKCognito)
	if e.SDKIdentity != "" && r.has(groupIdentity) {
		p(", cognitoidentity %s", e.SDKIdentity)
	}
	p(" |\n\n")
	p("Systems: ")
	for i, s := range r.Systems {
		if i > 0 {
			p("; ")
		}
		p("**%s** (%s)", s.Label, describe(s.Kind))
	}
	p(".\n\n")

	r.apiGroup(w, groupEmpty, fmt.Sprintf("## Cognito API, fresh pool\n\n"+
		"Every operation and concurrency is measured in a new pool with one app client (SRP, password and refresh flows allowed), "+
		"which holds only the users that measurement creates. SignUp creates a new user per request; "+
		"AdminConfirmSignUp confirms users signed up beforehand (untimed); InitiateAuthPassword is USER_PASSWORD_AUTH and SRP the full "+
		"USER_SRP_AUTH + PASSWORD_VERIFIER round trip (client math included; measured on poolgate only, since the peers do not verify SRP), "+
		"both over %d confirmed users; GetUser uses their access tokens; TOTPSignIn is USER_PASSWORD_AUTH answered with "+
		"SOFTWARE_TOKEN_MFA, then RespondToAuthChallenge with the code (poolgate only, in a pool with MFA ON of its own, one user "+
		"set up untimed per sign-in since a code is good once); DeviceSRPSignIn is USER_PASSWORD_AUTH with DEVICE_KEY answered with "+
		"DEVICE_SRP_AUTH, then DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER (three round trips, client math included; poolgate only, "+
		"in a pool with MFA ON and remembered devices of its own, over users whose devices were confirmed untimed). Server CPU is the server process's user + system time per request "+
		"(/proc, 10 ms ticks%s): on a shared machine it is steadier than req/s and latency, whose spread over the repetitions the range "+
		"column shows.\n\n", cmp.Or(st.SignInUsers, defaultSignInUsers), ifWorkerd("; for the Worker, its two workerd processes, wrangler's proxy and the runtime")))
	if st.Users > 0 {
		intro := fmt.Sprintf("## Cognito API, pool of %d users\n\n"+
			"The same operations in one pool per system grown to %d users first (%d requests per measurement; "+
			"the measurements add a few hundred more). cognito-local keeps each pool in one JSON file that every write rewrites.",
			st.Users, st.Users, st.NLoaded)
		if st.UsersWorkerd != st.Users && r.hasKind(kindWorkerd) {
			if st.UsersWorkerd == 0 {
				intro += " poolgate on workerd is not measured in a grown pool in this run."
			} else {
				intro += fmt.Sprintf(" poolgate on workerd's pool is grown to %d users only: it can be grown through its API alone "+
					"(its KV is the local simulator's), which takes too long for this mode.", st.UsersWorkerd)
			}
		}
		r.apiGroup(w, groupLoaded, intro+"\n\n")
		if len(r.Population) > 0 {
			p("How each pool was grown: SignUp from %d concurrent clients, timed. "+
				"cognito-local signed up only its first %d users that way; the rest were written into its pool file (clones of a user it "+
				"created, then a restart), because growing it through its API costs O(N²): every write rewrites the whole file and every "+
				"SignUp scans every user.\n\n", populateConns, st.CognitoLocalAPIUsers)
			p("| system | users | signed up through the API | API time s | users/s | seeded into the data file |\n|---|---|---|---|---|---|\n")
			for _, pop := range r.Population {
				rate := "-"
				if pop.APIUsers > 0 && pop.API > 0 {
					rate = rps(float64(pop.APIUsers) / pop.API.Seconds())
				}
				p("| %s | %d | %d | %.1f | %s | %d |\n", r.label(pop.System), pop.Users, pop.APIUsers, pop.API.Seconds(), rate, pop.Seeded)
			}
			p("\n")
		}
	}
	r.gatewayGroup(w)
	r.identityGroup(w)
	r.oauthGroup(w)

	p("## Start-up and resources\n\n")
	if len(r.Resources) == 0 && len(r.HostsimCold) == 0 && r.ModuleRaw == 0 && r.WorkerBundleRaw == 0 {
		p("Not measured in this run.\n\n")
	}
	if len(r.Resources) > 0 {
		p("Start: process exec to its first HTTP answer, median of %d; first start on an empty data directory, restart on the one it left "+
			"(for poolgate hostsim: %s%s). First API call: ListUserPools right after that start%s. "+
			"Peak RSS: the largest VmHWM of the server process over the run above%s.\n\n", st.StartupReps,
			hostsimStartNote(r.HostsimPrecompiled),
			ifWorkerd("; for poolgate on workerd: `wrangler dev` started until the Worker's JS glue answers, on the KV the first start persisted"),
			ifWorkerd("; on workerd it starts the Go instance in a fresh isolate (a cold start), and after the first start it also applies "+
				"the configuration file, which hostsim and native apply before they answer, while after the restart it finds it applied"),
			ifWorkerd(" (for workerd, summed over its two workerd processes; wrangler's Node process is not counted)"))
		p("| system | first start ms | first API call ms | restart ms | first API call after restart ms | RSS after start MiB | peak RSS under load MiB |\n|---|---|---|---|---|---|---|\n")
		for _, res := range r.Resources {
			first, firstCall, again, againCall, rss := "-", "-", "-", "-", "-"
			if len(res.First) > 0 {
				first = msShort(time.Duration(medianStart(res.First, func(s serverStart) float64 { return float64(s.Ready) })))
				again = msShort(time.Duration(medianStart(res.Restart, func(s serverStart) float64 { return float64(s.Ready) })))
				rss = mib(int64(medianStart(res.First, func(s serverStart) float64 { return float64(s.RSSKiB) })))
				if c := time.Duration(medianStart(res.First, func(s serverStart) float64 { return float64(s.FirstCall) })); c > 0 {
					firstCall = msShort(c)
				}
				if c := time.Duration(medianStart(res.Restart, func(s serverStart) float64 { return float64(s.FirstCall) })); c > 0 {
					againCall = msShort(c)
				}
			}
			peak := "-"
			if res.PeakRSSKiB > 0 {
				peak = mib(res.PeakRSSKiB)
			}
			p("| %s | %s | %s | %s | %s | %s | %s |\n", r.label(res.System), first, firstCall, again, againCall, rss, peak)
		}
		p("\n")
	}
	if len(r.HostsimCold) > 0 {
		p("hostsim in process (`hostsim.Start`, memory store, no listener), median of %d:\n\n", len(r.HostsimCold))
		p("| compilation cache | compile ms | first instance + init ms | Start total ms |\n|---|---|---|---|\n")
		for _, row := range []struct {
			name string
			t    []hostsimTiming
		}{{"empty", r.HostsimCold}, {"filled", r.HostsimWarm}} {
			p("| %s | %s | %s | %s |\n", row.name,
				msShort(medianHT(row.t, func(h hostsimTiming) time.Duration { return h.Compile })),
				msShort(medianHT(row.t, func(h hostsimTiming) time.Duration { return h.Instantiate })),
				msShort(medianHT(row.t, func(h hostsimTiming) time.Duration { return h.Total })))
		}
		p("\n")
	}
	if r.ModuleRaw > 0 {
		p("poolgate.wasm (wasip1): %.2f MiB raw, %.2f MiB gzip.\n\n", float64(r.ModuleRaw)/(1<<20), float64(r.ModuleGzip)/(1<<20))
	}
	if r.WorkerBundleRaw > 0 {
		p("Worker bundle (what `wrangler deploy --dry-run --outdir` writes: the glue and the Go module for js/wasm): %.2f MiB raw, %.2f MiB gzip "+
			"(each file at the best level).\n\n", float64(r.WorkerBundleRaw)/(1<<20), float64(r.WorkerBundleGzip)/(1<<20))
	}
	for _, line := range r.Pending {
		title, reason, _ := strings.Cut(line, ":")
		p("## %s\n\npending:%s\n\n", strings.TrimSpace(title), reason)
	}
}

// has reports whether the report holds measurements of group.
func (r *report) has(group string) bool {
	for _, m := range r.Measurements {
		if m.Group == group {
			return true
		}
	}
	return false
}

// hasKind reports whether a system of kind k was measured.
func (r *report) hasKind(k kind) bool {
	for _, s := range r.Systems {
		if s.Kind == k {
			return true
		}
	}
	return false
}

// describe says what a system name stands for.
func describe(k kind) string {
	switch k {
	case kindHostsim:
		return "`make run`'s server: build/poolgate.wasm under wazero, bbolt store, which syncs every write to disk"
	case kindNative:
		return "the same service compiled natively, no wasm, same bbolt store; for reference"
	case kindWorkerd:
		return "poolgate's Worker (edge/, Go for js/wasm) under `wrangler dev` (workerd), one isolate, Workers KV simulated locally in a temp folder"
	case kindCognitoLocal:
		return "npm cognito-local, its JSON files in a temp folder, written without sync"
	case kindMoto:
		return "`moto_server`, in memory"
	}
	return "a server started outside loadgen"
}

// clientsName is a concurrency level as a heading.
func clientsName(c int) string {
	if c == 1 {
		return "1 client"
	}
	return fmt.Sprintf("%d concurrent clients", c)
}

// row writes one table row for m: the lead cells; the median req/s, its range and the median
// p50, p95 and p99; the extra cells; server CPU per request and the errors. A measurement short
// of error-free repetitions shows n/a in every measured cell; it, and one whose errors were
// left out, adds a note about what (which operation, system and concurrency). A measurement
// that could not be made (Failed, and no samples) shows "failed: <reason>" and a note.
func (r *report) row(w io.Writer, lead []string, m *measurement, extra []string, what string, notes *[]string) {
	nerr, first := m.errors()
	v := m.valid()
	if m.Failed != "" && len(v) == 0 {
		fmt.Fprintf(w, "| %s | %s |%s %d |\n", strings.Join(lead, " | "), failedCell(m), strings.Repeat(" - |", 5+len(extra)), nerr)
		*notes = append(*notes, fmt.Sprintf("%s: not measured, %s", what, failedCell(m)))
		return
	}
	if m.Failed != "" {
		*notes = append(*notes, fmt.Sprintf("%s: %s after %d repetitions", what, failedCell(m), len(m.Samples)))
	}
	if !m.ok(r.Settings.Reps) {
		na := strings.Repeat(" n/a |", 6+len(extra))
		fmt.Fprintf(w, "| %s |%s %d |\n", strings.Join(lead, " | "), na, nerr)
		*notes = append(*notes, fmt.Sprintf("%s: only %d of %d repetitions error-free; first error: %s", what, len(v), len(m.Samples), first))
		return
	}
	if nerr > 0 {
		*notes = append(*notes, fmt.Sprintf("%s: %d errors in %d of %d repetitions, which were left out and repeated; first error: %s",
			what, nerr, len(m.Samples)-len(v), len(m.Samples), first))
	}
	rs := make([]float64, len(v))
	for i, x := range v {
		rs[i] = x.RPS
	}
	sort.Float64s(rs)
	cpu := "-"
	if v[0].CPUPerReq >= 0 {
		cpu = ms(medianDur(v, func(s sample) time.Duration { return s.CPUPerReq }))
	}
	cells := append([]string{rps(median(rs)), rps(rs[0]) + "–" + rps(rs[len(rs)-1]),
		ms(medianDur(v, func(s sample) time.Duration { return s.P50 })),
		ms(medianDur(v, func(s sample) time.Duration { return s.P95 })),
		ms(medianDur(v, func(s sample) time.Duration { return s.P99 }))}, extra...)
	fmt.Fprintf(w, "| %s | %s | %s | %d |\n", strings.Join(lead, " | "), strings.Join(cells, " | "), cpu, nerr)
}

func writeNotes(w io.Writer, notes []string) {
	for _, n := range notes {
		fmt.Fprintf(w, "- %s\n", n)
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
	}
}

// apiGroup writes one group: a table per concurrency, then the ratios poolgate ÷ peer.
func (r *report) apiGroup(w io.Writer, group, intro string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("%s", intro)
	var notes []string
	clientLevels := r.Settings.Clients
	if group == groupLoaded && len(r.Settings.ClientsLoaded) > 0 {
		clientLevels = r.Settings.ClientsLoaded
	}
	for _, c := range clientLevels {
		clients := clientsName(c)
		p("### %s\n\n| operation | system | req/s | req/s range | p50 ms | p95 ms | p99 ms | server CPU ms/req | errors |\n|---|---|---|---|---|---|---|---|---|\n", clients)
		for _, op := range r.Settings.Ops {
			for _, s := range r.Systems {
				if m := r.find(group, op, c, s.Name); m != nil {
					r.row(w, []string{op, s.Label}, m, nil, fmt.Sprintf("%s %s, %s", op, s.Label, clients), &notes)
				}
			}
		}
		p("\n")
		r.ratios(w, group, c, r.Settings.Ops)
	}
	writeNotes(w, notes)
}

// ratios writes req/s poolgate ÷ req/s peer for every pair of a poolgate system and a peer
// measured in the group at that concurrency.
func (r *report) ratios(w io.Writer, group string, clients int, ops []string) {
	var pgs, peers []sysInfo
	for _, s := range r.Systems {
		in := false
		for _, m := range r.measured(group, clients) {
			in = in || m.System == s.Name
		}
		switch {
		case !in:
		case s.Poolgate:
			pgs = append(pgs, s)
		default:
			peers = append(peers, s)
		}
	}
	if len(pgs) == 0 || len(peers) == 0 {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("Throughput ratio poolgate ÷ peer (above 1: poolgate serves more requests per second), median of the per-repetition ratios:\n\n| operation |")
	for _, a := range pgs {
		for _, b := range peers {
			p(" %s ÷ %s |", a.Label, b.Label)
		}
	}
	p("\n|---|%s\n", strings.Repeat("---|", len(pgs)*len(peers)))
	for _, op := range ops {
		row := ""
		any := false
		for _, a := range pgs {
			for _, b := range peers {
				ma, mb := r.find(group, op, clients, a.Name), r.find(group, op, clients, b.Name)
				cell := "-"
				if ma != nil && mb != nil && ma.ok(r.Settings.Reps) && mb.ok(r.Settings.Reps) {
					if x, ok := ratio(ma, mb); ok {
						cell = fmt.Sprintf("%.2f", x)
						any = true
					}
				}
				row += " " + cell + " |"
			}
		}
		if any {
			p("| %s |%s\n", op, row)
		}
	}
	p("\n")
}

// addedCell is the added-latency cell of m: its p50 over its baseline's, per repetition.
func (r *report) addedCell(m *measurement) string {
	if m.Baseline == "" {
		return "-"
	}
	base := r.find(m.Group, m.Op, m.Clients, m.Baseline)
	if base == nil || !base.ok(r.Settings.Reps) {
		return "n/a"
	}
	d, ok := addedP50(m, base)
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%s (vs %s)", ms(d), base.System)
}

// gatewayGroup writes the gateway's tables and the ratios poolgate's Worker ÷ the
// aws-jwt-verify Worker.
func (r *report) gatewayGroup(w io.Writer) {
	if !r.has(groupGateway) {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("## Gateway: a JWT-guarded request\n\n"+
		"GET %s with a user's access token, forwarded to a local origin that answers \"ok\" (in the load generator's process). "+
		"poolgate checks it with a jwt route (signature against the pool's key, exp, iss, token_use, client_id) on every poolgate and "+
		"forwards it with the caller's identity headers (X-Poolgate-*, X-Forwarded-*); "+
		"the same token goes through a JavaScript Worker doing the same checks with aws-jwt-verify (JWKS preloaded) and forwarding "+
		"the same identity headers (checked before timing: the origin gets the same header names from every poolgate and from it), "+
		"through the same JS Worker forwarding only the caller's sub, and through a "+
		"pass-through Worker forwarding unchecked, all under `wrangler dev` like poolgate's Worker. poolgate's Worker runs three ways: "+
		"as wrangler.toml deploys it (with the sign-in app's static assets: wrangler dev then runs its asset router Worker in front "+
		"of every request, which the JS Workers do not have), as wrangler.headless.toml deploys it (no assets), and headless with "+
		"the reuse of gateway decisions turned off (POOLGATE_GATEWAY_REUSE=off: every request through Go, as a token's first "+
		"request always is; with reuse on, the glue sends a request like one the gateway let through on by itself). Added latency is the p50 over the "+
		"unguarded path on the same runtime (the pass-through Worker for Workers, the origin directly for hostsim and native), "+
		"per repetition. Each measurement is %d requests after %d warm-up requests (each target also had %d once before its first); "+
		"every target refused a token with a broken signature (401) before it was timed. Server CPU: the server's processes "+
		"(for Workers, their two workerd processes).\n\n",
		harness.GuardedPath, r.Settings.GatewayN, r.Settings.Warmup, r.Settings.gatewayWarmup())
	var notes []string
	for _, c := range r.Settings.GatewayClients {
		clients := clientsName(c)
		p("### %s\n\n| target | req/s | req/s range | p50 ms | p95 ms | p99 ms | added p50 ms | server CPU ms/req | errors |\n|---|---|---|---|---|---|---|---|---|\n", clients)
		meas := r.measured(groupGateway, c)
		for _, m := range meas {
			r.row(w, []string{r.label(m.System)}, m, []string{r.addedCell(m)}, fmt.Sprintf("%s, %s", r.label(m.System), clients), &notes)
		}
		p("\n")
		for _, peer := range []kind{kindJWTVerify, kindJWTVerifySub} {
			jwt := r.find(groupGateway, opGuarded, c, string(peer))
			if jwt == nil || !jwt.ok(r.Settings.Reps) {
				continue
			}
			for _, m := range meas {
				if r.kindOf(m.System) != kindWorkerd || !m.ok(r.Settings.Reps) {
					continue
				}
				x, ok1 := ratio(m, jwt)
				y, ok2 := pairedMedian(m, jwt, func(a, b sample) (float64, bool) { return float64(a.P50) / float64(b.P50), b.P50 > 0 })
				if ok1 && ok2 {
					p("%s ÷ %s, median of the per-repetition ratios: req/s %.2f, p50 latency %.2f.\n\n", r.label(m.System), r.label(jwt.System), x, y)
				}
			}
		}
	}
	writeNotes(w, notes)
}

// kindOf is the kind of a system or target.
func (r *report) kindOf(name string) kind {
	for _, s := range append(r.Systems[:len(r.Systems):len(r.Systems)], r.Targets...) {
		if s.Name == name {
			return s.Kind
		}
	}
	return ""
}

// identityGroup writes the identity-pool tables and the ratios poolgate ÷ moto.
func (r *report) identityGroup(w io.Writer) {
	if !r.has(groupIdentity) {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("## Identity pools\n\n"+
		"%s: a guest's GetId followed by GetCredentialsForIdentity with the identity it returned (the SDK's cognitoidentity client, "+
		"unsigned, as the SDKs' credential providers call them); req/s counts these pairs, and latency and server CPU are the pair's. poolgate's identity "+
		"pool and role come from its configuration file; moto's pool is created with CreateIdentityPool (moto vends fixed fake "+
		"credentials without a role). cognito-local does not implement cognito-identity, so it has no figures here.\n\n"+
		"%s: GET of an S3-style object signed with the vended guest credentials (the SDK's SigV4 signer, S3 style, session token included) "+
		"through poolgate's sigv4 route, which verifies the signature and the session token, evaluates the guest role's policy and forwards "+
		"to the origin; against the same signed GET sent to the origin directly (which ignores the signature), so the added latency is the "+
		"route's. Each measurement is %d iterations after %d warm-up iterations.\n\n", opVend, opSigned, r.Settings.IdentityN, r.Settings.Warmup)
	r.groupTables(w, groupIdentity, r.Settings.Clients, []string{opVend})
}

// groupTables writes a group's table per client count (with the added-latency column) and,
// for ratioOps, the ratios poolgate ÷ peers after each table.
func (r *report) groupTables(w io.Writer, group string, clientCounts []int, ratioOps []string) {
	var notes []string
	for _, c := range clientCounts {
		clients := clientsName(c)
		meas := r.measured(group, c)
		if len(meas) == 0 {
			continue
		}
		fmt.Fprintf(w, "### %s\n\n| operation | system | req/s | req/s range | p50 ms | p95 ms | p99 ms | added p50 ms | server CPU ms/req | errors |\n|---|---|---|---|---|---|---|---|---|---|\n", clients)
		for _, m := range meas {
			r.row(w, []string{m.Op, r.label(m.System)}, m, []string{r.addedCell(m)}, fmt.Sprintf("%s %s, %s", m.Op, r.label(m.System), clients), &notes)
		}
		fmt.Fprint(w, "\n")
		if len(ratioOps) > 0 {
			r.ratios(w, group, c, ratioOps)
		}
	}
	writeNotes(w, notes)
}

// oauthGroup writes the managed-login tables: poolgate's hosts side by side (no peer serves
// these endpoints).
func (r *report) oauthGroup(w io.Writer) {
	if !r.has(groupOAuth) {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("## Managed login (OAuth 2.0)\n\n"+
		"%s: one sign-in through the managed login pages as a browser and an OIDC library make it: GET /oauth2/authorize (code, PKCE S256), "+
		"GET /login, POST /login with the form's fields, username and password, POST /oauth2/token with the code and the verifier; req/s counts "+
		"whole sign-ins, and latency and server CPU are the four requests'. %s: POST /oauth2/token with grant_type=client_credentials "+
		"(client_secret_basic, one custom scope). No peer serves these endpoints (cognito-local has no /oauth2 routes, moto's cognito-idp "+
		"no hosted UI), so there are no ratios. Each measurement is %d iterations after %d warm-up iterations.\n\n",
		opCodeFlow, opClientCredentials, r.Settings.OAuthN, r.Settings.Warmup)
	r.groupTables(w, groupOAuth, r.Settings.GatewayClients, nil)
}

func medianStart(ss []serverStart, f func(serverStart) float64) float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	return median(v)
}

func medianHT(ts []hostsimTiming, f func(hostsimTiming) time.Duration) time.Duration {
	v := make([]float64, len(ts))
	for i, t := range ts {
		v[i] = float64(f(t))
	}
	return time.Duration(median(v))
}

// hostsimStartNote says which machine code hostsim's first start and restart ran on.
func hostsimStartNote(precompiled bool) string {
	if precompiled {
		return "started as `make run` starts it, on the machine code `make build` compiled (build/cache), both times; " +
			"the in-process table below has the start that compiles"
	}
	return "the first start compiles the module into the data directory's cache, the restart finds it filled"
}
