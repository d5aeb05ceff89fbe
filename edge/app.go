//go:build js && wasm

package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall/js"
	"time"

	"github.com/poolgate/poolgate/edge/internal/isocache"
	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/federation/samlremote"
	"github.com/poolgate/poolgate/internal/gateway"
	"github.com/poolgate/poolgate/internal/handoff"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/service"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/trigger"
	"github.com/poolgate/poolgate/internal/userpool"
)

// Names of the Worker's bindings, secrets and variables.
const (
	bindingStore = "POOLGATE_STORE" // [[durable_objects.bindings]]: the store (class PoolgateStore, edge/store_do.mjs)
	storeClass   = "PoolgateStore"  // the Durable Object class the Worker exports (worker.mjs)
	bindingKV    = "POOLGATE_KV"    // [[kv_namespaces]], optional: a KV-era deployment's records, copied once (migrate.go)
	bindingSAML  = "SAML"           // [[services]]: the SAML companion Worker (edge/saml); without it SAML sign-in is refused

	secretAdminKeyID     = "POOLGATE_ADMIN_ACCESS_KEY_ID"     // wrangler secret put
	secretAdminSecretKey = "POOLGATE_ADMIN_SECRET_ACCESS_KEY" // wrangler secret put
	secretMasterKey      = "POOLGATE_MASTER_KEY"              // wrangler secret put; base64 of 32 bytes
	secretWebhook        = "POOLGATE_WEBHOOK_SECRET"          // wrangler secret put; needed with POOLGATE_WEBHOOK_URL
	secretTrigger        = "POOLGATE_TRIGGER_SECRET"          // wrangler secret put; optional: signs trigger requests (default derived from the master key)

	varRegion     = "POOLGATE_REGION"      // default us-east-1
	varIssuerBase = "POOLGATE_ISSUER_BASE" // the Worker's public URL: iss = <base>/<poolId>
	varConfig     = "POOLGATE_CONFIG"      // declarative config (JSON text or a [vars] table)
	varWebhookURL = "POOLGATE_WEBHOOK_URL" // where messages (codes) are POSTed
	varTestClock  = "POOLGATE_TEST_CLOCK"  // "enabled": the clock stands still; admin-signed POSTs to clockPath set it
	varTestCrash  = "POOLGATE_TEST_CRASH"  // "enabled": admin-signed POSTs to crashPath make the instance die
	// POOLGATE_RECORD_CACHE_SECONDS: how long the isolate serves pool and app client records
	// from memory (isocache; default 30, 0 reads the store every time, at most 60).
	varRecordCache = "POOLGATE_RECORD_CACHE_SECONDS"
)

// requestTimeout bounds the I/O of one request: a store call that never settles fails the
// request instead of holding it forever.
const requestTimeout = 30 * time.Second

// maxRecordCacheSeconds bounds POOLGATE_RECORD_CACHE_SECONDS: Workers KV's consistency
// window, the longest a change made elsewhere may take to be seen.
const maxRecordCacheSeconds = 60

// appliedConfigPrefix marks a config text as applied (by its SHA-256), so that a new isolate
// does not apply the same file again: admin API changes made since then stand.
const appliedConfigPrefix = "edge/applied-config/"

// settings are the Worker's environment, resolved and checked.
type settings struct {
	region, issuerBase       string
	adminKeyID, adminSecret  string
	masterKey                []byte
	webhookURL, webhookToken string
	triggerKey               string // "" → derived from the master key (internal/trigger)
	config                   []byte
	kv                       js.Value // undefined without a KV binding
	testClock, testCrash     bool
	recordCache              time.Duration // isocache's TTL
}

// readSettings reads env; every problem is reported, each naming what to set and how.
func readSettings(env js.Value) (*settings, []string) {
	var problems []string
	str := func(name string) string {
		if env.Type() != js.TypeObject {
			return ""
		}
		v := env.Get(name)
		if v.Type() != js.TypeString {
			return ""
		}
		return strings.TrimSpace(v.String())
	}
	secret := func(name string) string {
		v := str(name)
		if v == "" {
			problems = append(problems, fmt.Sprintf("secret %s is not set (wrangler secret put %s)", name, name))
		}
		return v
	}
	s := &settings{
		region:      str(varRegion),
		issuerBase:  strings.TrimRight(str(varIssuerBase), "/"),
		adminKeyID:  secret(secretAdminKeyID),
		adminSecret: secret(secretAdminSecretKey),
		webhookURL:  str(varWebhookURL),
		triggerKey:  str(secretTrigger),
		testClock:   str(varTestClock) == "enabled",
		testCrash:   str(varTestCrash) == "enabled",
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	s.recordCache = isocache.DefaultTTL
	if v := str(varRecordCache); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxRecordCacheSeconds {
			problems = append(problems, fmt.Sprintf("variable %s must be a whole number of seconds from 0 to %d, got %q", varRecordCache, maxRecordCacheSeconds, v))
		}
		s.recordCache = time.Duration(n) * time.Second
	}
	if mk := secret(secretMasterKey); mk != "" {
		key, err := base64.StdEncoding.DecodeString(mk)
		if err != nil || len(key) != 32 {
			problems = append(problems, fmt.Sprintf("secret %s must be 32 bytes in base64 (openssl rand -base64 32 | wrangler secret put %s)", secretMasterKey, secretMasterKey))
		}
		s.masterKey = key
	}
	if s.issuerBase == "" {
		problems = append(problems, fmt.Sprintf("variable %s is not set: the Worker's public URL, e.g. https://poolgate.example.workers.dev (wrangler.toml [vars])", varIssuerBase))
	} else if !strings.HasPrefix(s.issuerBase, "https://") && !strings.HasPrefix(s.issuerBase, "http://") {
		problems = append(problems, fmt.Sprintf("variable %s must be an http(s) URL, got %q", varIssuerBase, s.issuerBase))
	}
	if s.webhookURL != "" {
		s.webhookToken = secret(secretWebhook)
	}
	s.kv = js.Undefined()
	hasStore := false
	if env.Type() == js.TypeObject {
		s.kv = env.Get(bindingKV)
		hasStore = env.Get(bindingStore).Type() == js.TypeObject
		switch c := env.Get(varConfig); c.Type() {
		case js.TypeString:
			if strings.TrimSpace(c.String()) != "" {
				s.config = []byte(c.String())
			}
		case js.TypeObject:
			s.config = []byte(js.Global().Get("JSON").Call("stringify", c).String())
		}
	}
	if !hasStore {
		problems = append(problems, fmt.Sprintf("Durable Object binding %s is missing (wrangler.toml [[durable_objects.bindings]] name = %q, class_name = %q, and a [[migrations]] entry with new_sqlite_classes = [%q])",
			bindingStore, bindingStore, storeClass, storeClass))
	}
	if s.config != nil {
		if _, err := service.ParseFile(s.config); err != nil {
			problems = append(problems, fmt.Sprintf("variable %s: %v", varConfig, err))
		}
	}
	return s, problems
}

// app is one Go instance serving requests: the service plus the instance's counters.
type app struct {
	instance int // numbered by the glue, per isolate
	started  time.Time
	bridge   js.Value
	respond  js.Value // the bridge's respond(token, status, headerLines, body)
	svc      *service.Service
	store    *doStore
	kv       *kvSource // nil without a KV binding: nothing to migrate
	set      *settings
	setupErr string // non-empty: every request is refused with it

	requests    atomic.Int64
	inFlight    atomic.Int64
	jobs        chan job // unbuffered: taken by a server goroutine waiting for work
	idleServers atomic.Int64
	frozen      atomic.Int64 // POOLGATE_TEST_CLOCK: the clock, in Unix nanoseconds; it moves only by clockPath
	// epoch counts the changes that end the gateway decisions the glue reuses (a new route
	// table or new keys, a moved test clock); the glue reads it as bridge.epoch.
	epoch    atomic.Int64
	crashAt  atomic.Int64 // POOLGATE_TEST_CRASH: the request number at whose start the instance dies (0: never)
	crashHow atomic.Value // "exit" or "panic"

	applyMu sync.Mutex
	applied bool

	migrateMu sync.Mutex
	migrated  bool
}

// newApp builds the service from the glue's bridge object; a configuration problem does not
// fail the instance, it is answered on every request.
func newApp(bridge js.Value) *app {
	a := &app{started: time.Now(), bridge: bridge, respond: bridge.Get("respond"), jobs: make(chan job)}
	a.frozen.Store(a.started.UnixNano())
	if v := bridge.Get("instance"); v.Type() == js.TypeNumber {
		a.instance = v.Int()
	}
	set, problems := readSettings(bridge.Get("env"))
	a.set = set
	if len(problems) > 0 {
		a.setupErr = "poolgate is not configured: " + strings.Join(problems, "; ") + "."
		log.Printf("edge: %s", a.setupErr)
		return a
	}
	if err := a.build(); err != nil {
		a.setupErr = "poolgate could not start: " + err.Error()
		log.Printf("edge: %s", a.setupErr)
	}
	return a
}

func (a *app) build() error {
	st, err := newDOStore(a.bridge.Get("store"))
	if err != nil {
		return err
	}
	if a.set.kv.Type() == js.TypeObject {
		if a.kv, err = newKVSource(a.set.kv); err != nil {
			return err
		}
	}
	crypto, err := newRuntimeCrypto(a.bridge)
	if err != nil {
		return err
	}
	var sender message.Sender
	if a.set.webhookURL != "" {
		sender = message.Webhook{
			URL:       a.set.webhookURL,
			Secret:    []byte(a.set.webhookToken),
			Transport: fetchTransport{bridge: a.bridge},
		}
	} else {
		sender = message.SenderFunc(func(_ context.Context, m message.Message) error {
			log.Printf("edge: %s message for %s in %s not delivered: %s is not set", m.Kind, m.Username, m.Pool, varWebhookURL)
			return nil
		})
	}
	// Pool and client records are served from the isolate's memory for a while (isocache:
	// this isolate's own writes are seen at once, others' within the TTL); the wall clock
	// times them, never the test clock, which may stand still.
	cached := isocache.New(st, a.set.recordCache, time.Now, userpool.IsConfigRecord)
	svc, err := service.New(service.Config{
		Region:               a.set.region,
		IssuerBase:           a.set.issuerBase,
		AdminAccessKeyID:     a.set.adminKeyID,
		AdminSecretAccessKey: a.set.adminSecret,
		MasterKey:            a.set.masterKey,
		TriggerSecret:        a.set.triggerKey,
		Store:                cached,
		Crypto:               crypto,
		Sender:               sender,
		Now:                  a.now,
		Rand:                 rand.Reader,
		Logf:                 log.Printf,
		// The Worker's fetch, through the glue: identity providers (federated sign-in),
		// external JWKS, trigger functions (an http(s) URL, or a service binding named by a
		// binding:// URL, see fetchTransport). Go's own js/wasm transport reads response
		// streams across request contexts, which workerd refuses.
		Transport: fetchTransport{bridge: a.bridge},
		// SAML's XML work runs in the companion Worker (edge/saml), through the service
		// binding SAML: this Worker's wasm links no XML, XML signature or X.509 code.
		SAML:           samlremote.Client{Transport: fetchTransport{bridge: a.bridge}, Base: trigger.BindingScheme + "://" + bindingSAML},
		GatewayChanged: a.bumpEpoch,
		// Cloudflare writes CF-IPCountry on every request; the caller's address is the
		// request's RemoteAddr, which httpjs.go takes from CF-Connecting-IP.
		CountryHeader: "CF-IPCountry",
	})
	if err != nil {
		return err
	}
	a.svc, a.store = svc, st
	return nil
}

// bumpEpoch ends every gateway decision the glue keeps for reuse (handoff.Reuse).
func (a *app) bumpEpoch() {
	a.bridge.Set("epoch", a.epoch.Add(1))
}

// handle is the request function the glue calls: handle(token, head, body, bodyPending).
// head is "<method>\n<url>\n<header lines>" (one string: every value that crosses between JS
// and Go costs). It returns at once (a js.Func must not block the event loop); a server
// goroutine serves the request and answers with the bridge's respond(token, status,
// headerLines, body). token also names the request's JS context for the asynchronous calls
// made on its behalf (ioCall). body is the whole body (a Uint8Array) or null; with
// bodyPending the glue kept the body and Go reads it on demand (readBody), so that a request
// the gateway lets through can take its body to the origin as a stream.
//
// A request the gateway hands off (gateway.WithHandoff) is answered with status 0, the
// Upstream's JSON in place of the header lines and, in place of the body, the epoch at the
// request's start: the glue sends it to the origin itself, and may reuse the decision for
// like requests (handoff.Reuse) while bridge.epoch still has that value.
func (a *app) handle(_ js.Value, args []js.Value) any {
	if len(args) < 4 || args[0].Type() != js.TypeNumber || args[1].Type() != js.TypeString || a.respond.Type() != js.TypeFunction {
		return js.Global().Get("Error").New("poolgate: handle(token, head, body, bodyPending) called with the wrong arguments, or no respond function in the bridge")
	}
	a.dispatch(job{token: args[0].Int(), head: args[1].String(), body: args[2], bodyPending: args[3].Truthy()})
	return nil
}

// job is one request the glue handed over.
type job struct {
	token       int
	head        string // method, URL and header lines
	body        js.Value
	bodyPending bool
}

// maxIdleServers bounds the goroutines kept waiting for the next request.
const maxIdleServers = 16

// dispatch gives j to a waiting server goroutine, or starts one. Servers live on: a goroutine
// per request would start on a small stack and grow it by copying several times in every
// request (net/http, the gateway and encoding/json call deep), which in js/wasm costs a
// noticeable share of a short request. (The glue also turns off the runtime's shrinking of
// idle stacks: GODEBUG=gcshrinkstackoff=1.)
func (a *app) dispatch(j job) {
	select {
	case a.jobs <- j:
	default:
		go a.server(j)
	}
}

func (a *app) server(j job) {
	for {
		a.serve(j)
		if a.idleServers.Add(1) > maxIdleServers {
			a.idleServers.Add(-1)
			return
		}
		j = <-a.jobs
		a.idleServers.Add(-1)
	}
}

func (a *app) serve(j job) {
	token, body, bodyPending := j.token, j.body, j.bodyPending
	epoch := a.epoch.Load()
	if n := a.requests.Add(1); a.set.testCrash {
		if at := a.crashAt.Load(); at != 0 && n >= at {
			a.crash()
		}
	}
	a.inFlight.Add(1)
	w := newResponseWriter()
	defer func() {
		if v := recover(); v != nil {
			log.Printf("edge: panic serving a request: %v\n%s", v, debug.Stack())
			w = newResponseWriter()
			writeError(w, awsjson.Internal("An internal error occurred."))
		}
		a.inFlight.Add(-1)
		w.respond(a.respond, token, epoch)
	}()
	ctx, cancel := context.WithCancel(withToken(context.Background(), token, time.Now().Add(requestTimeout)))
	defer cancel()
	ctx = gateway.WithHandoff(ctx, func(u *handoff.Upstream) { w.upstream = u })
	r, err := newRequest(ctx, j.head, body)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			writeError(w, awsjson.New(awsjson.ErrSerialization, "Request body is larger than %d bytes.", maxRequestBody))
			return
		}
		log.Printf("edge: %v", err)
		writeError(w, awsjson.Internal("An internal error occurred."))
		return
	}
	if bodyPending {
		r.Body = &pendingBody{ctx: ctx, bridge: a.bridge, token: token}
		r.ContentLength = -1
		if n, err := strconv.ParseInt(r.Header.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
			r.ContentLength = n
		}
	}
	a.route(w, r)
}

func (a *app) route(w http.ResponseWriter, r *http.Request) {
	if a.setupErr != "" {
		writeError(w, awsjson.Internal(a.setupErr))
		return
	}
	if err := a.migrateFromKV(r.Context()); err != nil {
		log.Printf("edge: %v", err)
		writeError(w, awsjson.Internal(err.Error()))
		return
	}
	if err := a.applyConfig(r.Context()); err != nil {
		log.Printf("edge: %v", err)
		writeError(w, awsjson.Internal(err.Error()))
		return
	}
	switch {
	case r.URL.Path == statsPath:
		a.serveStats(w, r)
		return
	case r.URL.Path == clockPath && a.set.testClock:
		a.serveClock(w, r)
		return
	case r.URL.Path == crashPath && a.set.testCrash:
		a.serveCrash(w, r)
		return
	}
	a.svc.ServeHTTP(w, r)
}

// applyConfig applies POOLGATE_CONFIG once per config text: the first instance to see a new
// text applies it and leaves a marker; later instances see the marker and skip it. A failure
// is retried by the next request.
func (a *app) applyConfig(ctx context.Context) error {
	if a.set.config == nil {
		return nil
	}
	a.applyMu.Lock()
	defer a.applyMu.Unlock()
	if a.applied {
		return nil
	}
	sum := sha256.Sum256(a.set.config)
	marker := appliedConfigPrefix + hex.EncodeToString(sum[:])
	_, err := a.store.Get(ctx, marker)
	switch {
	case err == nil:
		a.applied = true
		return nil
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("poolgate: reading the applied-config marker: %v", err)
	}
	res, err := a.svc.ApplyConfig(ctx, a.set.config)
	if err != nil {
		return fmt.Errorf("poolgate: applying %s: %v", varConfig, err)
	}
	log.Printf("edge: applied %s: %s", varConfig, res)
	if err := a.store.Put(ctx, marker, []byte(time.Now().UTC().Format(time.RFC3339)), store.PutOptions{}); err != nil {
		return fmt.Errorf("poolgate: writing the applied-config marker: %v", err)
	}
	a.applied = true
	return nil
}

// writeError writes a Cognito-shaped error with the protocol's headers.
func writeError(w http.ResponseWriter, e *awsjson.Error) {
	h := w.Header()
	h.Set("Content-Type", awsjson.ContentType)
	h.Set("X-Amzn-Requestid", awsjson.NewUUID())
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	if h.Get("Access-Control-Allow-Origin") == "" {
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Expose-Headers", awsjson.ExposedHeaders)
	}
	awsjson.WriteError(w, e)
}
