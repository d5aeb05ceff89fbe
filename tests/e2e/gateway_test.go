package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/jose/josetest"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/service"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

// TestGatewayHostsim runs the gateway scenarios against the wasm module under hostsim: the
// origin and the external issuer are reached through the guest's http_fetch import.
func TestGatewayHostsim(t *testing.T) {
	o, idp := newGwOrigin(t), newExtIssuer(t)
	s := startSim(t, simOptions{Config: gatewayConfig(o.srv.URL, idp.url())})
	// hostsim buffers bodies: requests up to 8 MiB, fetched responses up to 10 MiB.
	runGatewayScenarios(t, &gwFixture{ep: s.Endpoint, o: o, idp: idp, largeBody: 6 << 20})
}

// TestGatewayNative runs the same scenarios against the service compiled natively (what a Go
// program embedding poolgate gets), where bodies stream end to end.
func TestGatewayNative(t *testing.T) {
	o, idp := newGwOrigin(t), newExtIssuer(t)
	ep := startNative(t, gatewayConfig(o.srv.URL, idp.url()))
	runGatewayScenarios(t, &gwFixture{ep: ep, o: o, idp: idp, largeBody: 32 << 20})
}

// startNative serves service.New over a memstore on an httptest server with a fake clock.
func startNative(t testing.TB, config []byte) *Endpoint {
	t.Helper()
	clock := newFakeClock(fakeStart)
	rec := new(message.Recorder)
	svc, err := service.New(service.Config{
		Region: testRegion, IssuerBase: testIssuerBase,
		AdminAccessKeyID: testAdminKeyID, AdminSecretAccessKey: testAdminSecret, MasterKey: testMasterKey,
		Store: memstore.New(clock.Now), Sender: rec, Now: clock.Now, Logf: t.Logf, Transport: http.DefaultTransport,
		Crypto: hostcrypto.Pure{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ApplyConfig(context.Background(), config); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return &Endpoint{URL: srv.URL, Region: testRegion, IssuerBase: testIssuerBase, AdminKeyID: testAdminKeyID,
		AdminKey: testAdminSecret, Clock: clock, Messages: rec.Messages, calls: newCallLog()}
}

// runGatewayScenarios runs every gateway scenario in order on one endpoint; some move the
// clock forward, which the later ones tolerate (they sign in afresh).
func runGatewayScenarios(t *testing.T, g *gwFixture) {
	for _, s := range []struct {
		name string
		run  func(*testing.T, *gwFixture)
	}{
		{"Allowed", scnGatewayAllowed},
		{"Refusals", scnGatewayRefusals},
		{"Forgeries", scnGatewayForgeries},
		{"ExternalIssuer", scnGatewayExternal},
		{"LargeBody", scnGatewayLargeBody},
		{"Streaming", scnGatewayStreaming},
		{"CORS", scnGatewayCORS},
		{"Revocation", scnGatewayRevocation},
		{"Expiry", scnGatewayExpiry},
		{"APIUnaffected", scnGatewayAPIUnaffected},
	} {
		t.Run(s.name, func(t *testing.T) { s.run(t, g) })
	}
}

func scnGatewayAllowed(t *testing.T, g *gwFixture) {
	tok := g.user(t, gwClient, "gw-alice", "admins", "team,blue")
	before := g.o.count()
	r := g.do(t, "POST", "/api/orders?limit=5&q=a%20b", *tok.AccessToken, strings.NewReader(`{"item":1}`),
		"X-Poolgate-Sub", "forged-sub", "x-poolgate-username", "root", "X-Poolgate-Claims", "e30", "Content-Type", "application/json")
	if r.status != 200 || r.body != "origin POST /api/orders" {
		t.Fatalf("allowed request: %d %q", r.status, r.body)
	}
	if g.o.count() != before+1 {
		t.Fatal("the origin did not get exactly one request")
	}
	got := g.o.last(t)
	c := claims(t, *tok.AccessToken)
	want := map[string]string{
		"X-Poolgate-Sub":       c["sub"].(string),
		"X-Poolgate-Username":  c["username"].(string),
		"X-Poolgate-Client-Id": gwClient,
		"X-Poolgate-Token-Use": "access",
		"X-Poolgate-Groups":    "admins,team%2Cblue",
		"X-Poolgate-Scopes":    "aws.cognito.signin.user.admin",
		"X-Poolgate-Issuer":    g.ep.IssuerBase + "/" + gwPool,
		"X-Poolgate-Route":     "api",
		"X-Poolgate-Claims":    strings.Split(*tok.AccessToken, ".")[1],
		"Content-Type":         "application/json",
	}
	for k, v := range want {
		if vals := got.Header.Values(k); len(vals) != 1 || vals[0] != v {
			t.Errorf("origin header %s = %q, want exactly [%q]", k, vals, v)
		}
	}
	if got.Header.Get("Authorization") != "" {
		t.Error("the bearer token reached the origin")
	}
	if got.Body != `{"item":1}` || got.Method != "POST" {
		t.Errorf("origin got %s %q", got.Method, got.Body)
	}
	// The origin's own CORS header is not passed on for a route with a CORS policy.
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("no Origin sent, yet Access-Control-Allow-Origin %q", r.header.Get("Access-Control-Allow-Origin"))
	}
	// The admin route (longer prefix) takes /api/admin, with its group rule.
	if r := g.do(t, "GET", "/api/admin/users", *tok.AccessToken, nil); r.status != 200 || g.o.last(t).Header.Get("X-Poolgate-Route") != "admin" {
		t.Fatalf("admin route: %d %s", r.status, r.body)
	}
	// ID tokens on the profile route.
	if r := g.do(t, "GET", "/profile/me", *tok.IdToken, nil); r.status != 200 || g.o.last(t).Header.Get("X-Poolgate-Token-Use") != "id" {
		t.Fatalf("profile route: %d %s", r.status, r.body)
	}
}

func scnGatewayRefusals(t *testing.T, g *gwFixture) {
	user := g.user(t, gwClient, "gw-bob")
	other := g.user(t, gwOther, "gw-carol")
	access := *user.AccessToken
	parts := strings.Split(access, ".")
	now := g.ep.Now().Unix()
	ext := func(mod map[string]any) string {
		c := map[string]any{"iss": g.idp.url(), "sub": "ext-user", "aud": gwExtClient, "iat": now, "exp": now + 300}
		for k, v := range mod {
			c[k] = v
		}
		return g.idp.token("RS256", "ext-rsa", c)
	}
	cases := []struct {
		name, method, path, authz string
		status                    int
		code                      string
	}{
		{"missing token", "GET", "/api/x", "", 401, ""},
		{"other scheme", "GET", "/api/x", "Basic Z3c6cHc=", 401, ""},
		{"empty bearer", "GET", "/api/x", "Bearer ", 400, "invalid_request"},
		{"malformed", "GET", "/api/x", "Bearer not.a.jwt", 401, "invalid_token"},
		{"bad signature", "GET", "/api/x", "Bearer " + parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])), 401, "invalid_token"},
		{"claims swapped", "GET", "/api/x", "Bearer " + parts[0] + "." + strings.Split(*other.AccessToken, ".")[1] + "." + parts[2], 401, "invalid_token"},
		{"not yet valid", "GET", "/ext/x", "Bearer " + ext(map[string]any{"nbf": now + 600}), 401, "invalid_token"},
		{"wrong issuer", "GET", "/api/x", "Bearer " + ext(nil), 401, "invalid_token"},
		{"wrong client", "GET", "/api/x", "Bearer " + *other.AccessToken, 401, "invalid_token"},
		{"wrong audience", "GET", "/ext/x", "Bearer " + ext(map[string]any{"aud": "someone-else"}), 401, "invalid_token"},
		{"id token on access route", "GET", "/api/x", "Bearer " + *user.IdToken, 401, "invalid_token"},
		{"access token on id route", "GET", "/profile/x", "Bearer " + access, 401, "invalid_token"},
		{"missing scope", "GET", "/scoped/x", "Bearer " + access, 403, "insufficient_scope"},
		{"missing group", "GET", "/api/admin/x", "Bearer " + access, 403, "insufficient_scope"},
		{"unknown kid", "GET", "/ext/x", "Bearer " + g.idp.token("RS256", "ext-rotated-away", map[string]any{"iss": g.idp.url(), "aud": gwExtClient, "exp": now + 60}), 401, "invalid_token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := g.o.count()
			var hdr []string
			if c.authz != "" {
				hdr = []string{"Authorization", c.authz}
			}
			g.wantBearerRefusal(t, g.do(t, c.method, c.path, "", nil, hdr...), c.status, c.code, before)
		})
	}
	r := g.do(t, "GET", "/scoped/x", access, nil)
	if !strings.Contains(r.header.Get("WWW-Authenticate"), `scope="orders/write"`) {
		t.Errorf("insufficient_scope challenge %q does not name the scope", r.header.Get("WWW-Authenticate"))
	}
	// A method the route does not serve.
	if r := g.do(t, "GET", "/blob", access, nil); r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "PUT" {
		t.Errorf("GET on a PUT-only route: %d Allow %q", r.status, r.header.Get("Allow"))
	}
	// Path spellings that an origin could normalize into another route never reach it under
	// the wrong route: hostsim and the native service refuse them (400); workerd normalizes
	// the URL before the Worker sees it, so the route of the normalized path refuses them.
	for _, p := range []string{"/api/x/../admin/users", "/api//admin/users", "/api/%2e%2e/api/admin/users"} {
		before := g.o.count()
		r := g.do(t, "GET", p, access, nil)
		normalized := r.status == http.StatusForbidden && strings.Contains(r.header.Get("WWW-Authenticate"), "insufficient_scope")
		if r.status != http.StatusBadRequest && !normalized {
			t.Errorf("%s: %d %s, want 400 (or the admin route's 403)", p, r.status, r.body)
		}
		if g.o.count() != before {
			t.Errorf("%s reached the origin", p)
		}
	}
}

// scnGatewayForgeries: tokens an attacker can make from public material.
func scnGatewayForgeries(t *testing.T, g *gwFixture) {
	user := g.user(t, gwClient, "gw-dave")
	c := claims(t, *user.AccessToken)
	c["username"], c["cognito:groups"] = "gw-admin", []string{"admins"}
	hdr := map[string]any{}
	parts := strings.Split(*user.AccessToken, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	json.Unmarshal(raw, &hdr)

	// The pool's public key, as anyone can fetch it.
	resp, err := http.Get(g.ep.URL + "/" + gwPool + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []struct{ Kid, N, E string }
	}
	json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	var pub *rsa.PublicKey
	for _, k := range set.Keys {
		if k.Kid == hdr["kid"] {
			n, _ := base64.RawURLEncoding.DecodeString(k.N)
			e, _ := base64.RawURLEncoding.DecodeString(k.E)
			pub = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		}
	}
	if pub == nil {
		t.Fatalf("kid %v not in the pool's JWKS", hdr["kid"])
	}
	der, _ := x509.MarshalPKIXPublicKey(pub)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	attacker, _ := rsa.GenerateKey(rand.Reader, 2048)
	forged := map[string]string{
		"alg none":               b64json(map[string]any{"alg": "none", "kid": hdr["kid"]}) + "." + b64json(c) + ".",
		"alg none, old sig":      b64json(map[string]any{"alg": "none", "kid": hdr["kid"]}) + "." + b64json(c) + "." + parts[2],
		"HS256 with the PEM key": hs256(pemKey, map[string]any{"alg": "HS256", "kid": hdr["kid"]}, c),
		"HS256 with the DER key": hs256(der, map[string]any{"alg": "HS256", "kid": hdr["kid"]}, c),
		"embedded jwk": signWith(attacker, map[string]any{"alg": "RS256", "kid": hdr["kid"], "jwk": map[string]any{
			"kty": "RSA", "n": base64.RawURLEncoding.EncodeToString(attacker.N.Bytes()), "e": "AQAB"}}, c),
		"attacker key, pool kid": signWith(attacker, map[string]any{"alg": "RS256", "kid": hdr["kid"]}, c),
		"no kid":                 signWith(attacker, map[string]any{"alg": "RS256"}, c),
	}
	// The shared corpus of internal/jose/josetest, signed with the attacker's key under the
	// pool's kid: through the wasm module, every class is refused as in the unit tests.
	corpus := &josetest.Issuer{Sign: josetest.SignRS256(attacker), Kid: hdr["kid"].(string), Public: der, Claims: c,
		Now: g.ep.Now(), Skew: 30 * time.Second}
	forged["corpus: good claims, attacker's key"] = corpus.Good()
	for _, f := range corpus.Forgeries() {
		if strings.ContainsAny(f.Token, "\r\n") {
			continue // no HTTP client sends it in a header (the unit tests feed it to the gateway)
		}
		forged["corpus: "+f.Name] = f.Token
	}
	for name, tok := range forged {
		t.Run(name, func(t *testing.T) {
			before := g.o.count()
			g.wantBearerRefusal(t, g.do(t, "GET", "/api/admin/x", tok, nil), 401, "invalid_token", before)
		})
	}
}

func signWith(k *rsa.PrivateKey, header, claims map[string]any) string {
	input := b64json(header) + "." + b64json(claims)
	d := sha256.Sum256([]byte(input))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func scnGatewayExternal(t *testing.T, g *gwFixture) {
	now := g.ep.Now().Unix()
	c := map[string]any{"iss": g.idp.url(), "sub": "ext-user-1", "aud": []string{gwExtClient}, "iat": now, "exp": now + 3600,
		"email": "ext@example.com"}
	for _, alg := range []string{"RS256", "ES256"} {
		kid := map[string]string{"RS256": "ext-rsa", "ES256": "ext-ec"}[alg]
		r := g.do(t, "PATCH", "/ext/things/7?x=y", g.idp.token(alg, kid, c), strings.NewReader("patch"))
		if r.status != 200 || r.body != "origin PATCH /v1/things/7" {
			t.Fatalf("%s: %d %q", alg, r.status, r.body)
		}
		got := g.o.last(t)
		if got.Header.Get("X-Poolgate-Sub") != "ext-user-1" || got.Header.Get("X-Poolgate-Issuer") != g.idp.url() ||
			got.Header.Get("X-Poolgate-Client-Id") != gwExtClient {
			t.Fatalf("%s: identity headers %v", alg, got.Header)
		}
	}
	// An outage of the issuer's JWKS does not stop tokens whose keys are cached, even once the
	// cache is stale (the default JWKS cache is an hour).
	fetches := g.idp.count()
	g.idp.setDown(true)
	defer g.idp.setDown(false)
	g.ep.Advance(t, 61*time.Minute)
	now = g.ep.Now().Unix()
	c["iat"], c["exp"] = now, now+600
	for range 3 {
		if r := g.do(t, "GET", "/ext/still", g.idp.token("RS256", "ext-rsa", c), nil); r.status != 200 {
			t.Fatalf("during the JWKS outage: %d %s", r.status, r.body)
		}
	}
	if g.idp.count() == fetches {
		t.Log("no instance tried to refresh the stale keys (each instance fetches on its own)")
	}
	// A flood of unknown kids during the outage is refused without hammering the issuer:
	// at most one fetch per instance per penalty period.
	before := g.idp.count()
	for i := range 40 {
		r := g.do(t, "GET", "/ext/x", g.idp.token("RS256", fmt.Sprintf("random-%d", i), c), nil)
		if r.status != 401 {
			t.Fatalf("unknown kid %d: %d", i, r.status)
		}
	}
	if n := g.idp.count() - before; n > 8 {
		t.Fatalf("40 unknown kids caused %d JWKS fetches", n)
	}
}

func scnGatewayLargeBody(t *testing.T, g *gwFixture) {
	tok := g.user(t, gwClient, "gw-erin")
	body := make([]byte, g.largeBody)
	rand.Read(body)
	sum := sha256.Sum256(body)
	r := g.do(t, "PUT", "/blob", *tok.AccessToken, bytes.NewReader(body))
	if r.status != 200 || r.header.Get("X-Body-Sha256") != hex.EncodeToString(sum[:]) || r.body != string(body) {
		t.Fatalf("large body: %d, sha %s, %d bytes back", r.status, r.header.Get("X-Body-Sha256"), len(r.body))
	}
}

// scnGatewayStreaming proves both bodies stream through the host: the origin has the first
// line of a request body while the client still holds back the second, and the client reads
// the first line of a response while the origin still holds back the second.
func scnGatewayStreaming(t *testing.T, g *gwFixture) {
	tok := g.user(t, gwClient, "gw-sam")
	bearer := "Bearer " + *tok.AccessToken

	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PUT", g.ep.URL+"/blob/up", pr)
	req.Header.Set("Authorization", bearer)
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := plainClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{resp.StatusCode, string(b), err}
	}()
	io.WriteString(pw, "one\n")
	select {
	case <-g.o.gotFirstLine:
	case r := <-done:
		t.Fatalf("the request ended before its body did: %d %q %v", r.status, r.body, r.err)
	case <-time.After(streamWait):
		pw.Close()
		t.Fatal("the origin did not get the first line while the client held back the rest: the request body is buffered")
	}
	io.WriteString(pw, "two\n")
	pw.Close()
	if r := <-done; r.err != nil || r.status != 200 || r.body != "one\ntwo\n" {
		t.Fatalf("streamed request: %d %q %v", r.status, r.body, r.err)
	}

	req, _ = http.NewRequest("PUT", g.ep.URL+"/blob/down", nil)
	req.Header.Set("Authorization", bearer)
	resp, err := plainClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	first, err := br.ReadString('\n')
	if err != nil || first != "first\n" {
		t.Fatalf("first line %q, %v", first, err)
	}
	g.o.releaseSecond <- struct{}{}
	rest, _ := io.ReadAll(br)
	if resp.StatusCode != 200 || string(rest) != "second\n" {
		t.Fatalf("streamed response: %d, then %q", resp.StatusCode, rest)
	}
}

func scnGatewayCORS(t *testing.T, g *gwFixture) {
	before := g.o.count()
	r := g.do(t, "OPTIONS", "/api/orders", "", nil, "Origin", gwAppOrigin,
		"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type")
	if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != gwAppOrigin ||
		!strings.Contains(r.header.Get("Access-Control-Allow-Methods"), "POST") ||
		r.header.Get("Access-Control-Allow-Headers") != "authorization, content-type" || r.header.Get("Access-Control-Max-Age") != "600" {
		t.Fatalf("preflight: %d %v", r.status, r.header)
	}
	r = g.do(t, "OPTIONS", "/api/orders", "", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	if r.status != http.StatusForbidden || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight from another origin: %d %v", r.status, r.header)
	}
	if g.o.count() != before {
		t.Fatal("a preflight reached the origin")
	}
	// The browser can read a refusal and the origin's answer, with the route's headers only.
	r = g.do(t, "GET", "/api/orders", "", nil, "Origin", gwAppOrigin)
	if r.status != 401 || r.header.Get("Access-Control-Allow-Origin") != gwAppOrigin ||
		!strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "WWW-Authenticate") {
		t.Fatalf("refusal seen by the app: %d %v", r.status, r.header)
	}
	tok := g.user(t, gwClient, "gw-frank")
	r = g.do(t, "GET", "/api/orders", *tok.AccessToken, nil, "Origin", gwAppOrigin)
	if r.status != 200 || len(r.header.Values("Access-Control-Allow-Origin")) != 1 || r.header.Get("Access-Control-Allow-Origin") != gwAppOrigin {
		t.Fatalf("allowed request from the app: %d %v", r.status, r.header)
	}
}

// scnGatewayRevocation: GlobalSignOut and RevokeToken reach the gateway within the route's
// revocation cache time (30 s by default).
func scnGatewayRevocation(t *testing.T, g *gwFixture) {
	tok := g.user(t, gwClient, "gw-grace")
	if r := g.do(t, "GET", "/api/me", *tok.AccessToken, nil); r.status != 200 {
		t.Fatalf("before sign-out: %d %s", r.status, r.body)
	}
	call(g.ep.Public().GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: tok.AccessToken})).must(t)
	g.ep.Advance(t, 30*time.Second)
	before := g.o.count()
	g.wantBearerRefusal(t, g.do(t, "GET", "/api/me", *tok.AccessToken, nil), 401, "invalid_token", before)

	// RevokeToken ends one sign-in only.
	a, b := g.signIn(t, gwClient, "gw-grace"), g.signIn(t, gwClient, "gw-grace")
	call(g.ep.Public().RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(gwClient), Token: a.RefreshToken})).must(t)
	g.ep.Advance(t, 30*time.Second)
	before = g.o.count()
	g.wantBearerRefusal(t, g.do(t, "GET", "/api/me", *a.AccessToken, nil), 401, "invalid_token", before)
	if r := g.do(t, "GET", "/api/me", *b.AccessToken, nil); r.status != 200 {
		t.Fatalf("the other sign-in: %d %s", r.status, r.body)
	}
	// Disabling the user ends its tokens too.
	call(g.ep.Admin().AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(gwPool), Username: aws.String("gw-grace")})).must(t)
	g.ep.Advance(t, 30*time.Second)
	g.wantBearerRefusal(t, g.do(t, "GET", "/api/me", *b.AccessToken, nil), 401, "invalid_token", g.o.count())
}

func scnGatewayExpiry(t *testing.T, g *gwFixture) {
	tok := g.user(t, gwClient, "gw-heidi")
	g.ep.Advance(t, 59*time.Minute)
	if r := g.do(t, "GET", "/api/late", *tok.AccessToken, nil); r.status != 200 {
		t.Fatalf("before expiry: %d %s", r.status, r.body)
	}
	// The access token lives an hour; the route allows 30 s of clock skew.
	g.ep.Advance(t, time.Minute+31*time.Second)
	g.wantBearerRefusal(t, g.do(t, "GET", "/api/late", *tok.AccessToken, nil), 401, "invalid_token", g.o.count())
	if r := g.do(t, "GET", "/api/late", *g.signIn(t, gwClient, "gw-heidi").AccessToken, nil); r.status != 200 {
		t.Fatalf("fresh token: %d", r.status)
	}
}

// scnGatewayAPIUnaffected: the Cognito API still answers on the same endpoint, even under a
// routed path, and JWKS stays public.
func scnGatewayAPIUnaffected(t *testing.T, g *gwFixture) {
	out := call(g.ep.Admin().DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(gwPool)})).must(t)
	if aws.ToString(out.UserPool.Id) != gwPool {
		t.Fatalf("DescribeUserPool: %v", out.UserPool.Id)
	}
	req, _ := http.NewRequest("POST", g.ep.URL+"/api", strings.NewReader(`{"UserPoolId":"`+gwPool+`"}`))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.DescribeUserPool")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := plainClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-Errortype") == "" {
		t.Fatalf("an API call under /api went elsewhere: %d %v", resp.StatusCode, resp.Header)
	}
	if r := g.do(t, "GET", "/"+gwPool+"/.well-known/jwks.json", "", nil); r.status != 200 || !strings.Contains(r.body, `"keys"`) {
		t.Fatalf("JWKS: %d", r.status)
	}
}
