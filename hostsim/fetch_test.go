package hostsim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/poolgate/poolgate/internal/abi"
)

// TestHTTPFetch drives the http_fetch import through the test guest's /fetch endpoint:
// method, headers, Host and body reach the origin; small and large responses come back whole;
// a response larger than the guest's buffer is collected without sending the request twice;
// bodies over abi.MaxFetchBody and unreachable origins fail the call.
func TestHTTPFetch(t *testing.T) {
	var hits atomic.Int32
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(body)
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Host", r.Host)
		w.Header().Set("X-Token", r.Header.Get("Token"))
		w.Header().Set("X-Body-Sha256", hex.EncodeToString(sum[:]))
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		switch r.URL.Path {
		case "/big":
			w.Write(bytes.Repeat([]byte("x"), 3<<20))
		case "/huge":
			w.Write(bytes.Repeat([]byte("y"), abi.MaxFetchBody+1))
		default:
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, "hello from the origin")
		}
	}))
	defer origin.Close()
	s := start(t, Options{Instances: 1})
	fetch := func(method, path, host, body string, hdr ...string) *httptest.ResponseRecorder {
		t.Helper()
		q := url.Values{"url": {origin.URL + path}, "host": {host}}
		r := httptest.NewRequest(method, "/fetch?"+q.Encode(), strings.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		return w
	}

	w := fetch("PUT", "/small?q=1", "origin.example", "request body", "X-Fetch-Token", "t0k")
	sum := sha256.Sum256([]byte("request body"))
	if w.Code != http.StatusCreated || w.Body.String() != "hello from the origin" ||
		w.Header().Get("X-Method") != "PUT" || w.Header().Get("X-Host") != "origin.example" ||
		w.Header().Get("X-Token") != "t0k" || w.Header().Get("X-Body-Sha256") != hex.EncodeToString(sum[:]) ||
		len(w.Header().Values("X-Multi")) != 2 {
		t.Fatalf("small fetch: %d %q %v", w.Code, w.Body, w.Header())
	}

	before := hits.Load()
	w = fetch("GET", "/big", "", "")
	if w.Code != 200 || w.Body.Len() != 3<<20 {
		t.Fatalf("big fetch: %d, %d bytes", w.Code, w.Body.Len())
	}
	if n := hits.Load() - before; n != 1 {
		t.Fatalf("a response larger than the guest's buffer made %d requests, want 1", n)
	}

	if w = fetch("GET", "/huge", "", ""); w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), "host internal error") {
		t.Fatalf("huge fetch: %d %q", w.Code, w.Body.String()[:min(w.Body.Len(), 200)])
	}
	origin.Close()
	if w = fetch("GET", "/small", "", ""); w.Code != http.StatusBadGateway {
		t.Fatalf("unreachable origin: %d %q", w.Code, w.Body)
	}
	// The instance is still healthy after the failures.
	if code, _, _ := do(t, s, "GET", "/counter", ""); code != 200 {
		t.Fatalf("after failed fetches: %d", code)
	}
}
