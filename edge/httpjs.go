//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall/js"

	"github.com/poolgate/poolgate/edge/internal/glue"
	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/handoff"
	"github.com/poolgate/poolgate/internal/trigger"
)

// maxRequestBody bounds what the glue hands Go; the JSON API accepts 1 MiB (awsjson).
const maxRequestBody = 2 << 20

// newRequest builds an *http.Request from what the glue passes: head ("<method>\n<url>\n"
// then the headers as "name:value" lines, one string: every value crossing from JS costs) and
// the body (a Uint8Array, or null).
func newRequest(ctx context.Context, head string, body js.Value) (*http.Request, error) {
	method, rest, ok1 := strings.Cut(head, "\n")
	url, headerLines, ok2 := strings.Cut(rest, "\n")
	if !ok1 || !ok2 || method == "" || url == "" {
		return nil, errors.New("edge: request without method or url")
	}
	var b []byte
	if !body.IsNull() && !body.IsUndefined() {
		if body.Get("byteLength").Int() > maxRequestBody {
			return nil, errTooLarge
		}
		var err error
		if b, err = bytesFromJS(body); err != nil {
			return nil, err
		}
	}
	r, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("edge: request: %w", err)
	}
	r.ContentLength = int64(len(b))
	r.Header = make(http.Header, strings.Count(headerLines, "\n")+1)
	glue.ParseHeaderLines(headerLines, r.Header)
	r.Host = r.URL.Host
	if h := r.Header.Get("Host"); h != "" {
		r.Host = h
	}
	r.Header.Del("Host")
	// The client's address, as a host:port (the port is not known) so that the gateway's
	// X-Forwarded-For carries it.
	if ip := r.Header.Get("CF-Connecting-IP"); ip != "" {
		r.RemoteAddr = net.JoinHostPort(ip, "0")
	}
	return r, nil
}

var errTooLarge = errors.New("edge: request body too large")

// pendingBody reads a body the glue kept (bodyPending) chunk by chunk through the bridge's
// readBody(token), in the request's own JS context; the glue keeps what was read so that a
// handed-off request still sends the whole body.
type pendingBody struct {
	ctx    context.Context
	bridge js.Value
	token  int
	buf    []byte
	eof    bool
}

func (b *pendingBody) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.eof {
			return 0, io.EOF
		}
		v, err := ioCall(b.ctx, b.bridge, "readBody", b.token)
		if err != nil {
			return 0, fmt.Errorf("edge: reading the request body: %w", err)
		}
		if v.IsNull() || v.IsUndefined() {
			b.eof = true
			continue
		}
		if b.buf, err = bytesFromJS(v); err != nil {
			return 0, err
		}
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

func (b *pendingBody) Close() error { return nil }

// responseWriter records a response for the glue.
type responseWriter struct {
	header   http.Header
	status   int
	body     bytes.Buffer
	upstream *handoff.Upstream // a request the gateway handed off: the glue sends it on
}

func newResponseWriter() *responseWriter { return &responseWriter{header: http.Header{}} }

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// respond hands the recorded response to the glue's respond(token, status, headerLines,
// body), or a handoff as respond(token, 0, upstreamJSON, epoch).
func (w *responseWriter) respond(respond js.Value, token int, epoch int64) {
	if w.upstream != nil {
		if b, err := w.upstream.MarshalJSON(); err == nil {
			respond.Invoke(token, 0, string(b), epoch)
			return
		}
		w.upstream = nil
		writeError(w, awsjson.Internal("An internal error occurred."))
	}
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	var body any = js.Null()
	if status != http.StatusNoContent && status != http.StatusNotModified && w.body.Len() > 0 {
		body = bytesToJS(w.body.Bytes())
	}
	respond.Invoke(token, status, glue.FormatHeaderLines(w.header), body)
}

// fetchTransport is an http.RoundTripper over the glue's fetchAll(url, method, headers,
// body) → Promise<{status, headers, body}>: the whole exchange, body included, happens in
// one JS async function, so no stream object crosses between request contexts. (Go's own
// js/wasm transport reads response streams from Go, which workerd refuses when the stream
// was opened by another request.)
type fetchTransport struct {
	bridge js.Value
}

func (t fetchTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		if len(body) > maxRequestBody {
			return nil, errTooLarge
		}
	}
	headers := jsArray.New()
	for name, values := range r.Header {
		for _, v := range values {
			headers.Call("push", []any{name, v})
		}
	}
	var jsBody any = js.Null()
	if len(body) > 0 {
		jsBody = bytesToJS(body)
	}
	var res js.Value
	var err error
	if r.URL.Scheme == trigger.BindingScheme {
		// A trigger function that is another Worker: binding://<NAME>/ names the service
		// binding env.<NAME>; the glue calls its fetch with a URL of its own.
		res, err = ioCall(r.Context(), t.bridge, "fetchBinding", r.URL.Host, r.URL.Path, r.Method, headers, jsBody)
	} else {
		res, err = ioCall(r.Context(), t.bridge, "fetchAll", r.URL.String(), r.Method, headers, jsBody)
	}
	if err != nil {
		return nil, fmt.Errorf("edge: fetch %s: %w", r.URL.Redacted(), err)
	}
	status := res.Get("status").Int()
	resp := &http.Response{
		Status:     strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode: status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{},
		Request: r,
	}
	rh := res.Get("headers")
	for i := range rh.Length() {
		kv := rh.Index(i)
		resp.Header.Add(kv.Index(0).String(), kv.Index(1).String())
	}
	var rb []byte
	if b := res.Get("body"); !b.IsNull() && !b.IsUndefined() {
		if rb, err = bytesFromJS(b); err != nil {
			return nil, err
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	resp.ContentLength = int64(len(rb))
	return resp, nil
}
