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

// TestSmoke runs the whole harness in its seconds-long mode: n=5 from 2 clients against
// hostsim (the real CLI and module) and native, plus poolgate's Worker under wrangler dev, cognito-local and moto when
// this machine has them; a pool grown past the measurements' users (seeding cognito-local's
// file); the gateway (with the aws-jwt-verify and pass-through Workers) and identity groups;
// start-up once and the Worker's bundle. It checks the report's tables are well formed, every
// measurement is there with zero errors, and the JSON holds every sample. Nothing here is
// timed.
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
	_, errNode := exec.LookPath("node")
	if _, err := os.Stat(filepath.Join(repoRoot, "node_modules", "wrangler", "wrangler-dist", "cli.js")); err == nil && errNode == nil {
		systems = append(systems, "workerd")
	} else {
		t.Logf("wrangler not installed (npm ci) or no node: measuring without poolgate's Worker")
	}
	hasWorkerd := len(systems) == 3
	cognitoLocal := filepath.Join(repoRoot, "node_modules", "cognito-local")
	if _, err := os.Stat(filepath.Join(cognitoLocal, "lib", "bin", "start.js")); err == nil {
		systems = append(systems, "cognito-local")
	} else {
		t.Logf("cognito-local not installed (npm ci): measuring without it")
	}
	hasMoto := false
	if _, err := exec.LookPath("moto_server"); err == nil {
		systems, hasMoto = append(systems, "moto"), true
	} else {
		t.Logf("moto_server not found: measuring without it")
	}
	poolgates := 2
	if hasWorkerd {
		poolgates = 3
	}
	hasPeer := len(systems) > poolgates

	md, js := filepath.Join(dir, "report.md"), filepath.Join(dir, "report.json")
	var stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute) // a hang guard: building the Worker alone took 85 s on a loaded 2-core machine
	defer cancel()
	err := run(ctx, []string{
		"-systems", strings.Join(systems, ","), "-poolgate", cli, "-module", module, "-cognito-local", cognitoLocal,
		"-n", "5", "-n-loaded", "5", "-reps", "3", "-warmup", "2", "-clients", "2", "-signin-users", "3", "-users", "300", "-users-workerd", "100", "-cognito-local-api-users", "10",
		"-gateway-n", "5", "-identity-n", "5", "-oauth-n", "5", "-startup-reps", "1", "-mode", "smoke", "-out", md, "-json", js,
	}, &bytes.Buffer{}, &stderr)
	if err != nil {
		t.Fatalf("loadgen: %v\n%s", err, stderr.String())
	}
	raw, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	mdText := string(raw)
	sec := sections(mdText)

	// The Cognito API groups (one concurrency level): per group, 4 operations on every system
	// and SRP on the poolgate ones; TOTPSignIn and DeviceSRPSignIn on the poolgate ones in the
	// fresh-pool group.
	apiRows := 0
	for _, title := range []string{"Cognito API, fresh pool", "Cognito API, pool of 300 users"} {
		for _, tb := range parseTables(t, sec[title]) {
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
	}
	if want := 2*(4*len(systems)+poolgates) + 2*poolgates; apiRows != want {
		t.Errorf("%d Cognito API rows, want %d\n%s", apiRows, want, mdText)
	}

	// The gateway: the origin, every poolgate, and with the Worker the three comparison JS
	// Workers and the two headless poolgate Workers; every row error-free, every guarded one
	// with its added latency.
	wantGateway := 1 + poolgates
	if hasWorkerd {
		wantGateway += 5
	}
	gwRows := 0
	for _, tb := range parseTables(t, sec["Gateway: a JWT-guarded request"]) {
		for _, row := range tb.rows {
			gwRows++
			if row[len(row)-1] != "0" || row[1] == "n/a" {
				t.Errorf("gateway row with errors: %q", row)
			}
			guarded := row[0] != "origin directly" && !strings.HasPrefix(row[0], "pass-through")
			if added := row[6]; guarded != strings.Contains(added, "(vs ") {
				t.Errorf("gateway row %q: added latency %q", row[0], added)
			}
		}
	}
	if gwRows != wantGateway {
		t.Errorf("%d gateway rows, want %d\n%s", gwRows, wantGateway, sec["Gateway: a JWT-guarded request"])
	}
	if hasWorkerd {
		for _, want := range []string{
			"poolgate workerd ÷ aws-jwt-verify Worker (workerd), identity headers as poolgate's, median of the per-repetition ratios: req/s ",
			"poolgate Worker without assets (wrangler.headless.toml) ÷ aws-jwt-verify Worker (workerd), identity headers as poolgate's, median",
			"the same, decision reuse off (every request through Go) ÷ aws-jwt-verify Worker (workerd), sub only, median",
		} {
			if !strings.Contains(sec["Gateway: a JWT-guarded request"], want) {
				t.Errorf("gateway section lacks %q", want)
			}
		}
	}

	// Identity pools: vending on every poolgate and moto, the signed GET on every poolgate and
	// straight to the origin.
	vendRows, signedRows := 0, 0
	for _, tb := range parseTables(t, sec["Identity pools"]) {
		if tb.header[0] != "operation" || tb.header[1] != "system" {
			continue
		}
		for _, row := range tb.rows {
			if row[len(row)-1] != "0" || row[2] == "n/a" {
				t.Errorf("identity row with errors: %q", row)
			}
			switch row[0] {
			case opVend:
				vendRows++
			case opSigned:
				signedRows++
				if strings.HasPrefix(row[1], "poolgate") != strings.Contains(row[7], "(vs direct)") {
					t.Errorf("identity row %q: added latency %q", row[1], row[7])
				}
			}
		}
	}
	wantVend := poolgates
	if hasMoto {
		wantVend++
	}
	if vendRows != wantVend || signedRows != 1+poolgates {
		t.Errorf("identity: %d vending rows, want %d; %d signed rows, want %d\n%s", vendRows, wantVend, signedRows, 1+poolgates, sec["Identity pools"])
	}

	for _, s := range []string{"## Machine and versions", "## Start-up and resources", "| poolgate hostsim |", "| empty |", "| filled |",
		"poolgate.wasm (wasip1):"} {
		if !strings.Contains(mdText, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	if hasWorkerd {
		for _, s := range []string{"| poolgate workerd |", "| aws-jwt-verify Worker (workerd), sub only |", "Worker bundle (", "| poolgate's Worker | wrangler "} {
			if !strings.Contains(mdText, s) {
				t.Errorf("report lacks %q", s)
			}
		}
	}
	if strings.Contains(mdText, "pending") {
		t.Errorf("report has a pending group:\n%s", mdText)
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
		poolgate := m.System == "hostsim" || m.System == "native" || m.System == "workerd"
		if len(m.Samples) < 3 || len(m.Samples) > 5 || (poolgate && len(m.Samples) != 3) {
			t.Errorf("%s %s c=%d %s: %d samples, want 3", m.Group, m.Op, m.Clients, m.System, len(m.Samples))
		}
		for _, s := range m.Samples {
			if s.Errors > 0 && !poolgate {
				t.Logf("%s %s c=%d %s: a repetition with %d errors (repeated): %s", m.Group, m.Op, m.Clients, m.System, s.Errors, s.FirstErr)
				continue
			}
			// Server CPU is read for every server loadgen started; only the origin has none.
			if s.Errors > 0 || s.N != 5 || s.RPS <= 0 || s.P50 <= 0 || s.P50 > s.P95 || s.P95 > s.P99 || (s.CPUPerReq < 0) != (m.System == "direct") {
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
		want := 300
		if p.System == "workerd" {
			want = 100
		}
		if p.Users != want {
			t.Errorf("%s grown to %d users, want %d", p.System, p.Users, want)
		}
		if p.System == "cognito-local" && p.Seeded == 0 {
			t.Errorf("cognito-local: nothing seeded: %+v", p)
		}
	}
	started := 0
	for _, r := range rep.Resources {
		if r.PeakRSSKiB <= 0 {
			t.Errorf("%s: no peak RSS: %+v", r.System, r)
		}
		if comparisonWorker(r.System) {
			continue // the gateway's comparison Workers: peak RSS only
		}
		started++
		if len(r.First) != 1 || len(r.Restart) != 1 || r.First[0].Ready <= 0 || r.First[0].FirstCall <= 0 || r.Restart[0].FirstCall <= 0 {
			t.Errorf("%s: resources %+v", r.System, r)
		}
	}
	if started != len(systems) {
		t.Errorf("start-up measured on %d systems, want %d", started, len(systems))
	}
	if hasWorkerd && (rep.WorkerBundleRaw <= 0 || rep.WorkerBundleGzip <= 0 || rep.WorkerBundleGzip >= rep.WorkerBundleRaw) {
		t.Errorf("Worker bundle %d raw, %d gzip", rep.WorkerBundleRaw, rep.WorkerBundleGzip)
	}
}

// sections splits a report at its "## " headings: title → text up to the next one.
func sections(md string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split("\n"+md, "\n## ")[1:] {
		title, body, _ := strings.Cut(part, "\n")
		out[title] = body
	}
	return out
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

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
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

// TestSnapshotWorker: the copy holds the configuration, the glue and the build (assets too),
// and leaves out builds in progress and other files of edge/.
func TestSnapshotWorker(t *testing.T) {
	root, dst := t.TempDir(), t.TempDir()
	for path, body := range map[string]string{
		"wrangler.toml":                       "main = \"edge/worker.mjs\"\n",
		"wrangler.headless.toml":              "main = \"edge/worker.mjs\" # no assets\n",
		"edge/worker.mjs":                     "import \"./bridge.mjs\";\n",
		"edge/bridge.mjs":                     "export {};\n",
		"edge/main.go":                        "package main\n",
		"edge/build/poolgate.wasm":            "\x00asm",
		"edge/build/assets-manifest.json":     "[\"/index.html\"]\n",
		"edge/build/assets/index.html":        "<p>hi</p>\n",
		"edge/build/.build-123/poolgate.wasm": "partial",
	} {
		p := filepath.Join(root, path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	config, err := snapshotWorker(root, dst)
	if err != nil || config != filepath.Join(dst, "wrangler.toml") {
		t.Fatalf("snapshotWorker = %q, %v", config, err)
	}
	for _, want := range []string{"wrangler.toml", "wrangler.headless.toml", "edge/worker.mjs", "edge/bridge.mjs", "edge/build/poolgate.wasm",
		"edge/build/assets-manifest.json", "edge/build/assets/index.html"} {
		a, _ := os.ReadFile(filepath.Join(root, want))
		b, err := os.ReadFile(filepath.Join(dst, want))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s not copied (%v)", want, err)
		}
	}
	for _, not := range []string{"edge/main.go", "edge/build/.build-123"} {
		if _, err := os.Stat(filepath.Join(dst, not)); err == nil {
			t.Errorf("%s copied", not)
		}
	}
	os.Remove(filepath.Join(root, "edge/build/poolgate.wasm"))
	if _, err := snapshotWorker(root, t.TempDir()); err == nil {
		t.Error("snapshot of an unbuilt Worker")
	}
}
