// Command edge measures poolgate's Worker under wrangler dev (workerd) against hostsim
// (`make run`'s server) in one run on this machine, and prints the figures as markdown:
//
//   - p50/p95 wall time at the client for GetUser, InitiateAuth USER_PASSWORD_AUTH, the SRP
//     round trip (InitiateAuth USER_SRP_AUTH + RespondToAuthChallenge) and a refresh
//     (InitiateAuth REFRESH_TOKEN_AUTH), requests one at a time;
//
//   - CPU time per request: the server process's user+system time over the batch divided by
//     its requests (for workerd this includes wrangler's local proxy worker and the HTTP
//     stack; workerd reports no per-request CPU time locally);
//
//   - the first request after a restart (cold: workerd starts the Go instance inside it;
//     hostsim's instance pool is already warm from start-up, whose time is shown too);
//
//   - the bundle wrangler would upload, raw and gzipped (wrangler deploy --dry-run);
//
//   - with -crypto, edge's crypto benchmarks run inside workerd (runtime primitives against
//     Go in js/wasm, and WebCrypto against Go for the small per-request operations).
//
//     go run ./bench/edge              # what `make bench-edge` runs
//     go run ./bench/edge -n 50 -crypto=false
//
// With -inside, it only runs one of edge's benchmarks inside workerd, timed by Go's benchmark
// clock and by workerd's CPU time measured outside (see inside.go).
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/bench/internal/harness"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/native/edgelocal"
	"github.com/poolgate/poolgate/internal/srp"
)

const (
	adminKeyID  = "AKIAPOOLGATEBENCHEDGE"
	adminSecret = "bench/edge/secret/for/poolgate/admin/0000"
	issuerBase  = "http://issuer.bench.test"
	password    = "Passw0rd-bench"
)

var masterKey = bytes.Repeat([]byte{0x42}, 32)

func main() {
	n := flag.Int("n", 200, "requests per operation and server")
	withCrypto := flag.Bool("crypto", true, "also run edge's crypto benchmarks inside workerd")
	flag.IntVar(&warmup, "warmup", warmup, "unmeasured runs before each operation's batch")
	insideBench := flag.String("inside", "", "only run edge's benchmarks matching this -test.bench pattern inside workerd (see inside.go)")
	count := flag.Int("count", 5, "with -inside: -test.count of the run on Go's benchmark clock (0: none)")
	n1 := flag.Int("n1", 2000, "with -inside: iterations of the shorter fixed-count run")
	n2 := flag.Int("n2", 12000, "with -inside: iterations of the longer fixed-count run")
	reps := flag.Int("reps", 5, "with -inside: pairs of fixed-count runs (0: none)")
	flag.Parse()
	if *insideBench != "" {
		if err := inside(context.Background(), *insideBench, *count, *n1, *n2, *reps, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench/edge:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), *n, *withCrypto, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/edge:", err)
		os.Exit(1)
	}
}

// server is one poolgate under test.
type server interface {
	URL() string
	CPUTime() (time.Duration, error)
	Close() error
}

func run(ctx context.Context, n int, withCrypto bool, out io.Writer) error {
	root, err := edgelocal.FindRoot(".")
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "poolgate-bench-edge-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	fmt.Fprintln(os.Stderr, "building the Worker and hostsim ...")
	if err := edgelocal.Build(ctx, root); err != nil {
		return err
	}
	hs, err := buildHostsim(ctx, root, tmp)
	if err != nil {
		return err
	}
	raw, gz, err := bundleSize(ctx, root, tmp)
	if err != nil {
		return err
	}

	type result struct {
		name        string
		start, cold time.Duration
		ops         []opResult
		srpSteps    [2]time.Duration // Worker only: Go CPU of InitiateAuth USER_SRP_AUTH, RespondToAuthChallenge
	}
	var results []result
	starters := []struct {
		name  string
		start func(dir string) (server, error)
	}{
		{"workerd (wrangler dev)", func(dir string) (server, error) {
			return edgelocal.Start(ctx, edgelocal.Options{Root: root, PersistDir: dir, IssuerBase: issuerBase,
				AdminAccessKeyID: adminKeyID, AdminSecretAccessKey: adminSecret, MasterKey: masterKey, Logf: wranglerLog.logf})
		}},
		{"hostsim (make run)", func(dir string) (server, error) { return hs.start(ctx, dir) }},
	}
	for _, s := range starters {
		fmt.Fprintf(os.Stderr, "measuring %s ...\n", s.name)
		dir := filepath.Join(tmp, strings.Fields(s.name)[0])
		srv, err := s.start(dir)
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", s.name, err, wranglerLog.tail())
		}
		f, err := setup(ctx, srv.URL())
		if err != nil {
			srv.Close()
			return fmt.Errorf("%s: %w", s.name, err)
		}
		var ops []opResult
		var steps [2]time.Duration
		if w, ok := srv.(worker); ok {
			if steps, err = f.srpStepsGoCPU(ctx, w, n/2); err != nil {
				srv.Close()
				return fmt.Errorf("%s: SRP steps: %w", s.name, err)
			}
		}
		for _, op := range f.ops() {
			r, err := measure(srv, op, n)
			if err != nil {
				srv.Close()
				return fmt.Errorf("%s: %s: %w\nwrangler's last lines:\n%s", s.name, op.name, err, wranglerLog.tail())
			}
			ops = append(ops, r)
		}
		srv.Close()
		// Restart on the same data and time the first request.
		t0 := time.Now()
		srv, err = s.start(dir)
		if err != nil {
			return fmt.Errorf("%s restart: %w", s.name, err)
		}
		started := time.Since(t0)
		f.retarget(srv.URL())
		t1 := time.Now()
		err = f.getUser(ctx)
		cold := time.Since(t1)
		srv.Close()
		if err != nil {
			return fmt.Errorf("%s: first request after restart: %w", s.name, err)
		}
		results = append(results, result{s.name, started, cold, ops, steps})
	}

	fmt.Fprintf(out, "## poolgate on workerd vs hostsim (%s, %d runs per operation after %d warm-up runs, one request at a time)\n\n", time.Now().Format("2006-01-02"), n, warmup)
	fmt.Fprintf(out, "| operation | server | p50 | p95 | process CPU/request | Go CPU/request | store reads, writes/request |\n|---|---|---|---|---|---|---|\n")
	for i := range results[0].ops {
		for _, r := range results {
			o := r.ops[i]
			goCPU, kv := "", ""
			if o.goCPU > 0 {
				goCPU, kv = ms(o.goCPU), fmt.Sprintf("%.1f, %.1f", o.kvReads, o.kvWrites)
			}
			fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s | %s |\n", o.name, r.name, ms(o.p50), ms(o.p95), ms(o.cpu), goCPU, kv)
		}
	}
	fmt.Fprintf(out, "\nProcess CPU: user+system time of the server's processes over the batch per request (workerd: wrangler's proxy and the runtime, which locally also runs the KV simulator). Go CPU: time the Worker's isolate spent running Go and the JS it calls synchronously (measured by the glue), the part Cloudflare bills as CPU time.\n")
	fmt.Fprintf(out, "\nSRP steps on the Worker, Go CPU per request: InitiateAuth USER_SRP_AUTH %s, RespondToAuthChallenge PASSWORD_VERIFIER %s.\n",
		ms(results[0].srpSteps[0]), ms(results[0].srpSteps[1]))
	fmt.Fprintf(out, "\n| server | start-up (process to ready) | first request after restart (GetUser) |\n|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(out, "| %s | %s | %s |\n", r.name, ms(r.start), ms(r.cold))
	}
	fmt.Fprintf(out, "\nWorker bundle (wrangler deploy --dry-run): %.2f MiB raw, %.2f MiB gzipped.\n", float64(raw)/(1<<20), float64(gz)/(1<<20))

	if withCrypto {
		fmt.Fprintln(os.Stderr, "running edge's crypto benchmarks inside workerd ...")
		bench, err := cryptoInsideWorkerd(ctx, root, tmp)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n### Crypto inside workerd (edge benchmarks, ns/op)\n\n```\n%s```\n", bench)
	}
	return nil
}

// wranglerLog keeps wrangler's last lines, shown when a measurement fails.
var wranglerLog = &ring{}

type ring struct {
	mu    sync.Mutex
	lines []string
}

func (r *ring) logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
	if len(r.lines) > 200 {
		r.lines = r.lines[len(r.lines)-100:]
	}
}

func (r *ring) tail() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var keep []string
	for _, l := range r.lines {
		if !strings.Contains(l, "[wrangler:info] POST") && !strings.Contains(l, "[wrangler:info] GET") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// op is one measured operation: do runs it once.
type op struct {
	name     string
	requests int // HTTP requests per run
	do       func(context.Context) error
}

type opResult struct {
	name     string
	p50, p95 time.Duration
	cpu      time.Duration // server process CPU per HTTP request
	goCPU    time.Duration // Worker only: time running Go (and the JS it calls) per HTTP request
	kvReads  float64       // Worker only: store reads (Durable Object calls) per HTTP request
	kvWrites float64       // Worker only: store writes, deletes and commits per HTTP request
}

// worker reports what only the Worker can: its Go time and its KV calls.
type worker interface {
	Glue(context.Context) (*edgelocal.Glue, error)
	Stats(context.Context, bool) (*edgelocal.Stats, error)
}

// warmup is how many unmeasured runs precede each measured batch.
var warmup = 100

func measure(srv server, o op, n int) (opResult, error) {
	ctx := context.Background()
	// Warm-up: V8 optimizes the Worker's Go code progressively, and a busy isolate runs warm
	// code (the first request after a restart is measured on its own).
	for range warmup {
		if err := o.do(ctx); err != nil {
			return opResult{}, err
		}
	}
	cpu0, err := srv.CPUTime()
	if err != nil {
		return opResult{}, err
	}
	w, isWorker := srv.(worker)
	var g0 *edgelocal.Glue
	var s0 *edgelocal.Stats
	if isWorker {
		if g0, err = w.Glue(ctx); err != nil {
			return opResult{}, err
		}
		if s0, err = w.Stats(ctx, false); err != nil {
			return opResult{}, err
		}
	}
	walls := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		if err := o.do(ctx); err != nil {
			return opResult{}, err
		}
		walls = append(walls, time.Since(t0))
	}
	cpu1, err := srv.CPUTime()
	if err != nil {
		return opResult{}, err
	}
	slices.Sort(walls)
	reqs := n * o.requests
	r := opResult{
		name: o.name,
		p50:  walls[len(walls)/2],
		p95:  walls[len(walls)*95/100],
		cpu:  (cpu1 - cpu0) / time.Duration(reqs),
	}
	if isWorker {
		g1, err := w.Glue(ctx)
		if err != nil {
			return opResult{}, err
		}
		s1, err := w.Stats(ctx, false)
		if err != nil {
			return opResult{}, err
		}
		if g1.Loaded != g0.Loaded || g1.Live == nil || g0.Live == nil || *g1.Live != *g0.Live {
			return opResult{}, fmt.Errorf("the isolate or its Go instance changed during the batch (%+v → %+v)", g0, g1)
		}
		r.goCPU = time.Duration((g1.GoBusyMs - g0.GoBusyMs) * float64(time.Millisecond) / float64(reqs))
		r.kvReads = float64(s1.Store.Gets+s1.Store.Lists-s0.Store.Gets-s0.Store.Lists) / float64(reqs)
		r.kvWrites = float64(s1.Store.Puts+s1.Store.Deletes+s1.Store.Commits-s0.Store.Puts-s0.Store.Deletes-s0.Store.Commits) / float64(reqs)
	}
	return r, nil
}

// fixture is a pool with a client allowing every flow and one user, on one server.
type fixture struct {
	admin, public *cip.Client
	pool, client  string
	access        *string
	refresh       *string
}

func clientsFor(url string) (admin, public *cip.Client) {
	mk := func(creds aws.CredentialsProvider) *cip.Client {
		return cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: creds, RetryMaxAttempts: 1})
	}
	return mk(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: adminKeyID, SecretAccessKey: adminSecret}, nil
	})), mk(aws.AnonymousCredentials{})
}

func setup(ctx context.Context, url string) (*fixture, error) {
	f := &fixture{}
	f.admin, f.public = clientsFor(url)
	p, err := f.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("bench")})
	if err != nil {
		return nil, err
	}
	f.pool = aws.ToString(p.UserPool.Id)
	c, err := f.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(f.pool), ClientName: aws.String("bench"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{"ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}})
	if err != nil {
		return nil, err
	}
	f.client = aws.ToString(c.UserPoolClient.ClientId)
	if _, err := f.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("bench"), MessageAction: "SUPPRESS"}); err != nil {
		return nil, err
	}
	if _, err := f.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(f.pool), Username: aws.String("bench"),
		Password: aws.String(password), Permanent: true}); err != nil {
		return nil, err
	}
	out, err := f.passwordAuth(ctx)
	if err != nil {
		return nil, err
	}
	f.access, f.refresh = out.AuthenticationResult.AccessToken, out.AuthenticationResult.RefreshToken
	return f, nil
}

// retarget points the fixture's clients at a restarted server.
func (f *fixture) retarget(url string) { f.admin, f.public = clientsFor(url) }

func (f *fixture) passwordAuth(ctx context.Context) (*cip.InitiateAuthOutput, error) {
	return f.public.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"USERNAME": "bench", "PASSWORD": password}})
}

func (f *fixture) getUser(ctx context.Context) error {
	_, err := f.public.GetUser(ctx, &cip.GetUserInput{AccessToken: f.access})
	return err
}

// srpStepsGoCPU measures the Worker's Go CPU for each step of the SRP round trip apart,
// reading the glue's counter (which does not run Go) between the steps.
func (f *fixture) srpStepsGoCPU(ctx context.Context, w worker, n int) ([2]time.Duration, error) {
	var sum [2]float64
	busy := func() (float64, error) {
		g, err := w.Glue(ctx)
		if err != nil {
			return 0, err
		}
		return g.GoBusyMs, nil
	}
	for i := range warmup + n {
		b0, err := busy()
		if err != nil {
			return sum2(sum, 0), err
		}
		var b1 float64
		err = f.srpRoundTripWith(ctx, func() error { b1, err = busy(); return err })
		if err != nil {
			return sum2(sum, 0), err
		}
		b2, err := busy()
		if err != nil {
			return sum2(sum, 0), err
		}
		if i >= warmup {
			sum[0] += b1 - b0
			sum[1] += b2 - b1
		}
	}
	return sum2(sum, n), nil
}

func sum2(sum [2]float64, n int) [2]time.Duration {
	if n == 0 {
		return [2]time.Duration{}
	}
	return [2]time.Duration{
		time.Duration(sum[0] * float64(time.Millisecond) / float64(n)),
		time.Duration(sum[1] * float64(time.Millisecond) / float64(n)),
	}
}

func (f *fixture) srpRoundTrip(ctx context.Context) error {
	return f.srpRoundTripWith(ctx, func() error { return nil })
}

// srpRoundTripWith runs InitiateAuth USER_SRP_AUTH, then between, then RespondToAuthChallenge.
func (f *fixture) srpRoundTripWith(ctx context.Context, between func() error) error {
	cl, err := srp.NewClient(hostcrypto.Pure{}, rand.Reader)
	if err != nil {
		return err
	}
	ch, err := f.public.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "USER_SRP_AUTH", ClientId: aws.String(f.client),
		AuthParameters: map[string]string{"USERNAME": "bench", "SRP_A": cl.AHex()}})
	if err != nil {
		return err
	}
	if err := between(); err != nil {
		return err
	}
	p := ch.ChallengeParameters
	block, err := base64.StdEncoding.DecodeString(p["SECRET_BLOCK"])
	if err != nil {
		return err
	}
	ts := srp.FormatTimestamp(time.Now())
	sig, err := cl.Signature(srp.PoolName(f.pool), p["USER_ID_FOR_SRP"], password, p["SALT"], p["SRP_B"], block, ts)
	if err != nil {
		return err
	}
	_, err = f.public.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ChallengeName: "PASSWORD_VERIFIER", ClientId: aws.String(f.client),
		ChallengeResponses: map[string]string{"USERNAME": p["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
			"TIMESTAMP": ts, "PASSWORD_CLAIM_SIGNATURE": sig}})
	return err
}

func (f *fixture) ops() []op {
	return []op{
		{"GetUser", 1, f.getUser},
		{"InitiateAuth USER_PASSWORD_AUTH", 1, func(ctx context.Context) error { _, err := f.passwordAuth(ctx); return err }},
		{"SRP round trip (2 requests)", 2, f.srpRoundTrip},
		{"refresh (REFRESH_TOKEN_AUTH)", 1, func(ctx context.Context) error {
			_, err := f.public.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: aws.String(f.client),
				AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(f.refresh)}})
			return err
		}},
	}
}

// hostsimTools are the hostsim CLI and its wasm module, built into a temporary directory.
type hostsimTools struct{ cli, module string }

func buildHostsim(ctx context.Context, root, tmp string) (*hostsimTools, error) {
	t := &hostsimTools{cli: filepath.Join(tmp, "poolgate"), module: filepath.Join(tmp, "poolgate.wasm")}
	for _, c := range []struct {
		env  []string
		args []string
	}{
		{nil, []string{"build", "-trimpath", "-o", t.cli, "./hostsim/cmd/poolgate"}},
		{[]string{"GOOS=wasip1", "GOARCH=wasm"}, []string{"build", "-trimpath", "-buildmode=c-shared", "-o", t.module, "./wasm"}},
	} {
		cmd := exec.CommandContext(ctx, "go", c.args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), c.env...)
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go %v: %v\n%s", c.args, err, b)
		}
	}
	return t, nil
}

// hostsimServer is a running hostsim CLI.
type hostsimServer struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{}
}

func (h *hostsimTools) start(ctx context.Context, dir string) (*hostsimServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(h.cli, "-addr", addr, "-https-addr", "off", "-data", dir, "-module", h.module)
	cmd.Env = append(os.Environ(), "POOLGATE_ADMIN_ACCESS_KEY_ID="+adminKeyID, "POOLGATE_ADMIN_SECRET_ACCESS_KEY="+adminSecret,
		"POOLGATE_MASTER_KEY="+base64.StdEncoding.EncodeToString(masterKey), "POOLGATE_ISSUER_BASE="+issuerBase)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &hostsimServer{url: "http://" + addr, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.url + "/")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("hostsim exited: %s", logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Close()
			return nil, errors.New("hostsim did not answer within 60 s")
		}
	}
}

func (s *hostsimServer) URL() string { return s.url }

func (s *hostsimServer) CPUTime() (time.Duration, error) {
	return edgelocal.ProcessCPU(s.cmd.Process.Pid)
}

func (s *hostsimServer) Close() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// bundleSize runs wrangler deploy --dry-run and sums the files it would upload.
func bundleSize(ctx context.Context, root, tmp string) (raw, gz int64, err error) {
	raw, gz, summary, err := harness.BundleSize(ctx, root, "", filepath.Join(tmp, "dist"))
	if err == nil {
		fmt.Fprintln(os.Stderr, summary)
	}
	return raw, gz, err
}

// cryptoInsideWorkerd runs edge's benchmarks in the test Worker (tests/workerd).
func cryptoInsideWorkerd(ctx context.Context, root, tmp string) (string, error) {
	if err := buildEdgeTests(ctx, root, tmp); err != nil {
		return "", err
	}
	w, err := startTestWorker(ctx, root, tmp)
	if err != nil {
		return "", err
	}
	defer w.Close()
	res, err := runInside(ctx, w, "-test.run=^$", "-test.bench=.", "-test.benchtime=300ms", "-test.timeout=10m")
	if err != nil {
		return "", err
	}
	var lines []string
	for _, l := range strings.Split(res.output, "\n") {
		if strings.HasPrefix(l, "Benchmark") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n") + "\n", nil
}

// buildEdgeTests builds edge's test binary for js/wasm where the test Worker
// (tests/workerd/testworker.mjs) imports it.
func buildEdgeTests(ctx context.Context, root, tmp string) error {
	build := filepath.Join(root, "tests", "workerd", "build")
	if err := os.MkdirAll(build, 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "test", "-c", "-o", filepath.Join(tmp, "edge_test.wasm"), "./edge")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go test -c ./edge: %v\n%s", err, b)
	}
	b, err := os.ReadFile(filepath.Join(tmp, "edge_test.wasm"))
	if err != nil {
		return err
	}
	if err := edgelocal.WriteIfChanged(filepath.Join(build, "edge_test.wasm"), b); err != nil {
		return err
	}
	return edgelocal.CopyWasmExec(ctx, root, build)
}

// startTestWorker starts the test Worker on edge's test binary as buildEdgeTests built it.
func startTestWorker(ctx context.Context, root, tmp string) (*edgelocal.Worker, error) {
	return edgelocal.Start(ctx, edgelocal.Options{Root: root, Config: filepath.Join(root, "tests", "workerd", "wrangler.test.toml"),
		PersistDir: filepath.Join(tmp, "crypto"), AdminAccessKeyID: adminKeyID, AdminSecretAccessKey: adminSecret, MasterKey: masterKey,
		Logf: wranglerLog.logf})
}

// insideRun is one run of edge's test binary inside workerd: its output, and the CPU time
// workerd's processes used and the wall time that passed while it ran, both measured out
// here (workerd's clock inside the isolate only moves with I/O).
type insideRun struct {
	output    string
	cpu, wall time.Duration
}

// runInside runs edge's test binary in the test Worker w with args (-test.* flags).
func runInside(ctx context.Context, w *edgelocal.Worker, args ...string) (insideRun, error) {
	body, _ := json.Marshal(map[string][]string{"args": args})
	cpu0, err := w.CPUTime()
	if err != nil {
		return insideRun{}, err
	}
	t0 := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, w.URL()+"/", bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return insideRun{}, err
	}
	defer resp.Body.Close()
	var res struct {
		Code   int    `json:"code"`
		Output string `json:"output"`
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return insideRun{}, err
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return insideRun{}, fmt.Errorf("the test Worker answered %s: %.500q\n%s", resp.Status, raw, wranglerLog.tail())
	}
	wall := time.Since(t0)
	cpu1, err := w.CPUTime()
	if err != nil {
		return insideRun{}, err
	}
	if res.Code != 0 {
		return insideRun{}, fmt.Errorf("edge tests %v failed:\n%s", args, res.Output)
	}
	return insideRun{output: res.Output, cpu: cpu1 - cpu0, wall: wall}, nil
}
