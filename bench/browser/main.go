// Command browser measures the sign-in app (web/static, the WebAssembly SDK) in headless
// Chromium against hostsim on this machine, for one or more builds of build/web side by side,
// and prints the figures as markdown:
//
//   - first load: navigation start to the app ready for input (poolgate-app.json fetched, the
//     SDK's wasm fetched, compiled and instantiated, the client created and the stored session
//     checked: app.js's readyMs), each in a new Chromium with an empty profile, so the HTTP
//     cache and V8's wasm code cache are cold; beside it when the wasm's response ended, and
//     the time from then to ready (compiling, instantiating and starting the Go program);
//   - SRP sign-in: a click on "Sign in" to the signed-in screen (InitiateAuth USER_SRP_AUTH,
//     the SDK's proof with three BigInt exponentiations, RespondToAuthChallenge, the tokens
//     decoded and stored), timed in the page with performance.now(), several per load.
//
// The builds alternate within each round, so load on the machine falls on each alike. Each
// build is served by its own hostsim (same guest module, same configuration, same user).
// hostsim serves assets without compression: the wasm crosses localhost uncompressed.
//
//	make web build/poolgate.wasm
//	go run ./bench/browser -web before=/tmp/main-web -web after=build/web
//
// This is a benchmark, not a test: it asserts nothing about times.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/chromedp/chromedp"

	"github.com/poolgate/poolgate/hostsim"
)

const (
	poolID      = "us-east-1_BenchWeb1"
	clientID    = "benchwebappclient00000001"
	adminKeyID  = "AKIAPOOLGATEBENCHWEB1"
	adminSecret = "bench/browser/secret/for/poolgate/admin0"
	username    = "ada@example.com"
	password    = "Analytical1Engine!"
)

// config is the server's: one pool whose username is the email, a public client allowed SRP,
// no MFA and no device tracking, so a sign-in is exactly InitiateAuth and one
// RespondToAuthChallenge.
const config = `{
  "UserPools": [{
    "Id": "us-east-1_BenchWeb1", "PoolName": "Bench",
    "UsernameAttributes": ["email"], "AutoVerifiedAttributes": ["email"],
    "Schema": [{"Name": "email", "AttributeDataType": "String", "Required": true, "Mutable": true}],
    "Clients": [{
      "ClientId": "benchwebappclient00000001", "ClientName": "web",
      "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    }]
  }]
}`

// webFlag collects -web label=dir.
type webFlag []build

type build struct{ label, dir string }

func (w *webFlag) String() string { return fmt.Sprint(*w) }

func (w *webFlag) Set(s string) error {
	label, dir, ok := strings.Cut(s, "=")
	if !ok || label == "" || dir == "" {
		return errors.New("want label=dir")
	}
	*w = append(*w, build{label, dir})
	return nil
}

func main() {
	var webs webFlag
	flag.Var(&webs, "web", "a build of build/web to measure, as label=dir (repeat; default current=build/web)")
	module := flag.String("module", "build/poolgate.wasm", "the wasip1 guest hostsim runs")
	chromium := flag.String("chromium", "", "Chromium's path (default: chromium, chromium-browser or google-chrome on PATH)")
	loads := flag.Int("loads", 12, "cold first loads per build (each in a new Chromium)")
	signIns := flag.Int("signins", 2, "SRP sign-ins after each load")
	flag.Parse()
	if len(webs) == 0 {
		webs = webFlag{{"current", "build/web"}}
	}
	if *chromium == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				*chromium = p
				break
			}
		}
	}
	if *chromium == "" {
		fmt.Fprintln(os.Stderr, "bench/browser: no Chromium found (make chromium, or -chromium)")
		os.Exit(2)
	}
	if err := run(context.Background(), webs, *module, *chromium, *loads, *signIns, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/browser:", err)
		os.Exit(1)
	}
}

// sample is what one build gave.
type sample struct {
	build
	rawBytes, gzBytes int64
	srv               *hostsim.Server
	ready, wasmEnd    []time.Duration // per load
	afterWasm         []time.Duration // per load: ready − wasmEnd (compile, instantiate, start)
	signIn            []time.Duration // per sign-in
	firstSignIn       []time.Duration // the first sign-in after each load
}

func run(ctx context.Context, webs []build, module, chromium string, loads, signIns int, w io.Writer) error {
	cacheDir, err := os.MkdirTemp("", "poolgate-bench-browser-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(cacheDir)
	var samples []*sample
	for _, b := range webs {
		s := &sample{build: b}
		wasm := filepath.Join(b.dir, "poolgate-sdk.wasm")
		if s.rawBytes, s.gzBytes, err = sizes(wasm); err != nil {
			return err
		}
		s.srv, err = hostsim.Start(ctx, hostsim.Options{
			ModulePath:           module,
			CompilationCacheDir:  cacheDir,
			AssetsDir:            b.dir,
			AdminAccessKeyID:     adminKeyID,
			AdminSecretAccessKey: adminSecret,
			Config:               []byte(config),
		})
		if err != nil {
			return fmt.Errorf("%s: hostsim: %w", b.label, err)
		}
		defer s.srv.Close()
		if err := createUser(ctx, s.srv.URL()); err != nil {
			return fmt.Errorf("%s: %w", b.label, err)
		}
		samples = append(samples, s)
	}
	for round := range loads {
		for i := range samples {
			// Alternate the order each round: neither build always goes first.
			s := samples[i]
			if round%2 == 1 {
				s = samples[len(samples)-1-i]
			}
			if err := measure(ctx, chromium, s, signIns); err != nil {
				return fmt.Errorf("%s, round %d: %w", s.label, round+1, err)
			}
		}
	}
	report(w, samples, loads, signIns)
	return nil
}

// measure starts a new Chromium (empty profile: cold caches), loads the app, then signs in
// signIns times, signing out between.
func measure(ctx context.Context, chromium string, s *sample, signIns int) error {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.WindowSize(1280, 1000),
		chromedp.Flag("disable-gpu", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	tctx, cancelT := context.WithTimeout(bctx, 3*time.Minute)
	defer cancelT()
	if err := chromedp.Do(tctx, chromedp.Navigate("about:blank")); err != nil {
		return fmt.Errorf("starting chromium: %w", err)
	}
	if err := chromedp.Do(tctx, chromedp.Navigate(s.srv.URL()+"/")); err != nil {
		return err
	}
	var load struct {
		Ready   float64 `json:"ready"`
		WasmEnd float64 `json:"wasmEnd"`
		Error   string  `json:"error"`
	}
	if err := eval(tctx, `new Promise(resolve => {
  const done = () => {
    const wasm = performance.getEntriesByType("resource").find(e => e.name.endsWith("/poolgate-sdk.wasm"));
    resolve({ready: poolgateApp.readyMs, wasmEnd: wasm ? wasm.responseEnd : -1,
      error: document.body.dataset.ready === "error" ? document.querySelector("#loading-text").textContent : ""});
  };
  if (document.body.dataset.ready) return done();
  new MutationObserver((_, o) => { o.disconnect(); done(); })
    .observe(document.body, {attributes: true, attributeFilter: ["data-ready"]});
})`, &load); err != nil {
		return err
	}
	if load.Error != "" {
		return errors.New("the app did not start: " + load.Error)
	}
	s.ready = append(s.ready, ms(load.Ready))
	s.wasmEnd = append(s.wasmEnd, ms(load.WasmEnd))
	s.afterWasm = append(s.afterWasm, ms(load.Ready-load.WasmEnd))

	for i := range signIns {
		// Fill the form, then time the click to the signed-in screen in the page itself.
		var out struct {
			Ms    float64 `json:"ms"`
			View  string  `json:"view"`
			Alert string  `json:"alert"`
		}
		err := eval(tctx, `new Promise(resolve => {
  document.querySelector("#signin-username").value = `+jsString(username)+`;
  document.querySelector("#signin-password").value = `+jsString(password)+`;
  const form = document.querySelector("#form-signin");
  const alert = form.querySelector(".alert");
  const obs = new MutationObserver(() => {
    if (document.body.dataset.view === "profile" || !alert.hidden) {
      const ms = performance.now() - t0;
      obs.disconnect();
      resolve({ms, view: document.body.dataset.view, alert: alert.hidden ? "" : alert.textContent});
    }
  });
  obs.observe(document.body, {attributes: true, subtree: true, attributeFilter: ["data-view", "hidden"]});
  const t0 = performance.now();
  document.querySelector("#signin-submit").click();
})`, &out)
		if err != nil {
			return err
		}
		if out.View != "profile" {
			return fmt.Errorf("sign-in %d did not sign in: %q", i+1, out.Alert)
		}
		s.signIn = append(s.signIn, ms(out.Ms))
		if i == 0 {
			s.firstSignIn = append(s.firstSignIn, ms(out.Ms))
		}
		// Sign out (RevokeToken) and back to the form, unmeasured.
		if err := eval(tctx, `poolgateApp.client.signOut().then(() => new Promise(resolve => {
  if (document.body.dataset.view === "signin") return resolve(true);
  location.hash = "#signin";
  const obs = new MutationObserver(() => {
    if (document.body.dataset.view === "signin") { obs.disconnect(); resolve(true); }
  });
  obs.observe(document.body, {attributes: true, attributeFilter: ["data-view"]});
}))`, nil); err != nil {
			return fmt.Errorf("sign out: %w", err)
		}
	}
	return nil
}

// eval runs js in the page, awaiting its promise, and decodes the result into out.
func eval(ctx context.Context, js string, out any) error {
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

func jsString(s string) string { return fmt.Sprintf("%q", s) }

// createUser makes the bench's user with a permanent password (confirmed, email verified).
func createUser(ctx context.Context, base string) error {
	admin := cip.New(cip.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(base),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: adminKeyID, SecretAccessKey: adminSecret}, nil
		}),
	})
	if _, err := admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(poolID), Username: aws.String(username), MessageAction: "SUPPRESS",
	}); err != nil {
		return fmt.Errorf("AdminCreateUser: %w", err)
	}
	if _, err := admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(poolID), Username: aws.String(username), Password: aws.String(password), Permanent: true,
	}); err != nil {
		return fmt.Errorf("AdminSetUserPassword: %w", err)
	}
	return nil
}

// sizes returns a file's size and its size after gzip -9 (gzip(1), as the README counts).
func sizes(path string) (raw, gz int64, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	out, err := exec.Command("sh", "-c", `gzip -9 -c "$0" | wc -c`, path).Output()
	if err != nil {
		return 0, 0, fmt.Errorf("gzip -9 %s: %w", path, err)
	}
	if gz, err = strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("gzip -9 %s: %w", path, err)
	}
	return fi.Size(), gz, nil
}

func report(w io.Writer, samples []*sample, loads, signIns int) {
	fmt.Fprintf(w, "Chromium (headless), hostsim on this machine; %d cold first loads per build (a new Chromium each), %d SRP sign-ins after each load; builds alternating.\n\n", loads, signIns)
	fmt.Fprintln(w, "| build | SDK wasm | gzip -9 | first load median (min–max) | wasm response end median | ready − wasm end median | SRP sign-in p50 | p90 | first sign-in after load, median |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range samples {
		fmt.Fprintf(w, "| %s | %d B | %d B | %s (%s–%s) | %s | %s | %s | %s | %s |\n", s.label, s.rawBytes, s.gzBytes,
			msText(pct(s.ready, 50)), msText(pct(s.ready, 0)), msText(pct(s.ready, 100)),
			msText(pct(s.wasmEnd, 50)), msText(pct(s.afterWasm, 50)), msText(pct(s.signIn, 50)), msText(pct(s.signIn, 90)), msText(pct(s.firstSignIn, 50)))
	}
	fmt.Fprintln(w)
	for _, s := range samples {
		fmt.Fprintf(w, "- %s first loads (ms): %s\n", s.label, list(s.ready))
		fmt.Fprintf(w, "- %s ready − wasm end (ms): %s\n", s.label, list(s.afterWasm))
		fmt.Fprintf(w, "- %s sign-ins (ms): %s\n", s.label, list(s.signIn))
	}
}

// pct is the nearest-rank percentile p of ds (0: the minimum, 100: the maximum).
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s) + 99) / 100
	return s[max(i-1, 0)]
}

func msText(d time.Duration) string {
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}

func list(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond))
	}
	return strings.Join(parts, " ")
}
