package handoff

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"
)

// Serve sends u to its origin through transport with body as the request body
// (nil for none) and streams the origin's answer to w, edited as u says; when the origin
// cannot be reached or is too slow, it writes u's Unreachable or TimedOut answer. in is the
// incoming request (its context ends the exchange when the client goes away). It is the
// host half of a handoff for hosts written in Go.
func Serve(w http.ResponseWriter, in *http.Request, body io.ReadCloser, u *Upstream, transport http.RoundTripper, logf func(string, ...any)) {
	target, err := url.Parse(u.URL)
	if err != nil {
		writeAnswer(w, &u.Unreachable)
		return
	}
	header := make(http.Header, len(u.Header))
	for _, kv := range u.Header {
		header.Add(kv[0], kv[1])
	}
	p := &httputil.ReverseProxy{
		Transport: headTimeout{base: transport, d: time.Duration(u.TimeoutMillis) * time.Millisecond},
		Rewrite: func(pr *httputil.ProxyRequest) {
			out := pr.Out
			out.Method = u.Method
			out.URL = target
			out.Host = u.Host
			out.Header = header
			if _, ok := header["User-Agent"]; !ok {
				header["User-Agent"] = []string{""} // send none
			}
			out.Body, out.ContentLength = body, u.Length
			if body == nil || u.Length == 0 {
				out.Body, out.ContentLength = nil, 0
			}
		},
		ModifyResponse: func(resp *http.Response) error {
			if u.StripCORS {
				StripCORS(resp.Header)
			}
			for _, kv := range u.ResponseHeader {
				resp.Header.Add(kv[0], kv[1])
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			if errors.Is(err, errHeadTimeout) || errors.Is(err, context.DeadlineExceeded) {
				logf("handoff: %s %s: %v", u.Method, target.Redacted(), err)
				writeAnswer(w, &u.TimedOut)
				return
			}
			if req.Context().Err() == nil {
				logf("handoff: %s %s: %v", u.Method, target.Redacted(), err)
			}
			writeAnswer(w, &u.Unreachable)
		},
	}
	http.NewResponseController(w).EnableFullDuplex()
	p.ServeHTTP(w, in)
}

func writeAnswer(w http.ResponseWriter, a *Answer) {
	h := w.Header()
	for _, kv := range a.Header {
		h.Add(kv[0], kv[1])
	}
	w.WriteHeader(a.Status)
	io.WriteString(w, a.Body)
}

// errHeadTimeout is the cause of a round trip ended by headTimeout.
var errHeadTimeout = errors.New("handoff: the origin's response head did not arrive in time")

// headTimeout bounds the wait for a response head (not the body, which may stream for long).
type headTimeout struct {
	base http.RoundTripper
	d    time.Duration
}

func (t headTimeout) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(r.Context())
	timer := time.AfterFunc(t.d, func() { cancel(errHeadTimeout) })
	resp, err := t.base.RoundTrip(r.WithContext(ctx))
	if !timer.Stop() && err != nil && context.Cause(ctx) == errHeadTimeout {
		cancel(nil)
		return nil, errHeadTimeout
	}
	if err != nil {
		cancel(nil)
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: func() { cancel(nil) }}
	return resp, nil
}

// cancelOnClose releases a response's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel func()
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// BodyTee is an incoming request body read by the guest through its host: it keeps what the
// guest read, so that a handed-off request sends the whole body on (a sigv4 route reads a
// signed payload to check its hash before it lets the request through).
type BodyTee struct {
	body io.ReadCloser
	kept []byte
}

// NewBodyTee returns a BodyTee reading body.
func NewBodyTee(body io.ReadCloser) *BodyTee { return &BodyTee{body: body} }

// Read reads from the body and keeps the bytes.
func (t *BodyTee) Read(p []byte) (int, error) {
	n, err := t.body.Read(p)
	t.kept = append(t.kept, p[:n]...)
	return n, err
}

// Replay returns the whole body: the bytes read so far, then the rest.
func (t *BodyTee) Replay() io.ReadCloser {
	if len(t.kept) == 0 {
		return t.body
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(t.kept), t.body), t.body}
}

// StripCORS removes the origin's own Access-Control-* headers: a route with a CORS policy
// owns them (Upstream.StripCORS; the gateway's own proxy uses it too).
func StripCORS(h http.Header) {
	for k := range h {
		if len(k) > 15 && strings.EqualFold(k[:15], "Access-Control-") {
			delete(h, k)
		}
	}
}
