package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// viaHandoff makes the handlers newEnv and newSigEnv build serve requests as hostsim and the
// Worker do: the gateway hands allowed requests over (WithHandoff), the Upstream crosses as
// JSON and the host half (ServeUpstream) sends it, with the body the guest read replayed.
var viaHandoff bool

// asHost wraps h as a host that takes handoffs, when viaHandoff is set.
func asHost(h http.Handler) http.Handler {
	if !viaHandoff {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var taken []byte
		tee := NewBodyTee(r.Body)
		in := r.WithContext(WithHandoff(r.Context(), func(u *Upstream) {
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
		u, err := DecodeUpstream(taken)
		if err != nil {
			panic(err)
		}
		ServeUpstream(w, r, tee.Replay(), u, http.DefaultTransport, func(string, ...any) {})
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
	var u *Upstream
	r := httptest.NewRequest("GET", "/api/x?q=1", nil)
	r.Header.Set("Authorization", "Bearer "+e.poolToken(nil))
	r.Header.Set("X-Poolgate-Sub", "forged")
	r = r.WithContext(WithHandoff(r.Context(), func(got *Upstream) { u = got }))
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

// TestServeUpstreamTimeout: a transport that gives up waiting gets the TimedOut answer.
func TestServeUpstreamTimeout(t *testing.T) {
	u := &Upstream{Method: "GET", URL: "http://origin.test/", TimeoutMillis: 1000,
		Unreachable: Answer{Status: 502, Body: "down"},
		TimedOut:    Answer{Status: 504, Header: [][2]string{{"Content-Type", "application/json"}}, Body: "slow"}}
	for _, tc := range []struct {
		err    error
		status int
		body   string
	}{
		{context.DeadlineExceeded, 504, "slow"},
		{errHeadTimeout, 504, "slow"},
		{errors.New("connection refused"), 502, "down"},
	} {
		w := httptest.NewRecorder()
		ServeUpstream(w, httptest.NewRequest("GET", "/", nil), nil, u, failingTransport{tc.err}, func(string, ...any) {})
		if w.Code != tc.status || w.Body.String() != tc.body {
			t.Errorf("%v: %d %q", tc.err, w.Code, w.Body)
		}
	}
}

type failingTransport struct{ err error }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, f.err }

func TestDecodeUpstreamRefuses(t *testing.T) {
	good := `{"method":"GET","url":"http://o.test/","header":[["A","b"]],"length":0,"timeoutMs":1,` +
		`"unreachable":{"status":502,"header":null,"body":""},"timedOut":{"status":504,"header":null,"body":""}}`
	if _, err := DecodeUpstream([]byte(good)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		strings.Replace(good, `"GET"`, `"G ET"`, 1),
		strings.Replace(good, `http://o.test/`, `file:///etc/passwd`, 1),
		strings.Replace(good, `http://o.test/`, `/relative`, 1),
		strings.Replace(good, `["A","b"]`, `["A","b\r\nX: y"]`, 1),
		strings.Replace(good, `["A","b"]`, `["A:","b"]`, 1),
		strings.Replace(good, `"timeoutMs":1`, `"timeoutMs":0`, 1),
		strings.Replace(good, `"length":0`, `"length":-2`, 1),
		strings.Replace(good, `"status":502`, `"status":42`, 1),
		strings.Replace(good, `"timeoutMs":1,`, `"timeoutMs":1,"reuse":{"ttlMs":0,"dropPrefix":"x-"},`, 1),
		strings.Replace(good, `"timeoutMs":1,`, `"timeoutMs":1,"reuse":{"ttlMs":5,"dropPrefix":"X-"},`, 1),
		strings.Replace(good, `"timeoutMs":1,`, `"timeoutMs":1,"reuse":{"ttlMs":5,"dropPrefix":"x-","drop":["a b"]},`, 1),
		strings.Replace(good, `"timeoutMs":1,`, `"timeoutMs":1,"reuse":{"ttlMs":5,"dropPrefix":"x-","set":[["A","b\n"]]},`, 1),
		strings.Replace(good, `"timeoutMs":1,`, `"timeoutMs":1,"reuse":{"ttlMs":5,"dropPrefix":""},`, 1),
		`{`, `[]`, `null`,
	} {
		if _, err := DecodeUpstream([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func FuzzDecodeUpstream(f *testing.F) {
	f.Add([]byte(`{"method":"GET","url":"http://o.test/","header":[["A","b"]],"length":0,"timeoutMs":1,"unreachable":{"status":502},"timedOut":{"status":504}}`))
	f.Add([]byte(`{"method":"POST","url":"https://o.test:8443/a?b","host":"x","length":-1,"timeoutMs":30000,"stripCORS":true,"responseHeader":[["Vary","Origin"]],"unreachable":{"status":502,"body":"x"},"timedOut":{"status":504}}`))
	f.Add([]byte(`{"method":"GET","url":"http://o.test/","length":0,"timeoutMs":1,"unreachable":{"status":502},"timedOut":{"status":504},"reuse":{"ttlMs":30000,"drop":["te","authorization"],"dropPrefix":"x-poolgate-","unless":["connection"],"set":[["X-Poolgate-Sub","s"]]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := DecodeUpstream(b)
		if err != nil {
			return
		}
		// What decodes is safe to send: it encodes and decodes again to the same thing.
		again, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeUpstream(again); err != nil {
			t.Fatalf("re-decoding %s: %v", again, err)
		}
	})
}

// FuzzUpstreamJSON: the hand-written JSON decodes to what encoding/json's reflection would
// have written, whatever the strings hold.
func FuzzUpstreamJSON(f *testing.F) {
	f.Add("GET", "http://o.test/a?b=c", "X-A", "v\"\\\n\x01\xff\u2028é", "body {\"error\":1}", int64(-1), true)
	f.Add("", "", "", "", "", int64(0), false)
	f.Fuzz(func(t *testing.T, method, url, name, value, body string, length int64, cors bool) {
		u := &Upstream{Method: method, URL: url, Host: value, Header: [][2]string{{name, value}, {"B", url}},
			Length: length, StripCORS: cors, TimeoutMillis: length,
			Unreachable: Answer{Status: 502, Header: [][2]string{{name, body}}, Body: body},
			TimedOut:    Answer{Status: 504, Body: value}}
		if cors {
			u.ResponseHeader = [][2]string{{"Vary", value}}
			u.Reuse = &Reuse{TTLMillis: length, Drop: []string{name, value}, DropPrefix: body, Set: [][2]string{{name, body}}}
		} else if length%2 == 0 {
			u.Reuse = &Reuse{Unless: []string{}, Set: [][2]string{}}
		}
		type plain Upstream // without the MarshalJSON method
		want, err := json.Marshal((*plain)(u))
		if err != nil {
			t.Fatal(err)
		}
		got, err := u.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var a, b plain
		if err := json.Unmarshal(want, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got, &b); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("hand-written %s\nreflection   %s", got, want)
		}
	})
}
