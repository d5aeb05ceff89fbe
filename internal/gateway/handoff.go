package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Hosts that can move bodies themselves (the Worker's glue, hostsim) take allowed requests
// from the gateway as an Upstream and send them to the origin, streaming the request and the
// response, instead of the guest proxying them through Transport: a wasm guest sees every
// body byte cross its boundary twice and, on workerd, cannot hold a stream across requests.
// The gateway still decides everything: which requests pass, the outgoing head (rewritten by
// the same code as its own proxy), and the answers for an origin that fails.

// OriginTimeout bounds the wait for an origin's response head on a handed-off request.
const OriginTimeout = 30 * time.Second

// Upstream is an allowed request as the gateway sends it on: the host sends Method to URL
// with Header and the incoming request's body (the bytes the guest read of it, then the
// rest), and answers with the origin's response, edited as the fields say. Its JSON form
// crosses from the guest to the host.
type Upstream struct {
	Method string `json:"method"`
	URL    string `json:"url"` // absolute http(s) URL
	// Host is the Host header to send; "" means the URL's host.
	Host string `json:"host,omitempty"`
	// Header holds the request headers to send, one [name, value] pair per value: hop-by-hop
	// headers and X-Poolgate-* already removed, identity and X-Forwarded-* headers set.
	Header [][2]string `json:"header"`
	// Length is the incoming body's length; -1 when unknown.
	Length int64 `json:"length"`
	// StripCORS removes the origin's Access-Control-* response headers (the route answers
	// CORS itself).
	StripCORS bool `json:"stripCORS,omitempty"`
	// ResponseHeader pairs are added to the origin's response headers after hop-by-hop and
	// CORS removal.
	ResponseHeader [][2]string `json:"responseHeader,omitempty"`
	// TimeoutMillis bounds the wait for the origin's response head.
	TimeoutMillis int64 `json:"timeoutMs"`
	// Unreachable is the answer when the origin cannot be reached; TimedOut when its response
	// head does not arrive in time.
	Unreachable Answer `json:"unreachable"`
	TimedOut    Answer `json:"timedOut"`
	// Reuse, when set, lets the host send later requests like this one on without asking
	// the gateway again (see Reuse).
	Reuse *Reuse `json:"reuse,omitempty"`
}

// ReuseKeyHeaders are the request headers (besides the method and the URL) on which a jwt
// route's decision depends; the Worker's glue also keys reuse by its client address
// (CF-Connecting-IP, the request's RemoteAddr there).
var ReuseKeyHeaders = []string{"authorization", "host", "origin"}

// Reuse is a gateway decision a host may apply again, without the gateway, to a later request
// with the same method, URL and ReuseKeyHeaders values (the same token, to the same place,
// from the same origin) for TTLMillis: the Upstream stands as it is but for its Header, which
// the host builds from the later request's headers: those named in Drop, starting with
// DropPrefix, or named in a Connection header (a comma-separated list; names are trimmed of
// spaces and tabs, and compared without case) are removed, then Set is added. A request that
// carries a header named in Unless is not covered (its rewrite depends on it) and goes to
// the gateway.
//
// The gateway offers Reuse only for jwt routes, and only for as long as its own answer could
// not change: until the token expires (with the route's skew), the instance would read the
// route table again, the issuer's keys would be fetched again, or (on routes that check
// revocation) the cached revocation state of that user and sign-in expires. Hosts must also
// drop every Reuse when the gateway reports a change (Config.Changed).
type Reuse struct {
	TTLMillis  int64       `json:"ttlMs"`
	Drop       []string    `json:"drop"`       // lower case
	DropPrefix string      `json:"dropPrefix"` // lower case
	Unless     []string    `json:"unless"`     // lower case
	Set        [][2]string `json:"set"`
}

// Answer is a complete response the host sends as it is.
type Answer struct {
	Status int         `json:"status"`
	Header [][2]string `json:"header"`
	Body   string      `json:"body"`
}

type handoffKey struct{}

// WithHandoff returns a context under which the gateway passes allowed requests to take
// instead of forwarding them. take is called on the handler's goroutine before the handler
// returns; the handler then writes nothing to its ResponseWriter, and the host answers.
func WithHandoff(ctx context.Context, take func(*Upstream)) context.Context {
	return context.WithValue(ctx, handoffKey{}, take)
}

func handoffFrom(ctx context.Context) func(*Upstream) {
	take, _ := ctx.Value(handoffKey{}).(func(*Upstream))
	return take
}

// errCaptured ends the proxy's round trip once it has produced the outgoing request.
var errCaptured = errors.New("gateway: request captured for the host")

// captureTransport keeps the request the proxy would send.
type captureTransport struct{ out *http.Request }

func (c *captureTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.out = r
	return nil, errCaptured
}

// handOff builds the Upstream of an allowed request with the proxy's own rewriting (the
// ReverseProxy is run with a transport that captures its outgoing request) and gives it to
// take. The headers already set on w (CORS) go into the Upstream's answers.
//
// reuseUntil is when the decision to let this request through may change (zero: it is not
// to be reused); until then the Upstream carries a Reuse.
func (g *Gateway) handOff(w http.ResponseWriter, take func(*Upstream), r *http.Request, rt *route, p *httputil.ReverseProxy, reuseUntil time.Time) {
	capture := &captureTransport{}
	p.Transport = capture
	p.ModifyResponse = nil
	var failed error
	p.ErrorHandler = func(_ http.ResponseWriter, _ *http.Request, err error) {
		if !errors.Is(err, errCaptured) {
			failed = err
		}
	}
	p.ServeHTTP(discardWriter{}, r)
	if capture.out == nil || failed != nil {
		g.cfg.Logf("gateway: route %s: building the upstream request: %v", rt.name, failed)
		g.refuse(w, rt, http.StatusBadGateway, "The request could not be sent to the origin.")
		return
	}
	out, respHeader := capture.out, w.Header()
	u := &Upstream{
		Method:         out.Method,
		URL:            out.URL.String(),
		Host:           out.Host,
		Length:         r.ContentLength,
		StripCORS:      rt.cors != nil,
		ResponseHeader: pairs(respHeader),
		TimeoutMillis:  OriginTimeout.Milliseconds(),
	}
	if len(respHeader) == 0 {
		a := &rt.plainAnswers
		a.once.Do(func() { a.unreachable, a.timedOut = g.failureAnswers(rt, respHeader) })
		u.Unreachable, u.TimedOut = a.unreachable, a.timedOut
	} else {
		u.Unreachable, u.TimedOut = g.failureAnswers(rt, respHeader)
	}
	if r.Body == nil || r.Body == http.NoBody {
		u.Length = 0
	}
	for name, values := range out.Header {
		if name == "User-Agent" && len(values) == 1 && values[0] == "" {
			continue // the proxy's way of sending none
		}
		for _, v := range values {
			u.Header = append(u.Header, [2]string{name, v})
		}
	}
	if ttl := reuseUntil.Sub(g.now()); !reuseUntil.IsZero() && ttl >= time.Millisecond {
		u.Reuse = reuseOf(u.Header, rt.reuseDrop, ttl)
	}
	take(u)
}

// proxyDropped are the request headers the forwarding rewrite removes whatever they hold:
// httputil.ReverseProxy's hop-by-hop list, and the Forwarded and X-Forwarded-* headers it
// replaces (SetXForwarded); and Host, which is never a header in Go (the host sends the
// URL's host, or Upstream.Host). reuseUnless are the headers whose presence makes the
// rewrite or the decision depend on more than a Reuse's key: Te: trailers is kept, an
// upgrade is passed on, an API target or a CORS preflight is not the route's to forward.
var (
	proxyDropped = []string{"connection", "proxy-connection", "keep-alive", "proxy-authenticate",
		"proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
		"forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "host"}
	reuseUnless = []string{"te", "upgrade", "x-amz-target", "access-control-request-method"}
	reusePrefix = strings.ToLower(HeaderPrefix)
)

// reuseDropFor lists the request headers a route's forwarding removes whatever they hold.
func reuseDropFor(keepAuthz bool) []string {
	drop := slices.Clone(proxyDropped)
	if !keepAuthz {
		drop = append(drop, "authorization")
	}
	return drop
}

// reuseOf describes the rewrite that produced header (the outgoing headers of a request
// whose incoming headers went through the route's forwarding) for a later request: the
// headers the rewrite controls (those in drop or under the identity prefix) are set as they
// are now; every other header is the later request's own.
func reuseOf(header [][2]string, drop []string, ttl time.Duration) *Reuse {
	r := &Reuse{TTLMillis: ttl.Milliseconds(), Drop: drop, DropPrefix: reusePrefix, Unless: reuseUnless, Set: [][2]string{}}
	for _, kv := range header {
		name := strings.ToLower(kv[0])
		if strings.HasPrefix(name, reusePrefix) || slices.Contains(drop, name) {
			r.Set = append(r.Set, kv)
		}
	}
	return r
}

// failureAnswers are the answers for an origin that cannot be reached and one that is too
// slow, on top of the headers already set for the response.
func (g *Gateway) failureAnswers(rt *route, base http.Header) (unreachable, timedOut Answer) {
	return g.answer(rt, base, http.StatusBadGateway, "The origin could not be reached."),
		g.answer(rt, base, http.StatusGatewayTimeout, "The origin did not answer in time.")
}

// answer renders one of the gateway's refusals as an Answer, on top of the headers already
// set for the response.
func (g *Gateway) answer(rt *route, base http.Header, status int, desc string) Answer {
	rec := &recorder{h: base.Clone()}
	g.refuse(rec, rt, status, desc)
	return Answer{Status: rec.status, Header: pairs(rec.h), Body: rec.body.String()}
}

func pairs(h http.Header) [][2]string {
	var out [][2]string
	for name, values := range h {
		for _, v := range values {
			out = append(out, [2]string{name, v})
		}
	}
	return out
}

// recorder collects a small response in memory.
type recorder struct {
	h      http.Header
	status int
	body   strings.Builder
}

func (r *recorder) Header() http.Header { return r.h }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// discardWriter is the proxy's ResponseWriter while it only builds the outgoing request.
type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) WriteHeader(int)             {}
func (discardWriter) Write(b []byte) (int, error) { return len(b), nil }

// DecodeUpstream parses and checks an Upstream's JSON form: a method token, an absolute
// http(s) URL, header names that are tokens and values without control characters other
// than tab, statuses 100..999 and a positive timeout.
func DecodeUpstream(b []byte) (*Upstream, error) {
	var u Upstream
	if err := json.Unmarshal(b, &u); err != nil {
		return nil, fmt.Errorf("gateway: upstream: %w", err)
	}
	if !validToken(u.Method) {
		return nil, fmt.Errorf("gateway: upstream: method %q", u.Method)
	}
	p, err := url.Parse(u.URL)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return nil, fmt.Errorf("gateway: upstream: URL %q is not an absolute http(s) URL", u.URL)
	}
	if u.Host != "" && !validHeaderValue(u.Host) {
		return nil, errors.New("gateway: upstream: bad host")
	}
	if u.TimeoutMillis <= 0 {
		return nil, errors.New("gateway: upstream: timeout must be positive")
	}
	if u.Length < -1 {
		return nil, errors.New("gateway: upstream: bad length")
	}
	for _, set := range [][][2]string{u.Header, u.ResponseHeader, u.Unreachable.Header, u.TimedOut.Header} {
		if err := checkPairs(set); err != nil {
			return nil, err
		}
	}
	for _, a := range []Answer{u.Unreachable, u.TimedOut} {
		if a.Status < 100 || a.Status > 999 {
			return nil, fmt.Errorf("gateway: upstream: answer status %d", a.Status)
		}
	}
	if r := u.Reuse; r != nil {
		if r.TTLMillis <= 0 {
			return nil, errors.New("gateway: upstream: reuse ttl must be positive")
		}
		for _, names := range [][]string{r.Drop, r.Unless} {
			for _, n := range names {
				if !validToken(n) || n != strings.ToLower(n) {
					return nil, fmt.Errorf("gateway: upstream: reuse: bad header name %q", n)
				}
			}
		}
		if r.DropPrefix == "" || !validToken(r.DropPrefix) || r.DropPrefix != strings.ToLower(r.DropPrefix) {
			return nil, errors.New("gateway: upstream: reuse: bad drop prefix")
		}
		if err := checkPairs(r.Set); err != nil {
			return nil, err
		}
	}
	return &u, nil
}

func checkPairs(set [][2]string) error {
	for _, kv := range set {
		if !validToken(kv[0]) || !validHeaderValue(kv[1]) {
			return fmt.Errorf("gateway: upstream: bad header %q", kv[0])
		}
	}
	return nil
}

// validHeaderValue reports whether v may be sent as a header value (RFC 9110 §5.5, with
// obs-text allowed).
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// ServeUpstream sends u to its origin through transport with body as the request body
// (nil for none) and streams the origin's answer to w, edited as u says; when the origin
// cannot be reached or is too slow, it writes u's Unreachable or TimedOut answer. in is the
// incoming request (its context ends the exchange when the client goes away). It is the
// host half of a handoff for hosts written in Go.
func ServeUpstream(w http.ResponseWriter, in *http.Request, body io.ReadCloser, u *Upstream, transport http.RoundTripper, logf func(string, ...any)) {
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
				stripCORS(resp.Header)
			}
			for _, kv := range u.ResponseHeader {
				resp.Header.Add(kv[0], kv[1])
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			if errors.Is(err, errHeadTimeout) || errors.Is(err, context.DeadlineExceeded) {
				logf("gateway: %s %s: %v", u.Method, target.Redacted(), err)
				writeAnswer(w, &u.TimedOut)
				return
			}
			if req.Context().Err() == nil {
				logf("gateway: %s %s: %v", u.Method, target.Redacted(), err)
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
var errHeadTimeout = errors.New("gateway: the origin's response head did not arrive in time")

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

// MarshalJSON writes u's JSON form by hand: hosts in js/wasm hand one off per request, and
// encoding/json's reflection costs there about as much as the rest of the handoff. The form
// is the one encoding/json would write (strings with invalid UTF-8 get U+FFFD).
func (u *Upstream) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 512+len(u.URL)+64*len(u.Header)+len(u.Unreachable.Body)+len(u.TimedOut.Body))
	b = append(b, `{"method":`...)
	b = appendJSONString(b, u.Method)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, u.URL)
	if u.Host != "" {
		b = append(b, `,"host":`...)
		b = appendJSONString(b, u.Host)
	}
	b = append(b, `,"header":`...)
	b = appendPairs(b, u.Header)
	b = append(b, `,"length":`...)
	b = strconv.AppendInt(b, u.Length, 10)
	if u.StripCORS {
		b = append(b, `,"stripCORS":true`...)
	}
	if len(u.ResponseHeader) > 0 {
		b = append(b, `,"responseHeader":`...)
		b = appendPairs(b, u.ResponseHeader)
	}
	b = append(b, `,"timeoutMs":`...)
	b = strconv.AppendInt(b, u.TimeoutMillis, 10)
	b = append(b, `,"unreachable":`...)
	b = appendAnswer(b, &u.Unreachable)
	b = append(b, `,"timedOut":`...)
	b = appendAnswer(b, &u.TimedOut)
	if r := u.Reuse; r != nil {
		b = append(b, `,"reuse":{"ttlMs":`...)
		b = strconv.AppendInt(b, r.TTLMillis, 10)
		b = append(b, `,"drop":`...)
		b = appendStrings(b, r.Drop)
		b = append(b, `,"dropPrefix":`...)
		b = appendJSONString(b, r.DropPrefix)
		b = append(b, `,"unless":`...)
		b = appendStrings(b, r.Unless)
		b = append(b, `,"set":`...)
		b = appendPairs(b, r.Set)
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

func appendStrings(b []byte, list []string) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

func appendAnswer(b []byte, a *Answer) []byte {
	b = append(b, `{"status":`...)
	b = strconv.AppendInt(b, int64(a.Status), 10)
	b = append(b, `,"header":`...)
	b = appendPairs(b, a.Header)
	b = append(b, `,"body":`...)
	b = appendJSONString(b, a.Body)
	return append(b, '}')
}

func appendPairs(b []byte, pairs [][2]string) []byte {
	if pairs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, kv := range pairs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendJSONString(b, kv[0])
		b = append(b, ',')
		b = appendJSONString(b, kv[1])
		b = append(b, ']')
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string: quotes, backslashes and control characters
// escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				switch c {
				case '\n':
					b = append(b, '\\', 'n')
				case '\r':
					b = append(b, '\\', 'r')
				case '\t':
					b = append(b, '\\', 't')
				default:
					b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
				}
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
