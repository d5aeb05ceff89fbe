// Package hostsim runs poolgate's wasip1 module under wazero as a local Cognito-compatible
// server: it implements the module's host functions (KV, crypto, messages, log, outbound
// fetches, request bodies), keeps a pool of instances, and serves HTTP, streaming the requests
// the guest's gateway allows to their origins. Go tests import it to get a local Cognito:
//
//	// once, e.g. in TestMain: hostsim.BuildModule(ctx, "", "build/poolgate.wasm")
//	s, err := hostsim.Start(ctx, hostsim.Options{
//		ModulePath: "build/poolgate.wasm",
//		Config:     hostsim.DefaultConfig,      // or your own pools and clients
//		Sender:     &hostsim.MessageRecorder{}, // read confirmation codes in the test
//		Clock:      clock.Now,                  // optional: drive expiry without sleeping
//	})
//	defer s.Close()
//	id, secret := s.AdminCredentials() // sign admin calls with these
//	client := cognitoidentityprovider.NewFromConfig(awsConfig, func(o *cognitoidentityprovider.Options) {
//		o.BaseEndpoint = aws.String(s.URL())
//	})
//
// Server.Handler serves the same requests without a listener.
package hostsim

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/poolgate/poolgate/internal/abi"
	"github.com/poolgate/poolgate/internal/bound"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/native/boltstore"
	"github.com/poolgate/poolgate/internal/store/memstore"
	"github.com/poolgate/poolgate/internal/trigger"
)

// Options configure Start. The zero value of every field but the module has a usable default.
type Options struct {
	// ModulePath is the wasm module to run (e.g. build/poolgate.wasm); ModuleBytes, when set,
	// is used instead.
	ModulePath  string
	ModuleBytes []byte

	// DataDir holds the bbolt file (DataDir/poolgate.db), the outbox (DataDir/outbox.jsonl) and
	// generated secrets (DataDir/secrets.json). "" keeps everything in memory.
	DataDir string
	// Store, when set, is used instead of the one DataDir implies; the caller closes it.
	Store Store

	// Addr is the listen address; default "127.0.0.1:0" (a free port, see Server.URL).
	Addr string
	// NoListen starts no listener: the server is used through Server.Handler only.
	NoListen bool

	// HTTPSAddr, when set, is a second listen address serving the same handler over HTTPS
	// ("127.0.0.1:0": a free port, see Server.HTTPSURL), with a certificate for localhost,
	// 127.0.0.1 and ::1 signed by a local CA (tls.go). Amplify v6 reaches the managed-login
	// pages only over https. Ignored with NoListen.
	HTTPSAddr string
	// TLSDir keeps the local CA and the server certificate; default DataDir/tls. With neither
	// set they are made per Start and kept in memory (Server.LocalTLS gives a test the CA).
	TLSDir string

	Region     string // default "us-east-1"
	IssuerBase string // default "http://" + the listen address ("http://localhost" with NoListen)
	AccountID  string // default "000000000000"

	// The admin key pair SigV4-signed calls must use, and the 32-byte master key the at-rest and
	// sealing keys derive from. Unset, they are generated: once into DataDir/secrets.json when
	// DataDir is set (and reused on restart), or per Start when it is not.
	AdminAccessKeyID, AdminSecretAccessKey string
	MasterKey                              []byte
	// TriggerSecret signs the requests that run Lambda triggers (X-Poolgate-Signature, as
	// the message webhook's); unset, it derives from the master key (Server.TriggerSecret).
	TriggerSecret string

	// Config is a declarative configuration file (JSON) applied at start.
	Config []byte

	// Clock, when set, is the guest's wall and monotonic clock (and the store's), so tests can
	// drive expiry and lockout by moving it. nil is the real clock.
	Clock func() time.Time

	// Instances bounds the module instances (each serves one request at a time, and holds its
	// own linear memory); they are created on demand. Default GOMAXPROCS, at least 2 (see
	// defaultInstances).
	Instances int
	// InstanceMemoryLimit: an instance whose linear memory has grown past this many bytes is
	// closed when its request ends, and a new one is made when one is needed, so the pages one
	// large request made the guest touch (an import, a big listing) go back to the OS: Go's
	// runtime never shrinks a wasm memory. Default 64 MiB (an instance starts at about
	// 17 MiB); negative: never.
	InstanceMemoryLimit int64

	// CompilationCacheDir keeps compiled code on disk so a restart does not recompile.
	CompilationCacheDir string
	// FileBackedCode moves the module's compiled machine code, after compiling, from the
	// anonymous memory wazero copies it into (all of it resident: about 60 MiB for poolgate's
	// guest) to a private mapping of a file in CompilationCacheDir holding the same bytes, so
	// that only the code the guest runs stays in memory (see codefile_linux.go). Linux only;
	// needs CompilationCacheDir on a filesystem that allows executable mappings. hostsim finds
	// the code as the executable mapping its compile added, so nothing else in the process
	// may compile wasm with wazero while a Start with FileBackedCode does (hostsim's own
	// Starts are serialized); the CLI runs one server per process.
	FileBackedCode bool

	// Sender delivers the guest's messages. Default: the outbox, which logs each message and
	// appends it as a JSON line to DataDir/outbox.jsonl.
	Sender Sender

	// ClientAddressHeader and CountryHeader name request headers trusted for the caller's
	// address and country (threat protection's signals), for a server behind a proxy that
	// sets them (e.g. CF-Connecting-IP and CF-IPCountry behind Cloudflare); "" trusts none:
	// the address is the TCP peer's and the country unknown.
	ClientAddressHeader, CountryHeader string

	// PureCrypto makes the guest compute modexp and signatures with its own pure-Go code instead
	// of calling the host's native implementations (slower; for comparison).
	PureCrypto bool

	// RequestTimeout bounds one request inside the guest. Default 30 s. A guest that overruns
	// it gets a 504 at the deadline and its instance is replaced: abandoned while it runs on
	// (closed when it returns; a request without a pending body then keeps its connection
	// until then, and the 504 closes it), or, with StrictDeadline, stopped at once. A request
	// the guest's gateway hands back is sent to its origin afterwards, outside this bound (the
	// gateway's origin timeout bounds the wait for the response head; the bodies stream for as
	// long as they last).
	RequestTimeout time.Duration

	// StrictDeadline compiles the guest with wazero's termination checks
	// (RuntimeConfig.WithCloseOnContextDone), so an overrunning guest is stopped instead of
	// abandoned. Go's wasm code enters a loop in every function, and each loop header then
	// calls a check: measured here, guest code runs 7× (a trivial request) to 40× (RSA key
	// generation) slower. Use it for untrusted modules; poolgate's own does not loop forever.
	StrictDeadline bool

	// Logf receives the host's and the guest's log lines. Default log.Printf.
	Logf func(format string, args ...any)

	// ReadHeaderTimeout bounds reading a request's head (default 10 s). BodyIdleTimeout bounds
	// the wait for each part of a request body (default 30 s): a body that stops arriving
	// ends with 408, one that streams slowly but steadily to a gateway origin is not cut.
	// BodyTimeout bounds reading the whole of a body that hostsim reads for the guest (the
	// JSON APIs', at most 8 MiB; default 30 s). IdleTimeout bounds a keep-alive connection
	// waiting for its next request (default 2 min).
	ReadHeaderTimeout, BodyIdleTimeout, BodyTimeout, IdleTimeout time.Duration
	// MaxConnsPerClient bounds the connections one client IP address may hold open at once
	// (default 64; negative: unbounded); further ones are closed as they are accepted. The
	// address is the TCP peer's: behind a reverse proxy every client shares the proxy's, so
	// raise the bound there or turn it off.
	MaxConnsPerClient int

	// AssetsDir, when set, is a directory of static files (the sign-in app, build/web) served
	// for GET requests whose path names a file in it, "/" being index.html; see assets.go.
	AssetsDir string
}

// Timings are the durations of Start's phases.
type Timings struct {
	Compile     time.Duration // compiling the module (short with a warm compilation cache)
	Instantiate time.Duration // instantiating the first instance and running poolgate_init
	Apply       time.Duration // applying Options.Config
}

// Server is a running hostsim.
type Server struct {
	opts       Options
	logf       func(format string, args ...any)
	timeout    time.Duration
	limits     limits
	rt         wazero.Runtime
	cache      wazero.CompilationCache
	pool       *pool
	listener   net.Listener
	http       *http.Server
	tlsLn      net.Listener // the HTTPS listener, when Options.HTTPSAddr is set
	https      *http.Server
	localTLS   *LocalTLS
	ownedStore interface{ Close() error }
	assets     *assets
	applied    string
	// code is the machine code FileBackedCode moved to a file (empty: none).
	code      execRegion
	timings   Timings
	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// maxRequestBytes bounds a body sent to the guest with its request (poolgate's JSON APIs:
// Cognito's own requests are far smaller). Other bodies are read by the guest as it needs
// them, or stream to a gateway origin, without this bound.
const maxRequestBytes = 8 << 20

// Start compiles the module, starts its first instance (which validates the runtime
// configuration), applies Options.Config and starts serving.
func Start(ctx context.Context, o Options) (_ *Server, err error) {
	s := &Server{opts: o, logf: o.Logf, timeout: o.RequestTimeout, limits: resolveLimits(&o), stop: make(chan struct{}), assets: newAssets(o.AssetsDir)}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.logf == nil {
		s.logf = log.Printf
	}
	// Every line the host and the guest log is clipped (bound.LogBytes): a line may quote a
	// request, and a request may be megabytes.
	s.logf = bound.Logf(s.logf)
	if s.timeout <= 0 {
		s.timeout = 30 * time.Second
	}
	if s.opts.Region == "" {
		s.opts.Region = "us-east-1"
	}
	if s.opts.AccountID == "" {
		s.opts.AccountID = "000000000000"
	}
	if s.opts.Instances <= 0 {
		s.opts.Instances = defaultInstances()
	}
	now := s.opts.Clock
	if now == nil {
		now = time.Now
	}

	wasm := o.ModuleBytes
	if wasm == nil {
		if o.ModulePath == "" {
			return nil, errors.New("hostsim: Options.ModulePath or ModuleBytes is required")
		}
		if wasm, err = os.ReadFile(o.ModulePath); err != nil {
			return nil, fmt.Errorf("hostsim: read module: %w (build it with `make build`)", err)
		}
	}
	if o.DataDir != "" {
		if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("hostsim: data dir: %w", err)
		}
	}
	if err := s.resolveSecrets(); err != nil {
		return nil, err
	}

	st := o.Store
	switch {
	case st != nil:
	case o.DataDir != "":
		bolt, err := boltstore.Open(filepath.Join(o.DataDir, "poolgate.db"), now)
		if err != nil {
			return nil, fmt.Errorf("hostsim: %w", err)
		}
		s.ownedStore = bolt
		st = bolt
		s.wg.Add(1)
		go s.sweep(bolt)
	default:
		st = memstore.New(now)
	}
	sender := o.Sender
	if sender == nil {
		sender = &outbox{path: outboxPath(o.DataDir), logf: s.logf}
	}

	if !o.NoListen {
		addr := o.Addr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		if s.listener, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("hostsim: listen: %w", err)
		}
		if o.HTTPSAddr != "" {
			if err := s.listenTLS(); err != nil {
				return nil, err
			}
		}
	}
	if s.opts.IssuerBase == "" {
		s.opts.IssuerBase = "http://localhost"
		if s.listener != nil {
			s.opts.IssuerBase = s.URL()
		}
	}

	rc, cache, err := runtimeConfig(o.CompilationCacheDir, o.StrictDeadline)
	if err != nil {
		return nil, err
	}
	s.cache = cache
	s.rt = wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, s.rt); err != nil {
		return nil, fmt.Errorf("hostsim: WASI: %w", err)
	}
	h := &host{
		store:  st,
		crypto: hostcrypto.Pure{}, // compiled natively here: math/big and crypto with assembly
		sender: sender,
		logf:   s.logf,
		config: abi.EncodeRuntimeConfig(&abi.RuntimeConfigData{
			Region:               s.opts.Region,
			IssuerBase:           s.opts.IssuerBase,
			ManagedLoginBase:     s.HTTPSURL(), // "" without HTTPS: the pages are on IssuerBase
			AccountID:            s.opts.AccountID,
			AdminAccessKeyID:     s.opts.AdminAccessKeyID,
			AdminSecretAccessKey: s.opts.AdminSecretAccessKey,
			MasterKey:            s.opts.MasterKey,
			TriggerSecret:        s.opts.TriggerSecret,
			PureCrypto:           o.PureCrypto,
			ClientAddressHeader:  o.ClientAddressHeader,
			CountryHeader:        o.CountryHeader,
		}),
	}
	if err := h.instantiate(ctx, s.rt); err != nil {
		return nil, err
	}

	t0 := time.Now()
	module, data := prepareModule(wasm)
	// The file's bytes and prepareModule's work are garbage now: returned to the OS before
	// wazero decodes the module, they do not add to the start's peak, when the compiled code
	// (60 MiB) lands on top of the decoded module.
	wasm = nil
	debug.FreeOSMemory()
	compiled, err := s.compile(ctx, module)
	if err != nil {
		return nil, err
	}
	s.timings.Compile = time.Since(t0)
	if err := checkModule(compiled); err != nil {
		return nil, err
	}

	mc := moduleConfig(now, o.Clock != nil, s.logf)
	s.pool = newPool(s.opts.Instances, o.StrictDeadline, instanceMemoryLimit(o.InstanceMemoryLimit), func(ctx context.Context) (*instance, error) {
		in, err := newInstance(withGuestMemory(ctx, data), s.rt, compiled, mc)
		if err == nil {
			s.code.release()
		}
		return in, err
	})

	// The first instance proves the module and its runtime configuration work.
	t0 = time.Now()
	first, err := s.pool.acquire(ctx)
	if err != nil {
		return nil, err
	}
	s.pool.release(first, true)
	s.timings.Instantiate = time.Since(t0)

	if len(o.Config) > 0 {
		t0 = time.Now()
		if s.applied, err = s.Apply(ctx, o.Config); err != nil {
			return nil, err
		}
		s.timings.Apply = time.Since(t0)
	}

	if s.listener != nil {
		// No ReadTimeout or WriteTimeout: gateway bodies stream for as long as they make
		// progress (see progressBody).
		s.http = &http.Server{Handler: s, ReadHeaderTimeout: s.limits.readHeader, IdleTimeout: s.limits.idle}
		ln := newClientLimitListener(s.listener, s.limits.maxConnsPerClient, s.logf)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.logf("hostsim: serve: %v", err)
			}
		}()
	}
	if s.tlsLn != nil {
		s.https = &http.Server{Handler: s, ReadHeaderTimeout: s.limits.readHeader, IdleTimeout: s.limits.idle,
			TLSConfig: s.localTLS.ServerConfig()}
		ln := newClientLimitListener(s.tlsLn, s.limits.maxConnsPerClient, s.logf)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := s.https.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.logf("hostsim: serve https: %v", err)
			}
		}()
	}
	return s, nil
}

// listenTLS loads (or creates) the local CA and server certificate and opens the HTTPS
// listener. The certificates use the real clock, never Options.Clock: clients check them
// against theirs.
func (s *Server) listenTLS() error {
	dir := s.opts.TLSDir
	if dir == "" && s.opts.DataDir != "" {
		dir = filepath.Join(s.opts.DataDir, "tls")
	}
	var err error
	if s.localTLS, err = LoadLocalTLS(dir, time.Now); err != nil {
		return err
	}
	if s.tlsLn, err = net.Listen("tcp", s.opts.HTTPSAddr); err != nil {
		return fmt.Errorf("hostsim: listen https: %w", err)
	}
	return nil
}

// moduleConfig is the configuration of every instance: real crypto/rand and, unless a clock is
// injected, the real wall and monotonic clocks (wazero's defaults are fake ones).
func moduleConfig(now func() time.Time, injected bool, logf func(string, ...any)) wazero.ModuleConfig {
	mc := wazero.NewModuleConfig().
		WithName(""). // anonymous: many instances of one module
		WithStartFunctions(abi.ExportInitialize).
		WithRandSource(rand.Reader).
		WithSysNanosleep().
		WithStdout(&lineWriter{logf: logf, prefix: "guest stdout: "}).
		WithStderr(&lineWriter{logf: logf, prefix: "guest stderr: "})
	if injected {
		wall, mono := clockFuncs(now)
		return mc.WithWalltime(wall, 1).WithNanotime(mono, 1)
	}
	return mc.WithSysWalltime().WithSysNanotime()
}

// checkModule verifies that the compiled module exports what abi.Exports lists, with those
// signatures, so a wrong file fails at Start with a clear message instead of at the first request.
func checkModule(c wazero.CompiledModule) error {
	exports := c.ExportedFunctions()
	for _, f := range abi.Exports {
		def, ok := exports[f.Name]
		if !ok {
			return fmt.Errorf("hostsim: the module is not a poolgate guest: it does not export %s", f.Name)
		}
		if !sameTypes(def.ParamTypes(), f.Params) || !sameTypes(def.ResultTypes(), f.Results) {
			return fmt.Errorf("hostsim: the module's %s has signature %v -> %v, want %v -> %v",
				f.Name, def.ParamTypes(), def.ResultTypes(), f.Params, f.Results)
		}
	}
	if _, ok := c.ExportedMemories()[abi.ExportMemory]; !ok {
		return errors.New("hostsim: the module is not a poolgate guest: it does not export its memory")
	}
	return nil
}

// URL is the server's base URL ("http://127.0.0.1:port"; "http://localhost:port" when listening
// on every interface), or "" with Options.NoListen.
func (s *Server) URL() string {
	if s.listener == nil {
		return ""
	}
	return "http://" + reachableAddr(s.listener.Addr())
}

// reachableAddr is a listener's address as a client writes it: a listener on every interface
// is named "localhost", which a browser and an SDK can reach (and the certificate covers).
func reachableAddr(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return net.JoinHostPort("localhost", strconv.Itoa(tcp.Port))
	}
	return a.String()
}

// HTTPSURL is the HTTPS listener's base URL ("https://127.0.0.1:port", "https://localhost:port"
// when listening on every interface), or "" when Options.HTTPSAddr is not set.
func (s *Server) HTTPSURL() string {
	if s.tlsLn == nil {
		return ""
	}
	return "https://" + reachableAddr(s.tlsLn.Addr())
}

// LocalTLS returns the local CA and the server certificate of the HTTPS listener (nil without
// one): LocalTLS().Pool is what a test's client trusts.
func (s *Server) LocalTLS() *LocalTLS { return s.localTLS }

// Handler returns the server as an http.Handler, usable without the listener.
func (s *Server) Handler() http.Handler { return s }

// IssuerBase is the base URL token issuers are built from (iss = IssuerBase/<poolId>).
func (s *Server) IssuerBase() string { return s.opts.IssuerBase }

// Region is the region the server reports.
func (s *Server) Region() string { return s.opts.Region }

// AdminCredentials returns the admin key pair SigV4-signed calls must use.
func (s *Server) AdminCredentials() (accessKeyID, secretAccessKey string) {
	return s.opts.AdminAccessKeyID, s.opts.AdminSecretAccessKey
}

// TriggerSecret is the secret trigger invocations are signed with: Options.TriggerSecret, or
// the one derived from the master key. A trigger endpoint verifies requests with it (the
// Node adapter reads it from POOLGATE_TRIGGER_SECRET).
func (s *Server) TriggerSecret() string {
	if s.opts.TriggerSecret != "" {
		return s.opts.TriggerSecret
	}
	return trigger.DeriveSecret(s.opts.MasterKey)
}

// Applied is the summary of applying Options.Config ("" when none was given).
func (s *Server) Applied() string { return s.applied }

// Timings reports how long Start's phases took.
func (s *Server) Timings() Timings { return s.timings }

// Apply applies a declarative configuration file and returns the summary of what it did.
func (s *Server) Apply(ctx context.Context, config []byte) (string, error) {
	ctx, cancel := context.WithTimeout(withFetchSlot(ctx), s.timeout)
	defer cancel()
	var res *abi.Result
	err := s.pool.do(ctx, func(in *instance) error {
		out, err := in.call(ctx, in.apply, config)
		if err == nil {
			res, err = abi.DecodeResult(out)
		}
		return err
	}, nil)
	if err != nil {
		return "", err
	}
	if !res.OK {
		return "", fmt.Errorf("hostsim: apply config: %s", res.Text)
	}
	return res.Text, nil
}

// Close stops serving, closes every instance and the store hostsim opened.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		var errs []error
		for _, l := range []struct {
			srv *http.Server
			ln  net.Listener
		}{{s.http, s.listener}, {s.https, s.tlsLn}} {
			if l.srv != nil {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				err := l.srv.Shutdown(ctx)
				cancel()
				if err != nil && s.pool != nil && s.pool.running.Load() > 0 {
					// The requests still open are (or include) ones answered at their deadline
					// whose guests run on in their goroutines (pool.do): logged below.
					err = l.srv.Close()
				}
				errs = append(errs, err)
			} else if l.ln != nil {
				errs = append(errs, l.ln.Close())
			}
		}
		s.wg.Wait()
		switch {
		case s.pool != nil && s.pool.running.Load() > 0:
			// Closing the runtime unmaps code an abandoned instance may still be running.
			s.logf("hostsim: %d instance(s) still running past their deadline; leaving the runtime to the process exit", s.pool.running.Load())
		case s.rt != nil:
			errs = append(errs, s.rt.Close(context.Background()))
		}
		if s.cache != nil {
			errs = append(errs, s.cache.Close(context.Background()))
		}
		if s.ownedStore != nil {
			errs = append(errs, s.ownedStore.Close())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// sweep deletes expired keys from the file store every minute until Close.
func (s *Server) sweep(st *boltstore.Store) {
	defer s.wg.Done()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if err := st.Sweep(); err != nil {
				s.logf("hostsim: sweep expired keys: %v", err)
			}
		}
	}
}

// lineWriter turns the guest's stdout/stderr into log lines.
type lineWriter struct {
	mu     sync.Mutex
	logf   func(format string, args ...any)
	prefix string
	buf    []byte
}

var _ io.Writer = (*lineWriter)(nil)

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.logf("%s%s", w.prefix, w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 4096 {
		w.logf("%s%s", w.prefix, w.buf)
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

func sameTypes(got []api.ValueType, want []abi.ValueType) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != api.ValueType(want[i]) {
			return false
		}
	}
	return true
}
