package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/hostsim"
)

// TestMain lets the test binary serve as the native server loadgen re-executes.
func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "native" {
		if err := serveNative(os.Getenv); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const repoRoot = "../.."

// TestSmoke runs the whole harness in its seconds-long mode: n=5 against hostsim (the real CLI
// and module) and native, plus cognito-local and moto when this machine has them, a pool grown
// past the measurements' users (seeding cognito-local's file), start-up once. It checks the
// report's tables are well formed, every measurement is there with zero errors, and the JSON
// holds every sample. Nothing here is timed.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers; skipped with -short")
	}
	dir := t.TempDir()
	module := os.Getenv("POOLGATE_WASM")
	if module == "" {
		module = filepath.Join(dir, "poolgate.wasm")
		if err := hostsim.BuildModule(context.Background(), "", module); err != nil {
			t.Fatal(err)
		}
	}
	cli := filepath.Join(dir, "poolgate")
	build := exec.Command("go", "build", "-o", cli, "./hostsim/cmd/poolgate")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./hostsim/cmd/poolgate: %v\n%s", err, out)
	}

	systems := []string{"hostsim", "native"}
	cognitoLocal := filepath.Join(repoRoot, "node_modules", "cognito-local")
	if _, err := os.Stat(filepath.Join(cognitoLocal, "lib", "bin", "start.js")); err == nil {
		systems = append(systems, "cognito-local")
	} else {
		t.Logf("cognito-local not installed (npm ci): measuring without it")
	}
	if _, err := exec.LookPath("moto_server"); err == nil {
		systems = append(systems, "moto")
	} else {
		t.Logf("moto_server not found: measuring without it")
	}
	hasPeer := len(systems) > 2

	md, js := filepath.Join(dir, "report.md"), filepath.Join(dir, "report.json")
	var stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	err := run(ctx, []string{
		"-systems", strings.Join(systems, ","), "-poolgate", cli, "-module", module, "-cognito-local", cognitoLocal,
		"-n", "5", "-n-loaded", "5", "-reps", "3", "-warmup", "2", "-users", "400", "-cognito-local-api-users", "10",
		"-startup-reps", "1", "-mode", "smoke", "-out", md, "-json", js,
	}, &bytes.Buffer{}, &stderr)
	if err != nil {
		t.Fatalf("loadgen: %v\n%s", err, stderr.String())
	}
	raw, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	mdText := string(raw)

	tables := parseTables(t, mdText)
	apiRows := 0
	for _, tb := range tables {
		if tb.header[0] != "operation" || tb.header[1] != "system" {
			continue
		}
		for _, row := range tb.rows {
			apiRows++
			// poolgate answers every request; a peer may drop one now and then under load
			// (the run then repeats that measurement), but each needs its error-free medians.
			if (strings.HasPrefix(row[1], "poolgate") && row[len(row)-1] != "0") || row[2] == "n/a" || !strings.Contains(row[3], "–") {
				t.Errorf("row with errors: %q", row)
			}
		}
	}
	// Per group and concurrency: 4 operations on every system, SRP on the two poolgate ones.
	want := 2 * 2 * (4*len(systems) + 2)
	if apiRows != want {
		t.Errorf("%d measurement rows, want %d\n%s", apiRows, want, mdText)
	}
	for _, s := range []string{"## Machine and versions", "## Cognito API, fresh pool", "## Cognito API, pool of 400 users",
		"## Start-up and resources", "| poolgate hostsim |", "| empty |", "| filled |", "poolgate.wasm (wasip1):", "pending:"} {
		if !strings.Contains(mdText, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	if hasPeer && !strings.Contains(mdText, "| operation | poolgate hostsim ÷ ") {
		t.Errorf("report has no ratio table\n%s", mdText)
	}

	var rep report
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	for _, m := range rep.Measurements {
		poolgate := m.System == "hostsim" || m.System == "native"
		if len(m.Samples) < 3 || len(m.Samples) > 5 || (poolgate && len(m.Samples) != 3) {
			t.Errorf("%s %s c=%d %s: %d samples, want 3", m.Group, m.Op, m.Clients, m.System, len(m.Samples))
		}
		for _, s := range m.Samples {
			if s.Errors > 0 && !poolgate {
				t.Logf("%s %s c=%d %s: a repetition with %d errors (repeated): %s", m.Group, m.Op, m.Clients, m.System, s.Errors, s.FirstErr)
				continue
			}
			if s.Errors > 0 || s.N != 5 || s.RPS <= 0 || s.P50 <= 0 || s.P50 > s.P95 || s.P95 > s.P99 || s.CPUPerReq < 0 {
				t.Errorf("%s %s c=%d %s: implausible sample %+v", m.Group, m.Op, m.Clients, m.System, s)
			}
		}
	}
	// -render redraws the same markdown from the JSON.
	redrawn := filepath.Join(dir, "redrawn.md")
	if err := run(ctx, []string{"-render", js, "-out", redrawn}, &bytes.Buffer{}, &stderr); err != nil {
		t.Fatal(err)
	}
	if again, err := os.ReadFile(redrawn); err != nil || !bytes.Equal(again, raw) {
		t.Errorf("-render differs from the run's markdown (%v):\n%s", err, again)
	}
	for _, p := range rep.Population {
		if p.Users != 400 {
			t.Errorf("%s grown to %d users, want 400", p.System, p.Users)
		}
		if p.System == "cognito-local" && p.Seeded == 0 {
			t.Errorf("cognito-local: nothing seeded: %+v", p)
		}
	}
	for _, r := range rep.Resources {
		if r.PeakRSSKiB <= 0 || len(r.First) != 1 || len(r.Restart) != 1 || r.First[0].Ready <= 0 {
			t.Errorf("%s: resources %+v", r.System, r)
		}
	}
}

type table struct {
	header []string
	rows   [][]string
}

// parseTables reads every markdown table and fails on a row whose cell count differs from its
// header's or a table without its separator row.
func parseTables(t *testing.T, md string) []table {
	t.Helper()
	var out []table
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "|") {
			continue
		}
		tb := table{header: cells(lines[i])}
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "|---") || len(cells(lines[i+1])) != len(tb.header) {
			t.Fatalf("table without a matching separator at line %d: %q", i+1, lines[i])
		}
		i += 2
		for ; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
			row := cells(lines[i])
			if len(row) != len(tb.header) {
				t.Fatalf("line %d has %d cells, its header %d: %q", i+1, len(row), len(tb.header), lines[i])
			}
			for _, c := range row {
				if c == "" {
					t.Errorf("line %d has an empty cell: %q", i+1, lines[i])
				}
			}
			tb.rows = append(tb.rows, row)
		}
		out = append(out, tb)
	}
	return out
}

func cells(line string) []string {
	f := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return f
}

func TestRatioPairsRepetitions(t *testing.T) {
	pg := &measurement{Samples: []sample{{RPS: 100}, {RPS: 300}, {RPS: 200}, {RPS: 50, Errors: 1}}}
	peer := &measurement{Samples: []sample{{RPS: 50}, {RPS: 100}, {RPS: 200, Errors: 2}, {RPS: 10}}}
	// Pairs 0 and 1 count (2 and 3); pair 2 has a peer error, pair 3 a poolgate error.
	got, ok := ratio(pg, peer)
	if !ok || got != 2.5 {
		t.Fatalf("ratio = %v, %v; want 2.5", got, ok)
	}
	if _, ok := ratio(&measurement{Samples: []sample{{RPS: 1, Errors: 1}}}, peer); ok {
		t.Fatal("ratio with no error-free pair reported")
	}
}

func TestMedianAndPercentile(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	lat := make([]time.Duration, 200)
	for i := range lat {
		lat[i] = time.Duration(i+1) * time.Millisecond
	}
	for p, want := range map[int]time.Duration{50: 100 * time.Millisecond, 95: 190 * time.Millisecond, 99: 198 * time.Millisecond} {
		if got := pct(lat, p); got != want {
			t.Errorf("p%d = %v, want %v", p, got, want)
		}
	}
}

// TestReportMarksErrors: a measurement short of error-free repetitions shows n/a, its error
// count and a note, and drops out of the ratios.
func TestReportMarksErrors(t *testing.T) {
	good := func(rps float64) sample {
		return sample{N: 10, RPS: rps, P50: time.Millisecond, P95: 2 * time.Millisecond, P99: 3 * time.Millisecond, CPUPerReq: -1}
	}
	bad := sample{N: 10, RPS: 9, Errors: 4, FirstErr: "boom"}
	r := &report{
		Started:  time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC),
		Settings: settings{N: 10, Reps: 2, Clients: []int{1}, Ops: []string{opSignUp, opGetUser}},
		Systems:  []sysInfo{{Name: "hostsim", Kind: kindHostsim, Label: "poolgate hostsim", Poolgate: true}, {Name: "moto", Kind: kindMoto, Label: "moto"}},
		Measurements: []*measurement{
			{Group: groupEmpty, Op: opSignUp, Clients: 1, System: "hostsim", Samples: []sample{good(100), good(300)}},
			{Group: groupEmpty, Op: opSignUp, Clients: 1, System: "moto", Samples: []sample{good(50), good(100)}},
			{Group: groupEmpty, Op: opGetUser, Clients: 1, System: "hostsim", Samples: []sample{good(100), bad, good(100)}},
			{Group: groupEmpty, Op: opGetUser, Clients: 1, System: "moto", Samples: []sample{good(100), bad}},
		},
	}
	var b bytes.Buffer
	r.markdown(&b)
	md := b.String()
	for _, s := range []string{
		"| SignUp | poolgate hostsim | 200 | 100–300 | 1.00 | 2.00 | 3.00 | - | 0 |",
		"| GetUser | moto | n/a | n/a | n/a | n/a | n/a | n/a | 4 |",
		"| SignUp | 2.50 |",
		"GetUser moto, 1 client: only 1 of 2 repetitions error-free; first error: boom",
		"| GetUser | poolgate hostsim | 100 | 100–100 | 1.00 | 2.00 | 3.00 | - | 4 |",
		"GetUser poolgate hostsim, 1 client: 4 errors in 1 of 3 repetitions, which were left out and repeated; first error: boom",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("report lacks %q:\n%s", s, md)
		}
	}
	if strings.Contains(md, "| GetUser | 1.00 |") {
		t.Errorf("ratio reported for a measurement with errors:\n%s", md)
	}
	parseTables(t, md)
}

func TestProcReaders(t *testing.T) {
	pid := os.Getpid()
	if v, err := procStatusKiB(pid, "VmHWM"); err != nil || v <= 0 {
		t.Fatalf("VmHWM = %d, %v", v, err)
	}
	if _, err := procStatusKiB(pid, "NoSuchField"); err == nil {
		t.Fatal("missing field read")
	}
	if _, err := procCPU(pid); err != nil {
		t.Fatal(err)
	}
}

func TestParseProc(t *testing.T) {
	stat := []byte("4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0 100 0 0\n")
	if d, err := parseProcStatCPU(stat); err != nil || d != 3250*time.Millisecond {
		t.Fatalf("parseProcStatCPU = %v, %v; want 3.25s", d, err)
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 10 x 1", "1 (x) S 1 2 3 4 5 6 7 8 9 10 -1 1"} {
		if _, err := parseProcStatCPU([]byte(bad)); err == nil {
			t.Errorf("parseProcStatCPU(%q) accepted", bad)
		}
	}
	status := []byte("Name:\tnode\nVmHWM:\t  215040 kB\nVmRSS:\t  1024 kB\n")
	if v, err := parseStatusKiB(status, "VmHWM"); err != nil || v != 215040 {
		t.Fatalf("VmHWM = %d, %v", v, err)
	}
	for _, bad := range []string{"VmHWM:", "VmHWM: x kB", "VmHWM: -5 kB", "VmRSS: 5 kB"} {
		if _, err := parseStatusKiB([]byte(bad), "VmHWM"); err == nil {
			t.Errorf("parseStatusKiB(%q) accepted", bad)
		}
	}
}

// FuzzParseProc: /proc text never panics the parsers, and what they accept is non-negative.
func FuzzParseProc(f *testing.F) {
	f.Add([]byte("4242 (a b) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0 100 0 0"))
	f.Add([]byte("Name:\tx\nVmHWM:\t 12 kB\n"))
	f.Add([]byte("1 ()) R 0 0 0 0 0 0 0 0 0 0 9223372036854775807 1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if d, err := parseProcStatCPU(b); err == nil && d < 0 {
			t.Fatalf("negative CPU time %v", d)
		}
		if v, err := parseStatusKiB(b, "VmHWM"); err == nil && v < 0 {
			t.Fatalf("negative size %d", v)
		}
	})
}
