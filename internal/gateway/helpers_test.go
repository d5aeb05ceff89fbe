package gateway

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

// Shared fixtures of the gateway tests: a settable clock, signing keys, a fake set of
// poolgate pools, an external issuer serving its JWKS over HTTP, and a recording origin.

var ctx = context.Background()

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2030, 3, 4, 5, 6, 7, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// RSA keys are slow to generate: the tests share a few.
var (
	keysOnce sync.Once
	rsaKeys  []*rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
)

func testKeys(t testing.TB) ([]*rsa.PrivateKey, *ecdsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		for range 3 {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaKeys = append(rsaKeys, k)
		}
		var err error
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
	return rsaKeys, ecKey
}

func enc(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// signRS256 returns a compact JWS over header and claims signed with k.
func signRS256(k *rsa.PrivateKey, header, claims map[string]any) string {
	input := enc(header) + "." + enc(claims)
	d := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
	if err != nil {
		panic(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func signES256(k *ecdsa.PrivateKey, header, claims map[string]any) string {
	input := enc(header) + "." + enc(claims)
	d := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, k, d[:])
	if err != nil {
		panic(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func signHS256(secret []byte, header, claims map[string]any) string {
	input := enc(header) + "." + enc(claims)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func rsaJWK(kid string, k *rsa.PublicKey) map[string]any {
	return map[string]any{"kid": kid, "kty": "RSA", "alg": "RS256", "use": "sig",
		"n": base64.RawURLEncoding.EncodeToString(k.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())}
}

func ecJWK(kid string, k *ecdsa.PublicKey) map[string]any {
	raw, err := k.Bytes()
	if err != nil {
		panic(err)
	}
	return map[string]any{"kid": kid, "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig",
		"x": base64.RawURLEncoding.EncodeToString(raw[1:33]),
		"y": base64.RawURLEncoding.EncodeToString(raw[33:])}
}

func jwksJSON(keys ...map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		panic(err)
	}
	return b
}

// fakePools stands in for poolgate's user pools: one pool's keys and users.
type fakePools struct {
	mu       sync.Mutex
	pools    map[string]*rsa.PrivateKey // pool → signing key (kid "kid-" + pool)
	users    map[string]UserState       // pool + "/" + username
	families map[string]bool            // pool + "/" + origin_jti
	reads    int                        // UserState + FamilyRevoked calls
	jwksErr  error
}

func newFakePools() *fakePools {
	return &fakePools{pools: map[string]*rsa.PrivateKey{}, users: map[string]UserState{}, families: map[string]bool{}}
}

func (p *fakePools) Issuer(poolID string) string { return "https://idp.poolgate.test/" + poolID }

func (p *fakePools) PoolExists(_ context.Context, poolID string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.pools[poolID]
	return ok, nil
}

func (p *fakePools) JWKS(_ context.Context, poolID string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.jwksErr != nil {
		return nil, p.jwksErr
	}
	// Like a real pool: two keys (one per token_use), so tokens must name theirs by kid.
	return jwksJSON(rsaJWK("kid-"+poolID, &p.pools[poolID].PublicKey), rsaJWK("kid-"+poolID+"-id", &rsaKeys[2].PublicKey)), nil
}

func (p *fakePools) UserState(_ context.Context, poolID, username string) (UserState, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reads++
	return p.users[poolID+"/"+username], nil
}

func (p *fakePools) FamilyRevoked(_ context.Context, poolID, originJTI string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reads++
	return p.families[poolID+"/"+originJTI], nil
}

func (p *fakePools) setUser(pool, username string, st UserState) {
	p.mu.Lock()
	p.users[pool+"/"+username] = st
	p.mu.Unlock()
}

// issuerServer is an external OIDC issuer: it serves a JWKS the test controls and counts
// fetches.
type issuerServer struct {
	*httptest.Server
	mu      sync.Mutex
	jwks    []byte
	failing bool
	fetches int
}

func newIssuerServer(t testing.TB, jwks []byte) *issuerServer {
	s := &issuerServer{jwks: jwks}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.fetches++
		if s.failing {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(s.jwks)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *issuerServer) set(jwks []byte, failing bool) {
	s.mu.Lock()
	s.jwks, s.failing = jwks, failing
	s.mu.Unlock()
}

func (s *issuerServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// seen is what the origin received.
type seen struct {
	Method, Path, RawPath, Query, Host string
	Header                             http.Header
	Body                               []byte
}

// origin is a test origin that records every request and answers 200 "origin says hi"
// (or what its handler says).
type origin struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newOrigin(t testing.TB, h http.HandlerFunc) *origin {
	o := &origin{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		o.mu.Lock()
		o.reqs = append(o.reqs, seen{r.Method, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.Host, r.Header.Clone(), body})
		o.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		w.Header().Set("X-Origin", "yes")
		w.Header().Set("Access-Control-Allow-Origin", "https://evil.example")
		fmt.Fprint(w, "origin says hi")
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *origin) last(t testing.TB) seen {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.reqs) == 0 {
		t.Fatal("the origin received no request")
	}
	return o.reqs[len(o.reqs)-1]
}

func (o *origin) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.reqs)
}

// env is a gateway over a memstore with fake pools, in front of a "next" handler that
// stands for the API.
type env struct {
	t     testing.TB
	clock *clock
	pools *fakePools
	gw    *Gateway
	h     http.Handler
	logs  *strings.Builder
	logMu sync.Mutex
}

const testPool = "us-east-1_TestPool1"

func newEnv(t testing.TB) *env {
	t.Helper()
	keys, _ := testKeys(t)
	e := &env{t: t, clock: newClock(), pools: newFakePools(), logs: &strings.Builder{}}
	e.pools.pools[testPool] = keys[0]
	gw, err := New(Config{
		Store:      memstore.New(e.clock.Now),
		Crypto:     hostcrypto.Pure{},
		Now:        e.clock.Now,
		Logf:       e.logf,
		Pools:      e.pools,
		APITargets: []string{"AWSCognitoIdentityProviderService."},
		Transport:  http.DefaultTransport, // the tests' origins and JWKS servers are real listeners
	})
	if err != nil {
		t.Fatal(err)
	}
	e.gw = gw
	e.h = asHost(gw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Next", "api")
		w.WriteHeader(http.StatusTeapot)
	})))
	return e
}

func (e *env) logf(format string, args ...any) {
	e.logMu.Lock()
	fmt.Fprintf(e.logs, format+"\n", args...)
	e.logMu.Unlock()
}

func (e *env) apply(specs ...RouteSpec) {
	e.t.Helper()
	if _, err := e.gw.Apply(ctx, specs); err != nil {
		e.t.Fatal(err)
	}
}

// do serves a request through the gateway and returns the recorded response.
func (e *env) do(method, target, token string, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, target, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// poolClaims are the claims of a poolgate access token of testPool issued now.
func (e *env) poolClaims(mod map[string]any) map[string]any {
	now := e.clock.Now().Unix()
	c := map[string]any{
		"sub": "0f9a2c4e-1111-4222-8333-444455556666", "iss": e.pools.Issuer(testPool),
		"client_id": "client1", "token_use": "access", "scope": "aws.cognito.signin.user.admin",
		"username": "alice", "iat": now, "exp": now + 3600, "auth_time": now,
		"jti": "jti-1", "origin_jti": "origin-1", "cognito:groups": []string{"admins", "team,a"},
	}
	for k, v := range mod {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func (e *env) poolToken(mod map[string]any) string {
	keys, _ := testKeys(e.t)
	return signRS256(keys[0], map[string]any{"alg": "RS256", "kid": "kid-" + testPool}, e.poolClaims(mod))
}

// wantRefusal checks a refusal's status and its WWW-Authenticate error code ("" for none).
func wantRefusal(t testing.TB, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	www := w.Header().Get("WWW-Authenticate")
	if !strings.HasPrefix(www, `Bearer realm="poolgate"`) {
		t.Fatalf("WWW-Authenticate %q, want a Bearer challenge", www)
	}
	has := strings.Contains(www, "error=")
	switch {
	case code == "" && has:
		t.Fatalf("WWW-Authenticate %q carries an error code; a request without a token must not", www)
	case code != "" && !strings.Contains(www, `error="`+code+`"`):
		t.Fatalf("WWW-Authenticate %q, want error=%q", www, code)
	}
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["error"] == "" {
		t.Fatalf("refusal body %q is not {error, error_description}", w.Body)
	}
}

func pkixOf(t testing.TB, pub any) []byte {
	t.Helper()
	b, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newRecorderFor(h http.Handler, method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}
