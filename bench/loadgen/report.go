package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
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
	ModuleRaw    int64           `json:"module_bytes"`
	ModuleGzip   int64           `json:"module_gzip_bytes"`
	Pending      []string        `json:"pending,omitempty"`
}

type settings struct {
	N, NLoaded, Warmup, Reps, Users, StartupReps int
	CognitoLocalAPIUsers                         int
	Clients, ClientsLoaded                       []int
	Ops                                          []string
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

// measurement is the repetitions of one operation on one system at one concurrency.
type measurement struct {
	Group   string   `json:"group"`
	Op      string   `json:"op"`
	Clients int      `json:"clients"`
	System  string   `json:"system"`
	Samples []sample `json:"samples"`
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
	var r []float64
	for i := 0; i < len(pg.Samples) && i < len(peer.Samples); i++ {
		a, b := pg.Samples[i], peer.Samples[i]
		if a.Errors == 0 && b.Errors == 0 && b.RPS > 0 {
			r = append(r, a.RPS/b.RPS)
		}
	}
	if len(r) == 0 {
		return 0, false
	}
	return median(r), true
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
	for _, s := range r.Systems {
		if s.Name == sys {
			return s.Label
		}
	}
	return sys
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
	p("# poolgate benchmark, %s\n\n", r.Started.UTC().Format("2006-01-02"))
	p("Run at %s UTC, %s mode, %s in all. Every system is driven by the same load generator "+
		"(bench/loadgen, AWS SDK Go v2) on the same machine in the same run. Each measurement is %d requests "+
		"after %d untimed warm-up requests, repeated %d times, the repetitions of all systems interleaved; "+
		"tables give the median of the repetitions. Only error-free repetitions count. "+
		"The load generator shares the machine's cores with the server it drives.\n\n",
		r.Started.UTC().Format("15:04"), r.Mode, r.Duration.Round(time.Second), st.N, st.Warmup, st.Reps)

	p("## Machine and versions\n\n| | |\n|---|---|\n")
	e := r.Env
	p("| CPU | %s, %d cores |\n", e.CPU, e.Cores)
	p("| memory | %s GiB |\n", e.MemoryGiB)
	p("| kernel | Linux %s |\n", e.Kernel)
	p("| load average (1 min) at start / end | %s / %s |\n", e.LoadAtStart, e.LoadAtEnd)
	p("| poolgate | %s, %s, wazero %s |\n", e.Poolgate, e.Go, e.Wazero)
	if e.CognitoLoc != "" {
		p("| cognito-local | %s on Node %s |\n", e.CognitoLoc, e.Node)
	}
	if e.Moto != "" {
		p("| moto | %s (moto_server) on Python %s |\n", e.Moto, e.Python)
	}
	p("| client | aws-sdk-go-v2 %s, cognitoidentityprovider %s |\n\n", e.SDK, e.SDKCognito)
	p("Systems: ")
	for i, s := range r.Systems {
		if i > 0 {
			p("; ")
		}
		p("**%s** (%s)", s.Label, describe(s.Kind))
	}
	p(".\n\n")

	r.apiGroup(w, groupEmpty, "## Cognito API, fresh pool\n\n"+
		"Every operation and concurrency is measured in a new pool with one app client (SRP, password and refresh flows allowed), "+
		"which holds only the users that measurement creates. SignUp creates a new user per request; "+
		"AdminConfirmSignUp confirms users signed up beforehand (untimed); InitiateAuthPassword is USER_PASSWORD_AUTH and SRP the full "+
		"USER_SRP_AUTH + PASSWORD_VERIFIER round trip (client math included; measured on poolgate only, since the peers do not verify SRP), "+
		"both over 20 confirmed users; GetUser uses their access tokens. Server CPU is the server process's user + system time per request "+
		"(/proc, 10 ms ticks): on a shared machine it is steadier than req/s and latency, whose spread over the repetitions the "+
		"range column shows.\n\n")
	if st.Users > 0 {
		r.apiGroup(w, groupLoaded, fmt.Sprintf("## Cognito API, pool of %d users\n\n"+
			"The same operations in one pool per system grown to %d users first (%d requests per measurement; "+
			"the measurements add a few hundred more). cognito-local keeps each pool in one JSON file that every write rewrites.\n\n",
			st.Users, st.Users, st.NLoaded))
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

	p("## Start-up and resources\n\n")
	if len(r.Resources) == 0 && len(r.HostsimCold) == 0 && r.ModuleRaw == 0 {
		p("Not measured in this run.\n\n")
	}
	if len(r.Resources) > 0 {
		p("Start: process exec to its first HTTP answer, median of %d; first start on an empty data directory, restart on the one it left "+
			"(for poolgate hostsim: with wazero's compilation cache filled). Peak RSS: the largest VmHWM of the server process over the "+
			"load run above.\n\n", st.StartupReps)
		p("| system | first start ms | restart ms | RSS after start MiB | peak RSS under load MiB |\n|---|---|---|---|---|\n")
		for _, res := range r.Resources {
			first, again := "-", "-"
			rss := "-"
			if len(res.First) > 0 {
				first = msShort(time.Duration(medianStart(res.First, func(s serverStart) float64 { return float64(s.Ready) })))
				again = msShort(time.Duration(medianStart(res.Restart, func(s serverStart) float64 { return float64(s.Ready) })))
				rss = mib(int64(medianStart(res.First, func(s serverStart) float64 { return float64(s.RSSKiB) })))
			}
			peak := "-"
			if res.PeakRSSKiB > 0 {
				peak = mib(res.PeakRSSKiB)
			}
			p("| %s | %s | %s | %s | %s |\n", r.label(res.System), first, again, rss, peak)
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
	for _, line := range r.Pending {
		title, reason, _ := strings.Cut(line, ":")
		p("## %s\n\npending:%s\n\n", strings.TrimSpace(title), reason)
	}
}

// describe says what a system name stands for.
func describe(k kind) string {
	switch k {
	case kindHostsim:
		return "`make run`'s server: build/poolgate.wasm under wazero, bbolt store, which syncs every write to disk"
	case kindNative:
		return "the same service compiled natively, no wasm, same bbolt store; for reference"
	case kindCognitoLocal:
		return "npm cognito-local, its JSON files in a temp folder, written without sync"
	case kindMoto:
		return "`moto_server`, in memory"
	}
	return "a server started outside loadgen"
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
		clients := "1 client"
		if c != 1 {
			clients = fmt.Sprintf("%d concurrent clients", c)
		}
		p("### %s\n\n| operation | system | req/s | req/s range | p50 ms | p95 ms | p99 ms | server CPU ms/req | errors |\n|---|---|---|---|---|---|---|---|---|\n", clients)
		for _, op := range r.Settings.Ops {
			for _, s := range r.Systems {
				m := r.find(group, op, c, s.Name)
				if m == nil {
					continue
				}
				nerr, first := m.errors()
				v := m.valid()
				if !m.ok(r.Settings.Reps) {
					p("| %s | %s | n/a | n/a | n/a | n/a | n/a | n/a | %d |\n", op, s.Label, nerr)
					notes = append(notes, fmt.Sprintf("%s %s, %s: only %d of %d repetitions error-free; first error: %s", op, s.Label, clients, len(v), len(m.Samples), first))
					continue
				}
				if nerr > 0 {
					notes = append(notes, fmt.Sprintf("%s %s, %s: %d errors in %d of %d repetitions, which were left out and repeated; first error: %s",
						op, s.Label, clients, nerr, len(m.Samples)-len(v), len(m.Samples), first))
				}
				rs := make([]float64, len(v))
				for i, x := range v {
					rs[i] = x.RPS
				}
				cpu := "-"
				if v[0].CPUPerReq >= 0 {
					cpu = ms(medianDur(v, func(s sample) time.Duration { return s.CPUPerReq }))
				}
				sort.Float64s(rs)
				p("| %s | %s | %s | %s–%s | %s | %s | %s | %s | %d |\n", op, s.Label, rps(median(rs)), rps(rs[0]), rps(rs[len(rs)-1]),
					ms(medianDur(v, func(s sample) time.Duration { return s.P50 })),
					ms(medianDur(v, func(s sample) time.Duration { return s.P95 })),
					ms(medianDur(v, func(s sample) time.Duration { return s.P99 })), cpu, nerr)
			}
		}
		p("\n")
		r.ratios(w, group, c)
	}
	for _, n := range notes {
		p("- %s\n", n)
	}
	if len(notes) > 0 {
		p("\n")
	}
}

// ratios writes req/s poolgate ÷ req/s peer for every pair of a poolgate system and a peer.
func (r *report) ratios(w io.Writer, group string, clients int) {
	var pgs, peers []sysInfo
	for _, s := range r.Systems {
		if s.Poolgate {
			pgs = append(pgs, s)
		} else {
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
	for _, op := range r.Settings.Ops {
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
