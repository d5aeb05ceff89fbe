package gateway

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

func extEnv(t *testing.T, algs []string) (*env, *issuerServer, string) {
	e := newEnv(t)
	keys, ec := testKeys(t)
	o := newOrigin(t, nil)
	idp := newIssuerServer(t, jwksJSON(rsaJWK("r1", &keys[1].PublicKey), ecJWK("e1", &ec.PublicKey)))
	e.apply(RouteSpec{Name: "ext", PathPrefix: "/ext", Origin: o.URL,
		Jwt: &JWTSpec{Issuers: []IssuerSpec{{Issuer: idp.URL, Algorithms: algs}}}})
	return e, idp, idp.URL
}

func (e *env) extToken(iss string, key int, kid string) string {
	keys, _ := testKeys(e.t)
	now := e.clock.Now().Unix()
	return signRS256(keys[key], map[string]any{"alg": "RS256", "kid": kid},
		map[string]any{"iss": iss, "sub": "s", "exp": now + 86400*3, "iat": now})
}

func TestAlgorithmAllowList(t *testing.T) {
	_, ec := testKeys(t)
	e, _, iss := extEnv(t, nil) // RS256 only
	now := e.clock.Now().Unix()
	es := signES256(ec, map[string]any{"alg": "ES256", "kid": "e1"}, map[string]any{"iss": iss, "exp": now + 60})
	wantRefusal(t, e.do("GET", "/ext", es), 401, "invalid_token")
	e2, _, iss2 := extEnv(t, []string{"ES256"})
	es2 := signES256(ec, map[string]any{"alg": "ES256", "kid": "e1"}, map[string]any{"iss": iss2, "exp": now + 60})
	if w := e2.do("GET", "/ext", es2); w.Code != 200 {
		t.Fatalf("ES256 allowed: %d %s", w.Code, w.Body)
	}
	wantRefusal(t, e2.do("GET", "/ext", e2.extToken(iss2, 1, "r1")), 401, "invalid_token")
}

func TestJWKSCache(t *testing.T) {
	e, idp, iss := extEnv(t, nil)
	keys, _ := testKeys(t)
	good := e.extToken(iss, 1, "r1")
	ok := func(tok string) {
		t.Helper()
		if w := e.do("GET", "/ext", tok); w.Code != 200 {
			t.Fatalf("%d %s\n%s", w.Code, w.Body, e.logs)
		}
	}
	ok(good)
	ok(good)
	if idp.count() != 1 {
		t.Fatalf("%d fetches, want 1", idp.count())
	}

	// Right after a fetch, an unknown kid fetches nothing (at most one fetch per penalty).
	wantRefusal(t, e.do("GET", "/ext", e.extToken(iss, 1, "random-early")), 401, "invalid_token")
	if idp.count() != 1 {
		t.Fatalf("%d fetches, want 1: an unknown kid fetched within the penalty", idp.count())
	}
	// A flood of unknown kids costs one fetch per penalty period.
	e.clock.Advance(PenaltySeconds * time.Second)
	for i := range 50 {
		wantRefusal(t, e.do("GET", "/ext", e.extToken(iss, 1, fmt.Sprint("random-", i))), 401, "invalid_token")
	}
	if idp.count() != 2 {
		t.Fatalf("%d fetches after a flood of unknown kids, want 2", idp.count())
	}
	e.clock.Advance(PenaltySeconds * time.Second)
	wantRefusal(t, e.do("GET", "/ext", e.extToken(iss, 1, "random-x")), 401, "invalid_token")
	if idp.count() != 3 {
		t.Fatalf("%d fetches after the penalty, want 3", idp.count())
	}

	// Rotation: a new key appears; its first token triggers a refetch (after the penalty).
	idp.set(jwksJSON(rsaJWK("r1", &keys[1].PublicKey), rsaJWK("r2", &keys[2].PublicKey)), false)
	e.clock.Advance(PenaltySeconds * time.Second)
	ok(e.extToken(iss, 2, "r2"))
	if idp.count() != 4 {
		t.Fatalf("%d fetches after rotation, want 4", idp.count())
	}

	// Outage: after the TTL the keys are stale; the fetch fails, cached keys keep working,
	// and the failure puts fetching in the penalty box.
	idp.set(nil, true)
	e.clock.Advance(DefaultJWKSCache)
	ok(good)
	ok(e.extToken(iss, 2, "r2"))
	if idp.count() != 5 {
		t.Fatalf("%d fetches during the outage, want 5 (one, then the penalty box)", idp.count())
	}
	wantRefusal(t, e.do("GET", "/ext", e.extToken(iss, 0, "unknown")), 401, "invalid_token")
	if idp.count() != 5 {
		t.Fatalf("an unknown kid fetched during the penalty (%d)", idp.count())
	}
	// Back up: the next stale use refreshes, and a key removed from the set stops verifying.
	idp.set(jwksJSON(rsaJWK("r2", &keys[2].PublicKey)), false)
	e.clock.Advance(PenaltySeconds * time.Second)
	ok(e.extToken(iss, 2, "r2"))
	wantRefusal(t, e.do("GET", "/ext", good), 401, "invalid_token")
}

func TestJWKSUnavailable(t *testing.T) {
	e, idp, iss := extEnv(t, nil)
	idp.set(nil, true)
	w := e.do("GET", "/ext", e.extToken(iss, 1, "r1"))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("no keys at all: %d %v", w.Code, w.Header())
	}
	// A JWKS that is not JSON is a failure too, not an empty key set.
	idp.set([]byte("<html>"), false)
	e.clock.Advance(PenaltySeconds * time.Second)
	if w := e.do("GET", "/ext", e.extToken(iss, 1, "r1")); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("HTML JWKS: %d", w.Code)
	}
	keys, _ := testKeys(t)
	idp.set(jwksJSON(rsaJWK("r1", &keys[1].PublicKey)), false)
	e.clock.Advance(PenaltySeconds * time.Second)
	if w := e.do("GET", "/ext", e.extToken(iss, 1, "r1")); w.Code != 200 {
		t.Fatalf("after recovery: %d", w.Code)
	}
}

func TestPoolKeysFromInstance(t *testing.T) {
	e := newEnv(t)
	o := newOrigin(t, nil)
	e.apply(poolRoute(o, nil))
	if w := e.do("GET", "/api", e.poolToken(nil)); w.Code != 200 {
		t.Fatal(w.Code)
	}
	// The pool's keys fail to load later: the cached ones keep verifying.
	e.pools.mu.Lock()
	e.pools.jwksErr = fmt.Errorf("store down")
	e.pools.mu.Unlock()
	e.clock.Advance(DefaultPoolKeysCache)
	if w := e.do("GET", "/api", e.poolToken(nil)); w.Code != 200 {
		t.Fatalf("cached pool keys: %d", w.Code)
	}
	// A deleted pool verifies nothing once its keys are refetched.
	e.pools.mu.Lock()
	e.pools.jwksErr = nil
	delete(e.pools.pools, testPool)
	e.pools.mu.Unlock()
	e.clock.Advance(DefaultPoolKeysCache)
	wantRefusal(t, e.do("GET", "/api", e.poolToken(nil)), 401, "invalid_token")
}
