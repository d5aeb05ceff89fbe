package hostsim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/poolgate/poolgate/internal/abi"
)

// fetchTransport sends the guest's outbound requests (http_fetch: external JWKS, OIDC
// discovery). Hosts are few, so it keeps more idle connections per host than
// http.DefaultTransport. Gateway origins are reached through handoffs (originTransport).
var fetchTransport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	t.ResponseHeaderTimeout = 30 * time.Second
	return t
}()

// fetchSlot keeps a fetched response that did not fit the guest's buffer until the guest
// collects it (abi.HTTPFetch). One lives in the context of each export call.
type fetchSlot struct {
	mu      sync.Mutex
	pending []byte
}

type fetchSlotKey struct{}

// withFetchSlot gives an export call the slot http_fetch keeps oversized responses in.
func withFetchSlot(ctx context.Context) context.Context {
	return context.WithValue(ctx, fetchSlotKey{}, &fetchSlot{})
}

// http_fetch(req_ptr, req_len, out_ptr, out_cap) → size
func (h *host) httpFetch(ctx context.Context, mod api.Module, stack []uint64) {
	slot, _ := ctx.Value(fetchSlotKey{}).(*fetchSlot)
	outPtr, outCap := stack[2], stack[3]
	if uint32(stack[1]) == 0 {
		// Collect the response kept by the previous call.
		if slot == nil {
			stack[0] = fail(abi.CodeNotFound)
			return
		}
		slot.mu.Lock()
		res := slot.pending
		if res != nil && uint64(len(res)) <= uint64(uint32(outCap)) {
			slot.pending = nil
		}
		slot.mu.Unlock()
		if res == nil {
			stack[0] = fail(abi.CodeNotFound)
			return
		}
		stack[0] = sized(mod, outPtr, outCap, res)
		return
	}
	raw, ok := read(mod, stack[0], stack[1])
	if !ok {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	res, code := h.fetch(ctx, raw)
	if code != 0 {
		stack[0] = fail(code)
		return
	}
	if uint64(len(res)) > uint64(uint32(outCap)) {
		if slot == nil {
			h.logf("hostsim: http_fetch: a %d-byte response needs a second call, which this call cannot make", len(res))
			stack[0] = fail(abi.CodeInternal)
			return
		}
		slot.mu.Lock()
		slot.pending = res
		slot.mu.Unlock()
	}
	stack[0] = sized(mod, outPtr, outCap, res)
}

// fetch performs one encoded request and returns the encoded response, or a code.
func (h *host) fetch(ctx context.Context, raw []byte) ([]byte, abi.Code) {
	in, err := abi.DecodeRequest(raw)
	if err != nil {
		return nil, abi.CodeInvalid
	}
	if len(in.Body) > abi.MaxFetchBody {
		return nil, abi.CodeInvalid
	}
	req, err := http.NewRequestWithContext(ctx, in.Method, in.URI, bytes.NewReader(in.Body))
	if err != nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
		return nil, abi.CodeInvalid
	}
	for k, vs := range in.Header {
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if t := req.Header.Get(abi.FetchTimeoutHeader); t != "" {
		req.Header.Del(abi.FetchTimeoutHeader)
		ms, err := strconv.ParseInt(t, 10, 64)
		if err != nil || ms <= 0 || ms > abi.MaxFetchTimeout.Milliseconds() {
			return nil, abi.CodeInvalid
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(ms)*time.Millisecond)
		defer cancel()
		req = req.WithContext(ctx)
	}
	req.Header.Del("Content-Length")
	req.ContentLength = int64(len(in.Body))
	if len(in.Body) == 0 {
		req.Body = http.NoBody
	}
	if in.Host != "" {
		req.Host = in.Host
	}
	resp, err := fetchTransport.RoundTrip(req)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
			return nil, abi.CodeCanceled
		}
		h.logf("hostsim: http_fetch %s %s: %v", in.Method, req.URL.Redacted(), err)
		return nil, abi.CodeInternal
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, abi.MaxFetchBody+1))
	if err != nil {
		h.logf("hostsim: http_fetch %s %s: reading the response: %v", in.Method, req.URL.Redacted(), err)
		return nil, abi.CodeInternal
	}
	if len(body) > abi.MaxFetchBody {
		h.logf("hostsim: http_fetch %s %s: response body over %d bytes (hostsim buffers bodies)", in.Method, req.URL.Redacted(), abi.MaxFetchBody)
		return nil, abi.CodeInternal
	}
	status := resp.StatusCode
	if status < 100 || status > 999 {
		return nil, abi.CodeInternal
	}
	resp.Header.Del("Content-Length")
	return abi.EncodeResponse(&abi.Response{Status: status, Header: resp.Header, Body: body}), 0
}
