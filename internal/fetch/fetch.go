// Package fetch sends one outbound request through a host's transport: the fetch of the
// Worker or of hostsim, or net/http's Transport natively.
//
// It stands where http.Client would: http.Client falls back to http.DefaultTransport, and a
// reference to that links net/http's Transport (TLS, x509, the dialer, HTTP/2: about 0.8 MB
// gzip) into the wasm builds, which can only reach the network through their host. It
// follows no redirect: a redirect is an answer like any other (the hosts' own fetches follow
// none either), so a configured endpoint cannot send poolgate's requests elsewhere.
package fetch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// Do sends req through rt and returns the response; its body must be closed. timeout bounds
// the whole exchange, reading the body included (0: only req's context bounds it).
func Do(rt http.RoundTripper, req *http.Request, timeout time.Duration) (*http.Response, error) {
	if rt == nil {
		return nil, errors.New("fetch: this host has no outbound transport")
	}
	ctx, cancel := req.Context(), context.CancelFunc(func() {})
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	}
	resp, err := rt.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		if ctx.Err() != nil && req.Context().Err() == nil {
			return nil, errors.Join(context.DeadlineExceeded, err)
		}
		return nil, err
	}
	if resp.Body == nil {
		resp.Body = http.NoBody
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelBody ends the request's context once its body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
