// Command gateway measures a JWT-guarded request side by side, in one run, against one local
// origin: poolgate's Worker in workerd (wrangler dev) vs a JavaScript Worker verifying with
// aws-jwt-verify (worker.mjs beside this file) vs a pass-through Worker, and poolgate's wasm
// module under hostsim vs the same service compiled natively vs the origin directly. The
// targets are measured in interleaved rounds (so machine noise spreads over all of them) and
// it prints requests per second, p50/p95 latency and the latency added over the unguarded
// path, plus workerd CPU time per request, as markdown (and JSON with -json).
//
//	go run ./bench/gateway                 # what `make bench-gateway` runs
//	go run ./bench/gateway -n 4000 -c 16 -targets workerd-poolgate,workerd-jwt-verify
//	go run ./bench/gateway -c 1 -targets workerd-passthrough,workerd-poolgate,breakdown
package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/edge/local"
	"github.com/poolgate/poolgate/hostsim"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/service"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

const (
	pool       = "us-east-1_GwBench1"
	client     = "gwbenchclient0001"
	password   = "Bench-Passw0rd!"
	issuerBase = "http://bench.poolgate.test"
	region     = "us-east-1"
)

var allTargets = []string{"direct", "native-poolgate", "hostsim-poolgate", "workerd-passthrough", "workerd-jwt-verify", "workerd-poolgate"}

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
	worker   *local.Worker

	lat     []time.Duration
	elapsed time.Duration
	cpu     time.Duration
	goBusy  float64 // ms the Worker's Go instance ran (poolgate Workers)
}

func run(n, c, rounds int, names []string, jsonOut string) error {
	ctx := context.Background()
	root, err := local.FindRoot(".")
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "poolgate-gwbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	want := func(name string) bool { return slices.Contains(names, name) }

	origin, err := startOrigin()
	if err != nil {
		return err
	}
	defer origin.Close()
	originURL := "http://" + origin.Addr().String()
	config := benchConfig(originURL)
	adminID, adminSecret, master := "AKIAGWBENCH000000001", randText(40), randBytes(32)

	var ts []*target
	add := func(t *target) { ts = append(ts, t) }
	if want("direct") {
		add(&target{name: "direct", url: originURL + "/bench/items"})
	}

	// Each poolgate has its own store and so its own signing keys: each target gets a token
	// from its own pool. The aws-jwt-verify Worker gets the last one's token and JWKS.
	var token, jwks string
	signIn := func(base string, t *target) error {
		var err error
		token, jwks, err = makeUser(ctx, base, adminID, adminSecret)
		t.token = token
		return err
	}

	if want("native-poolgate") {
		url, stop, err := startNative(config, adminID, adminSecret, master)
		if err != nil {
			return err
		}
		defer stop()
		t := &target{name: "native-poolgate", url: url + "/bench/items", baseline: "direct"}
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
			IssuerBase: issuerBase, Region: region, AdminAccessKeyID: adminID, AdminSecretAccessKey: adminSecret,
			MasterKey: master, Config: config, Sender: new(message.Recorder), Logf: func(string, ...any) {}})
		if err != nil {
			return err
		}
		defer srv.Close()
		t := &target{name: "hostsim-poolgate", url: srv.URL() + "/bench/items", baseline: "direct"}
		if err := signIn(srv.URL(), t); err != nil {
			return fmt.Errorf("hostsim: %w", err)
		}
		add(t)
	}
	startWorker := func(o local.Options) (*local.Worker, error) {
		o.Root = root
		o.PersistDir = filepath.Join(tmp, "wrangler-"+randText(6))
		o.IssuerBase, o.Region = issuerBase, region
		o.AdminAccessKeyID, o.AdminSecretAccessKey, o.MasterKey = adminID, adminSecret, master
		return local.Start(ctx, o)
	}
	if want("workerd-poolgate") {
		if err := local.Build(ctx, root); err != nil {
			return err
		}
		w, err := startWorker(local.Options{PoolgateConfig: config})
		if err != nil {
			return err
		}
		defer w.Close()
		t := &target{name: "workerd-poolgate", url: w.URL() + "/bench/items", baseline: "workerd-passthrough", worker: w}
		if err := signIn(w.URL(), t); err != nil {
			return fmt.Errorf("workerd: %w", err)
		}
		add(t)
		if want("breakdown") {
			// Where the Worker's time goes: Go answering at once (no gateway, no fetch), and a
			// token checked in full and then refused (no fetch).
			add(&target{name: "workerd-poolgate-glue-only", url: w.URL() + "/cognito-idp", worker: w, status: http.StatusBadRequest})
			add(&target{name: "workerd-poolgate-verify-only", url: w.URL() + "/verify-only/items", token: t.token, worker: w,
				status: http.StatusUnauthorized})
		}
	}
	if token == "" {
		return errors.New("no poolgate target to issue a token: include native-poolgate, hostsim-poolgate or workerd-poolgate")
	}
	for _, mode := range []string{"passthrough", "jwt-verify"} {
		name := "workerd-" + mode
		if !want(name) {
			continue
		}
		w, err := startWorker(local.Options{
			Config: filepath.Join(root, "bench", "gateway", "wrangler.toml"),
			Vars: map[string]string{"BENCH_MODE": map[string]string{"passthrough": "passthrough", "jwt-verify": "verify"}[mode],
				"BENCH_ORIGIN": originURL, "BENCH_ISSUER": issuerBase + "/" + pool, "BENCH_JWKS": jwks, "BENCH_CLIENT_ID": client},
		})
		if err != nil {
			return err
		}
		defer w.Close()
		t := &target{name: name, url: w.URL() + "/bench/items", worker: w}
		if mode == "jwt-verify" {
			t.baseline, t.token = "workerd-passthrough", token
		}
		add(t)
	}

	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4 * c, MaxConnsPerHost: 4 * c}, Timeout: 30 * time.Second}
	// Every guarded target must refuse a bad token and pass the good one before it is timed.
	for _, t := range ts {
		if t.token == "" || t.status != 0 {
			continue
		}
		if s, _ := get(hc, t.url, t.token[:len(t.token)-4]+"AAAA"); s != http.StatusUnauthorized {
			return fmt.Errorf("%s: a token with a bad signature got %d, want 401", t.name, s)
		}
		if s, body := get(hc, t.url, t.token); s != http.StatusOK {
			return fmt.Errorf("%s: the good token got %d: %s", t.name, s, body)
		}
	}
	for _, t := range ts { // warm-up: connections, instances, key caches
		if err := t.load(hc, 200, c); err != nil {
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
			if err := t.load(hc, n/rounds, c); err != nil {
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
func (t *target) load(hc *http.Client, count, c int) error {
	var mu sync.Mutex
	var firstErr error
	lat := make([]time.Duration, 0, count)
	var wg sync.WaitGroup
	next := make(chan struct{}, count)
	for range count {
		next <- struct{}{}
	}
	close(next)
	t0 := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				s0 := time.Now()
				status, body := get(hc, t.url, t.token)
				d := time.Since(s0)
				mu.Lock()
				lat = append(lat, d)
				if status != cmp.Or(t.status, http.StatusOK) && firstErr == nil {
					firstErr = fmt.Errorf("%s: status %d: %s", t.name, status, body)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.elapsed += time.Since(t0)
	t.lat = append(t.lat, lat...)
	return firstErr
}

func get(hc *http.Client, url, token string) (int, string) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode, string(b)
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

// benchConfig is a jwt route for the pool's access tokens from client, in front of origin, and
// one that checks the same tokens in full and then refuses them (another client).
func benchConfig(origin string) []byte {
	return fmt.Appendf(nil, `{
  "UserPools": [{"Id": %[1]q, "PoolName": "gateway-bench",
    "Clients": [{"ClientId": %[2]q, "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}]}],
  "Routes": [
    {"Name": "bench", "PathPrefix": "/bench", "Origin": %[3]q,
     "Jwt": {"Issuers": [{"UserPoolId": %[1]q}], "TokenUse": "access", "ClientIds": [%[2]q]}},
    {"Name": "verify-only", "PathPrefix": "/verify-only", "Origin": %[3]q,
     "Jwt": {"Issuers": [{"UserPoolId": %[1]q}], "TokenUse": "access", "ClientIds": ["another-client"]}}]
}`, pool, client, origin)
}

// makeUser creates a user through the admin API of the poolgate at base, signs it in and
// returns its access token and the pool's JWKS.
func makeUser(ctx context.Context, base, adminID, adminSecret string) (token, jwks string, err error) {
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: adminID, SecretAccessKey: adminSecret}, nil
	})
	// The JSON API dispatches on X-Amz-Target whatever the path; a path of its own keeps the
	// calls clear of the Worker's static assets, which answer "/".
	api := aws.String(base + "/cognito-idp")
	admin := cip.New(cip.Options{Region: region, BaseEndpoint: api, Credentials: creds, RetryMaxAttempts: 1})
	user := "bench-" + randText(8)
	if _, err := admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(pool), Username: aws.String(user),
		MessageAction: ciptypes.MessageActionTypeSuppress}); err != nil {
		return "", "", err
	}
	if _, err := admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(pool), Username: aws.String(user),
		Password: aws.String(password), Permanent: true}); err != nil {
		return "", "", err
	}
	pub := cip.New(cip.Options{Region: region, BaseEndpoint: api, Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	out, err := pub.InitiateAuth(ctx, &cip.InitiateAuthInput{AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth, ClientId: aws.String(client),
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password}})
	if err != nil {
		return "", "", err
	}
	resp, err := http.Get(base + "/" + pool + "/.well-known/jwks.json")
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		return "", "", fmt.Errorf("JWKS: %d %v", resp.StatusCode, err)
	}
	return *out.AuthenticationResult.AccessToken, string(bytes.TrimSpace(b)), nil
}

// startNative serves the service compiled natively on a local listener.
func startNative(config []byte, adminID, adminSecret string, master []byte) (string, func(), error) {
	svc, err := service.New(service.Config{Region: region, IssuerBase: issuerBase, AdminAccessKeyID: adminID,
		AdminSecretAccessKey: adminSecret, MasterKey: master, Store: memstore.New(time.Now), Sender: new(message.Recorder)})
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

// startOrigin is the origin every target forwards to: "ok" for any request.
func startOrigin() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok")
	}))
	return ln, nil
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// randText returns n random base32 characters (n <= 52).
func randText(n int) string { return (rand.Text() + rand.Text())[:n] }

// goBusy reads how long the Worker's Go instance has run so far (0 for other Workers).
func goBusy(ctx context.Context, w *local.Worker) float64 {
	g, err := w.Glue(ctx)
	if err != nil {
		return 0
	}
	return g.GoBusyMs
}
