package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

func TestCompileRoutesRefuses(t *testing.T) {
	cc := compileContext{poolIssuer: func(p string) string { return "https://idp/" + p }}
	jwt := func() *JWTSpec { return &JWTSpec{Issuers: []IssuerSpec{{UserPoolId: "us-east-1_x"}}} }
	base := func(mod func(*RouteSpec)) RouteSpec {
		s := RouteSpec{PathPrefix: "/api", Origin: "http://127.0.0.1:9000", Jwt: jwt()}
		mod(&s)
		return s
	}
	cases := map[string]RouteSpec{
		"no prefix":            base(func(s *RouteSpec) { s.PathPrefix = "" }),
		"relative prefix":      base(func(s *RouteSpec) { s.PathPrefix = "api" }),
		"dot segment":          base(func(s *RouteSpec) { s.PathPrefix = "/api/../admin" }),
		"double slash":         base(func(s *RouteSpec) { s.PathPrefix = "//api" }),
		"encoded prefix":       base(func(s *RouteSpec) { s.PathPrefix = "/a%2Fb" }),
		"query in prefix":      base(func(s *RouteSpec) { s.PathPrefix = "/a?b" }),
		"lower-case method":    base(func(s *RouteSpec) { s.Methods = []string{"get"} }),
		"origin ftp":           base(func(s *RouteSpec) { s.Origin = "ftp://x" }),
		"origin relative":      base(func(s *RouteSpec) { s.Origin = "/x" }),
		"origin credentials":   base(func(s *RouteSpec) { s.Origin = "http://u:p@x" }),
		"origin query":         base(func(s *RouteSpec) { s.Origin = "http://x/?a=1" }),
		"no jwt section":       base(func(s *RouteSpec) { s.Jwt = nil }),
		"unknown type":         base(func(s *RouteSpec) { s.Type = "basic" }),
		"jwt with sigv4":       base(func(s *RouteSpec) { s.SigV4 = &SigV4Spec{} }),
		"sigv4 unavailable":    base(func(s *RouteSpec) { s.Type = TypeSigV4; s.Jwt = nil }),
		"no issuers":           base(func(s *RouteSpec) { s.Jwt.Issuers = nil }),
		"pool and issuer":      base(func(s *RouteSpec) { s.Jwt.Issuers[0].Issuer = "https://x" }),
		"empty issuer":         base(func(s *RouteSpec) { s.Jwt.Issuers[0].UserPoolId = "" }),
		"alg none":             base(func(s *RouteSpec) { s.Jwt.Issuers[0].Algorithms = []string{"none"} }),
		"alg HS256":            base(func(s *RouteSpec) { s.Jwt.Issuers[0].Algorithms = []string{"HS256"} }),
		"alg RS512":            base(func(s *RouteSpec) { s.Jwt.Issuers[0].Algorithms = []string{"RS256", "RS512"} }),
		"bad token use":        base(func(s *RouteSpec) { s.Jwt.TokenUse = "refresh" }),
		"bad scope match":      base(func(s *RouteSpec) { s.Jwt.ScopeMatch = "some" }),
		"scope with space":     base(func(s *RouteSpec) { s.Jwt.Scopes = []string{"a b"} }),
		"empty group":          base(func(s *RouteSpec) { s.Jwt.Groups = []string{""} }),
		"negative skew":        base(func(s *RouteSpec) { s.Jwt.ClockSkewSeconds = intp(-1) }),
		"huge skew":            base(func(s *RouteSpec) { s.Jwt.ClockSkewSeconds = intp(3600) }),
		"short JWKS cache":     base(func(s *RouteSpec) { s.Jwt.Issuers[0].JwksCacheSeconds = intp(1) }),
		"issuer not URL":       base(func(s *RouteSpec) { s.Jwt.Issuers[0] = IssuerSpec{Issuer: "accounts"} }),
		"JWKS URI not URL":     base(func(s *RouteSpec) { s.Jwt.Issuers[0] = IssuerSpec{Issuer: "https://a", JwksUri: "file:///etc/passwd"} }),
		"revocation external":  base(func(s *RouteSpec) { s.Jwt.Issuers[0] = IssuerSpec{Issuer: "https://a"}; s.Jwt.CheckRevocation = true }),
		"issuer twice":         base(func(s *RouteSpec) { s.Jwt.Issuers = append(s.Jwt.Issuers, s.Jwt.Issuers[0]) }),
		"cors no origins":      base(func(s *RouteSpec) { s.Cors = &CORSSpec{} }),
		"cors path origin":     base(func(s *RouteSpec) { s.Cors = &CORSSpec{AllowOrigins: []string{"https://a/b"}} }),
		"cors star with creds": base(func(s *RouteSpec) { s.Cors = &CORSSpec{AllowOrigins: []string{"*"}, AllowCredentials: true} }),
		"cors bad header":      base(func(s *RouteSpec) { s.Cors = &CORSSpec{AllowOrigins: []string{"*"}, AllowHeaders: []string{"a b"}} }),
	}
	for name, spec := range cases {
		if _, err := compileRoutes([]RouteSpec{spec}, cc); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.HasPrefix(err.Error(), "gateway: route 0") {
			t.Errorf("%s: error %q does not name the route", name, err)
		}
	}
	ok := base(func(*RouteSpec) {})
	if _, err := compileRoutes([]RouteSpec{ok}, cc); err != nil {
		t.Fatalf("the base route: %v", err)
	}
	if _, err := compileRoutes([]RouteSpec{ok, ok}, cc); err == nil {
		t.Error("two routes with one name accepted")
	}
	other := ok
	other.Name = "other"
	if _, err := compileRoutes([]RouteSpec{ok, other}, cc); err == nil {
		t.Error("two routes for the same host, prefix and methods accepted")
	}
	other.Methods = []string{"GET"}
	ok.Methods = []string{"POST"}
	if _, err := compileRoutes([]RouteSpec{ok, other}, cc); err != nil {
		t.Errorf("routes split by method: %v", err)
	}
	if _, err := compileRoutes([]RouteSpec{ok}, compileContext{}); err == nil {
		t.Error("a pool route accepted by a service without pools")
	}
}

// TestConfigJSON decodes the documented configuration shape strictly.
func TestConfigJSON(t *testing.T) {
	doc := `[{"Name":"orders","Type":"jwt","PathPrefix":"/orders/","Methods":["GET","POST"],"Host":"api.example.com",
	  "Origin":"https://orders.internal:8443/v1","StripPrefix":true,"ForwardAuthorization":false,
	  "Jwt":{"Issuers":[{"UserPoolId":"us-east-1_abc"},{"Issuer":"https://login.example.com","Algorithms":["RS256","ES256"],"JwksCacheSeconds":600}],
	         "TokenUse":"access","ClientIds":["c1"],"Scopes":["orders/read"],"ScopeMatch":"any","Groups":["staff"],
	         "CheckRevocation":false,"ClockSkewSeconds":10},
	  "Cors":{"AllowOrigins":["https://app.example.com"],"AllowHeaders":["authorization","content-type"],"ExposeHeaders":["X-Request-Id"],"AllowCredentials":true,"MaxAgeSeconds":300}},
	 {"Name":"files","Type":"sigv4","PathPrefix":"/files","Origin":"http://127.0.0.1:9000",
	  "SigV4":{"Service":"s3","Region":"us-east-1","ErrorFormat":"xml","MaxSkewSeconds":300}}]`
	var specs []RouteSpec
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&specs); err != nil {
		t.Fatal(err)
	}
	cc := compileContext{poolIssuer: func(p string) string { return "https://idp/" + p }, sigv4: true}
	routes, err := compileRoutes(specs, cc)
	if err != nil {
		t.Fatal(err)
	}
	if routes[0].prefix != "/orders" || routes[0].host != "api.example.com" || len(routes[0].jwt.issuers) != 2 ||
		routes[0].jwt.issuers[1].jwksURI != "https://login.example.com/.well-known/jwks.json" || routes[0].jwt.skew != 10*time.Second {
		t.Fatalf("compiled %+v", routes[0])
	}
	if routes[1].sigv4.service != "s3" || routes[1].sigv4.json {
		t.Fatalf("compiled %+v", routes[1].sigv4)
	}
}

func TestMatch(t *testing.T) {
	o := "http://127.0.0.1:1"
	j := &JWTSpec{Issuers: []IssuerSpec{{Issuer: "https://i"}}}
	specs := []RouteSpec{
		{Name: "root", PathPrefix: "/", Origin: o, Jwt: j},
		{Name: "api", PathPrefix: "/api", Origin: o, Jwt: j},
		{Name: "api-host", PathPrefix: "/api", Host: "API.example.com", Origin: o, Jwt: j},
		{Name: "admin", PathPrefix: "/api/admin/", Methods: []string{"GET"}, Origin: o, Jwt: j},
		{Name: "port", PathPrefix: "/p", Host: "h.example:8443", Origin: o, Jwt: j},
	}
	routes, err := compileRoutes(specs, compileContext{})
	if err != nil {
		t.Fatal(err)
	}
	tbl := newTable(routes, nil)
	cases := []struct{ host, path, method, route, methodOnly string }{
		{"x", "/", "GET", "root", ""},
		{"x", "/apix", "GET", "root", ""},
		{"x", "/api", "GET", "api", ""},
		{"x", "/api/", "GET", "api", ""},
		{"x", "/api/v1", "PUT", "api", ""},
		{"api.example.com", "/api/v1", "PUT", "api-host", ""},
		{"API.EXAMPLE.COM:443", "/api/v1", "PUT", "api-host", ""},
		{"x", "/api/admin", "GET", "admin", ""},
		{"x", "/api/admin/users", "GET", "admin", ""},
		{"x", "/api/admin/users", "POST", "api", "admin"},
		{"x", "/api/administrator", "POST", "api", ""},
		{"h.example:8443", "/p/1", "GET", "port", ""},
		{"h.example:80", "/p/1", "GET", "root", ""},
		{"h.example", "/p/1", "GET", "root", ""},
	}
	for _, c := range cases {
		m := tbl.match(c.host, c.path, c.method)
		got, gotM := "", ""
		if m.route != nil {
			got = m.route.name
		}
		if m.methodOnly != nil {
			gotM = m.methodOnly.name
		}
		if got != c.route || gotM != c.methodOnly {
			t.Errorf("%s %s%s: route %q (method-only %q), want %q (%q)", c.method, c.host, c.path, got, gotM, c.route, c.methodOnly)
		}
	}
}

func TestCleanAndNormalizePath(t *testing.T) {
	for p, want := range map[string]string{
		"/":            "",
		"/a/b":         "",
		"/a/b/":        "",
		"//a":          "contains an empty segment (//)",
		"/a//b":        "contains an empty segment (//)",
		"/a/./b":       "contains a dot segment",
		"/a/..":        "contains a dot segment",
		"/a\\b":        "contains a backslash",
		"/a\x00":       "contains control characters",
		"/..%2f":       "",
		"/a/.hidden/b": "",
	} {
		if got := cleanPathErr(p); got != want {
			t.Errorf("cleanPathErr(%q) = %q, want %q", p, got, want)
		}
	}
	for p, want := range map[string]string{
		"/api/../admin": "/admin",
		"/api//admin":   "/api/admin",
		"/api\\admin":   "/api/admin",
		"/../../x":      "/x",
		"/a/./b/":       "/a/b",
	} {
		if got := normalizePath(p); got != want {
			t.Errorf("normalizePath(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestNonCanonicalPathsRefused(t *testing.T) {
	e := newEnv(t)
	o := newOrigin(t, nil)
	e.apply(poolRoute(o, func(s *RouteSpec) { s.PathPrefix = "/api/admin"; s.Jwt.Groups = []string{"root"} }),
		poolRoute(o, func(s *RouteSpec) { s.Name = "open"; s.PathPrefix = "/api" }))
	tok := e.poolToken(nil) // in admins, not root
	if w := e.do("GET", "/api/x", tok); w.Code != 200 {
		t.Fatalf("/api/x: %d", w.Code)
	}
	wantRefusal(t, e.do("GET", "/api/admin/x", tok), 403, "insufficient_scope")
	for _, p := range []string{"/api/x/../admin/x", "/api//admin/x", "/api/%2e%2e/api/admin", "/api/x%2F..%2Fadmin", "/api/.%2E/api/admin/x", "/api\\admin"} {
		w := e.do("GET", p, tok)
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", p, w.Code, w.Body)
		}
	}
	// Unrouted non-canonical paths are the API's business.
	if w := e.do("GET", "/x/../y", tok); w.Code != http.StatusTeapot {
		t.Errorf("unrouted: %d", w.Code)
	}
	if o.count() != 1 {
		t.Fatalf("the origin received %d requests, want 1", o.count())
	}
}

func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	o := newOrigin(t, nil)
	e.apply(poolRoute(o, func(s *RouteSpec) { s.Methods = []string{"GET", "HEAD"} }))
	w := e.do("DELETE", "/api/x", e.poolToken(nil))
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
		t.Fatalf("%d Allow %q", w.Code, w.Header().Get("Allow"))
	}
	if o.count() != 0 {
		t.Fatal("reached the origin")
	}
}

// TestRoutesShared: routes applied on one instance reach another sharing the store within
// RoutesCacheTTL, and a file without routes clears them.
func TestRoutesShared(t *testing.T) {
	c := newClock()
	st := memstore.New(c.Now)
	pools := newFakePools()
	keys, _ := testKeys(t)
	pools.pools[testPool] = keys[0]
	mk := func() http.Handler {
		gw, err := New(Config{Store: st, Crypto: hostcrypto.Pure{}, Now: c.Now, Pools: pools})
		if err != nil {
			t.Fatal(err)
		}
		return gw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	}
	a, b := mk(), mk()
	get := func(h http.Handler) int {
		w := newRecorderFor(h, "GET", "/api/x")
		return w.Code
	}
	if get(b) != http.StatusTeapot {
		t.Fatal("no routes yet")
	}
	ga, _ := New(Config{Store: st, Crypto: hostcrypto.Pure{}, Now: c.Now, Pools: pools})
	o := newOrigin(t, nil)
	if _, err := ga.Apply(ctx, []RouteSpec{poolRoute(o, nil)}); err != nil {
		t.Fatal(err)
	}
	if get(a) != http.StatusUnauthorized {
		t.Fatal("a fresh instance does not read the stored routes")
	}
	if get(b) != http.StatusTeapot {
		t.Fatal("b re-read the store before its cache expired")
	}
	c.Advance(RoutesCacheTTL)
	if get(b) != http.StatusUnauthorized {
		t.Fatal("b did not pick up the routes after RoutesCacheTTL")
	}
	if _, err := ga.Apply(ctx, []RouteSpec{}); err != nil {
		t.Fatal(err)
	}
	c.Advance(RoutesCacheTTL)
	if get(a) != http.StatusTeapot || get(b) != http.StatusTeapot {
		t.Fatal("cleared routes still served")
	}
	// A route naming a missing pool is refused at apply time.
	bad := poolRoute(o, func(s *RouteSpec) { s.Jwt.Issuers[0].UserPoolId = "us-east-1_Missing" })
	if _, err := ga.Apply(ctx, []RouteSpec{bad}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing pool: %v", err)
	}
	// A corrupt stored table leaves the previous one in place.
	if _, err := ga.Apply(ctx, []RouteSpec{poolRoute(o, nil)}); err != nil {
		t.Fatal(err)
	}
	c.Advance(RoutesCacheTTL)
	if get(a) != http.StatusUnauthorized {
		t.Fatal("routes not served")
	}
	st.Put(ctx, RoutesKey, []byte(`{"v":1,"routes":[{"PathPrefix":"nope"}]}`), store.PutOptions{})
	c.Advance(RoutesCacheTTL)
	if get(a) != http.StatusUnauthorized {
		t.Fatal("a corrupt stored table replaced a good one")
	}
}

// FuzzRouteSpecs: whatever a configuration file's Routes hold, compiling never panics, and
// a compiled table matches and maps requests without panicking.
func FuzzRouteSpecs(f *testing.F) {
	f.Add([]byte(`[{"PathPrefix":"/api","Origin":"http://o","Jwt":{"Issuers":[{"Issuer":"https://i"}]},"Cors":{"AllowOrigins":["*"]}}]`), "/api/x", "GET")
	f.Add([]byte(`[{"Type":"sigv4","PathPrefix":"/s3/","Origin":"http://o","SigV4":{"Bucket":"b","Resource":"{bucket}/{key}","Actions":{"GET":"s3:GetObject"}}}]`), "/s3/b/k", "GET")
	f.Add([]byte(`[{"PathPrefix":"/","Host":"h:1","Methods":["GET"],"Origin":"https://o/base","Jwt":{"Issuers":[{"UserPoolId":"p"}],"Scopes":["a"]}}]`), "//x/../y", "POST")
	f.Fuzz(func(t *testing.T, doc []byte, path, method string) {
		var specs []RouteSpec
		if json.Unmarshal(doc, &specs) != nil {
			return
		}
		routes, err := compileRoutes(specs, compileContext{poolIssuer: func(p string) string { return "https://i/" + p }, sigv4: true})
		if err != nil {
			return
		}
		tbl := newTable(routes, doc)
		m := tbl.match("h:1", path, method)
		tbl.owner("h", normalizePath(path))
		if m.route != nil && m.route.sigv4 != nil {
			r, err := http.NewRequest("GET", "http://h/", nil)
			if err == nil {
				r.Method = method
				m.route.sigv4.target(r, path)
			}
		}
	})
}
