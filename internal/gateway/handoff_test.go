package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/poolgate/poolgate/internal/handoff"
)

// viaHandoff makes the handlers newEnv and newSigEnv build serve requests as hostsim and the
// Worker do: the gateway hands allowed requests over (WithHandoff), the Upstream crosses as
// JSON and the host half (handoff.Serve) sends it, with the body the guest read replayed.
var viaHandoff bool

// asHost wraps h as a host that takes handoffs, when viaHandoff is set.
func asHost(h http.Handler) http.Handler {
	if !viaHandoff {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var taken []byte
		tee := handoff.NewBodyTee(r.Body)
		in := r.WithContext(WithHandoff(r.Context(), func(u *handoff.Upstream) {
			b, err := json.Marshal(u)
			if err != nil {
				panic(err)
			}
			taken = b
		}))
		in.Body = io.NopCloser(tee)
		// The guest answers into a buffer of its own, as in hostsim and the Worker.
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, in)
		if taken == nil {
			for k, vs := range rec.Header() {
				w.Header()[k] = vs
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		u, err := handoff.Decode(taken)
		if err != nil {
			panic(err)
		}
		handoff.Serve(w, r, tee.Replay(), u, http.DefaultTransport, func(string, ...any) {})
	})
}

// TestHandoff runs the forwarding tests again with the host doing the forwarding: every
// header rule, streaming both ways, large bodies, CORS, origin failures and signed payloads
// come out the same.
func TestHandoff(t *testing.T) {
	viaHandoff = true
	defer func() { viaHandoff = false }()
	for _, tc := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"ForwardingDetails", TestForwardingDetails},
		{"OriginDown", TestOriginDown},
		{"Streaming", TestStreaming},
		{"LargeBody", TestLargeBody},
		{"CORS", TestCORS},
		{"JWTRouteAllows", TestJWTRouteAllows},
		{"JWTRouteRefusals", TestJWTRouteRefusals},
		{"SigV4RouteAllows", TestSigV4RouteAllows},
		{"SigV4RouteRefusals", TestSigV4RouteRefusals},
		{"SigV4RouteCustomMappingAndJSON", TestSigV4RouteCustomMappingAndJSON},
	} {
		t.Run(tc.name, tc.run)
	}
}

// TestHandoffNothingWritten checks that a handed-off request leaves the guest's writer
// untouched: the host answers alone.
func TestHandoffNothingWritten(t *testing.T) {
	e := newEnv(t)
	o := newOrigin(t, nil)
	e.apply(poolRoute(o, nil))
	var u *handoff.Upstream
	r := httptest.NewRequest("GET", "/api/x?q=1", nil)
	r.Header.Set("Authorization", "Bearer "+e.poolToken(nil))
	r.Header.Set("X-Poolgate-Sub", "forged")
	r = r.WithContext(WithHandoff(r.Context(), func(got *handoff.Upstream) { u = got }))
	w := httptest.NewRecorder()
	e.gw.Handler(http.NotFoundHandler()).ServeHTTP(w, r)
	if u == nil {
		t.Fatal("no handoff")
	}
	if w.Body.Len() != 0 || w.Code != 200 || len(w.Header()) != 0 {
		t.Fatalf("the guest wrote %d %v %q", w.Code, w.Header(), w.Body)
	}
	if !strings.HasPrefix(u.URL, o.URL+"/api/x?q=1") || u.Method != "GET" || u.Length != 0 {
		t.Fatalf("upstream %+v", u)
	}
	var sub []string
	for _, kv := range u.Header {
		if http.CanonicalHeaderKey(kv[0]) == HeaderSub {
			sub = append(sub, kv[1])
		}
		if kv[0] == "Authorization" {
			t.Error("Authorization handed on")
		}
	}
	if len(sub) != 1 || sub[0] != "0f9a2c4e-1111-4222-8333-444455556666" {
		t.Fatalf("X-Poolgate-Sub %q", sub)
	}
	if u.Unreachable.Status != http.StatusBadGateway || u.TimedOut.Status != http.StatusGatewayTimeout ||
		!strings.Contains(u.TimedOut.Body, "gateway_timeout") {
		t.Fatalf("answers %+v %+v", u.Unreachable, u.TimedOut)
	}
}
