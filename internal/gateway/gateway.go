// Package gateway owns poolgate's edge verification in front of origin APIs: the declared
// routes and their matching, bearer-JWT checks against poolgate's pools and external issuers
// (tokens and keys read by internal/jose; per-route issuers, clients, scopes, groups,
// revocation), SigV4 checks of identity-pool credentials
// with policy evaluation, CORS per route, RFC 6750 refusals, and forwarding to the origin.
package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/poolgate/poolgate/internal/creds"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/jose"
	"github.com/poolgate/poolgate/internal/store"
)

// Pools is what the gateway needs from poolgate's own user pools.
type Pools interface {
	// Issuer is the iss claim of pool poolID's tokens.
	Issuer(poolID string) string
	PoolExists(ctx context.Context, poolID string) (bool, error)
	// JWKS returns the pool's public keys as a JSON Web Key Set (the pool exists).
	JWKS(ctx context.Context, poolID string) ([]byte, error)
	// UserState and FamilyRevoked read what revocation checks need.
	UserState(ctx context.Context, poolID, username string) (UserState, error)
	FamilyRevoked(ctx context.Context, poolID, originJTI string) (bool, error)
}

// Config is what a Gateway needs from its host.
type Config struct {
	Store  store.Store         // holds the route table (key RoutesKey)
	Crypto hostcrypto.Provider // verifies token signatures
	// Transport reaches origins and external JWKS endpoints (the host's fetch). nil: a host
	// without one, where every origin and external JWKS is unreachable.
	Transport http.RoundTripper
	Now       func() time.Time // nil → time.Now
	Logf      func(format string, args ...any)
	// Pools serves routes naming a UserPoolId; nil refuses such routes.
	Pools Pools
	// Credentials verifies identity-pool credentials on sigv4 routes; nil refuses such routes.
	Credentials *creds.Verifier
	// APITargets are X-Amz-Target prefixes of poolgate's own JSON APIs: requests carrying one
	// are never taken by a route.
	APITargets []string
	// Changed, when set, is called after the instance's route table or an issuer's keys
	// changed: a host holding decisions for reuse (Upstream.Reuse) drops them all. It must
	// not call back into the Gateway.
	Changed func()
}

// RoutesKey is the store key of the route table. Every instance reads it (and re-reads it
// every RoutesCacheTTL), so routes applied on one instance reach all of them.
const RoutesKey = "gw/routes"

// RoutesCacheTTL is how long an instance trusts its copy of the route table.
const RoutesCacheTTL = 30 * time.Second

// Gateway serves the declared routes in front of a handler that serves everything else.
type Gateway struct {
	cfg Config

	mu       sync.Mutex // guards tbl and loadedAt
	tbl      *table
	loadedAt time.Time

	keysMu  sync.Mutex
	keySets map[string]*jose.RemoteKeys

	rev     revocation
	sigs    jose.SeenTokens // tokens whose signature verified
	buffers bufferPool
}

// New returns a Gateway. It reads nothing yet: the route table is loaded on first use.
func New(cfg Config) (*Gateway, error) {
	if cfg.Store == nil {
		return nil, errors.New("gateway: no store")
	}
	if cfg.Crypto == nil {
		return nil, errors.New("gateway: no crypto provider")
	}
	if cfg.Transport == nil {
		// Never http.DefaultTransport: referring to it links net/http's Transport (TLS, x509, the
		// dialer, HTTP/2) into the wasm builds, where the host's fetch is the only way out.
		cfg.Transport = noTransport{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Changed == nil {
		cfg.Changed = func() {}
	}
	return &Gateway{cfg: cfg, keySets: map[string]*jose.RemoteKeys{}, rev: revocation{pools: cfg.Pools}}, nil
}

func (g *Gateway) now() time.Time { return g.cfg.Now() }

func (g *Gateway) compileContext() compileContext {
	cc := compileContext{sigv4: g.cfg.Credentials != nil}
	if g.cfg.Pools != nil {
		cc.poolIssuer = g.cfg.Pools.Issuer
	}
	return cc
}

// storedRoutes is the stored form of the route table.
type storedRoutes struct {
	Version int         `json:"v"`
	Routes  []RouteSpec `json:"routes"`
}

// Applied reports what Apply installed.
type Applied struct {
	Routes []string // route names, in the order given
}

func (a *Applied) String() string {
	if a == nil {
		return "routes: unchanged"
	}
	return fmt.Sprintf("routes: %d", len(a.Routes))
}

// Apply checks specs, stores them as the route table (replacing the previous one) and uses
// them on this instance at once; other instances pick them up within RoutesCacheTTL.
// Routes naming a UserPoolId need that pool to exist.
func (g *Gateway) Apply(ctx context.Context, specs []RouteSpec) (*Applied, error) {
	routes, err := compileRoutes(specs, g.compileContext())
	if err != nil {
		return nil, err
	}
	for _, rt := range routes {
		if rt.jwt == nil {
			continue
		}
		for _, is := range rt.jwt.issuers {
			if is.poolID == "" {
				continue
			}
			ok, err := g.cfg.Pools.PoolExists(ctx, is.poolID)
			if err != nil {
				return nil, fmt.Errorf("gateway: route %q: %w", rt.name, err)
			}
			if !ok {
				return nil, fmt.Errorf("gateway: route %q: user pool %s does not exist", rt.name, is.poolID)
			}
		}
	}
	if specs == nil {
		specs = []RouteSpec{}
	}
	raw, err := json.Marshal(storedRoutes{Version: 1, Routes: specs})
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	if err := g.cfg.Store.Put(ctx, RoutesKey, raw, store.PutOptions{}); err != nil {
		return nil, fmt.Errorf("gateway: storing the routes: %w", err)
	}
	g.install(newTable(routes, raw), g.now())
	a := &Applied{}
	for _, rt := range routes {
		a.Routes = append(a.Routes, rt.name)
	}
	return a, nil
}

// install makes t the route table.
func (g *Gateway) install(t *table, now time.Time) {
	g.mu.Lock()
	g.tbl, g.loadedAt = t, now
	g.mu.Unlock()
	g.pruneKeySets(t)
	g.cfg.Changed()
}

// pruneKeySets forgets the key sets no route of t uses.
func (g *Gateway) pruneKeySets(t *table) {
	used := map[string]bool{}
	for _, rt := range t.routes {
		if rt.jwt != nil {
			for _, is := range rt.jwt.issuers {
				used[is.keys] = true
			}
		}
	}
	g.keysMu.Lock()
	defer g.keysMu.Unlock()
	for name := range g.keySets {
		if !used[name] {
			delete(g.keySets, name)
		}
	}
}

// table returns the route table, reading the store when this instance's copy is older than
// RoutesCacheTTL. When the stored table cannot be read or compiled, the previous one stays
// (an instance without one serves no routes: requests then reach the API, which forwards
// nothing).
func (g *Gateway) table(ctx context.Context) *table {
	t, changed := g.loadTable(ctx)
	if changed {
		g.pruneKeySets(t)
		g.cfg.Changed()
	}
	return t
}

func (g *Gateway) loadTable(ctx context.Context) (t *table, changed bool) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.tbl != nil && now.Before(g.loadedAt.Add(RoutesCacheTTL)) && !now.Before(g.loadedAt) {
		return g.tbl, false
	}
	g.loadedAt = now
	if g.tbl == nil {
		g.tbl = newTable(nil, nil)
	}
	raw, err := g.cfg.Store.Get(ctx, RoutesKey)
	switch {
	case errors.Is(err, store.ErrNotFound):
		raw = nil
	case err != nil:
		g.cfg.Logf("gateway: reading the routes: %v", err)
		return g.tbl, false
	}
	if bytes.Equal(raw, g.tbl.raw) {
		return g.tbl, false
	}
	nt, err := g.decodeTable(raw)
	if err != nil {
		g.cfg.Logf("gateway: stored routes: %v", err)
		return g.tbl, false
	}
	g.tbl = nt
	return nt, true
}

func (g *Gateway) decodeTable(raw []byte) (*table, error) {
	if raw == nil {
		return newTable(nil, nil), nil
	}
	var st storedRoutes
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, err
	}
	if st.Version != 1 {
		return nil, fmt.Errorf("version %d is not 1", st.Version)
	}
	routes, err := compileRoutes(st.Routes, g.compileContext())
	if err != nil {
		return nil, err
	}
	return newTable(routes, raw), nil
}

// keySet returns the cached key set of an issuer, creating it on first use.
func (g *Gateway) keySet(is *issuer) *jose.RemoteKeys {
	g.keysMu.Lock()
	defer g.keysMu.Unlock()
	ks := g.keySets[is.keys]
	if ks != nil && ks.TTL == is.jwksTTL {
		return ks
	}
	ks = &jose.RemoteKeys{Name: is.iss, Now: g.cfg.Now, TTL: is.jwksTTL, Penalty: PenaltySeconds * time.Second,
		Logf: g.cfg.Logf, Changed: g.cfg.Changed}
	if is.poolID != "" {
		pools, pool := g.cfg.Pools, is.poolID
		ks.Fetch = func(ctx context.Context) ([]byte, error) {
			ok, err := pools.PoolExists(ctx, pool)
			if err != nil {
				return nil, err
			}
			if !ok {
				return []byte(`{"keys":[]}`), nil // a deleted pool verifies nothing
			}
			return pools.JWKS(ctx, pool)
		}
	} else {
		ks.Fetch = httpSource(g.cfg.Transport, is.jwksURI)
	}
	g.keySets[is.keys] = ks
	return ks
}

// Handler returns a handler that serves the routes and hands every other request to next.
// Requests for poolgate's own JSON APIs (APITargets) always go to next.
func (g *Gateway) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = canonicalRequest(r)
		if target := r.Header.Get("X-Amz-Target"); target != "" {
			for _, p := range g.cfg.APITargets {
				if strings.HasPrefix(target, p) {
					next.ServeHTTP(w, r)
					return
				}
			}
		}
		t := g.table(r.Context())
		if len(t.routes) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		path := r.URL.Path
		if cleanPathErr(path) != "" {
			// A spelling an origin may normalize into a routed path: refuse it rather than
			// let it reach a route other than the one the origin will serve.
			rt := t.owner(r.Host, normalizePath(path))
			if rt == nil {
				rt = t.owner(r.Host, path)
			}
			if rt != nil {
				g.refuse(w, rt, http.StatusBadRequest, "The request path is not in canonical form (empty, . or .. segments, backslashes or control characters).")
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		m := t.match(r.Host, path, r.Method)
		switch {
		case m.route != nil:
			g.serveRoute(w, r, m.route)
		case m.methodOnly != nil:
			w.Header().Set("Allow", strings.Join(m.methodOnly.methods, ", "))
			g.refuse(w, m.methodOnly, http.StatusMethodNotAllowed, "The method is not allowed on this route.")
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// serveRoute serves a request that belongs to rt.
func (g *Gateway) serveRoute(w http.ResponseWriter, r *http.Request, rt *route) {
	if rt.cors != nil {
		if isPreflight(r) {
			rt.cors.preflight(w, r)
			return
		}
		rt.cors.decorate(w.Header(), r.Header.Get("Origin"))
	}
	switch rt.typ {
	case TypeSigV4:
		g.serveSigV4(w, r, rt)
	default:
		g.serveJWT(w, r, rt)
	}
}

// serveJWT checks the bearer token and forwards the request when it passes.
func (g *Gateway) serveJWT(w http.ResponseWriter, r *http.Request, rt *route) {
	raw, ref := bearerToken(r)
	if ref != nil {
		writeBearerRefusal(w, ref)
		return
	}
	v, ref, err := g.verifyToken(r.Context(), rt.jwt, raw)
	if err != nil {
		g.cfg.Logf("gateway: route %s: %v", rt.name, err)
		writeBearerRefusal(w, &refusal{status: http.StatusServiceUnavailable, code: "temporarily_unavailable",
			description: "The token could not be checked at the moment.", retryAfter: 1})
		return
	}
	if ref != nil {
		writeBearerRefusal(w, ref)
		return
	}
	until := v.until
	if end := g.tableTrustedUntil(); end.Before(until) {
		until = end
	}
	g.forward(w, r, rt, v.identityHeaders(rt.name), until)
}

// tableTrustedUntil is when this instance reads the route table again.
func (g *Gateway) tableTrustedUntil() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.loadedAt.Add(RoutesCacheTTL)
}

// refuse answers a request the route cannot serve, in the route type's error shape.
func (g *Gateway) refuse(w http.ResponseWriter, rt *route, status int, desc string) {
	if rt != nil && rt.typ == TypeSigV4 {
		code := map[int]string{
			http.StatusBadRequest:         "InvalidRequest",
			http.StatusMethodNotAllowed:   "MethodNotAllowed",
			http.StatusBadGateway:         "BadGateway",
			http.StatusGatewayTimeout:     "GatewayTimeout",
			http.StatusServiceUnavailable: "ServiceUnavailable",
		}[status]
		if code == "" {
			code = "InternalError"
		}
		writeS3Error(w, rt.sigv4, &s3Error{status, code, code + "Exception", desc}, "")
		return
	}
	code := map[int]string{
		http.StatusBadRequest:       errInvalidRequest,
		http.StatusMethodNotAllowed: "method_not_allowed",
		http.StatusBadGateway:       "bad_gateway",
		http.StatusGatewayTimeout:   "gateway_timeout",
	}[status]
	if code == "" {
		code = "server_error"
	}
	ref := &refusal{status: status, code: code, description: desc}
	if status != http.StatusBadRequest {
		// Not a credentials problem: no WWW-Authenticate challenge.
		writePlainRefusal(w, ref)
		return
	}
	writeBearerRefusal(w, ref)
}

// writePlainRefusal answers with the JSON body of a refusal and no challenge.
func writePlainRefusal(w http.ResponseWriter, r *refusal) {
	body, _ := json.Marshal(map[string]string{"error": r.code, "error_description": r.description})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(r.status)
	w.Write(append(body, '\n'))
}

// noTransport is the Transport of a host that has none: every request fails.
type noTransport struct{}

func (noTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("gateway: this host has no outbound transport")
}
