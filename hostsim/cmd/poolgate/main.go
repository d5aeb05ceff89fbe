// Command poolgate runs the local poolgate server: the wasm module under hostsim, with a
// bbolt data directory, the declarative configuration applied at start, and a printed dev
// admin key pair. `make run` starts it.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/poolgate/poolgate/hostsim"
)

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	if err := run(os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "poolgate:", err)
		os.Exit(1)
	}
}

// settings are the command line and environment, resolved.
type settings struct {
	addr, httpsAddr      string
	data, config, module string
	cache                string
	compileOnly          bool
	assets               string
	instances            int
	instanceMemoryMiB    int64
	pureCrypto           bool
	opts                 hostsim.Options
	configName           string
	keysFromEnv          bool
	clientIPHeader       string
	countryHeader        string
}

func parse(args []string, getenv func(string) string) (*settings, error) {
	fs := flag.NewFlagSet("poolgate", flag.ContinueOnError)
	s := &settings{}
	fs.StringVar(&s.addr, "addr", envOr(getenv, "ADDR", "127.0.0.1:8787"), "listen address (env ADDR)")
	fs.StringVar(&s.httpsAddr, "https-addr", envOr(getenv, "HTTPS_ADDR", "127.0.0.1:8443"), "HTTPS listen address, same endpoints, certificate from the local CA in DATA/tls (env HTTPS_ADDR; \"off\" serves HTTP only)")
	fs.StringVar(&s.data, "data", envOr(getenv, "DATA", ".poolgate"), "data directory: the store, the outbox, generated secrets, the compilation cache (env DATA)")
	fs.StringVar(&s.config, "config", getenv("CONFIG"), "declarative configuration file (env CONFIG); none applies the embedded default")
	fs.StringVar(&s.module, "module", "build/poolgate.wasm", "the wasm module")
	fs.StringVar(&s.cache, "cache", getenv("CACHE"), "wazero's compilation cache: the module's machine code, loaded instead of compiling it (env CACHE; default DATA/cache; make run uses build/cache, which make build fills)")
	fs.BoolVar(&s.compileOnly, "compile-only", false, "compile the module into -cache and exit (make build does, so a first start loads the machine code)")
	fs.StringVar(&s.assets, "assets", envOr(getenv, "ASSETS", "build/web"), "directory of the sign-in app's static files, served at / when it exists (env ASSETS; make build builds build/web)")
	fs.IntVar(&s.instances, "instances", 0, "maximum module instances, each with its own linear memory (default GOMAXPROCS, at least 2)")
	fs.Int64Var(&s.instanceMemoryMiB, "instance-memory", 0, "MiB of linear memory past which an instance is replaced after its request, returning the memory (default 64; negative: never)")
	fs.StringVar(&s.clientIPHeader, "client-ip-header", getenv("CLIENT_IP_HEADER"), "request header trusted for the caller's address, behind a proxy that sets it (env CLIENT_IP_HEADER; e.g. CF-Connecting-IP); default: the TCP peer")
	fs.StringVar(&s.countryHeader, "country-header", getenv("COUNTRY_HEADER"), "request header trusted for the caller's country, behind a proxy that sets it (env COUNTRY_HEADER; e.g. CF-IPCountry); default: unknown")
	fs.BoolVar(&s.pureCrypto, "pure-crypto", false, "compute modexp and signatures in the guest's pure Go instead of natively")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: poolgate [flags]\n\nEnvironment: POOLGATE_ADMIN_ACCESS_KEY_ID, POOLGATE_ADMIN_SECRET_ACCESS_KEY, POOLGATE_MASTER_KEY (base64, 32 bytes),\nPOOLGATE_REGION (default us-east-1), POOLGATE_ISSUER_BASE (default http://<addr>),\nPOOLGATE_TRIGGER_SECRET (signs trigger requests; default: derived from the master key, shown at start). Unset secrets are generated once into DATA/%s.\n\nFlags:\n", hostsim.SecretsFileName)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if s.cache == "" {
		s.cache = filepath.Join(s.data, "cache")
	}
	o := hostsim.Options{
		ModulePath:           s.module,
		DataDir:              s.data,
		Addr:                 s.addr,
		TLSDir:               filepath.Join(s.data, "tls"),
		Region:               getenv("POOLGATE_REGION"),
		IssuerBase:           getenv("POOLGATE_ISSUER_BASE"),
		AdminAccessKeyID:     getenv("POOLGATE_ADMIN_ACCESS_KEY_ID"),
		AdminSecretAccessKey: getenv("POOLGATE_ADMIN_SECRET_ACCESS_KEY"),
		TriggerSecret:        getenv("POOLGATE_TRIGGER_SECRET"),
		Instances:            s.instances,
		InstanceMemoryLimit:  s.instanceMemoryMiB << 20,
		PureCrypto:           s.pureCrypto,
		ClientAddressHeader:  s.clientIPHeader,
		CountryHeader:        s.countryHeader,
		CompilationCacheDir:  s.cache,
		FileBackedCode:       true,
		Logf:                 log.Printf,
	}
	if s.httpsAddr != "off" {
		o.HTTPSAddr = s.httpsAddr
	}
	if info, err := os.Stat(s.assets); err == nil && info.IsDir() {
		o.AssetsDir = s.assets
	}
	if (o.AdminAccessKeyID == "") != (o.AdminSecretAccessKey == "") {
		return nil, errors.New("set both POOLGATE_ADMIN_ACCESS_KEY_ID and POOLGATE_ADMIN_SECRET_ACCESS_KEY, or neither")
	}
	s.keysFromEnv = o.AdminAccessKeyID != ""
	if k := getenv("POOLGATE_MASTER_KEY"); k != "" {
		key, err := base64.StdEncoding.DecodeString(k)
		if err != nil || len(key) != 32 {
			return nil, errors.New("POOLGATE_MASTER_KEY must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)")
		}
		o.MasterKey = key
	}
	if s.config != "" {
		b, err := os.ReadFile(s.config)
		if err != nil {
			return nil, err
		}
		o.Config, s.configName = b, s.config
	} else {
		o.Config, s.configName = hostsim.DefaultConfig, "embedded default"
	}
	s.opts = o
	return s, nil
}

// hostGOGC is the host's GOGC unless the environment sets one. The host's live heap is
// mostly wazero's copy of the module (about 40 MiB with two instances) and grows little under
// load, so the default 100 let it reach twice that, a quarter of the server's peak RSS;
// at 25 the peak under 8 clients fell from 202 to 176 MiB with no measurable CPU cost (the
// host allocates little per request: the guest does the work in its own memory). A
// GOMEMLIMIT near the live heap did cut more (169 MiB) but cost 18% more CPU, collecting
// continually; it is not set by default.
const hostGOGC = 25

// setHostGC applies hostGOGC unless GOGC is set in the environment (the runtime has read it).
func setHostGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(hostGOGC)
	}
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func run(args []string, getenv func(string) string, stdout io.Writer) error {
	t0 := time.Now()
	s, err := parse(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if s.compileOnly {
		if err := hostsim.Precompile(ctx, s.module, s.cache, false); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "poolgate: compiled %s into %s in %v\n", s.module, s.cache, time.Since(t0).Round(time.Millisecond))
		return nil
	}

	setHostGC(getenv)
	srv, err := hostsim.Start(ctx, s.opts)
	if err != nil {
		return err
	}
	// Start's garbage (the module's bytes, its decoding, the compiler's work) goes back to
	// the OS now rather than when the scavenger gets to it.
	debug.FreeOSMemory()
	printBanner(stdout, s, srv, time.Since(t0))

	<-ctx.Done()
	stop()
	log.Printf("poolgate: shutting down")
	return srv.Close()
}

func printBanner(w io.Writer, s *settings, srv *hostsim.Server, startup time.Duration) {
	id, secret := srv.AdminCredentials()
	keys := "from the environment"
	if !s.keysFromEnv {
		keys = "generated once, kept in " + filepath.Join(s.data, hostsim.SecretsFileName)
	}
	tm := srv.Timings()
	fmt.Fprintf(w, "poolgate is running\n")
	fmt.Fprintf(w, "  endpoint:      %s\n", srv.URL())
	if u := srv.HTTPSURL(); u != "" {
		ca := filepath.Join(s.opts.TLSDir, hostsim.CAFileName)
		if abs, err := filepath.Abs(ca); err == nil {
			ca = abs // NODE_EXTRA_CA_CERTS is read relative to the app's directory, not this one
		}
		fmt.Fprintf(w, "  https:         %s (managed login; certificate from the local CA %s)\n", u, ca)
		fmt.Fprintf(w, "  trust the CA:  Node: NODE_EXTRA_CA_CERTS=%s; Debian: sudo cp %s /usr/local/share/ca-certificates/poolgate-local-ca.crt && sudo update-ca-certificates\n", ca, ca)
	}
	fmt.Fprintf(w, "  issuer base:   %s\n", srv.IssuerBase())
	fmt.Fprintf(w, "  region:        %s\n", srv.Region())
	fmt.Fprintf(w, "  admin key:     AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s (%s)\n", id, secret, keys)
	fmt.Fprintf(w, "  data dir:      %s (messages with codes go to the log and %s)\n", s.data, filepath.Join(s.data, "outbox.jsonl"))
	fmt.Fprintf(w, "  config:        %s: %s\n", s.configName, srv.Applied())
	fmt.Fprintf(w, "  triggers:      requests signed with POOLGATE_TRIGGER_SECRET=%s\n", srv.TriggerSecret())
	if s.opts.AssetsDir != "" {
		fmt.Fprintf(w, "  sign-in app:   %s/ (from %s)\n", srv.URL(), s.opts.AssetsDir)
	}
	fmt.Fprintf(w, "  started in:    %v (compile %v, first instance %v, config %v)\n",
		startup.Round(time.Millisecond), tm.Compile.Round(time.Millisecond), tm.Instantiate.Round(time.Millisecond), tm.Apply.Round(time.Millisecond))
	fmt.Fprintf(w, "  try:           aws cognito-idp list-user-pools --max-results 10 --endpoint-url %s --region %s\n", srv.URL(), srv.Region())
}
