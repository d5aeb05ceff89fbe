package gateway

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"testing"
	"time"
)

func TestParseJWKS(t *testing.T) {
	keys, ec := testKeys(t)
	r := rsaJWK("r", &keys[0].PublicKey)
	e := ecJWK("e", &ec.PublicKey)
	with := func(m map[string]any, k string, v any) map[string]any {
		c := map[string]any{}
		for kk, vv := range m {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	small := new(big.Int).Lsh(big.NewInt(1), 1023)
	small.Add(small, big.NewInt(1))
	offCurve := with(e, "y", base64.RawURLEncoding.EncodeToString(make([]byte, 32)))
	set, skipped, err := parseJWKS(jwksJSON(
		r, e,
		with(r, "kid", nil),                        // no kid
		with(with(r, "kid", "enc"), "use", "enc"),  // encryption key
		with(with(r, "kid", "hs"), "alg", "HS256"), // RSA key claiming HS256
		map[string]any{"kid": "oct", "kty": "oct", "k": "c2VjcmV0"},
		with(with(r, "kid", "small"), "n", base64.RawURLEncoding.EncodeToString(small.Bytes())),
		with(with(r, "kid", "even-e"), "e", "AAE"),
		with(with(e, "kid", "p384"), "crv", "P-384"),
		with(offCurve, "kid", "off"),
		map[string]any{"kid": "okp", "kty": "OKP", "crv": "Ed25519", "x": "AA"},
		with(r, "kid", "dup"), with(with(e, "kid", "dup"), "alg", nil),
	))
	if err != nil {
		t.Fatal(err)
	}
	if len(set) != 2 || set["r"] == nil || set["e"] == nil || skipped != 11 {
		t.Fatalf("kept %d keys (%v), skipped %d", len(set), set, skipped)
	}
	if !set["r"].fitsAlg(RS256) || set["r"].fitsAlg(ES256) || !set["e"].fitsAlg(ES256) || set["e"].fitsAlg(RS256) {
		t.Fatal("fitsAlg")
	}
	for _, bad := range []string{`[]`, `{}`, `{"keys":{}}`, `nope`} {
		if _, _, err := parseJWKS([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	many := make([]map[string]any, maxJWKSKeys+1)
	for i := range many {
		many[i] = with(r, "kid", fmt.Sprint(i))
	}
	if _, _, err := parseJWKS(jwksJSON(many...)); err == nil {
		t.Error("an oversized JWKS accepted")
	}
}

// extEnv is a gateway with one route for an external issuer whose JWKS the test controls.
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

	// A flood of unknown kids costs one fetch per penalty period.
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

// TestKeySetConcurrentFetch: concurrent requests for an unknown issuer fetch once.
func TestKeySetConcurrentFetch(t *testing.T) {
	keys, _ := testKeys(t)
	idp := newIssuerServer(t, jwksJSON(rsaJWK("r1", &keys[1].PublicKey)))
	c := newClock()
	ks := &keySet{name: "x", source: httpSource(http.DefaultTransport, idp.URL), ttl: time.Hour, penalty: 10 * time.Second, logf: t.Logf}
	done := make(chan error)
	for range 8 {
		go func() {
			_, err := ks.key(ctx, "r1", c.Now())
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if idp.count() != 1 || ks.fetchCount() != 1 {
		t.Fatalf("%d fetches (%d attempts), want 1", idp.count(), ks.fetchCount())
	}
	if _, _, err := parseJWKS([]byte(`{"keys":[]}`)); err != nil {
		t.Fatalf("an empty key set is valid: %v", err)
	}
}

// FuzzParseJWKS: a JWKS from the network never panics the parser, and every key it keeps
// is usable (a PKIX key of the type its kty says).
func FuzzParseJWKS(f *testing.F) {
	keys, ec := testKeys(f)
	f.Add(jwksJSON(rsaJWK("r", &keys[0].PublicKey), ecJWK("e", &ec.PublicKey)))
	f.Add([]byte(`{"keys":[{"kid":"a","kty":"oct","k":"AA"},{"kid":"b","kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`))
	f.Add([]byte(`{"keys":[{"kid":"a","kty":"RSA","n":"AQAB","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		set, _, err := parseJWKS(b)
		if err != nil {
			return
		}
		for kid, k := range set {
			pub, err := x509.ParsePKIXPublicKey(k.der)
			if err != nil || kid != k.kid {
				t.Fatalf("key %q: %v", kid, err)
			}
			switch pub.(type) {
			case *rsa.PublicKey:
				if k.kty != "RSA" {
					t.Fatalf("RSA key with kty %q", k.kty)
				}
			case *ecdsa.PublicKey:
				if k.kty != "EC" {
					t.Fatalf("EC key with kty %q", k.kty)
				}
			default:
				t.Fatalf("key of type %T", pub)
			}
		}
	})
}
