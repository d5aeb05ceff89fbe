package gateway

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/jose/josetest"
)

func intp(i int) *int { return &i }

// poolRoute is a jwt route for testPool's access tokens from client1.
func poolRoute(o *origin, mod func(*RouteSpec)) RouteSpec {
	s := RouteSpec{
		Name: "api", PathPrefix: "/api", Origin: o.URL,
		Jwt: &JWTSpec{Issuers: []IssuerSpec{{UserPoolId: testPool}}, TokenUse: "access", ClientIds: []string{"client1"}},
	}
	if mod != nil {
		mod(&s)
	}
	return s
}

func TestJWTRouteAllows(t *testing.T) {
	e := newEnv(t)
	o := newOrigin(t, nil)
	e.apply(poolRoute(o, nil))
	tok := e.poolToken(nil)

	w := e.do("POST", "/api/items?x=1&y=%20z", tok,
		"X-Poolgate-Sub", "forged", "x-poolgate-groups", "admins", "X-Custom", "kept")
	if w.Code != http.StatusOK || w.Body.String() != "origin says hi" || w.Header().Get("X-Origin") != "yes" {
		t.Fatalf("status %d body %q headers %v", w.Code, w.Body, w.Header())
	}
	got := o.last(t)
	if got.Method != "POST" || got.Path != "/api/items" || got.Query != "x=1&y=%20z" {
		t.Fatalf("origin saw %s %s?%s", got.Method, got.Path, got.Query)
	}
	want := map[string]string{
		HeaderSub:      "0f9a2c4e-1111-4222-8333-444455556666",
		HeaderUsername: "alice",
		HeaderClientID: "client1",
		HeaderTokenUse: "access",
		HeaderGroups:   "admins,team%2Ca",
		HeaderScopes:   "aws.cognito.signin.user.admin",
		HeaderIssuer:   e.pools.Issuer(testPool),
		HeaderRoute:    "api",
		"X-Custom":     "kept",
	}
	for k, v := range want {
		if vals := got.Header.Values(k); len(vals) != 1 || vals[0] != v {
			t.Errorf("origin header %s = %q, want exactly %q", k, vals, v)
		}
	}
	if got.Header.Get("Authorization") != "" {
		t.Error("the Authorization header reached the origin")
	}
	if xff := got.Header.Get("X-Forwarded-For"); xff == "" {
		t.Error("no X-Forwarded-For")
	}
	claims, err := base64.RawURLEncoding.DecodeString(got.Header.Get(HeaderClaims))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(claims, &m); err != nil || m["username"] != "alice" {
		t.Fatalf("claims header %s: %v", claims, err)
	}
	if strings.Split(tok, ".")[1] != got.Header.Get(HeaderClaims) {
		t.Error("the claims header is not the token's payload segment")
	}

	// A path equal to the prefix is routed; a sibling prefix is not.
	if w := e.do("GET", "/api", tok); w.Code != http.StatusOK {
		t.Errorf("/api: %d", w.Code)
	}
	if w := e.do("GET", "/apix", tok); w.Code != http.StatusTeapot {
		t.Errorf("/apix: %d, want the API (418)", w.Code)
	}
	// Cognito API calls never go to a route, even under a routed path.
	if w := e.do("POST", "/api", "", "X-Amz-Target", "AWSCognitoIdentityProviderService.GetUser"); w.Code != http.StatusTeapot {
		t.Errorf("API call under /api: %d, want the API (418)", w.Code)
	}
}

func TestJWTRouteRefusals(t *testing.T) {
	e := newEnv(t)
	keys, ec := testKeys(t)
	o := newOrigin(t, nil)
	e.apply(poolRoute(o, func(s *RouteSpec) {
		s.Jwt.Scopes = []string{"aws.cognito.signin.user.admin", "orders/read"}
		s.Jwt.Groups = []string{"admins", "ops"}
	}))
	kid := "kid-" + testPool
	rs := func(k int, header map[string]any, mod map[string]any) string {
		return signRS256(keys[k], header, e.poolClaims(mod))
	}
	hdr := map[string]any{"alg": "RS256", "kid": kid}
	now := e.clock.Now().Unix()
	pubDER := pkixOf(t, &keys[0].PublicKey)
	good := e.poolToken(nil)
	parts := strings.Split(good, ".")

	cases := []struct {
		name   string
		token  string
		authz  string // raw Authorization header instead of "Bearer <token>"
		status int
		code   string
	}{
		{"missing", "", "", 401, ""},
		{"basic scheme", "", "Basic YWxpY2U6cHc=", 401, ""},
		{"empty bearer", "", "Bearer ", 400, "invalid_request"},
		{"malformed", "not-a-jwt", "", 401, "invalid_token"},
		{"two parts", parts[0] + "." + parts[1], "", 401, "invalid_token"},
		{"bad signature", parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])), "", 401, "invalid_token"},
		{"other key", rs(1, hdr, nil), "", 401, "invalid_token"},
		{"payload swapped", parts[0] + "." + enc(e.poolClaims(map[string]any{"username": "mallory"})) + "." + parts[2], "", 401, "invalid_token"},
		{"expired", rs(0, hdr, map[string]any{"iat": now - 7200, "exp": now - 31}), "", 401, "invalid_token"},
		{"no exp", rs(0, hdr, map[string]any{"exp": nil}), "", 401, "invalid_token"},
		{"exp string", rs(0, hdr, map[string]any{"exp": "never"}), "", 401, "invalid_token"},
		{"not yet valid", rs(0, hdr, map[string]any{"nbf": now + 31}), "", 401, "invalid_token"},
		{"issued in the future", rs(0, hdr, map[string]any{"iat": now + 32}), "", 401, "invalid_token"}, // skew 30 s + jose.IssuedAtGrace
		{"wrong issuer", rs(0, hdr, map[string]any{"iss": "https://idp.poolgate.test/us-east-1_Other"}), "", 401, "invalid_token"},
		{"issuer with slash", rs(0, hdr, map[string]any{"iss": e.pools.Issuer(testPool) + "/"}), "", 401, "invalid_token"},
		{"wrong client", rs(0, hdr, map[string]any{"client_id": "client2"}), "", 401, "invalid_token"},
		{"aud instead of client_id", rs(0, hdr, map[string]any{"client_id": nil, "aud": "client1"}), "", 401, "invalid_token"},
		{"id token", rs(0, hdr, map[string]any{"token_use": "id", "aud": "client1"}), "", 401, "invalid_token"},
		{"no token_use", rs(0, hdr, map[string]any{"token_use": nil}), "", 401, "invalid_token"},
		{"missing scope", rs(0, hdr, map[string]any{"scope": "openid email"}), "", 403, "insufficient_scope"},
		{"missing group", rs(0, hdr, map[string]any{"cognito:groups": []string{"users"}}), "", 403, "insufficient_scope"},
		{"no groups", rs(0, hdr, map[string]any{"cognito:groups": nil}), "", 403, "insufficient_scope"},
		{"unknown kid", rs(0, map[string]any{"alg": "RS256", "kid": "nope"}, nil), "", 401, "invalid_token"},
		{"no kid (the pool has two keys)", rs(0, map[string]any{"alg": "RS256"}, nil), "", 401, "invalid_token"},
		{"alg none", enc(map[string]any{"alg": "none", "kid": kid}) + "." + enc(e.poolClaims(nil)) + ".", "", 401, "invalid_token"},
		{"alg none with signature", enc(map[string]any{"alg": "none", "kid": kid}) + "." + parts[1] + "." + parts[2], "", 401, "invalid_token"},
		{"HS256 with the public key", signHS256(pubDER, map[string]any{"alg": "HS256", "kid": kid}, e.poolClaims(nil)), "", 401, "invalid_token"},
		{"ES256 not allowed", signES256(ec, map[string]any{"alg": "ES256", "kid": kid}, e.poolClaims(nil)), "", 401, "invalid_token"},
		{"embedded jwk", rs(1, map[string]any{"alg": "RS256", "kid": kid, "jwk": rsaJWK(kid, &keys[1].PublicKey)}, nil), "", 401, "invalid_token"},
		{"jku", rs(1, map[string]any{"alg": "RS256", "kid": "x", "jku": "http://127.0.0.1:1/jwks"}, nil), "", 401, "invalid_token"},
		{"crit", rs(0, map[string]any{"alg": "RS256", "kid": kid, "crit": []string{"exp"}}, nil), "", 401, "invalid_token"},
		{"duplicate claim", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"a","sub":"b"}`)) + "." + parts[2], "", 401, "invalid_token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := o.count()
			r, _ := http.NewRequest("GET", "http://gw.test/api/x", nil)
			switch {
			case c.authz != "":
				r.Header.Set("Authorization", c.authz)
			case c.token != "":
				r.Header.Set("Authorization", "Bearer "+c.token)
			}
			w := serve(e, r)
			wantRefusal(t, w, c.status, c.code)
			if o.count() != before {
				t.Fatal("a refused request reached the origin")
			}
		})
	}
	// The control: the unmodified token passes.
	if w := e.do("GET", "/api/x", good); w.Code != 200 {
		t.Fatalf("good token: %d %s", w.Code, w.Body)
	}
	// Two Authorization headers.
	w := e.do("GET", "/api/x", good, "Authorization", "Bearer "+good)
	wantRefusal(t, w, 400, "invalid_request")
	// insufficient_scope names the scopes.
	w = e.do("GET", "/api/x", rs(0, hdr, map[string]any{"scope": "openid"}))
	if !strings.Contains(w.Header().Get("WWW-Authenticate"), `scope="aws.cognito.signin.user.admin orders/read"`) {
		t.Fatalf("WWW-Authenticate %q names no scope", w.Header().Get("WWW-Authenticate"))
	}
}

func serve(e *env, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

func TestJWTRouteSkewAndAllScopes(t *testing.T) {
	e := newEnv(t)
	o := newOrigin(t, nil)
	e.apply(poolRoute(o, func(s *RouteSpec) {
		s.Jwt.ClockSkewSeconds = intp(0)
		s.Jwt.Scopes = []string{"a", "b"}
		s.Jwt.ScopeMatch = "all"
	}))
	now := e.clock.Now().Unix()
	if w := e.do("GET", "/api", e.poolToken(map[string]any{"scope": "a b"})); w.Code != 200 {
		t.Fatalf("all scopes: %d %s", w.Code, w.Body)
	}
	wantRefusal(t, e.do("GET", "/api", e.poolToken(map[string]any{"scope": "a"})), 403, "insufficient_scope")
	// scp (array) counts too.
	if w := e.do("GET", "/api", e.poolToken(map[string]any{"scope": nil, "scp": []string{"b", "a"}})); w.Code != 200 {
		t.Fatalf("scp: %d", w.Code)
	}
	// Without skew, exp == now is expired and nbf = now+1 is early.
	wantRefusal(t, e.do("GET", "/api", e.poolToken(map[string]any{"scope": "a b", "exp": now})), 401, "invalid_token")
	wantRefusal(t, e.do("GET", "/api", e.poolToken(map[string]any{"scope": "a b", "nbf": now + 1})), 401, "invalid_token")

	// The default skew (30 s) lets a token 20 s past exp through.
	e2 := newEnv(t)
	e2.apply(poolRoute(o, nil))
	n2 := e2.clock.Now().Unix()
	if w := e2.do("GET", "/api", e2.poolToken(map[string]any{"exp": n2 - 20})); w.Code != 200 {
		t.Fatalf("within skew: %d %s", w.Code, w.Body)
	}
	e2.clock.Advance(11 * time.Second)
	wantRefusal(t, e2.do("GET", "/api", e2.poolToken(map[string]any{"exp": n2 - 20})), 401, "invalid_token")
}

func TestJWTRouteIDTokensAndAnyUse(t *testing.T) {
	e := newEnv(t)
	o := newOrigin(t, nil)
	e.apply(poolRoute(o, func(s *RouteSpec) { s.Jwt.TokenUse = "id" }))
	id := map[string]any{"token_use": "id", "aud": "client1", "client_id": nil, "username": nil, "cognito:username": "alice"}
	if w := e.do("GET", "/api", e.poolToken(id)); w.Code != 200 {
		t.Fatalf("id token: %d %s", w.Code, w.Body)
	}
	if got := o.last(t); got.Header.Get(HeaderUsername) != "alice" || got.Header.Get(HeaderClientID) != "client1" {
		t.Fatalf("id token headers: %v", got.Header)
	}
	// client_id does not stand in for aud on an ID token.
	wantRefusal(t, e.do("GET", "/api", e.poolToken(map[string]any{"token_use": "id"})), 401, "invalid_token")
	wantRefusal(t, e.do("GET", "/api", e.poolToken(map[string]any{"token_use": "id", "aud": []string{"x", "client2"}})), 401, "invalid_token")
	if w := e.do("GET", "/api", e.poolToken(map[string]any{"token_use": "id", "aud": []string{"x", "client1"}})); w.Code != 200 {
		t.Fatalf("aud array: %d", w.Code)
	}
	// Access tokens are refused on an id route.
	wantRefusal(t, e.do("GET", "/api", e.poolToken(nil)), 401, "invalid_token")

	// TokenUse "" and no ClientIds: any token of the issuer.
	e2 := newEnv(t)
	e2.apply(poolRoute(o, func(s *RouteSpec) { s.Jwt.TokenUse = ""; s.Jwt.ClientIds = nil }))
	for _, mod := range []map[string]any{nil, id, {"client_id": "someone-else"}} {
		if w := e2.do("GET", "/api", e2.poolToken(mod)); w.Code != 200 {
			t.Fatalf("any use %v: %d", mod, w.Code)
		}
	}
}

func TestJWTRouteRevocation(t *testing.T) {
	e := newEnv(t)
	o := newOrigin(t, nil)
	e.apply(poolRoute(o, func(s *RouteSpec) { s.Jwt.CheckRevocation = true }))
	sub := "0f9a2c4e-1111-4222-8333-444455556666"
	e.pools.setUser(testPool, "alice", UserState{Found: true, Sub: sub, Enabled: true})
	tok := e.poolToken(nil)
	if w := e.do("GET", "/api", tok); w.Code != 200 {
		t.Fatalf("before sign-out: %d %s", w.Code, w.Body)
	}
	reads := e.pools.reads
	e.do("GET", "/api", tok)
	if e.pools.reads != reads {
		t.Fatalf("a second request within the cache time read the store (%d → %d)", reads, e.pools.reads)
	}

	// GlobalSignOut: TokensValidAfter moves past iat. Within the cache bound the token still
	// passes; after it, it does not.
	e.clock.Advance(time.Second)
	e.pools.setUser(testPool, "alice", UserState{Found: true, Sub: sub, Enabled: true, TokensValidAfter: e.clock.Now().Add(time.Second)})
	if w := e.do("GET", "/api", tok); w.Code != 200 {
		t.Fatalf("within the cache bound: %d", w.Code)
	}
	e.clock.Advance(DefaultRevocationCache)
	wantRefusal(t, e.do("GET", "/api", tok), 401, "invalid_token")
	// A token issued after the sign-out passes.
	if w := e.do("GET", "/api", e.poolToken(map[string]any{"iat": e.clock.Now().Unix(), "origin_jti": "origin-2"})); w.Code != 200 {
		t.Fatalf("fresh token after sign-out: %d %s", w.Code, w.Body)
	}

	// With a zero cache time every change is seen at once.
	e2 := newEnv(t)
	e2.apply(poolRoute(o, func(s *RouteSpec) { s.Jwt.CheckRevocation = true; s.Jwt.RevocationCacheSeconds = intp(0) }))
	e2.pools.setUser(testPool, "alice", UserState{Found: true, Sub: sub, Enabled: true})
	tok2 := e2.poolToken(nil)
	cases := []struct {
		name  string
		setup func()
	}{
		{"revoked family", func() { e2.pools.mu.Lock(); e2.pools.families[testPool+"/origin-1"] = true; e2.pools.mu.Unlock() }},
		{"disabled", func() { e2.pools.setUser(testPool, "alice", UserState{Found: true, Sub: sub}) }},
		{"deleted", func() { e2.pools.setUser(testPool, "alice", UserState{}) }},
		{"recreated", func() { e2.pools.setUser(testPool, "alice", UserState{Found: true, Sub: "another-sub", Enabled: true}) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e2.pools.setUser(testPool, "alice", UserState{Found: true, Sub: sub, Enabled: true})
			e2.pools.mu.Lock()
			e2.pools.families = map[string]bool{}
			e2.pools.mu.Unlock()
			if w := e2.do("GET", "/api", tok2); w.Code != 200 {
				t.Fatalf("before: %d %s", w.Code, w.Body)
			}
			c.setup()
			wantRefusal(t, e2.do("GET", "/api", tok2), 401, "invalid_token")
		})
	}
	// A token of a pool without iat cannot be checked: refused.
	e2.pools.setUser(testPool, "alice", UserState{Found: true, Sub: sub, Enabled: true})
	wantRefusal(t, e2.do("GET", "/api", e2.poolToken(map[string]any{"iat": nil})), 401, "invalid_token")
}

func TestJWTRouteExternalIssuer(t *testing.T) {
	e := newEnv(t)
	keys, ec := testKeys(t)
	o := newOrigin(t, nil)
	idp := newIssuerServer(t, jwksJSON(rsaJWK("r1", &keys[1].PublicKey), ecJWK("e1", &ec.PublicKey)))
	iss := idp.URL + "/realm"
	e.apply(RouteSpec{Name: "ext", PathPrefix: "/ext/", Origin: o.URL + "/base", StripPrefix: true,
		Jwt: &JWTSpec{Issuers: []IssuerSpec{{Issuer: iss, JwksUri: idp.URL + "/jwks", Algorithms: []string{"RS256", "ES256"}, GroupsClaim: "groups"}},
			ClientIds: []string{"spa"}, Groups: []string{"staff"}}})
	now := e.clock.Now().Unix()
	claims := map[string]any{"iss": iss, "sub": "u1", "aud": []string{"spa", "other"}, "exp": now + 60, "iat": now, "groups": []string{"staff"}}

	for name, tok := range map[string]string{
		"RS256": signRS256(keys[1], map[string]any{"alg": "RS256", "kid": "r1"}, claims),
		"ES256": signES256(ec, map[string]any{"alg": "ES256", "kid": "e1", "typ": "JWT"}, claims),
	} {
		w := e.do("DELETE", "/ext/a/b", tok)
		if w.Code != 200 {
			t.Fatalf("%s: %d %s %s", name, w.Code, w.Body, e.logs)
		}
		if got := o.last(t); got.Path != "/base/a/b" || got.Method != "DELETE" || got.Header.Get(HeaderSub) != "u1" || got.Header.Get(HeaderGroups) != "staff" {
			t.Fatalf("%s: origin saw %s %s, headers %v", name, got.Method, got.Path, got.Header)
		}
	}
	if n := idp.count(); n != 1 {
		t.Fatalf("JWKS fetched %d times for two tokens of known kids, want 1", n)
	}
	// Key confusion: the EC key's kid with RS256, the RSA key's kid with ES256.
	wantRefusal(t, e.do("GET", "/ext/x", signRS256(keys[1], map[string]any{"alg": "RS256", "kid": "e1"}, claims)), 401, "invalid_token")
	wantRefusal(t, e.do("GET", "/ext/x", signES256(ec, map[string]any{"alg": "ES256", "kid": "r1"}, claims)), 401, "invalid_token")
	// A malformed ES256 signature length.
	es := signES256(ec, map[string]any{"alg": "ES256", "kid": "e1"}, claims)
	wantRefusal(t, e.do("GET", "/ext/x", es+"AAAA"), 401, "invalid_token")
	// Audience not accepted, group missing.
	c2 := map[string]any{}
	for k, v := range claims {
		c2[k] = v
	}
	c2["aud"] = "other"
	wantRefusal(t, e.do("GET", "/ext/x", signRS256(keys[1], map[string]any{"alg": "RS256", "kid": "r1"}, c2)), 401, "invalid_token")
	c2["aud"], c2["groups"] = "spa", []string{"guests"}
	wantRefusal(t, e.do("GET", "/ext/x", signRS256(keys[1], map[string]any{"alg": "RS256", "kid": "r1"}, c2)), 403, "insufficient_scope")
	// The prefix itself maps to the origin's base path.
	if w := e.do("GET", "/ext", signRS256(keys[1], map[string]any{"alg": "RS256", "kid": "r1"}, claims)); w.Code != 200 || o.last(t).Path != "/base/" {
		t.Fatalf("prefix itself: %d, origin path %q", w.Code, o.last(t).Path)
	}
}

// TestJWTRouteForgeries feeds the shared forged-token corpus (internal/jose/josetest) to a
// jwt route: every forgery is refused with 401 invalid_token and never reaches the origin.
func TestJWTRouteForgeries(t *testing.T) {
	e := newEnv(t)
	keys, _ := testKeys(t)
	o := newOrigin(t, nil)
	e.apply(poolRoute(o, nil))
	is := &josetest.Issuer{Sign: josetest.SignRS256(keys[0]), Kid: "kid-" + testPool, Public: pkixOf(t, &keys[0].PublicKey),
		Claims: e.poolClaims(nil), Now: e.clock.Now(), Skew: DefaultClockSkew}
	if w := e.do("GET", "/api/x", is.Good()); w.Code != 200 {
		t.Fatalf("the good token: %d %s", w.Code, w.Body)
	}
	before := o.count()
	for _, f := range is.Forgeries() {
		t.Run(f.Name, func(t *testing.T) {
			wantRefusal(t, e.do("GET", "/api/x", f.Token), 401, "invalid_token")
		})
	}
	if o.count() != before {
		t.Fatalf("%d forgeries reached the origin", o.count()-before)
	}
}
