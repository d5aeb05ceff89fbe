//go:build wasip1

package guest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
	"unsafe"

	"github.com/poolgate/poolgate/internal/abi"
)

// Transport is an http.RoundTripper over the host's http_fetch import: the guest's only way
// out to the network (external JWKS, OIDC discovery; gateway origins are reached by the host
// through handoffs, see package abi). Request and response bodies are buffered whole, up to
// abi.MaxFetchBody each.
type Transport struct{}

// RoundTrip sends r through the host.
func (Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL == nil || (r.URL.Scheme != "http" && r.URL.Scheme != "https") {
		closeBody(r)
		return nil, fmt.Errorf("guest: fetch: %v is not an http(s) URL", r.URL)
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(r.Body, abi.MaxFetchBody+1))
		r.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("guest: fetch: reading the request body: %w", err)
		}
		if len(b) > abi.MaxFetchBody {
			return nil, fmt.Errorf("guest: fetch: request body over %d bytes", abi.MaxFetchBody)
		}
		body = b
	}
	header := r.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	header.Del(abi.FetchTimeoutHeader)
	if deadline, ok := r.Context().Deadline(); ok {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, fmt.Errorf("guest: fetch %s: %w", r.URL.Redacted(), context.DeadlineExceeded)
		}
		header.Set(abi.FetchTimeoutHeader, strconv.FormatInt(left.Milliseconds()+1, 10))
	}
	req := abi.EncodeRequest(&abi.Request{Method: r.Method, URI: r.URL.String(), Host: r.Host, Header: header, Body: body})
	raw, err := fetch(req)
	if err != nil {
		return nil, fmt.Errorf("guest: fetch %s %s: %w", r.Method, r.URL.Redacted(), err)
	}
	res, err := abi.DecodeResponse(raw)
	if err != nil {
		return nil, fmt.Errorf("guest: fetch: %w", err)
	}
	if res.Status == abi.StatusHandoff {
		return nil, errors.New("guest: fetch: the host answered with a handoff status")
	}
	h := make(http.Header, len(res.Header))
	for k, vs := range res.Header {
		ck := http.CanonicalHeaderKey(k)
		h[ck] = append(h[ck], vs...)
	}
	h.Del("Content-Length")
	return &http.Response{
		Status:        strconv.Itoa(res.Status) + " " + http.StatusText(res.Status),
		StatusCode:    res.Status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(res.Body)),
		ContentLength: int64(len(res.Body)),
		Request:       r,
	}, nil
}

// fetch calls http_fetch, collecting a response that did not fit in the scratch buffer with
// a second call (req_len 0) that does not repeat the request.
func fetch(req []byte) ([]byte, error) {
	scratch.Lock()
	defer scratch.Unlock()
	if scratch.buf == nil {
		scratch.buf = make([]byte, scratchSize)
	}
	p, n := in(req)
	size := httpFetch(p, n, unsafe.SliceData(scratch.buf), uint32(len(scratch.buf)))
	if size < 0 {
		return nil, abi.Code(-size)
	}
	if int(size) > len(scratch.buf) {
		scratch.buf = make([]byte, size)
		size = httpFetch(nil, 0, unsafe.SliceData(scratch.buf), uint32(len(scratch.buf)))
		if size < 0 {
			return nil, abi.Code(-size)
		}
		if int(size) > len(scratch.buf) {
			return nil, errors.New("the host's kept response grew")
		}
	}
	return append([]byte{}, scratch.buf[:size]...), nil
}

func closeBody(r *http.Request) {
	if r.Body != nil {
		r.Body.Close()
	}
}
