package gateway

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

var errCaptured = errors.New("captured")

// captureTransport keeps the request a ReverseProxy would send.
type captureTransport struct{ out *http.Request }

func (c *captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.out = r
	return nil, errCaptured
}

// viaReverseProxy is the request httputil.ReverseProxy sends for r with rewrite.
func viaReverseProxy(t *testing.T, r *http.Request, rewrite func(*httputil.ProxyRequest)) (*http.Request, bool) {
	t.Helper()
	capture := &captureTransport{}
	var failed error
	p := &httputil.ReverseProxy{Transport: capture, Rewrite: rewrite,
		ErrorHandler: func(_ http.ResponseWriter, _ *http.Request, err error) {
			if !errors.Is(err, errCaptured) {
				failed = err
			}
		}}
	p.ServeHTTP(httptest.NewRecorder(), r)
	return capture.out, failed == nil && capture.out != nil
}

func outboundRewrite(origin *url.URL) func(*httputil.ProxyRequest) {
	return func(pr *httputil.ProxyRequest) {
		pr.Out.Header.Set("X-Poolgate-Sub", "abc")
		pr.SetURL(origin)
		pr.SetXForwarded()
	}
}

// compareOutbound holds outbound to ReverseProxy's own preparation of the same request.
func compareOutbound(t *testing.T, method, target string, header http.Header) {
	t.Helper()
	origin, _ := url.Parse("https://origin.example/base")
	if _, err := http.NewRequest(method, "http://in.example"+target, nil); err != nil {
		return
	}
	mk := func() *http.Request {
		r, _ := http.NewRequest(method, "http://in.example"+target, strings.NewReader("body"))
		r.Header = header.Clone()
		r.RemoteAddr = "192.0.2.7:1234"
		return r
	}
	want, ok := viaReverseProxy(t, mk(), outboundRewrite(origin))
	got, err := outbound(mk(), outboundRewrite(origin))
	if !ok {
		if err == nil {
			t.Fatalf("%s %s %v: ReverseProxy refused, outbound built %v", method, target, header, got.Header)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s %s %v: outbound: %v", method, target, header, err)
	}
	if got.Method != want.Method || got.URL.String() != want.URL.String() || got.Host != want.Host {
		t.Errorf("%s %s: outbound %s %s host %q, ReverseProxy %s %s host %q",
			method, target, got.Method, got.URL, got.Host, want.Method, want.URL, want.Host)
	}
	if !reflect.DeepEqual(got.Header, want.Header) {
		t.Errorf("%s %s %v:\noutbound     %v\nReverseProxy %v", method, target, header, got.Header, want.Header)
	}
}

func TestOutboundMatchesReverseProxy(t *testing.T) {
	cases := []struct {
		method, target string
		header         http.Header
	}{
		{"GET", "/a/b?x=1&y=2", http.Header{"Accept": {"*/*"}}},
		{"POST", "/a?x=%zz&y=2", http.Header{"Content-Type": {"text/plain"}, "User-Agent": {"ua"}}},
		{"GET", "/a?x=1;y=2", http.Header{}},
		{"GET", "/", http.Header{"Connection": {"keep-alive, X-Secret ,\tX-Other"}, "X-Secret": {"s"}, "X-Other": {"o"},
			"Keep-Alive": {"300"}, "Proxy-Authorization": {"Basic x"}, "Te": {"gzip, trailers"}, "Trailer": {"X"}}},
		{"GET", "/ws", http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}}},
		{"GET", "/ws", http.Header{"Connection": {"upgrade"}, "Upgrade": {"bad\x01proto"}}},
		{"GET", "/", http.Header{"Te": {"trailerſ"}}},
		{"GET", "/", http.Header{"X-Forwarded-For": {"10.0.0.1"}, "Forwarded": {"for=1.2.3.4"}, "X-Forwarded-Host": {"h"}, "X-Forwarded-Proto": {"http"}}},
	}
	for _, c := range cases {
		compareOutbound(t, c.method, c.target, c.header)
	}
}

func FuzzOutboundMatchesReverseProxy(f *testing.F) {
	f.Add("/a?x=1", "keep-alive, X-A", "websocket", "trailers", "x=%zz;y")
	f.Add("/", "Upgrade", "h2c", "gzip", "")
	f.Fuzz(func(t *testing.T, path, connection, upgrade, te, query string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path+query, " #?\x00\r\n\t") {
			return
		}
		for _, v := range []string{connection, upgrade, te} {
			if strings.ContainsAny(v, "\r\n\x00") {
				return
			}
		}
		compareOutbound(t, "GET", path+"?"+query, http.Header{"Connection": {connection}, "Upgrade": {upgrade}, "Te": {te}, "X-A": {"a"}})
	})
}
