package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestGatewayWorkerd runs the gateway scenarios against the Worker in workerd: origins and the
// external JWKS are reached with the Worker's fetch, and the glue sends allowed requests to
// the origin with both bodies streaming. The scenarios also exercise the glue's reuse of
// gateway decisions (a token used twice is sent on by the glue the second time; moving the
// test clock ends every kept decision); Reuse checks it directly.
func TestGatewayWorkerd(t *testing.T) {
	o, idp := newGwOrigin(t), newExtIssuer(t)
	ep := startWorker(t, gatewayConfig(o.srv.URL, idp.url()), fakeStart)
	g := &gwFixture{ep: ep, o: o, idp: idp, largeBody: 32 << 20}
	runGatewayScenarios(t, g)
	t.Run("Reuse", func(t *testing.T) { scnGatewayReuse(t, g) })
}

// glueReused reads how many requests the Worker's glue sent on by a kept gateway decision.
func glueReused(t *testing.T, g *gwFixture) int {
	t.Helper()
	resp, err := http.Get(g.ep.URL + "/_poolgate/glue")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Reused *int `json:"reused"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || st.Reused == nil {
		t.Fatalf("glue stats: %v", err)
	}
	return *st.Reused
}

// scnGatewayReuse: a request like one the gateway let through (same token, method, URL,
// Origin) is sent on by the glue without Go, and the origin gets exactly what the gateway
// itself would have sent; anything else (another token, path, a CORS preflight, a moved
// clock) goes to the gateway.
func scnGatewayReuse(t *testing.T, g *gwFixture) {
	tok := *g.user(t, gwClient, "gw-reuse", "admins").AccessToken
	const path = "/api/reuse?x=1&y=%20z"
	if r := g.do(t, "GET", path, tok, nil, "X-Trace", "1"); r.status != 200 {
		t.Fatalf("first request: %d %s", r.status, r.body)
	}
	n := glueReused(t, g)

	// Other headers differ, forged identity and forwarding headers included.
	extras := []string{"X-Trace", "2", "X-Poolgate-Sub", "forged", "x-poolgate-groups", "root", "X-Forwarded-For", "203.0.113.9",
		"X-Forwarded-Host", "evil.test", "Forwarded", "for=203.0.113.9", "Cookie", "c=1", "Accept", "text/plain"}
	if r := g.do(t, "GET", path, tok, nil, extras...); r.status != 200 {
		t.Fatalf("second request: %d %s", r.status, r.body)
	}
	if got := glueReused(t, g); got != n+1 {
		t.Fatalf("the second request was not sent on by the glue (reused %d → %d)", n, got)
	}
	viaGlue := g.o.last(t)
	// The same request once more after the clock moved (every kept decision ends): the gateway
	// decides and forwards it itself.
	g.ep.Advance(t, time.Millisecond)
	if r := g.do(t, "GET", path, tok, nil, extras...); r.status != 200 {
		t.Fatalf("after the clock moved: %d %s", r.status, r.body)
	}
	if got := glueReused(t, g); got != n+1 {
		t.Fatal("a kept decision outlived a moved clock")
	}
	viaGo := g.o.last(t)
	if viaGlue.Method != viaGo.Method || viaGlue.Path != viaGo.Path {
		t.Fatalf("glue sent %s %s, gateway %s %s", viaGlue.Method, viaGlue.Path, viaGo.Method, viaGo.Path)
	}
	// Every header but those workerd sets per request is the same.
	perRequest := []string{"Cf-Ray"}
	names := func(h http.Header) []string {
		var out []string
		for k := range h {
			if !slices.Contains(perRequest, k) {
				out = append(out, k)
			}
		}
		slices.Sort(out)
		return out
	}
	if a, b := names(viaGlue.Header), names(viaGo.Header); !slices.Equal(a, b) {
		t.Fatalf("header names differ:\nglue    %v\ngateway %v", a, b)
	}
	for _, k := range names(viaGo.Header) {
		if !slices.Equal(viaGlue.Header[k], viaGo.Header[k]) {
			t.Errorf("%s: glue sent %q, gateway %q", k, viaGlue.Header[k], viaGo.Header[k])
		}
	}
	// The client's address (CF-Connecting-IP, which wrangler dev sets like Cloudflare) reaches
	// the origin in X-Forwarded-For, and only it.
	if xff := viaGo.Header.Values("X-Forwarded-For"); len(xff) != 1 || xff[0] == "" || strings.Contains(xff[0], ",") {
		t.Errorf("X-Forwarded-For %q, want the client's address alone", xff)
	}
	if viaGlue.Header.Get("X-Poolgate-Sub") == "forged" || viaGlue.Header.Get("X-Poolgate-Groups") != "admins" ||
		viaGlue.Header.Get("Authorization") != "" || strings.Contains(viaGlue.Header.Get("X-Forwarded-For"), "203.0.113.9") {
		t.Fatalf("the glue passed on what the gateway strips: %v", viaGlue.Header)
	}
	n = glueReused(t, g)

	// A forged signature on the same URL is not the kept token: refused by the gateway.
	before := g.o.count()
	g.wantBearerRefusal(t, g.do(t, "GET", path, tok[:len(tok)-4]+"AAAA", nil), 401, "invalid_token", before)
	// Another path is another decision.
	if r := g.do(t, "GET", "/api/reuse?x=2", tok, nil); r.status != 200 {
		t.Fatalf("another path: %d", r.status)
	}
	// The admin route needs the group: the decision for /api does not carry over.
	if r := g.do(t, "GET", "/api/admin/x", *g.user(t, gwClient, "gw-reuse-2").AccessToken, nil); r.status != 403 {
		t.Fatalf("admin route without the group: %d", r.status)
	}
	if got := glueReused(t, g); got != n {
		t.Fatalf("requests with another token or path were sent on by the glue (%d → %d)", n, got)
	}

	// A CORS preflight on a URL with a kept decision is the gateway's to answer.
	for range 2 {
		if r := g.do(t, "OPTIONS", path, tok, nil, "Origin", gwAppOrigin); r.status != 200 {
			t.Fatalf("OPTIONS without a preflight header: %d", r.status)
		}
	}
	if got := glueReused(t, g); got != n+1 {
		t.Fatalf("the second OPTIONS was not sent on by the glue (%d → %d)", n, got)
	}
	before = g.o.count()
	r := g.do(t, "OPTIONS", path, tok, nil, "Origin", gwAppOrigin, "Access-Control-Request-Method", "GET")
	if r.status != 204 || g.o.count() != before || r.header.Get("Access-Control-Allow-Origin") != gwAppOrigin {
		t.Fatalf("preflight: %d %v (origin saw %d requests)", r.status, r.header, g.o.count()-before)
	}
}
