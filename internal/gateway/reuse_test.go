package gateway

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/handoff"
)

// handoffOf serves one request through the gateway under WithHandoff and returns the
// Upstream it handed over (nil when it answered itself).
func handoffOf(t *testing.T, e *env, method, target string, header [][2]string) *handoff.Upstream {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	r.RemoteAddr = "203.0.113.7:0"
	for _, kv := range header {
		r.Header.Add(kv[0], kv[1])
	}
	var u *handoff.Upstream
	r = r.WithContext(WithHandoff(r.Context(), func(got *handoff.Upstream) { u = got }))
	e.gw.Handler(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), r)
	return u
}

// applyAnyway is Reuse.Apply with Unless ignored: what a host that skipped the Unless
// check would send.
func applyAnyway(r *handoff.Reuse, header [][2]string) [][2]string {
	loose := *r
	loose.Unless = nil
	out, _ := loose.Apply(header)
	return out
}

// normalized lower-cases names and orders pairs by name, keeping the order of each name's
// values.
func normalized(pairs [][2]string) [][2]string {
	out := make([][2]string, len(pairs))
	for i, kv := range pairs {
		out[i] = [2]string{strings.ToLower(kv[0]), kv[1]}
	}
	slices.SortStableFunc(out, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// TestReuseMatchesRewrite: for any later request with the same key, a Reuse applied to its
// headers gives exactly the headers the gateway's own forwarding would send.
func TestReuseMatchesRewrite(t *testing.T) {
	extras := [][2]string{
		{"X-Custom", "a"}, {"X-Custom", "b"}, {"Accept", "*/*"}, {"User-Agent", "ua/1"},
		{"Cookie", "s=1"}, {"Content-Type", "text/plain"}, {"X-Request-Id", "r-1"},
		{"X-Poolgate-Sub", "forged"}, {"x-poolgate-claims", "e30"}, {"X-Poolgate-Anything", "x"},
		{"X-Forwarded-For", "198.51.100.1"}, {"X-Forwarded-Host", "evil.test"}, {"X-Forwarded-Proto", "gopher"},
		{"Forwarded", "for=1.2.3.4"}, {"Keep-Alive", "timeout=5"}, {"Proxy-Authorization", "Basic eA=="},
		{"Proxy-Connection", "keep-alive"}, {"Proxy-Authenticate", "x"}, {"Trailer", "X-T"},
		{"Transfer-Encoding", "chunked"}, {"X-Amz-Date", "20300304T050607Z"},
		{"Connection", "keep-alive"}, {"Connection", " X-Custom ,\tcookie"}, {"Connection", "close, X-Poolgate-Sub, Accept"},
		{"Connection", "x-forwarded-for,user-agent"},
	}
	for _, tc := range []struct {
		name string
		mod  func(*RouteSpec)
	}{
		{"plain", nil},
		{"keeps Authorization", func(s *RouteSpec) { s.ForwardAuthorization = true }},
		{"strips the prefix", func(s *RouteSpec) { s.StripPrefix = true }},
		{"CORS", func(s *RouteSpec) { s.Cors = &CORSSpec{AllowOrigins: []string{"https://app.test"}} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			o := newOrigin(t, nil)
			e.apply(poolRoute(o, tc.mod))
			key := [][2]string{{"Authorization", "Bearer " + e.poolToken(nil)}, {"Origin", "https://app.test"}}
			first := handoffOf(t, e, "GET", "/api/items?x=1", key)
			if first == nil || first.Reuse == nil {
				t.Fatalf("no reusable handoff: %+v", first)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range 200 {
				header := slices.Clone(key)
				for _, kv := range extras {
					if rng.IntN(3) == 0 {
						header = append(header, kv)
					}
				}
				rng.Shuffle(len(header), func(i, j int) { header[i], header[j] = header[j], header[i] })
				want := handoffOf(t, e, "GET", "/api/items?x=1", header)
				if want == nil || want.URL != first.URL {
					t.Fatalf("request %d: %+v", i, want)
				}
				got, ok := first.Reuse.Apply(header)
				if !ok {
					t.Fatalf("request %d with %q: not covered by the Reuse", i, header)
				}
				if a, b := normalized(got), normalized(want.Header); !slices.Equal(a, b) {
					t.Fatalf("request %d with %q:\nreused    %q\nforwarded %q", i, header, a, b)
				}
			}
		})
	}
}

// TestReuseUnless: the headers that make the rewrite depend on more than the key are named,
// and they do change it (so a host must not reuse a decision for such a request).
func TestReuseUnless(t *testing.T) {
	e := newEnv(t)
	o := newOrigin(t, nil)
	e.apply(poolRoute(o, nil))
	key := [][2]string{{"Authorization", "Bearer " + e.poolToken(nil)}}
	first := handoffOf(t, e, "GET", "/api/items", key)
	for _, name := range []string{"te", "upgrade", "x-amz-target", "access-control-request-method"} {
		if !slices.Contains(first.Reuse.Unless, name) {
			t.Errorf("Unless lacks %s", name)
		}
	}
	// Te: trailers is passed on, and so is an upgrade: applying the Reuse would drop them.
	for _, extra := range [][][2]string{
		{{"Te", "trailers"}},
		{{"Connection", "upgrade"}, {"Upgrade", "websocket"}},
	} {
		header := append(slices.Clone(key), extra...)
		want := handoffOf(t, e, "GET", "/api/items", header)
		if slices.Equal(normalized(applyAnyway(first.Reuse, header)), normalized(want.Header)) {
			t.Fatalf("%q made no difference: the test proves nothing", extra)
		}
		if _, ok := first.Reuse.Apply(header); ok {
			t.Fatalf("%q: Apply covered a request with a header in Unless", extra)
		}
	}
}

// TestReuseUntil: a Reuse lasts only as long as the gateway's own answer could not change.
func TestReuseUntil(t *testing.T) {
	ttl := func(u *handoff.Upstream) time.Duration {
		t.Helper()
		if u == nil {
			t.Fatal("no handoff")
		}
		if u.Reuse == nil {
			return 0
		}
		return time.Duration(u.Reuse.TTLMillis) * time.Millisecond
	}
	get := func(e *env, tok string) *handoff.Upstream {
		return handoffOf(t, e, "GET", "/api/x", [][2]string{{"Authorization", "Bearer " + tok}})
	}

	t.Run("route table", func(t *testing.T) {
		e := newEnv(t)
		e.apply(poolRoute(newOrigin(t, nil), nil))
		tok := e.poolToken(nil)
		if got := ttl(get(e, tok)); got != RoutesCacheTTL {
			t.Fatalf("ttl %v, want the route table's %v", got, RoutesCacheTTL)
		}
		e.clock.Advance(12 * time.Second)
		if got := ttl(get(e, tok)); got != RoutesCacheTTL-12*time.Second {
			t.Fatalf("ttl %v after 12 s", got)
		}
	})
	t.Run("token expiry with skew", func(t *testing.T) {
		e := newEnv(t)
		e.apply(poolRoute(newOrigin(t, nil), nil))
		exp := e.clock.Now().Add(-20 * time.Second).Unix() // expired, within the 30 s skew
		if got := ttl(get(e, e.poolToken(map[string]any{"exp": exp}))); got != 10*time.Second {
			t.Fatalf("ttl %v, want 10s", got)
		}
	})
	// withRevocation is an env whose route checks revocation, caching the state for seconds,
	// and whose user alice exists.
	withRevocation := func(t *testing.T, seconds int) *env {
		e := newEnv(t)
		e.apply(poolRoute(newOrigin(t, nil), func(s *RouteSpec) {
			s.Jwt.CheckRevocation = true
			s.Jwt.RevocationCacheSeconds = &seconds
		}))
		e.pools.setUser(testPool, "alice", UserState{Found: true, Sub: e.poolClaims(nil)["sub"].(string), Enabled: true})
		return e
	}
	t.Run("revocation cache", func(t *testing.T) {
		e := withRevocation(t, 5)
		tok := e.poolToken(nil)
		if got := ttl(get(e, tok)); got != 5*time.Second {
			t.Fatalf("ttl %v, want the revocation cache's 5s", got)
		}
		e.clock.Advance(2 * time.Second)
		if got := ttl(get(e, tok)); got != 3*time.Second {
			t.Fatalf("ttl %v, want what is left of the cached state (3s)", got)
		}
	})
	t.Run("revocation read every time", func(t *testing.T) {
		e := withRevocation(t, 0)
		if got := ttl(get(e, e.poolToken(nil))); got != 0 {
			t.Fatalf("a route that reads revocation state on every request offered reuse for %v", got)
		}
	})
	t.Run("keys", func(t *testing.T) {
		e := newEnv(t)
		e.apply(poolRoute(newOrigin(t, nil), nil))
		tok := e.poolToken(nil)
		get(e, tok) // keys fetched now, trusted for DefaultPoolKeysCache
		// Keep the route table fresh: another Apply reloads it, the keys stay as fetched.
		e.clock.Advance(DefaultPoolKeysCache - 10*time.Second)
		e.apply(poolRoute(newOrigin(t, nil), nil))
		if got := ttl(get(e, e.poolToken(nil))); got != 10*time.Second {
			t.Fatalf("ttl %v, want the 10 s the keys are still trusted", got)
		}
	})
	t.Run("sigv4 routes", func(t *testing.T) {
		// A sigv4 request is signed for one moment and may carry a payload the gateway
		// reads: never reused.
		u := &handoff.Upstream{}
		e := newEnv(t)
		o := newOrigin(t, nil)
		e.apply(poolRoute(o, nil))
		e.gw.forward(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/x", nil).WithContext(
			WithHandoff(ctx, func(got *handoff.Upstream) { u = got })), e.gw.table(ctx).routes[0], http.Header{}, time.Time{})
		if u.Reuse != nil {
			t.Fatal("a forward without a reuse time offered reuse")
		}
	})
}

// TestReuseChanged: the gateway reports what must end every reused decision: new routes,
// a route table changed by another instance, an issuer's new keys.
func TestReuseChanged(t *testing.T) {
	e := newEnv(t)
	changes := 0
	e.gw.cfg.Changed = func() { changes++ }
	o := newOrigin(t, nil)
	e.apply(poolRoute(o, nil))
	if changes != 1 {
		t.Fatalf("Apply: %d changes", changes)
	}
	tok := e.poolToken(nil)
	handoffOf(t, e, "GET", "/api/x", [][2]string{{"Authorization", "Bearer " + tok}})
	if changes != 1 {
		t.Fatalf("a first key fetch counted as a change (%d)", changes)
	}

	// Another instance (same store) changes the routes; this one sees it at its next read.
	other, err := New(Config{Store: e.gw.cfg.Store, Crypto: e.gw.cfg.Crypto, Now: e.clock.Now, Pools: e.pools, Transport: http.DefaultTransport})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Apply(ctx, []RouteSpec{poolRoute(o, func(s *RouteSpec) { s.PathPrefix = "/v2" })}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(RoutesCacheTTL)
	if u := handoffOf(t, e, "GET", "/api/x", [][2]string{{"Authorization", "Bearer " + tok}}); u != nil {
		t.Fatal("the old route still forwards")
	}
	if changes != 2 {
		t.Fatalf("route table reloaded: %d changes", changes)
	}
	e.apply(poolRoute(o, nil))
	if changes != 3 {
		t.Fatalf("Apply again: %d changes", changes)
	}

	// The pool's key is replaced (same kid): the next fetch brings another key.
	keys, _ := testKeys(t)
	e.pools.mu.Lock()
	e.pools.pools[testPool] = keys[1]
	e.pools.mu.Unlock()
	e.clock.Advance(DefaultPoolKeysCache)
	e.apply(poolRoute(o, nil)) // keep the routes fresh
	changes = 0
	signed := signRS256(keys[1], map[string]any{"alg": "RS256", "kid": "kid-" + testPool}, e.poolClaims(nil))
	if u := handoffOf(t, e, "GET", "/api/x", [][2]string{{"Authorization", "Bearer " + signed}}); u == nil {
		t.Fatal("a token of the new key was refused")
	}
	if changes != 1 {
		t.Fatalf("new keys: %d changes", changes)
	}
}
