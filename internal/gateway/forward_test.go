package gateway

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestForwardingDetails(t *testing.T) {
	e := newEnv(t)
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "X-Hop")
		w.Header().Set("X-Hop", "should not pass")
		w.Header().Set("Set-Cookie", "a=b")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "made")
	})
	e.apply(poolRoute(o, func(s *RouteSpec) {
		s.Origin = o.URL + "/v2"
		s.StripPrefix = true
		s.PreserveHost = true
		s.ForwardAuthorization = true
	}))
	tok := e.poolToken(nil)
	r := httptest.NewRequest("PUT", "http://front.example/api/a%2Fb/c?q=%2F", strings.NewReader("payload"))
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("Connection", "X-Req-Hop")
	r.Header.Set("X-Req-Hop", "no")
	r.Header.Set("Keep-Alive", "timeout=5")
	r.Header.Set("Te", "gzip")
	r.Header.Set("Cookie", "session=1")
	// Lower-case names, as a fetch Headers object hands them over.
	r.Header["x-poolgate-sub"] = []string{"forged"}
	r.Header["X-POOLGATE-ROUTE"] = []string{"forged"}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code != http.StatusCreated || w.Body.String() != "made" || w.Header().Get("Set-Cookie") != "a=b" {
		t.Fatalf("response %d %q %v", w.Code, w.Body, w.Header())
	}
	if w.Header().Get("X-Hop") != "" {
		t.Error("a hop-by-hop response header passed")
	}
	got := o.last(t)
	if got.Method != "PUT" || string(got.Body) != "payload" || got.Query != "q=%2F" {
		t.Fatalf("origin saw %s %q ?%s", got.Method, got.Body, got.Query)
	}
	if got.Path != "/v2/a/b/c" || got.RawPath != "/v2/a%2Fb/c" {
		t.Errorf("origin path %q raw %q, want /v2/a/b/c raw /v2/a%%2Fb/c", got.Path, got.RawPath)
	}
	if got.Host != "front.example" {
		t.Errorf("origin Host %q, want the client's (PreserveHost)", got.Host)
	}
	if got.Header.Get("Authorization") != "Bearer "+tok {
		t.Error("ForwardAuthorization did not keep the Authorization header")
	}
	for _, h := range []string{"X-Req-Hop", "Keep-Alive", "Te"} {
		if got.Header.Get(h) != "" {
			t.Errorf("hop-by-hop request header %s passed", h)
		}
	}
	if got.Header.Get("Cookie") != "session=1" {
		t.Error("Cookie was dropped")
	}
	if v := got.Header.Values(HeaderSub); len(v) != 1 || v[0] == "forged" {
		t.Errorf("X-Poolgate-Sub at the origin: %q", v)
	}
	if v := got.Header.Values(HeaderRoute); len(v) != 1 || v[0] != "api" {
		t.Errorf("X-Poolgate-Route at the origin: %q", v)
	}
	if got.Header.Get("X-Forwarded-Host") != "front.example" {
		t.Errorf("X-Forwarded-Host %q", got.Header.Get("X-Forwarded-Host"))
	}
}

func TestOriginDown(t *testing.T) {
	e := newEnv(t)
	o := newOrigin(t, nil)
	e.apply(poolRoute(o, nil))
	o.Close()
	w := e.do("GET", "/api", e.poolToken(nil))
	if w.Code != http.StatusBadGateway || w.Header().Get("WWW-Authenticate") != "" {
		t.Fatalf("origin down: %d %v", w.Code, w.Header())
	}
}

// TestStreaming proves bodies stream both ways natively: the origin answers with the first
// line of the request body and the client reads it before it sends the second line.
func TestStreaming(t *testing.T) {
	e := newEnv(t)
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	// Replace the recording handler: this origin echoes line by line, flushing each.
	o.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NewResponseController(w).EnableFullDuplex()
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		br := bufio.NewReader(r.Body)
		for {
			line, err := br.ReadString('\n')
			if line != "" {
				io.WriteString(w, "echo "+line)
				w.(http.Flusher).Flush()
			}
			if err != nil {
				return
			}
		}
	})
	e.apply(poolRoute(o, nil))
	front := httptest.NewServer(e.h)
	defer front.Close()

	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", front.URL+"/api/stream", pr)
	req.Header.Set("Authorization", "Bearer "+e.poolToken(nil))
	type result struct {
		resp *http.Response
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		got <- result{resp, err}
	}()
	io.WriteString(pw, "one\n")
	res := <-got
	if res.err != nil {
		t.Fatal(res.err)
	}
	defer res.resp.Body.Close()
	br := bufio.NewReader(res.resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "echo one\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	// The request is still open: the first answer came back while it was being sent.
	io.WriteString(pw, "two\n")
	pw.Close()
	rest, _ := io.ReadAll(br)
	if string(rest) != "echo two\n" {
		t.Fatalf("rest %q", rest)
	}
}

func TestLargeBody(t *testing.T) {
	e := newEnv(t)
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	o.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		w.Header().Set("X-Sum", hex.EncodeToString(h.Sum(nil)))
		// Answer with as many bytes, streamed.
		io.CopyN(w, rand.Reader, n)
	})
	e.apply(poolRoute(o, nil))
	front := httptest.NewServer(e.h)
	defer front.Close()
	body := make([]byte, 24<<20)
	rand.Read(body)
	req, _ := http.NewRequest("PUT", front.URL+"/api/blob", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.poolToken(nil))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sum := sha256.Sum256(body)
	n, _ := io.Copy(io.Discard, resp.Body)
	if resp.Header.Get("X-Sum") != hex.EncodeToString(sum[:]) || n != int64(len(body)) {
		t.Fatalf("sum %s, %d bytes back", resp.Header.Get("X-Sum"), n)
	}
}

func TestCORS(t *testing.T) {
	e := newEnv(t)
	o := newOrigin(t, nil)
	e.apply(poolRoute(o, func(s *RouteSpec) {
		s.Methods = []string{"GET", "PUT"}
		s.Cors = &CORSSpec{AllowOrigins: []string{"https://app.example.com"}, ExposeHeaders: []string{"X-Origin"}, AllowCredentials: true, MaxAgeSeconds: intp(120)}
	}))
	pre := func(origin, method, headers string) *httptest.ResponseRecorder {
		return e.do("OPTIONS", "/api/x", "", "Origin", origin, "Access-Control-Request-Method", method, "Access-Control-Request-Headers", headers)
	}
	w := pre("https://app.example.com", "PUT", "Authorization, Content-Type")
	if w.Code != http.StatusNoContent {
		t.Fatalf("preflight: %d %s", w.Code, w.Body)
	}
	for k, v := range map[string]string{
		"Access-Control-Allow-Origin":      "https://app.example.com",
		"Access-Control-Allow-Methods":     "GET, PUT",
		"Access-Control-Allow-Headers":     "authorization, content-type",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Max-Age":           "120",
	} {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for name, w := range map[string]*httptest.ResponseRecorder{
		"other origin":   pre("https://evil.example", "GET", ""),
		"method":         pre("https://app.example.com", "DELETE", ""),
		"header":         pre("https://app.example.com", "GET", "x-secret"),
		"origin by case": pre("https://APP.example.com.evil", "GET", ""),
	} {
		if w.Code != http.StatusForbidden || w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: %d ACAO %q", name, w.Code, w.Header().Get("Access-Control-Allow-Origin"))
		}
	}
	if o.count() != 0 {
		t.Fatal("a preflight reached the origin")
	}
	// A refusal is readable by the allowed origin, with WWW-Authenticate exposed.
	w = e.do("GET", "/api/x", "", "Origin", "https://app.example.com")
	if w.Code != 401 || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		!strings.Contains(w.Header().Get("Access-Control-Expose-Headers"), "WWW-Authenticate") {
		t.Fatalf("refusal: %d %v", w.Code, w.Header())
	}
	// The origin's own CORS headers are replaced by the route's.
	w = e.do("GET", "/api/x", e.poolToken(nil), "Origin", "https://app.example.com")
	if w.Code != 200 || len(w.Header().Values("Access-Control-Allow-Origin")) != 1 ||
		w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" || w.Header().Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("allowed: %d %v", w.Code, w.Header())
	}
	// Another origin gets no allowance.
	w = e.do("GET", "/api/x", e.poolToken(nil), "Origin", "https://evil.example")
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("evil origin allowed: %v", w.Header())
	}
	// Without a CORS policy, an OPTIONS request is an ordinary request needing a token.
	e2 := newEnv(t)
	e2.apply(poolRoute(o, nil))
	wantRefusal(t, e2.do("OPTIONS", "/api/x", "", "Origin", "https://app.example.com", "Access-Control-Request-Method", "GET"), 401, "")

	// "*" without credentials answers "*".
	e3 := newEnv(t)
	e3.apply(poolRoute(o, func(s *RouteSpec) { s.Cors = &CORSSpec{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"}} }))
	w = e3.do("OPTIONS", "/api/x", "", "Origin", "https://any.example", "Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "x-anything")
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "*" || w.Header().Get("Access-Control-Allow-Headers") != "x-anything" {
		t.Fatalf("star: %d %v", w.Code, w.Header())
	}
}
